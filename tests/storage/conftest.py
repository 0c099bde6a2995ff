"""Fixtures of the storage tests that schedule: a clock set by hand and the schedulers started."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from bot.scheduling.scheduler import Scheduler
from tests.storage.helpers import Clock


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2030, 3, 4, 7, 0, tzinfo=UTC))  # a Monday, 08:00 in Amsterdam


@pytest.fixture
async def started() -> AsyncIterator[list[Scheduler]]:
    schedulers: list[Scheduler] = []
    yield schedulers
    for scheduler in schedulers:
        await scheduler.shutdown()
