"""Fixtures of the storage tests: a clock set by hand and the schedulers started (for those that
schedule), and the command line run as an operator runs it against an empty database of each
kind (for the CLI tests)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.scheduling.scheduler import Scheduler
from tests.databases import database_url
from tests.storage.helpers import ROOT, SETTINGS, Clock

Copbot = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2030, 3, 4, 7, 0, tzinfo=UTC))  # a Monday, 08:00 in Amsterdam


@pytest.fixture
async def started() -> AsyncIterator[list[Scheduler]]:
    schedulers: list[Scheduler] = []
    yield schedulers
    for scheduler in schedulers:
        await scheduler.shutdown()


@pytest.fixture
async def url(backend: str, tmp_path: Path) -> AsyncIterator[str]:
    """An empty database of each kind; the command migrates it itself."""
    async with database_url(backend, tmp_path) as found:
        yield found


@pytest.fixture
def copbot(url: str, tmp_path: Path) -> Copbot:
    """Run ``python -m bot`` against that database, from ``tmp_path``."""
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS}
    env.update(PYTHONPATH=str(ROOT), DATABASE_URL=url)

    def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "bot", *args],
            env=env,
            cwd=tmp_path,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    return run
