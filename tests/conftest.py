from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from storage.db import Database
from tests import databases
from tests.databases import migrated_database

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
TESTS = Path(__file__).parent
# A test's layer is the folder it is in: `pytest -m unit` (or storage, e2e) runs one layer.
LAYERS = frozenset({"unit", "storage", "e2e"})


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects by these marks
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        try:
            layer = item.path.relative_to(TESTS).parts[0]
        except ValueError:  # a test outside tests/, named on the command line
            continue
        if layer in LAYERS:
            item.add_marker(layer)


@pytest.hookimpl(tryfirst=True)  # before the test's fixtures are set up
def pytest_runtest_setup(item: pytest.Item) -> None:
    # `-m "not postgres"` must run without a server: a test that reaches it unmarked fails.
    databases.postgres_allowed = item.get_closest_marker("postgres") is not None


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
async def db(backend: str, tmp_path: Path) -> AsyncIterator[Database]:
    """A migrated database: each test runs once on SQLite and once on PostgreSQL."""
    async with migrated_database(backend, tmp_path) as database:
        yield database
