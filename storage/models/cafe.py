"""World Café sessions: the café, who signed up, who sat where, the threads, the tablecloth.

Every step of running a round is a row (or a flag on one) written before or right after the
Discord call it stands for, so a restarted bot knows what is done and does only the rest.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Column, ForeignKey, Index, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from bot.cafe.values import CafeRole, CafeState, NoteKind
from storage.types import UTCDateTime, utc_now

# The café's enums are its domain's (bot/cafe/values.py); imported here for the columns, and
# importable from storage.models as before.
__all__ = [
    "Cafe",
    "CafeNote",
    "CafeNotice",
    "CafeParticipant",
    "CafeRole",
    "CafeSeat",
    "CafeState",
    "CafeTable",
    "NoteKind",
]


class Cafe(SQLModel, table=True):
    __tablename__ = "cafe"
    __table_args__ = (Index("ix_cafe_community_id_state", "community_id", "state"),)

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(
        sa_column=Column(BigInteger, ForeignKey("community.id", ondelete="CASCADE"), nullable=False)
    )
    title: str = Field(max_length=100)
    questions: list[str] = Field(sa_column=Column(JSON, nullable=False))  # one per round
    rounds: int
    round_minutes: int
    tables: int | None = None  # in use once started; before: as asked (None: five seats a table)
    tables_asked: int | None = None  # what the moderator asked for: the next café of a series too
    thread_type: str = Field(default="public", sa_type=String(8))  # public | private
    channel_id: int = Field(sa_type=BigInteger)  # where the sign-up and the harvest go
    signup_message_id: int | None = Field(default=None, sa_type=BigInteger)
    progress_message_id: int | None = Field(default=None, sa_type=BigInteger)
    reflection_thread_id: int | None = Field(default=None, sa_type=BigInteger)
    starts_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    repeat_when: str | None = Field(default=None, max_length=200)  # a recurring café's schedule
    series_id: int | None = Field(default=None)  # the first café of a recurring series
    warning_minutes: int = 2
    seed: int = 0
    state: CafeState = Field(default=CafeState.OPEN, sa_type=String(10))
    current_round: int = 0  # 0: not started
    round_started_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    round_ends_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    harvest_posted: bool = False
    # Discord work cut short (its rate limit spent, an outage) is retried by a timer: how many
    # tries failed since the work last finished (the pause grows with it), and the round whose
    # café channel was told so (-1: told of work outside a running round; None: not told). Kept
    # here so that a restart neither repeats the warning nor forgets to say it is all done.
    retry_attempts: int = 0
    retry_told_round: int | None = None
    created_by: int | None = Field(default=None, sa_type=BigInteger)
    created_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class CafeParticipant(SQLModel, table=True):
    """Someone signed up for a café. Leaving keeps the row (``left_at``) for the harvest."""

    __tablename__ = "cafe_participant"
    __table_args__ = (UniqueConstraint("cafe_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    cafe_id: int = Field(
        sa_column=Column(ForeignKey("cafe.id", ondelete="CASCADE"), nullable=False)
    )
    user_id: int = Field(sa_type=BigInteger)
    role: CafeRole = Field(default=CafeRole.TRAVELLER, sa_type=String(10))
    host_table: int | None = None  # 1-based, for hosts
    joined_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)
    left_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class CafeSeat(SQLModel, table=True):
    """Who sat at which table in which round (written when the round is seated)."""

    __tablename__ = "cafe_seat"
    __table_args__ = (UniqueConstraint("cafe_id", "round_number", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    cafe_id: int = Field(
        sa_column=Column(ForeignKey("cafe.id", ondelete="CASCADE"), nullable=False)
    )
    round_number: int
    table_number: int
    user_id: int = Field(sa_type=BigInteger)
    is_host: bool = False


class CafeTable(SQLModel, table=True):
    """One table in one round: its thread and how far opening and closing it got."""

    __tablename__ = "cafe_table"
    __table_args__ = (UniqueConstraint("cafe_id", "round_number", "table_number"),)

    id: int | None = Field(default=None, primary_key=True)
    cafe_id: int = Field(
        sa_column=Column(ForeignKey("cafe.id", ondelete="CASCADE"), nullable=False)
    )
    round_number: int
    table_number: int
    thread_id: int | None = Field(default=None, sa_type=BigInteger, index=True)
    opened: bool = False  # members added or mentioned, question and tablecloth posted
    warned: bool = False
    closed: bool = False  # tablecloth asked for, locked and archived


class CafeNotice(SQLModel, table=True):
    """A message for one table's thread (``/cafe broadcast``, ``/cafe extend``, a restarted
    round): recorded for every table first, then sent one by one, so that what Discord does not
    let through now is sent by the retry, once."""

    __tablename__ = "cafe_notice"
    __table_args__ = (Index("ix_cafe_notice_cafe_id_sent", "cafe_id", "sent"),)

    id: int | None = Field(default=None, primary_key=True)
    cafe_id: int = Field(
        sa_column=Column(ForeignKey("cafe.id", ondelete="CASCADE"), nullable=False)
    )
    table_id: int = Field(
        sa_column=Column(ForeignKey("cafe_table.id", ondelete="CASCADE"), nullable=False)
    )
    content: str = Field(sa_column=Column(Text, nullable=False))
    sent: bool = False
    created_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)


class CafeNote(SQLModel, table=True):
    """A tablecloth note or a harvest insight: text a member added on purpose."""

    __tablename__ = "cafe_note"
    __table_args__ = (
        Index("ix_cafe_note_cafe_id", "cafe_id"),
        # A message is marked for the harvest once, however often the menu is used.
        UniqueConstraint("cafe_id", "message_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    cafe_id: int = Field(
        sa_column=Column(ForeignKey("cafe.id", ondelete="CASCADE"), nullable=False)
    )
    round_number: int
    table_number: int
    kind: NoteKind = Field(default=NoteKind.NOTE, sa_type=String(8))
    author_id: int | None = Field(default=None, sa_type=BigInteger)  # None: forgotten
    text: str = Field(sa_column=Column(Text, nullable=False))
    message_id: int | None = Field(default=None, sa_type=BigInteger)  # the marked message
    jump_url: str | None = Field(default=None, max_length=200)
    added_by: int | None = Field(default=None, sa_type=BigInteger)
    created_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)
