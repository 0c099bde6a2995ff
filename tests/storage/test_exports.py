"""Coordinators' exports read back: the contributions export in each format, on both databases,
with pseudonyms, consent to be named, opted-out people absent, the period in the community's
time zone, and the audit record of each export."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path

import openpyxl
import pyarrow.parquet as pq
import pytest

from bot.communities import Communities
from bot.errors import NotFound
from bot.exports.request import ExportKind, ExportRequest, FileFormat, NameMode
from bot.exports.service import Exports
from bot.periods import Period
from storage import contributions as log_queries
from storage.db import Database
from tests.storage.helpers import (
    ALICE,
    BOB,
    CAROL,
    CHANNEL,
    DAY,
    GUILD,
    OTHER_GUILD,
    contribution,
    exports_of,
    message,
    seed_export_log,
)

BOM = b"\xef\xbb\xbf"


async def exported_csv(db: Database, tmp_path: Path, **options: object) -> list[dict[str, str]]:
    request = ExportRequest(GUILD, ExportKind.CONTRIBUTIONS, **options)  # type: ignore[arg-type]
    target = tmp_path / "contributions.csv"
    result = await exports_of(db).write(request, target, actor_id=ALICE)
    data = target.read_bytes()
    assert data.startswith(BOM)
    rows = list(csv.DictReader(io.StringIO(data[len(BOM) :].decode("utf-8"))))
    assert result.rows == len(rows) and result.file_name == "contributions.csv"
    return rows


async def test_rows_match_the_log_without_any_discord_id(db: Database, tmp_path: Path) -> None:
    await seed_export_log(db)
    rows = await exported_csv(db, tmp_path)
    # Carol opted out: her message is absent, and Bob's reply to her points to nobody.
    assert len(rows) == 3
    first, reply, reply_to_carol = rows
    assert first["author"].startswith("m-") and first["contribution"].startswith("msg-")
    assert (first["characters"], first["links"], first["is_reply"]) == ("40", "1", "false")
    assert first["posted_at_utc"] == "2024-05-01T09:00:00Z"
    assert first["posted_at_local"] == "2024-05-01T11:00:00+02:00"
    assert reply["reply_to"] == first["contribution"]
    assert reply["reply_to_author"] == first["author"]
    assert reply_to_carol["is_reply"] == "true"
    assert reply_to_carol["reply_to"] == "" and reply_to_carol["reply_to_author"] == ""
    people = {ALICE, BOB, CAROL}
    messages = {message(GUILD, n) for n in range(1, 5)}
    for row in rows:
        for cell in row.values():
            assert not any(str(discord_id) in cell for discord_id in people | messages), cell


async def test_pseudonyms_are_stable_in_a_community_and_differ_across(
    db: Database, tmp_path: Path
) -> None:
    await seed_export_log(db)
    await seed_export_log(db, OTHER_GUILD)
    once = await exported_csv(db, tmp_path)
    again = await exported_csv(db, tmp_path)
    assert [r["author"] for r in once] == [r["author"] for r in again]
    other = tmp_path / "other.csv"
    await exports_of(db).write(
        ExportRequest(OTHER_GUILD, ExportKind.CONTRIBUTIONS), other, actor_id=None
    )
    theirs = list(csv.DictReader(io.StringIO(other.read_bytes()[len(BOM) :].decode())))
    assert len(theirs) == len(once) == 3
    assert {r["author"] for r in theirs}.isdisjoint({r["author"] for r in once})
    assert {r["contribution"] for r in theirs}.isdisjoint({r["contribution"] for r in once})


async def test_visible_names_only_for_people_who_chose_it(db: Database, tmp_path: Path) -> None:
    await seed_export_log(db)
    rows = await exported_csv(db, tmp_path, names=NameMode.VISIBLE)
    assert rows[0]["author"] == "Alice Mwangi"
    assert rows[1]["author"].startswith("m-") and rows[1]["reply_to_author"] == "Alice Mwangi"
    hidden = await exported_csv(db, tmp_path)
    assert "Alice Mwangi" not in {r["author"] for r in hidden}


async def test_the_period_is_read_in_the_communitys_time_zone(db: Database, tmp_path: Path) -> None:
    await seed_export_log(db)
    middle = await exported_csv(db, tmp_path, period=Period(date(2024, 5, 2), date(2024, 5, 2)))
    assert [r["posted_at_utc"] for r in middle] == ["2024-05-02T09:00:00Z"]
    # 1 May 23:30 in Amsterdam is still 1 May there, though 21:30 UTC.
    async with db.transaction() as session:
        late = DAY.replace(hour=21, minute=30)
        await log_queries.store_contributions(
            session, [contribution(GUILD + 9, BOB, created_at=late)]
        )
    first_day = await exported_csv(db, tmp_path, period=Period(until=date(2024, 5, 1)))
    assert [r["posted_at_local"] for r in first_day] == [
        "2024-05-01T11:00:00+02:00",
        "2024-05-01T23:30:00+02:00",
    ]


@pytest.mark.parametrize("file_format", [FileFormat.XLSX, FileFormat.JSONL, FileFormat.PARQUET])
async def test_other_formats_hold_the_same_rows(
    db: Database, tmp_path: Path, file_format: FileFormat
) -> None:
    await seed_export_log(db)
    expected = await exported_csv(db, tmp_path)
    target = tmp_path / f"contributions.{file_format}"
    request = ExportRequest(GUILD, ExportKind.CONTRIBUTIONS, file_format=file_format)
    result = await exports_of(db).write(request, target, actor_id=ALICE)
    if file_format is FileFormat.XLSX:
        sheet = openpyxl.load_workbook(target, read_only=True).worksheets[0]
        header, *cells = [list(row) for row in sheet.iter_rows(values_only=True)]
        got = [dict(zip(header, row, strict=True)) for row in cells]
        assert all(isinstance(row["channel"], str) for row in got)  # ids stay text
    elif file_format is FileFormat.JSONL:
        got = [json.loads(line) for line in target.read_text("utf-8").splitlines()]
    else:
        got = pq.read_table(target).to_pylist()
    assert result.rows == len(got) == len(expected)
    assert [row["contribution"] for row in got] == [row["contribution"] for row in expected]
    assert [row["author"] for row in got] == [row["author"] for row in expected]


async def test_each_export_is_audited_and_listed_newest_first(db: Database, tmp_path: Path) -> None:
    await seed_export_log(db)
    await exported_csv(db, tmp_path)
    await exported_csv(db, tmp_path, names=NameMode.VISIBLE, period=Period(date(2024, 5, 2)))
    history = await exports_of(db).history(GUILD)
    assert [(h.names, h.period, h.rows) for h in history] == [
        ("visible", "from 2024-05-02 on", 2),
        ("pseudonymous", "everything logged", 3),
    ]
    assert {(h.kind, h.file_format, h.actor_id) for h in history} == {
        ("contributions", "csv", ALICE)
    }
    assert await exports_of(db).history(OTHER_GUILD) == []


async def test_an_unknown_server_is_refused_and_nothing_is_made(
    db: Database, tmp_path: Path
) -> None:
    request = ExportRequest(OTHER_GUILD, ExportKind.CONTRIBUTIONS)
    with pytest.raises(NotFound):
        await exports_of(db).write(request, tmp_path / "x.csv", actor_id=None)
    assert await Communities(db).find(OTHER_GUILD) is None
    assert not (tmp_path / "x.csv").exists()


def test_the_command_line_offers_every_kind_the_service_exports() -> None:
    from bot.cli import EXPORT_FORMATS, EXPORT_KINDS

    assert tuple(Exports.KINDS) == EXPORT_KINDS
    assert tuple(FileFormat) == EXPORT_FORMATS
    assert CHANNEL  # the helpers' rows are posted in CHANNEL
