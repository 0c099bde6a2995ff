from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.e2e.harness import Harness


@pytest.fixture
async def harness(tmp_path: Path) -> AsyncIterator[Harness]:
    """A fresh sandbox with the sample community and the real bot logged in to it."""
    from tests.e2e.harness import running_harness

    async with running_harness(tmp_path) as running:
        yield running
