from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, ForeignKey, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from bot.scheduling.values import FiringStatus, MisfirePolicy
from storage.types import UTCDateTime, utc_now

__all__ = ["Firing", "FiringStatus", "MisfirePolicy", "Schedule"]


class Schedule(SQLModel, table=True):
    """When something happens. The scheduler only rebuilds alarms from these rows."""

    __tablename__ = "schedule"

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(
        sa_column=Column(
            BigInteger, ForeignKey("community.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    kind: str = Field(max_length=40)  # which handler acts, e.g. "prompt.post"
    target_id: int | None = Field(default=None, sa_type=BigInteger)  # the row the handler acts on
    when_text: str = Field(max_length=200)  # parseable by bot.scheduling.when.parse_when
    # A timer (a café round's end, say) is due once at this exact instant; when_text then only
    # shows it to people.
    due_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    timezone: str = Field(max_length=64)
    misfire_policy: MisfirePolicy = Field(default=MisfirePolicy.LATE, sa_type=String(8))
    grace_seconds: int = Field(default=3600)
    paused: bool = Field(default=False)
    paused_reason: str | None = Field(default=None, max_length=300)
    created_by: int | None = Field(default=None, sa_type=BigInteger)
    created_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)
    # Indexed: every process looks for the schedules changed since its last look.
    updated_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime, index=True)


class Firing(SQLModel, table=True):
    """One due time of a schedule. The unique key is what makes every firing happen once."""

    __tablename__ = "firing"
    __table_args__ = (UniqueConstraint("schedule_id", "scheduled_for"),)

    id: int | None = Field(default=None, primary_key=True)
    schedule_id: int = Field(
        sa_column=Column(ForeignKey("schedule.id", ondelete="CASCADE"), nullable=False)
    )
    scheduled_for: datetime = Field(sa_type=UTCDateTime)
    status: FiringStatus = Field(sa_type=String(8))
    claimed_by: str = Field(max_length=64)
    claimed_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    note: str | None = Field(default=None, max_length=500)
