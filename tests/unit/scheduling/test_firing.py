"""Tests for what a firing handler is told (bot.scheduling.scheduler.Firing) and for the misfire
tolerance, on plain schedule values."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.scheduling.scheduler import ON_TIME_TOLERANCE, Firing, tolerance
from bot.scheduling.values import MisfirePolicy, Schedule

DUE = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
ROUND_END = Schedule(
    id=7,
    community_id=601,
    kind="cafe.round_end",
    target_id=42,
    when_text=DUE.isoformat(),
    due_at=DUE,
    timezone="UTC",
    misfire_policy=MisfirePolicy.LATE,
    grace_seconds=3600,
    paused=False,
    paused_reason=None,
    created_by=None,
    created_at=DUE - timedelta(hours=1),
)


def test_a_firing_names_the_row_its_schedule_acts_on() -> None:
    assert Firing(ROUND_END, DUE, timedelta(0)).target_id == 42


def test_a_schedule_without_a_row_says_so_instead_of_naming_row_zero() -> None:
    untargeted = Firing(replace(ROUND_END, target_id=None), DUE, timedelta(0))
    with pytest.raises(LookupError, match=r"schedule 7 \(cafe.round_end\) names no row"):
        _ = untargeted.target_id


def test_tolerance_follows_the_misfire_policy() -> None:
    assert tolerance(ROUND_END) == timedelta(hours=1)
    assert tolerance(replace(ROUND_END, grace_seconds=5)) == ON_TIME_TOLERANCE
    assert tolerance(replace(ROUND_END, misfire_policy=MisfirePolicy.SKIP)) == ON_TIME_TOLERANCE
