"""/export in Discord: a coordinator gets the file, anyone else is refused and nothing is
recorded, bad dates change nothing, and /export history lists what was made."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

from bot.contributions.values import ContributionRow
from bot.sandbox.models import snowflake
from storage import contributions as log_queries
from tests.e2e.harness import Harness
from tests.e2e.helpers import attached, audit_actions, coordinator

BOM = "\ufeff"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


async def logged(harness: Harness, count: int) -> list[int]:
    """``count`` contributions by two members, as the log would hold them; their message ids."""
    guild = harness.community.guild
    authors = [m.id for m in harness.community.members[1:3]]
    rows = [
        ContributionRow(
            message_id=snowflake(),
            community_id=guild.id,
            channel_id=harness.general.id,
            author_id=authors[n % 2],
            created_at=T0 + timedelta(hours=n),
            characters=10 + n,
            words=2,
        )
        for n in range(1, count + 1)
    ]
    async with harness.db.transaction() as session:
        await log_queries.store_contributions(session, rows)
    return [row.message_id for row in rows]


async def test_a_coordinator_gets_the_contributions_as_csv(harness: Harness) -> None:
    await harness.set_staff_roles()
    ids = await logged(harness, 6)
    itx = await harness.sandbox.slash(coordinator(harness), harness.general, "export contributions")
    assert itx.ephemeral
    name, data = await attached(itx)
    assert name == "contributions.csv"
    text = data.decode("utf-8")
    rows = list(csv.DictReader(io.StringIO(text.removeprefix(BOM))))
    assert len(rows) == 6 and [r["characters"] for r in rows] == [str(11 + n) for n in range(6)]
    people = {m.id for m in harness.community.members}
    assert not any(str(i) in text for i in people | set(ids))
    assert "6 contributions, everything logged" in itx.text()
    assert (await audit_actions(harness))[0] == "export.contributions"


async def test_a_period_and_a_workbook(harness: Harness) -> None:
    await harness.set_staff_roles()
    await logged(harness, 30)  # one an hour from 2 March 09:00 UTC
    itx = await harness.sandbox.slash(
        coordinator(harness),
        harness.general,
        "export contributions",
        format="xlsx",
        since="2026-03-03",
        until="2026-03-03",
    )
    name, data = await attached(itx)
    assert name == "contributions.xlsx" and data[:2] == b"PK"
    # UTC is the community's zone here: 3 March holds the 15th (midnight, included) to the 30th.
    assert "16 contributions, 2026-03-03 to 2026-03-03" in itx.text()


async def test_others_are_refused_and_bad_dates_change_nothing(harness: Harness) -> None:
    await harness.set_staff_roles()
    await logged(harness, 2)
    for member in (harness.plain_member, harness.moderator):
        refused = await harness.sandbox.slash(member, harness.general, "export contributions")
        assert refused.ephemeral and "coordinator" in refused.text().lower(), refused.text()
    bad = await harness.sandbox.slash(
        coordinator(harness), harness.general, "export contributions", since="March 3"
    )
    assert bad.ephemeral and "YYYY-MM-DD" in bad.text()
    backwards = await harness.sandbox.slash(
        coordinator(harness),
        harness.general,
        "export contributions",
        since="2026-03-04",
        until="2026-03-03",
    )
    assert "before it starts" in backwards.text()
    assert not any(action.startswith("export.") for action in await audit_actions(harness))


async def test_history_lists_the_exports_newest_first(harness: Harness) -> None:
    await harness.set_staff_roles()
    await logged(harness, 3)
    empty = await harness.sandbox.slash(coordinator(harness), harness.general, "export history")
    assert "No exports yet" in empty.text()
    who = coordinator(harness)
    for names in ("pseudonymous", "visible"):
        itx = await harness.sandbox.slash(who, harness.general, "export contributions", names=names)
        await attached(itx)
    listed = (await harness.sandbox.slash(who, harness.general, "export history")).text()
    first, second = listed.index("visible"), listed.index("pseudonymous")
    assert first < second and who.display_name in listed and "3 rows" in listed
