"""The ``members`` export's rows from stored register rows: names through the namer, people who
opted out absent, both times of each moment, and who was still there at the end of the period."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.exports.members import MEMBERS, SOURCE, member_rows, present_at_end
from bot.exports.naming import Namer
from bot.exports.request import NameMode
from bot.exports.sources import ExportScope

KEY = b"members export unit test key 32b"
ZONE = "Europe/Amsterdam"
ALICE, BOB, CAROL, DAN = (920_000_000_000_000_001 + n for n in range(4))
GUILD = 900_000_000_000_000_001
START = datetime(2024, 4, 30, 22, 0, tzinfo=UTC)  # 1 May, midnight in Amsterdam
END = datetime(2024, 5, 31, 22, 0, tzinfo=UTC)
JOINED = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)
LEFT = datetime(2024, 5, 20, 9, 0, tzinfo=UTC)

STORED = [
    (DAN, None, None, None, None, None, None),
    (BOB, None, "research", "international", "Uganda", JOINED, LEFT),
    (CAROL, "WaterAid", "civil society", "national", "Kenya", JOINED, None),
    (ALICE, "WaterAid", "civil society", "national", "Kenya", JOINED, END),
]


def scope(mode: NameMode = NameMode.VISIBLE, end: datetime | None = END) -> ExportScope:
    namer = Namer(KEY, mode, visible_names={ALICE: "Alice Mwangi"}, absent={CAROL})
    return ExportScope(GUILD, START, end, ZONE, namer)


def pseudonym(user_id: int) -> str:
    return scope().namer.pseudonym(user_id)


def test_rows_name_people_through_the_namer_and_leave_out_those_who_opted_out() -> None:
    rows = list(MEMBERS.checked_rows(member_rows(STORED, scope())))
    assert rows == [
        (pseudonym(DAN), None, None, None, None, None, None, None, None, True),
        (
            pseudonym(BOB),
            None,
            "research",
            "international",
            "Uganda",
            JOINED,
            "2024-03-01T10:00:00+01:00",
            LEFT,
            "2024-05-20T11:00:00+02:00",
            False,
        ),
        (
            "Alice Mwangi",
            "WaterAid",
            "civil society",
            "national",
            "Kenya",
            JOINED,
            "2024-03-01T10:00:00+01:00",
            END,
            "2024-06-01T00:00:00+02:00",
            True,
        ),
    ]
    assert pseudonym(DAN).startswith("m-") and pseudonym(DAN) != pseudonym(BOB)
    for row in rows:
        for cell in row:
            assert not any(str(user_id) in str(cell) for user_id in (ALICE, BOB, CAROL, DAN))


def test_names_stay_pseudonyms_unless_the_export_asks_for_visible_names() -> None:
    rows = list(member_rows(STORED, scope(NameMode.PSEUDONYMOUS)))
    assert [row[0] for row in rows] == [pseudonym(DAN), pseudonym(BOB), pseudonym(ALICE)]


def test_someone_who_left_is_present_only_if_they_left_at_or_after_the_end() -> None:
    assert present_at_end(None, END) and present_at_end(None, None)
    assert present_at_end(END, END)
    assert not present_at_end(LEFT, END)
    # up to now: anyone who left is gone
    assert not present_at_end(END, None)
    rows = list(member_rows(STORED, scope(end=None)))
    assert [row[-1] for row in rows] == [True, False, False]


def test_the_kind_is_one_members_file() -> None:
    assert SOURCE.is_single_file and SOURCE.rows_are == "members"
    assert SOURCE.tables[0].table is MEMBERS
    assert MEMBERS.header == (
        "member",
        "organisation",
        "stakeholder_group",
        "level",
        "country",
        "joined_at_utc",
        "joined_at_local",
        "left_at_utc",
        "left_at_local",
        "present",
    )
