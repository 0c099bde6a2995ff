"""``copbot import-orgs|import-members|export-orgs|export-members`` as an operator runs them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.storage.helpers import ROOT, SETTINGS, write

AMA = "123456789012345678"


@pytest.fixture
def copbot(tmp_path: Path):
    """Run ``python -m bot`` against a temporary SQLite database, from ``tmp_path``."""
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS}
    env.update(
        PYTHONPATH=str(ROOT), DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'copbot.sqlite3'}"
    )

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


def present_in_server(tmp_path: Path, guild_id: int, *user_ids: int) -> None:
    """What a running bot records when it sees people in the server: their register entries."""
    import asyncio

    from storage import members
    from storage.communities import ensure_community
    from storage.db import Database

    async def register() -> None:
        db = Database.connect(f"sqlite+aiosqlite:///{tmp_path / 'copbot.sqlite3'}")
        try:
            await db.migrate()
            async with db.session() as session:
                await ensure_community(session, guild_id, f"Community {guild_id}")
                for user_id in user_ids:
                    await members.ensure_member(session, guild_id, user_id, f"User {user_id}")
                await session.commit()
        finally:
            await db.dispose()

    asyncio.run(register())


def test_import_orgs_prints_counts_and_exits_0(copbot, tmp_path: Path) -> None:
    file = write(
        tmp_path / "orgs.csv",
        "name,stakeholder,level,cop_status\nIRC WASH,civil society,international,member\n"
        "Ministry of Water,government,national,\n",
    )
    done = copbot("import-orgs", file, "--guild", "1")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == (
        "copbot: imported organisations into Community 1: 2 created, 0 updated, 0 unchanged"
    )
    again = copbot("import-orgs", file, "--guild", "1")
    assert "0 created, 0 updated, 2 unchanged" in again.stdout


def test_a_bad_row_prints_its_line_and_exits_2_without_a_traceback(copbot, tmp_path) -> None:
    file = write(
        tmp_path / "orgs.csv",
        "name,stakeholder,level\nA,research,local\nB,governmint,local\nC,research,nowhere\n",
    )
    done = copbot("import-orgs", file, "--guild", "1")
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert lines[0] == "copbot: Nothing was imported: the file has 2 problems."
    assert lines[1].startswith("line 3, column stakeholder: `governmint` is not a stakeholder")
    assert lines[2].startswith("line 4, column level: `nowhere` is not a level")
    assert done.stdout == ""
    export = copbot("export-orgs", "-", "--guild", "1")
    assert export.stdout.splitlines()[1:] == []  # nothing was applied


def test_rows_whose_names_show_nothing_or_hide_control_characters_are_refused(
    copbot, tmp_path
) -> None:
    file = write(
        tmp_path / "orgs.csv",
        "name,stakeholder,level\nA,research,local\n\u200b\u200c\u200d\ufeff,research,local\n"
        "Akvo\x1b[31m,donor,local\n",
    )
    done = copbot("import-orgs", file, "--guild", "1")
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert lines[0] == "copbot: Nothing was imported: the file has 2 problems."
    assert lines[1].startswith("line 3, column name: Nothing in the organisation's name can")
    assert lines[2].startswith("line 4, column name: There is a control character (U+001B)")
    assert copbot("export-orgs", "-", "--guild", "1").stdout.splitlines()[1:] == []


def test_members_export_to_a_file_and_to_stdout(copbot, tmp_path: Path) -> None:
    orgs = write(tmp_path / "orgs.csv", "name;stakeholder;level\nIRC WASH;research;local\n")
    people = write(
        tmp_path / "people.csv",
        f'user_id,display_name,organisation,expertise\n{AMA},Ama,irc wash,"wash, finance"\n',
    )
    assert copbot("import-orgs", orgs, "--guild", "1").returncode == 0
    present_in_server(tmp_path, 1, int(AMA))
    done = copbot("import-members", people, "--guild", "1")
    assert done.returncode == 0, done.stderr
    assert "imported members into Community 1: 0 created, 1 updated" in done.stdout

    to_stdout = copbot("export-members", "-", "--guild", "1")
    assert to_stdout.returncode == 0, to_stdout.stderr
    assert to_stdout.stdout.splitlines() == [
        "user_id,display_name,organisation,stakeholder,level,country,expertise",
        f'{AMA},Ama,IRC WASH,,,,"wash, finance"',
    ]
    target = tmp_path / "out" / "members.csv"
    target.parent.mkdir()
    to_file = copbot("export-members", str(target), "--guild", "1")
    assert to_file.returncode == 0, to_file.stderr
    data = target.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")  # Excel reads accents only with the mark
    assert data.decode("utf-8-sig").splitlines() == to_stdout.stdout.splitlines()

    # The exported file imports again as it is.
    again = copbot("import-members", str(target), "--guild", "1")
    assert "0 created, 0 updated, 1 unchanged" in again.stdout
    orgs_out = copbot("export-orgs", "-", "--guild", "1")
    assert orgs_out.stdout.splitlines()[1] == "IRC WASH,research,local,,,,,"


def test_members_must_be_people_the_register_knows_in_the_server(copbot, tmp_path) -> None:
    """Without Discord, the register's record of who is in the server decides."""
    present_in_server(tmp_path, 1, int(AMA))
    ghost = "987654321098765432"
    people = write(
        tmp_path / "people.csv",
        f"user_id,display_name,country\n{AMA},Ama,Ghana\n{ghost},Ghost,Ghana\n",
    )
    done = copbot("import-members", people, "--guild", "1")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.splitlines()[1].startswith(
        f"line 3, column user_id: user {ghost} is not in the server as far as the register knows"
    )
    export = copbot("export-members", "-", "--guild", "1")
    assert ghost not in export.stdout and "Ghana" not in export.stdout  # nothing was applied


