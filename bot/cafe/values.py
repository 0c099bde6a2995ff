"""What a World Café is made of, as plain values: its states and roles, the café, who signed
up, who sat where, the tables, the notices to them and the tablecloth.

The café service returns these (storage maps its rows to them), so cogs and domain code never
hold a database row. The enums' values are what the database stores: never change them.
Nothing here imports ``storage`` (storage imports these).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class CafeState(StrEnum):
    OPEN = "open"  # taking sign-ups; not started
    RUNNING = "running"  # round ``current_round`` is on
    HARVEST = "harvest"  # the rounds are over; the harvest is being posted
    CLOSED = "closed"
    CANCELLED = "cancelled"


class CafeRole(StrEnum):
    HOST = "host"
    TRAVELLER = "traveller"


class NoteKind(StrEnum):
    NOTE = "note"  # a tablecloth note
    INSIGHT = "insight"  # a message marked "Add to harvest"


# The states in which a café is still going on (not over, not called off).
ACTIVE_STATES = (CafeState.OPEN, CafeState.RUNNING, CafeState.HARVEST)


@dataclass(frozen=True, slots=True)
class Cafe:
    """A café as stored when it was read."""

    id: int
    community_id: int
    title: str
    questions: tuple[str, ...]  # one per round
    rounds: int
    round_minutes: int
    tables: int | None  # in use once started; before: as asked (None: five seats a table)
    tables_asked: int | None  # what the moderator asked for: the next café of a series too
    thread_type: str  # public | private
    channel_id: int  # where the sign-up and the harvest go
    signup_message_id: int | None
    progress_message_id: int | None
    reflection_thread_id: int | None
    starts_at: datetime | None
    repeat_when: str | None  # a recurring café's schedule
    series_id: int | None  # the first café of a recurring series
    warning_minutes: int
    seed: int
    state: CafeState
    current_round: int  # 0: not started
    round_started_at: datetime | None
    round_ends_at: datetime | None
    harvest_posted: bool
    retry_attempts: int  # failed tries of cut-short Discord work since it last finished
    retry_told_round: int | None  # the round the channel was told of a retry in (-1, None)
    created_by: int | None
    created_at: datetime
    updated_at: datetime
    ended_at: datetime | None


@dataclass(frozen=True, slots=True)
class CafeParticipant:
    """Someone signed up for a café (``left_at``: they left; the sign-up is kept)."""

    id: int
    cafe_id: int
    user_id: int
    role: CafeRole
    host_table: int | None  # 1-based, for hosts
    joined_at: datetime
    left_at: datetime | None


@dataclass(frozen=True, slots=True)
class CafeSeat:
    """Who sat at which table in which round."""

    id: int
    cafe_id: int
    round_number: int
    table_number: int
    user_id: int
    is_host: bool


@dataclass(frozen=True, slots=True)
class CafeTable:
    """One table in one round: its thread and how far opening and closing it got."""

    id: int
    cafe_id: int
    round_number: int
    table_number: int
    thread_id: int | None
    opened: bool  # members added or mentioned, question and tablecloth posted
    warned: bool
    closed: bool  # tablecloth asked for, locked and archived


@dataclass(frozen=True, slots=True)
class CafeNotice:
    """A message waiting to be posted in one table's thread."""

    id: int
    cafe_id: int
    table_id: int
    content: str


@dataclass(frozen=True, slots=True)
class CafeNote:
    """A tablecloth note or a harvest insight."""

    id: int
    cafe_id: int
    round_number: int
    table_number: int
    kind: NoteKind
    author_id: int | None  # None: forgotten
    text: str
    message_id: int | None  # the marked message
    jump_url: str | None
    added_by: int | None
