"""Learning-alliance platforms: a server, or a category of one, at a level (international,
national, intermediate, local), linked to other platforms with consent on both sides, so that
lessons travel up (child to parent), down (parent to child) and across (between peers).

- ``values``: the plain values (platforms, links, shares, deliveries, flows).
- ``codes``: one-time invite codes, kept hashed.
- ``service``: :class:`Platforms` (``bot.platforms``): platforms, links, shares in the database.
- ``deliveries``: each copy's delivery as a job: its steps, and why in that order.

What crosses a link: only items shared on purpose (a message, a café's harvest) and a child's
periodic digest of group figures. Nothing else of one server ever reaches another.
"""
