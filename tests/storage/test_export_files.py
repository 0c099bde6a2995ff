"""Exports of several files, on both databases: a kind of several tables as a zip (CSV) or one
workbook (XLSX), and ``all`` as one zip of every kind with its codebook and README, with no
Discord id of a person or a message anywhere in it."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date, timedelta
from pathlib import Path

import openpyxl
import pytest

from bot.errors import BadInput
from bot.exports.kinds import SOURCES
from bot.exports.request import ExportKind, ExportRequest, FileFormat
from bot.membership.vocabulary import CopStatus
from bot.periods import Period
from storage.db import Database
from storage.members import ensure_member, start_membership
from storage.organisations import add_representative, create_organisation, set_cop_status
from tests.storage.helpers import (
    ALICE,
    BOB,
    CAROL,
    DAY,
    GUILD,
    OTHER_GUILD,
    exports_of,
    message,
    seed_export_log,
)


async def seed_register(db: Database, guild_id: int = GUILD) -> None:
    """The contributions of ``seed`` and an organisation whose name reads as a formula."""
    await seed_export_log(db, guild_id)
    async with db.transaction() as session:
        organisation = await create_organisation(
            session,
            community_id=guild_id,
            name="=HYPERLINK(1)",
            name_key="=hyperlink(1)",
            stakeholder="civil society",
            level="national",
        )
        alice = await ensure_member(session, guild_id, ALICE, "Alice Mwangi")
        await start_membership(session, alice.id, organisation.id, DAY)
        await set_cop_status(session, organisation.id, CopStatus.MEMBER, at=DAY, changed_by=BOB)
        await add_representative(session, organisation.id, alice.id, primary=True, at=DAY)


def read_csv(archive: zipfile.ZipFile, name: str) -> list[dict[str, str]]:
    text = archive.read(name).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text, newline="")))


async def test_organisations_as_a_zip_of_csv_files(db: Database, tmp_path: Path) -> None:
    await seed_register(db)
    request = ExportRequest(GUILD, ExportKind.ORGANISATIONS)
    assert exports_of(db).file_name(request) == "organisations.zip"
    target = tmp_path / "organisations.zip"
    result = await exports_of(db).write(
        request, target, actor_id=ALICE, actor_name="Ana Coordinator"
    )
    tables = [t.table for t in SOURCES[ExportKind.ORGANISATIONS].tables]
    with zipfile.ZipFile(target) as archive:
        assert archive.namelist() == [
            *(t.file_name("csv") for t in tables),
            "codebook.csv",
            "README.txt",
        ]
        organisations = read_csv(archive, "organisations.csv")
        assert [row["organisation"] for row in organisations] == ["'=HYPERLINK(1)"]
        assert organisations[0]["cop_status"] == "member"
        assert organisations[0]["representatives"].startswith("m-")
        described = {(row["file"], row["column"]) for row in read_csv(archive, "codebook.csv")}
        for table in tables:
            assert {(table.file_name("csv"), column) for column in table.header} <= described
        readme = archive.read("README.txt").decode("utf-8")
    assert "organisations of Water CoP" in readme
    assert "by Ana Coordinator" in readme and str(ALICE) not in readme
    assert "Period: everything logged" in readme
    assert "organisations.csv: 1 row" in readme
    assert result.rows == sum(
        count for name, count in result.rows_by_file.items() if name != "codebook.csv"
    )
    assert not (tmp_path / "organisations.zip.part").exists()


async def test_organisations_as_one_workbook(db: Database, tmp_path: Path) -> None:
    await seed_register(db)
    request = ExportRequest(GUILD, ExportKind.ORGANISATIONS, file_format=FileFormat.XLSX)
    target = tmp_path / exports_of(db).file_name(request)
    assert target.name == "organisations.xlsx"
    result = await exports_of(db).write(request, target, actor_id=None)
    workbook = openpyxl.load_workbook(target, read_only=True)
    tables = [t.table for t in SOURCES[ExportKind.ORGANISATIONS].tables]
    assert workbook.sheetnames == [*(t.name for t in tables), "codebook"]
    rows = list(workbook["organisations"].iter_rows(values_only=True))
    assert rows[1][0] == "'=HYPERLINK(1)"
    assert result.rows_by_file == {
        t.name: len(list(workbook[t.name].iter_rows())) - 1 for t in tables
    }


async def test_all_holds_every_kind_and_no_discord_id(db: Database, tmp_path: Path) -> None:
    await seed_register(db)
    await seed_register(db, OTHER_GUILD)
    target = tmp_path / "all.zip"
    period = Period(DAY.date(), (DAY + timedelta(days=30)).date())
    result = await exports_of(db).write(
        ExportRequest(GUILD, ExportKind.ALL, period=period), target, actor_id=ALICE
    )
    expected = [t.table.file_name("csv") for s in SOURCES.values() for t in s.tables]
    expected += [g.file_name for s in SOURCES.values() for g in s.graphs]
    messages = [message(guild, n) for guild in (GUILD, OTHER_GUILD) for n in range(1, 5)]
    ids = {str(n) for n in (ALICE, BOB, CAROL, *messages)}
    with zipfile.ZipFile(target) as archive:
        assert archive.namelist() == [*expected, "codebook.csv", "README.txt"]
        for name in archive.namelist():
            text = archive.read(name).decode("utf-8-sig")
            assert not any(discord_id in text for discord_id in ids), name
        contributions = read_csv(archive, "contributions.csv")
        assert len(contributions) == 3  # this community's, Carol's left out
        readme = archive.read("README.txt").decode()
    assert f"Period: {period.describe()}" in readme and "by the command line" in readme
    history = await exports_of(db).history(GUILD)
    assert [(h.kind, h.rows) for h in history] == [("all", result.rows)]
    assert await exports_of(db).history(OTHER_GUILD) == []


async def test_all_is_csv_only_and_refused_otherwise_before_anything(
    db: Database, tmp_path: Path
) -> None:
    await seed_register(db)
    request = ExportRequest(GUILD, ExportKind.ALL, file_format=FileFormat.XLSX)
    with pytest.raises(BadInput, match="zip of CSV files"):
        await exports_of(db).write(request, tmp_path / "all.xlsx", actor_id=None)
    assert not (tmp_path / "all.xlsx").exists()
    assert not (tmp_path / "all.xlsx.part").exists()
    assert await exports_of(db).history(GUILD) == []


async def test_the_expected_rows_of_a_progress_bar(db: Database, tmp_path: Path) -> None:
    await seed_export_log(db)
    request = ExportRequest(GUILD, ExportKind.CONTRIBUTIONS, period=Period(date(2024, 5, 2)))
    # the stored rows (Carol's included: they are left out while the file is written)
    assert await exports_of(db).expected_rows(request) == 3
    assert await exports_of(db).expected_rows(ExportRequest(GUILD, ExportKind.MEMBERS)) is None
