"""``copbot import-orgs|import-members|export-orgs|export-members`` as an operator runs them, on
SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import select

from storage import members
from storage.communities import ensure_community
from storage.db import Database
from storage.models import Community
from tests.storage.helpers import write

AMA = "123456789012345678"


def present_in_server(url: str, guild_id: int, *user_ids: int, name: str = "") -> None:
    """What a running bot records when it sees a server and people in it: the community and
    their register entries."""

    async def register() -> None:
        db = Database.connect(url)
        try:
            await db.migrate()
            async with db.transaction() as session:
                await ensure_community(session, guild_id, name or f"Community {guild_id}")
                for user_id in user_ids:
                    await members.ensure_member(session, guild_id, user_id, f"User {user_id}")
        finally:
            await db.dispose()

    asyncio.run(register())


def communities_in(url: str) -> dict[int, str]:
    """Every community in the database: server id and name."""

    async def read() -> dict[int, str]:
        db = Database.connect(url)
        try:
            await db.migrate()
            async with db.session() as session:
                found = (await session.execute(select(Community))).scalars().all()
            return {community.id: community.name for community in found}
        finally:
            await db.dispose()

    return asyncio.run(read())


def test_import_orgs_prints_counts_and_exits_0(copbot, url: str, tmp_path: Path) -> None:
    """A community can be set up from files before the bot joins its server: the import
    registers the server the bot has not seen yet."""
    file = write(
        tmp_path / "orgs.csv",
        "name,stakeholder,level,cop_status\nIRC WASH,civil society,international,member\n"
        "Ministry of Water,government,national,\n",
    )
    done = copbot("import-orgs", file, "--guild", "1")
    assert done.returncode == 0, done.stderr
    # In the words of /org import ("Organisations: 2 added, ..."), without Markdown.
    assert done.stdout.strip() == (
        "copbot: imported into Community 1. Organisations: 2 added, 0 updated, 0 unchanged."
    )
    assert communities_in(url) == {1: "Community 1"}
    again = copbot("import-orgs", file, "--guild", "1")
    assert again.stdout.strip() == (
        "copbot: imported into Community 1. Organisations: 0 added, 0 updated, 2 unchanged."
    )


def test_a_bad_row_prints_its_line_and_exits_2_without_a_traceback(
    copbot, url: str, tmp_path
) -> None:
    file = write(
        tmp_path / "orgs.csv",
        "name,stakeholder,level\nA,research,local\nB,governmint,local\nC,research,nowhere\n",
    )
    done = copbot("import-orgs", file, "--guild", "1")
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert lines[0] == "copbot: Nothing was imported: the file has 2 problems."
    # Written for Discord with `code` around the values; the command line shows them plain.
    assert lines[1].startswith("line 3, column stakeholder: governmint is not a stakeholder")
    assert lines[2].startswith("line 4, column level: nowhere is not a level")
    assert "`" not in done.stderr and "**" not in done.stderr
    assert done.stdout == ""
    assert communities_in(url) == {}  # nothing was applied, not even the new community


def test_rows_whose_names_show_nothing_or_hide_control_characters_are_refused(
    copbot, url: str, tmp_path
) -> None:
    present_in_server(url, 1)
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
    export = copbot("export-orgs", "-", "--guild", "1")
    assert export.returncode == 0, export.stderr
    assert export.stdout.splitlines()[1:] == []  # nothing was applied


def test_members_export_to_a_file_and_to_stdout(copbot, url: str, tmp_path: Path) -> None:
    orgs = write(tmp_path / "orgs.csv", "name;stakeholder;level\nIRC WASH;research;local\n")
    people = write(
        tmp_path / "people.csv",
        f'user_id,display_name,organisation,expertise\n{AMA},Ama,irc wash,"wash, finance"\n',
    )
    assert copbot("import-orgs", orgs, "--guild", "1").returncode == 0
    present_in_server(url, 1, int(AMA))
    done = copbot("import-members", people, "--guild", "1")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == (
        "copbot: imported into Community 1. Members: 0 added, 1 updated, 0 unchanged."
    )

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
    assert "Members: 0 added, 0 updated, 1 unchanged." in again.stdout
    orgs_out = copbot("export-orgs", "-", "--guild", "1")
    assert orgs_out.stdout.splitlines()[1] == "IRC WASH,research,local,,,,,"


def test_members_must_be_people_the_register_knows_in_the_server(
    copbot, url: str, tmp_path
) -> None:
    """Without Discord, the register's record of who is in the server decides."""
    present_in_server(url, 1, int(AMA))
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
    # The Discord text says **IRC**: the command line shows the name without the markers.
    assert "line 2, column organisation: there is no organisation called IRC here." in done.stderr
    assert "Import the organisations first" in done.stderr
    assert "**" not in done.stderr and "`" not in done.stderr


def test_import_from_stdin(copbot) -> None:
    done = copbot(
        "import-orgs", "-", "--guild", "1", stdin="name,stakeholder,level\nX,donor,local\n"
    )
    assert done.returncode == 0, done.stderr
    assert "Organisations: 1 added, 0 updated, 0 unchanged." in done.stdout


def test_a_missing_file_and_a_bad_guild_are_one_line(copbot, tmp_path: Path) -> None:
    done = copbot("import-orgs", str(tmp_path / "nope.csv"), "--guild", "1")
    assert done.returncode == 2
    assert done.stderr.strip().startswith("copbot: cannot read")
    assert "Traceback" not in done.stderr
    bad = copbot("export-orgs", "-", "--guild", "abc")
    assert bad.returncode == 2 and "not a server id" in bad.stderr


def test_an_existing_community_keeps_its_name(copbot, url: str, tmp_path: Path) -> None:
    present_in_server(url, 42, name="Water CoP")
    file = write(tmp_path / "orgs.csv", "name,stakeholder,level\nX,donor,local\n")
    done = copbot("import-orgs", file, "--guild", "42")
    assert "imported into Water CoP. Organisations: 1 added" in done.stdout
    assert communities_in(url) == {42: "Water CoP"}


@pytest.mark.parametrize("command", ["export-orgs", "export-members"])
def test_an_export_refuses_a_server_the_bot_never_saw(
    copbot, url: str, tmp_path: Path, command: str
) -> None:
    """A mistyped --guild is one line and exit 2; no file, no output, no community row."""
    present_in_server(url, 1, int(AMA))
    target = tmp_path / "out.csv"
    for file in ("-", str(target)):
        done = copbot(command, file, "--guild", "42")
        assert done.returncode == 2
        [line] = done.stderr.splitlines()
        assert line.startswith("copbot: --guild 42: unknown server: ")
        assert line.endswith(" has no community with this id")
        assert done.stdout == ""
    assert not target.exists()
    assert communities_in(url) == {1: "Community 1"}
    known = copbot(command, "-", "--guild", "1")
    assert known.returncode == 0, known.stderr


def test_an_export_on_a_new_database_refuses_every_server(copbot, url: str) -> None:
    """Before the bot ever ran, no server is known: the export migrates and writes no row."""
    done = copbot("export-members", "-", "--guild", "42")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.startswith("copbot: --guild 42: unknown server: ")
    assert communities_in(url) == {}
