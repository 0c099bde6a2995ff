"""What the scheduler knows of a schedule and its firings, as plain values. No database here:
``storage/schedules.py`` maps its rows to these, and ``storage/models/scheduling.py`` stores
the enums' values."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class MisfirePolicy(StrEnum):
    LATE = "late"  # act late, within the grace period
    SKIP = "skip"  # never act late: record the skip


class FiringStatus(StrEnum):
    CLAIMED = "claimed"  # a process has taken it and is acting
    DONE = "done"
    FAILED = "failed"
    SKIPPED = "skipped"  # missed, and too late (or the policy says skip)


@dataclass(frozen=True, slots=True)
class Schedule:
    """When something happens, and which handler acts (``kind``) on which row (``target_id``)."""

    id: int
    community_id: int
    kind: str
    target_id: int | None
    when_text: str  # parseable by bot.scheduling.when.parse_when
    due_at: datetime | None  # a timer: due once at this instant
    timezone: str
    misfire_policy: MisfirePolicy
    grace_seconds: int
    paused: bool
    paused_reason: str | None
    created_by: int | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class FiringRecord:
    """One due time of a schedule as recorded: claimed, done, failed or skipped."""

    id: int
    schedule_id: int
    scheduled_for: datetime
    status: FiringStatus
    claimed_by: str
    finished_at: datetime | None
    note: str | None
