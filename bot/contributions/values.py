"""The contribution log's values: what the listeners hand the writer, what the writer adds, and
what the tracking commands return. Plain values, no Discord, no database: storage imports them
from here (storage/contributions.py), so this module imports nothing from ``storage``.

:class:`ContributionRow` and :class:`ReactionRow` are described once, at the edge (the event
receivers in cogs/contributions.py); the writer adds each one's :class:`Attribution` (and a
contribution's ``logged_at``) when it writes them, and nothing else changes them on the way.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

# The row classes below are built for every event at the gateway's pace; they are not frozen
# because a frozen dataclass pays for every field it sets (several times the cost). Treat them
# as values all the same: nobody changes one after building it.


@dataclass(slots=True)
class ContributionRow:
    """A message for the log: every column of the ``contribution`` table except those the
    writer fills in (:data:`ATTRIBUTION_COLUMNS`). The defaults are the table's."""

    message_id: int
    community_id: int
    channel_id: int  # where it was posted: a channel or a thread
    author_id: int
    created_at: datetime
    parent_channel_id: int | None = None  # a thread's parent
    edited_at: datetime | None = None
    # Kinds, decided by bot/contributions/classifier.py
    is_reply: bool = False
    is_answer: bool = False
    is_question: bool = False
    is_resource: bool = False
    is_thread_start: bool = False
    reply_to_author_id: int | None = None
    reply_to_message_id: int | None = None
    # Counts; the text itself is not kept.
    characters: int = 0
    words: int = 0
    links: int = 0
    attachments: int = 0
    mentions: int = 0


@dataclass(slots=True)
class ContributionEdit:
    """A logged message edited: what an edit can change (its kinds, the member it replies to,
    its counts), and when it was edited (None: not known to be edited; a link preview arrives
    as an update too, and leaves ``edited_at`` as it was)."""

    message_id: int
    is_reply: bool
    is_answer: bool
    is_question: bool
    is_resource: bool
    reply_to_author_id: int | None
    reply_to_message_id: int | None
    characters: int
    words: int
    links: int
    attachments: int
    mentions: int
    edited_at: datetime | None = None

    @classmethod
    def of(cls, described: ContributionRow) -> ContributionEdit:
        """The edit that brings a logged message to ``described``, the edited message described
        as a new one would be."""
        return cls(
            message_id=described.message_id,
            is_reply=described.is_reply,
            is_answer=described.is_answer,
            is_question=described.is_question,
            is_resource=described.is_resource,
            reply_to_author_id=described.reply_to_author_id,
            reply_to_message_id=described.reply_to_message_id,
            characters=described.characters,
            words=described.words,
            links=described.links,
            attachments=described.attachments,
            mentions=described.mentions,
            edited_at=described.edited_at,
        )


@dataclass(slots=True)
class ReactionRow:
    """A member's reaction to another member's message: every column of the ``reaction`` table
    except its id and the attribution the writer fills in."""

    community_id: int
    channel_id: int
    message_id: int
    user_id: int  # who reacted
    target_author_id: int | None  # whose message (None: unknown, or opted out)
    emoji: str
    created_at: datetime


class Attribution(NamedTuple):
    """Who a row is attributed to at its moment: the organisation, stakeholder group and level.
    Made for every row written: a named tuple is several times cheaper to build than a frozen
    dataclass, and as immutable."""

    organisation_id: int | None = None
    stakeholder: str | None = None
    level: str | None = None


NOBODY = Attribution()  # someone who is not in the register

# The columns of the ``contribution`` table the writer fills in, besides a ContributionRow's.
ATTRIBUTION_COLUMNS: tuple[str, ...] = (*Attribution._fields, "logged_at")


@dataclass(frozen=True, slots=True)
class TrackedTarget:
    """A channel or a category whose messages are logged (``/settings track``)."""

    channel_id: int
    is_category: bool
