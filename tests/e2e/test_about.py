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


async def test_moderators_also_get_the_set_up_check(harness: Harness) -> None:
    await harness.set_staff_roles()
    plain = await harness.sandbox.slash(harness.plain_member, harness.general, "about")
    moderator = await harness.sandbox.slash(harness.moderator, harness.general, "about")
    checked = await moderator.wait_for_followup()
    assert checked.flags & 64  # ephemeral
    text = moderator.text()
    assert "Set-up check" in text
    # The sample community's time zone is still UTC: a warning, with what to do.
    assert "warning: the time zone is still UTC" in text and "/settings timezone" in text, text
    assert "Set-up check" not in plain.text() and not plain.followups
