"""``copbot export KIND --guild ID`` as an operator runs it, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import csv
import io
import subprocess
import zipfile
from collections.abc import Callable
from pathlib import Path

import openpyxl

from storage import contributions as log_queries
from storage.communities import ensure_community
from storage.db import Database
from tests.storage.helpers import ALICE, BOB, GUILD, contribution

Copbot = Callable[..., subprocess.CompletedProcess[str]]
BOM = "\ufeff"


def logged(url: str, count: int) -> None:
    """A community whose log holds ``count`` messages."""

    async def seed() -> None:
        db = Database.connect(url)
        try:
            await db.migrate()
            async with db.transaction() as session:
                await ensure_community(session, GUILD, "Water CoP")
                await log_queries.store_contributions(
                    session,
                    [contribution(GUILD + n, ALICE if n % 2 else BOB) for n in range(1, count + 1)],
                )
        finally:
            await db.dispose()

    asyncio.run(seed())


def test_contributions_to_stdout_and_to_a_file(copbot: Copbot, url: str, tmp_path: Path) -> None:
    logged(url, 5)
    shown = copbot("export", "contributions", "--guild", str(GUILD))
    assert shown.returncode == 0, shown.stderr
    rows = list(csv.DictReader(io.StringIO(shown.stdout.removeprefix(BOM))))
    assert len(rows) == 5 and {row["author"][:2] for row in rows} == {"m-"}
    assert str(ALICE) not in shown.stdout and str(GUILD + 1) not in shown.stdout
    assert shown.stderr.strip() == "copbot: exported 5 rows of contributions to standard output"

    target = tmp_path / "log.xlsx"
    made = copbot(
        "export", "contributions", "--guild", str(GUILD), "--format", "xlsx", "--out", str(target)
    )
    assert made.returncode == 0, made.stderr
    sheet = openpyxl.load_workbook(target, read_only=True).worksheets[0]
    assert sheet.max_row == 6  # the header and five rows


def test_unknown_server_bad_dates_and_xlsx_to_stdout_are_one_line(copbot: Copbot, url: str) -> None:
    logged(url, 1)
    cases = {
        ("--guild", "42"): "--guild 42: unknown server",
        ("--guild", str(GUILD), "--since", "2024-13-01"): "not a date for --since",
        ("--guild", str(GUILD), "--since", "2024-05-02", "--until", "2024-05-01"): "before",
        ("--guild", str(GUILD), "--format", "xlsx"): "give a file with --out",
    }
    for args, expected in cases.items():
        refused = copbot("export", "contributions", *args)
        assert refused.returncode == 2, (args, refused.stderr)
        assert refused.stdout == ""
        lines = refused.stderr.strip().splitlines()
        assert len(lines) == 1 and expected in lines[0], (args, refused.stderr)


def test_every_kind_and_all_as_one_zip(copbot: Copbot, url: str, tmp_path: Path) -> None:
    from bot.exports.kinds import SOURCES

    logged(url, 4)
    for kind in ("members", "organisations", "cafes", "prompts", "network"):
        made = copbot("export", kind, "--guild", str(GUILD), "--out", str(tmp_path / kind))
        assert made.returncode == 0, (kind, made.stderr)
        assert made.stderr.startswith("copbot: exported "), made.stderr
    target = tmp_path / "everything.zip"
    made = copbot("export", "all", "--guild", str(GUILD), "--out", str(target))
    assert made.returncode == 0, made.stderr
    with zipfile.ZipFile(target) as archive:
        names = archive.namelist()
        contributions = archive.read("contributions.csv").decode("utf-8-sig").splitlines()
        readme = archive.read("README.txt").decode()
    expected = [t.table.file_name("csv") for s in SOURCES.values() for t in s.tables]
    expected += [g.file_name for s in SOURCES.values() for g in s.graphs]
    assert names == [*expected, "codebook.csv", "README.txt"]
    assert len(contributions) == 5 and "by the command line" in readme
    assert str(ALICE) not in readme


def test_all_is_csv_only_and_a_workbook_needs_a_file(copbot: Copbot, url: str) -> None:
    logged(url, 1)
    cases = {
        ("all", "--format", "xlsx", "--out", "all.xlsx"): "zip of CSV files",
        ("organisations", "--format", "xlsx"): "give a file with --out",
    }
    for args, expected in cases.items():
        refused = copbot("export", *args, "--guild", str(GUILD))
        assert refused.returncode == 2, (args, refused.stderr)
        lines = refused.stderr.strip().splitlines()
        assert len(lines) == 1 and expected in lines[0], (args, refused.stderr)
