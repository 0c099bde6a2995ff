"""Insights: the figures that make sharing, hoarding, silence and silos visible. Plain values in
(``values``: people, what each did, reply edges), figures out (``Measure``: scope, group,
metric, value, n); no Discord, no SQL. ``compute`` puts them together for one period,
``service`` reads storage and runs it off the event loop, ``charts`` and ``report`` draw them,
``text`` writes them as people read them.

Every figure is over the period P (stated with it) and over the people present in the community
in P (every member of the server who is not a bot, with or without a profile) who did not opt
out. Edges are replies between people, one per reply message, self-replies dropped; a reply by
s to a message of t is an edge s -> t (the knowledge went from s to t).

Participation (``participation``)
  given(p) = messages + tablecloth notes + harvest items (a reply, answer or resource is one
  message); received(p) = replies and reactions by others to p's messages;
  give_ratio = given / (given + received) (none when both are 0).
  gini over given of all present people, zeros included, in the plain form: with x sorted
  ascending and i = 1..n, G = sum_i (2i - n - 1) x_i / (n sum x) (no n/(n-1) correction; none
  when nobody gave). lorenz: the points (k/n, share of all given by the k least active).
  share_silent = people with given 0 / n. top1_share, top10_share = share of all given made by
  the ceil(1% n), ceil(10% n) most active (at least 1) (Nielsen 2006, "90-9-1").
  absence_factor = the fewest people whose given adds up to at least half of all given;
  elephant_factor = the same over organisations (given summed per organisation; people without
  one left out) (CHAOSS).
Silos (``silos``; Krackhardt and Stern 1988)
  For a group g (an organisation, stakeholder group or level): I = edges with both ends in g,
  E = edges with exactly one end in g; ei_index = (E - I) / (E + I), -1 closed, +1 open.
  ei_expected = (2 g (N - g) - g (g - 1)) / (2 g (N - g) + g (g - 1)) for g members among N
  people: the value if the group's ties were spread over all its possible ordered pairs.
  ei_p_value: the group labels are shuffled among the people (sizes kept) 1,000 times, seeded;
  p = (1 + shuffles with E-I <= observed) / (1 + shuffles). A group is called a silo only when
  it has at least the minimum group size, its E-I is below ei_expected and p < 0.05: a small
  group is never called a silo on chance alone.
Flows (``flows``)
  horizontal_edges = edges between people at the same level; vertical_edges = across levels;
  the level-to-level and stakeholder-to-stakeholder matrices count edges from row to column.
  reciprocity = ordered pairs (s, t) with an edge whose reverse (t, s) also has one / ordered
  pairs with an edge.
Brokers (``brokers``)
  betweenness (Freeman 1977; Brandes 2001) on the unweighted directed reply network, divided by
  (n - 1)(n - 2); exact up to a work budget, then estimated from seeded pivots (Brandes and
  Pich 2007; the error on the benchmark network is stated in ``brokers``).
  organisations_bridged = distinct organisations among a person's own and those of everyone
  they exchanged replies with. Gould and Fernandez (1989) roles over two-step paths a -> b -> c
  (a != c, no direct a -> c), by the organisations A, B, C of a, b, c: coordinator A = B = C,
  gatekeeper A != B = C, representative A = B != C, consultant A = C != B, liaison all
  different; counted per broker's organisation (brokerage_<role>).
Questions (``questions``; CHAOSS time to first response)
  response_rate = questions answered within 7 days / questions decided (answered within 7 days,
  or asked more than 7 days ago); median_hours_to_first_answer over answered questions; per
  prompt its answers and answerers. A member's question is answered by a reply from someone
  else; a prompt by any message in its thread or in reply to it.
Cafés (``cafes``)
  table_silence = seated people who posted nothing at their table / seated people, per table and
  round; table_notes per table; organisations_met, stakeholders_met per person (distinct ones
  of the people they sat with, their own left out).
Hoarding (``hoarding``)
  hoarding_periods = consecutive periods of the same length, up to this one, in which a person
  (or an organisation, summed) received something and gave nothing or had a give ratio under
  0.2; shown from 2 on. Organisations called silos are the other hoarding signal.
Alliance (``alliance``; between platforms, not people)
  Over the links active at some moment of [start, end) and the flows with start <= at < end: per
  link, items and responses per direction (up: child to parent, down, across: between peers; a
  response travels opposite to the item it answers); per platform items_sent, items_received,
  responses_sent, responses_received, items_sent_up/down/across, silent_links. Only receiving:
  received an item and sent nothing (no item, no response); only sending: sent an item and
  received nothing. Silent link: active in the period, nothing crossed it either way. The level
  matrix counts items from the sender's level to the receiver's. Counts of items between
  institutions: the small-group rule does not apply (scope ``platform``, n = active links).
Trend: the counting figures of the period of the same length just before, next to each figure.

Privacy (DESIGN.md section 8): a figure about a group of fewer people than the community's
minimum group size (3 or more) has no value and reads "fewer than N" (``compute.suppressed``);
a person is named only to themselves, or to coordinators when they chose ``/privacy visible``.
"""
