"""The ``organisations`` export's three tables from stored rows: the register at the end of the
period (members counted and representatives named without the people who opted out), and the
histories of CoP status and of representatives."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.exports.naming import Namer
from bot.exports.organisations import (
    COP_STATUS,
    ORGANISATIONS,
    REPRESENTATIVES,
    SOURCE,
    cop_status_rows,
    organisation_rows,
    representative_rows,
)
from bot.exports.request import NameMode
from bot.exports.sources import ExportScope

KEY = b"organisations export unit test k"
ZONE = "Europe/Amsterdam"
ALICE, BOB, CAROL = (920_000_000_000_000_001 + n for n in range(3))
GUILD = 900_000_000_000_000_001
END = datetime(2024, 5, 31, 22, 0, tzinfo=UTC)
CREATED = datetime(2024, 1, 15, 8, 30, tzinfo=UTC)
APPLIED = datetime(2024, 2, 1, 9, 0, tzinfo=UTC)
ADMITTED = datetime(2024, 5, 10, 9, 0, tzinfo=UTC)


def scope(mode: NameMode = NameMode.VISIBLE) -> ExportScope:
    namer = Namer(KEY, mode, visible_names={ALICE: "Alice Mwangi"}, absent={CAROL})
    return ExportScope(GUILD, None, END, ZONE, namer)


def pseudonym(user_id: int) -> str:
    return scope().namer.pseudonym(user_id)


def test_organisations_count_and_name_only_people_who_did_not_opt_out() -> None:
    stored = [
        ("IRC", "research", "international", None, None, None, None, (), (CAROL,), CREATED),
        (
            "WaterAid",
            "civil society",
            "national",
            "Kenya",
            "https://www.wateraid.org",
            "member",
            ADMITTED,
            (ALICE, CAROL, BOB),
            (CAROL, BOB, ALICE),
            CREATED,
        ),
    ]
    rows = list(ORGANISATIONS.checked_rows(organisation_rows(stored, scope())))
    created = (CREATED, "2024-01-15T09:30:00+01:00")
    assert rows == [
        # only someone who opted out speaks for it: nobody is named
        ("IRC", "research", "international", None, None, None, None, None, 0, None, *created),
        (
            "WaterAid",
            "civil society",
            "national",
            "Kenya",
            "https://www.wateraid.org",
            "member",
            ADMITTED,
            "2024-05-10T11:00:00+02:00",
            2,
            f"{pseudonym(BOB)}; Alice Mwangi",
            *created,
        ),
    ]
    hidden = list(organisation_rows(stored, scope(NameMode.PSEUDONYMOUS)))
    assert hidden[1][9] == f"{pseudonym(BOB)}; {pseudonym(ALICE)}"


def test_the_cop_status_history_keeps_every_row_and_an_open_one_has_no_end() -> None:
    stored = [
        ("WaterAid", "applicant", APPLIED, ADMITTED),
        ("WaterAid", "member", ADMITTED, None),
    ]
    rows = list(COP_STATUS.checked_rows(cop_status_rows(stored, scope())))
    assert rows == [
        (
            "WaterAid",
            "applicant",
            APPLIED,
            "2024-02-01T10:00:00+01:00",
            ADMITTED,
            "2024-05-10T11:00:00+02:00",
        ),
        ("WaterAid", "member", ADMITTED, "2024-05-10T11:00:00+02:00", None, None),
    ]


def test_representatives_who_opted_out_are_left_out_of_the_history() -> None:
    stored = [
        ("WaterAid", CAROL, True, APPLIED, None),
        ("WaterAid", BOB, False, APPLIED, ADMITTED),
        ("WaterAid", ALICE, False, ADMITTED, None),
    ]
    rows = list(REPRESENTATIVES.checked_rows(representative_rows(stored, scope())))
    assert rows == [
        (
            "WaterAid",
            pseudonym(BOB),
            False,
            APPLIED,
            "2024-02-01T10:00:00+01:00",
            ADMITTED,
            "2024-05-10T11:00:00+02:00",
        ),
        ("WaterAid", "Alice Mwangi", False, ADMITTED, "2024-05-10T11:00:00+02:00", None, None),
    ]
    for row in rows:
        assert not any(str(user_id) in str(cell) for cell in row for user_id in (ALICE, BOB))


def test_the_kind_writes_its_three_files() -> None:
    assert not SOURCE.is_single_file and SOURCE.rows_are == "organisations"
    assert [source.table.name for source in SOURCE.tables] == [
        "organisations",
        "organisation_cop_status",
        "organisation_representatives",
    ]
    assert [source.build for source in SOURCE.tables] == [
        organisation_rows,
        cop_status_rows,
        representative_rows,
    ]
