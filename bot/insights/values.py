"""What the insights are computed from and what they give: plain values, no Discord, no SQL.

Storage hands over people (with their organisation, stakeholder group and level), what each did
in the period, and the reply edges between people; the figures come back as :class:`Measure`
rows in long form, the shape of ``/export metrics``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


@dataclass(frozen=True, slots=True)
class Person:
    """A person present in the community and not opted out, with their place in the register
    (None: not given)."""

    user_id: int
    organisation: str | None = None
    stakeholder: str | None = None
    level: str | None = None


@dataclass(frozen=True, slots=True)
class Activity:
    """What one person did in the period. Replies, answers and resources are kinds of
    messages (a message may be several); notes and harvest items are written in cafés."""

    messages: int = 0
    replies: int = 0
    """Replies to someone else's message."""
    answers: int = 0
    resources: int = 0
    notes: int = 0
    """Tablecloth notes."""
    harvest_items: int = 0
    replies_received: int = 0
    """Replies by others to this person's messages."""
    reactions_received: int = 0
    """Reactions by others to this person's messages."""

    @property
    def given(self) -> int:
        """Every message, tablecloth note and harvest item (a reply is one message, not two)."""
        return self.messages + self.notes + self.harvest_items

    @property
    def received(self) -> int:
        return self.replies_received + self.reactions_received

    @property
    def give_ratio(self) -> float | None:
        """given / (given + received); None for someone who neither gave nor received."""
        total = self.given + self.received
        return None if total == 0 else self.given / total


@dataclass(frozen=True, slots=True)
class Reply:
    """``count`` reply messages by ``source`` to messages of ``target`` (never the same person)
    in the period: the knowledge went from ``source`` to ``target``."""

    source: int
    target: int
    count: int = 1


class Scope(StrEnum):
    """What a figure is about (the ``scope`` column of ``/export metrics``)."""

    COMMUNITY = "community"
    ORGANISATION = "organisation"
    STAKEHOLDER = "stakeholder"
    LEVEL = "level"
    MEMBER = "member"
    CAFE_TABLE = "cafe_table"
    PROMPT = "prompt"
    PLATFORM = "platform"  # a learning-alliance platform (``alliance``): items, not people


@dataclass(frozen=True, slots=True)
class Measure:
    """One figure: ``metric`` of ``group`` (a name, a pseudonym, or "" for the community) in
    ``scope``, from ``n`` people. ``value`` None: not shown, because fewer people than the
    community's minimum group size are behind it, or because it is undefined (no data)."""

    scope: Scope
    group: str
    metric: str
    value: float | None
    n: int


class Asked(StrEnum):
    PROMPT = "prompt"
    """A question the bot posted (a prompt post)."""
    QUESTION = "question"
    """A member's message classed as a question."""


@dataclass(frozen=True, slots=True)
class QuestionAsked:
    """A question asked in the period and what came of it: answers by people other than the
    asker (for a prompt: anyone), the first of them, and how many people answered."""

    kind: Asked
    key: int
    """The prompt post's number, or the question message's id (never shown)."""
    asked_at: datetime
    first_answer_at: datetime | None
    answers: int
    answerers: int


@dataclass(frozen=True, slots=True)
class Seat:
    """Someone seated at a café table in a round, and how many messages they posted there."""

    cafe_id: int
    round_number: int
    table_number: int
    user_id: int
    is_host: bool
    contributions: int


@dataclass(frozen=True, slots=True)
class TableNotes:
    cafe_id: int
    round_number: int
    table_number: int
    notes: int
    """Tablecloth notes and harvest items written at the table."""
