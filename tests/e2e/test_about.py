from __future__ import annotations

import bot
from tests.e2e.harness import Harness


async def test_about_tells_version_database_and_what_is_logged(harness: Harness) -> None:
    itx = await harness.sandbox.slash(harness.plain_member, harness.general, "about")
    text = itx.text()
    assert itx.ephemeral
    assert bot.__version__ in text
    assert "SQLite (copbot-test.sqlite3)" in text
    assert "Message text is not stored" in text
    assert "/privacy show" in text