def test_members_need_their_organisations_first(copbot, tmp_path: Path) -> None:
    people = write(tmp_path / "people.csv", f"user_id,display_name,organisation\n{AMA},Ama,IRC\n")
    done = copbot("import-members", people, "--guild", "5")
    assert done.returncode == 2
    assert "line 2, column organisation: there is no organisation called **IRC** here." in (
        done.stderr
    )
    assert "Import the organisations first" in done.stderr


def test_import_from_stdin(copbot) -> None:
    done = copbot(
        "import-orgs", "-", "--guild", "1", stdin="name,stakeholder,level\nX,donor,local\n"
    )
    assert done.returncode == 0, done.stderr
    assert "1 created" in done.stdout


def test_a_missing_file_and_a_bad_guild_are_one_line(copbot, tmp_path: Path) -> None:
    done = copbot("import-orgs", str(tmp_path / "nope.csv"), "--guild", "1")
    assert done.returncode == 2
    assert done.stderr.strip().startswith("copbot: cannot read")
    assert "Traceback" not in done.stderr
    bad = copbot("export-orgs", "-", "--guild", "abc")
    assert bad.returncode == 2 and "not a server id" in bad.stderr


def test_an_existing_community_keeps_its_name(copbot, tmp_path: Path) -> None:
    import asyncio

    from storage.communities import ensure_community
    from storage.db import Database

    url = f"sqlite+aiosqlite:///{tmp_path / 'copbot.sqlite3'}"

    async def prepare() -> None:
        db = Database.connect(url)
        try:
            await db.migrate()
            async with db.session() as session:
                await ensure_community(session, 42, "Water CoP")
                await session.commit()
        finally:
            await db.dispose()

    asyncio.run(prepare())
    file = write(tmp_path / "orgs.csv", "name,stakeholder,level\nX,donor,local\n")
    done = copbot("import-orgs", file, "--guild", "42")
    assert "imported organisations into Water CoP: 1 created" in done.stdout
