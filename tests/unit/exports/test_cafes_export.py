"""The ``cafes`` export's row builders, from hand-made stored rows: cafés, rounds, seats and
notes, with people who opted out absent, forgotten authors' notes left out, names only for those
who chose them, and times in UTC and in the community's zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.exports.cafes import (
    CAFE_NOTES,
    CAFE_ROUNDS,
    CAFE_SEATS,
    CAFES,
    SOURCE,
    cafe_rows,
    note_rows,
    round_rows,
    seat_rows,
)
from bot.exports.naming import Namer
from bot.exports.request import NameMode
from bot.exports.sources import ExportScope

GUILD = 900_000_000_000_000_001
ANNA, BEN, CLARA, DAAN = (920_000_000_000_000_000 + n for n in range(1, 5))
CHANNEL = 910_000_000_000_000_001
THREAD = 910_000_000_000_000_011
KEY = bytes(range(32))
ZONE = "Europe/Amsterdam"
# 13:00 UTC on 6 May 2024: 15:00 in Amsterdam (summer time).
START = datetime(2024, 5, 6, 13, 0, tzinfo=UTC)


def scope(mode: NameMode = NameMode.PSEUDONYMOUS) -> ExportScope:
    """Anna chose to be named; Clara opted out."""
    namer = Namer(KEY, mode, visible_names={ANNA: "Anna de Vries"}, absent={CLARA})
    return ExportScope(GUILD, None, None, ZONE, namer)


def pseudonym(user_id: int) -> str:
    return scope().namer.pseudonym(user_id)


def test_the_kind_has_four_tables_in_order_each_row_as_wide_as_its_header() -> None:
    assert [source.table for source in SOURCE.tables] == [
        CAFES,
        CAFE_ROUNDS,
        CAFE_SEATS,
        CAFE_NOTES,
    ]
    assert [source.table.name for source in SOURCE.tables] == [
        "cafes",
        "cafe_rounds",
        "cafe_seats",
        "cafe_notes",
    ]
    assert SOURCE.rows_are == "rows" and not SOURCE.is_single_file
    assert CAFE_SEATS.header == (
        "cafe",
        "round",
        "table",
        "member",
        "role",
        "thread",
        "contributions_at_table",
    )


def test_a_cafe_row_counts_sign_ups_without_people_who_opted_out() -> None:
    created = START - timedelta(days=7)
    stored = [
        (
            7, "Funding KM", "closed", None, None, 3, 20, 2, CHANNEL,
            START, START + timedelta(hours=1), created,
            ((ANNA, "host"), (BEN, "traveller"), (CLARA, "host"), (DAAN, "traveller")),
        ),
    ]  # fmt: skip
    assert list(cafe_rows(stored, scope())) == [
        (
            "7",
            "Funding KM",
            "closed",
            None,
            3,
            20,
            2,
            str(CHANNEL),
            START,
            "2024-05-06T15:00:00+02:00",
            START + timedelta(hours=1),
            "2024-05-06T16:00:00+02:00",
            3,
            1,
            created,
            "2024-04-29T15:00:00+02:00",
        )
    ]


def test_a_recurring_cafe_names_its_series_and_missing_times_are_empty_cells() -> None:
    created = datetime(2024, 1, 15, 10, 0, tzinfo=UTC)  # winter time: +01:00
    first = (9, "Monthly", "open", None, "monthly first tue 14:00", 2, 15, None, CHANNEL,
             None, None, created, ())  # fmt: skip
    later = (12, "Monthly", "open", 9, "monthly first tue 14:00", 2, 15, None, CHANNEL,
             None, None, created, ())  # fmt: skip
    rows = list(cafe_rows([first, later], scope()))
    assert [row[3] for row in rows] == ["9", "9"]
    assert rows[0][6:] == (
        None,
        str(CHANNEL),
        None,
        None,
        None,
        None,
        0,
        0,
        created,
        "2024-01-15T11:00:00+01:00",
    )


def test_every_round_is_listed_with_its_question_and_counts_without_the_absent() -> None:
    stored = [
        (
            7,
            3,
            ("What works?", "What gets in the way?", "What next?"),
            ((1, 2), (2, 1)),
            (
                (1, ANNA, True),
                (1, BEN, False),
                (1, CLARA, True),  # opted out: not counted
                (1, DAAN, False),
                (2, BEN, True),
                (2, DAAN, False),
            ),
        )
    ]
    assert list(round_rows(stored, scope())) == [
        ("7", 1, "What works?", 2, 3, 1),
        ("7", 2, "What gets in the way?", 1, 2, 1),
        ("7", 3, "What next?", 0, 0, 0),
    ]


def test_a_round_without_a_question_has_an_empty_one() -> None:
    stored = [(8, 2, ("Only one?",), (), ())]
    assert list(round_rows(stored, scope())) == [
        ("8", 1, "Only one?", 0, 0, 0),
        ("8", 2, None, 0, 0, 0),
    ]


def test_seats_name_people_and_leave_out_those_who_opted_out() -> None:
    stored = [
        (7, 1, 1, ANNA, True, THREAD, 4),
        (7, 1, 1, BEN, False, THREAD, 2),
        (7, 1, 2, CLARA, True, THREAD + 1, 9),
        (7, 2, 1, DAAN, False, None, 0),
    ]
    expected = [
        ("7", 1, 1, pseudonym(ANNA), "host", str(THREAD), 4),
        ("7", 1, 1, pseudonym(BEN), "traveller", str(THREAD), 2),
        ("7", 2, 1, pseudonym(DAAN), "traveller", None, 0),
    ]
    assert list(seat_rows(stored, scope())) == expected
    visible = list(seat_rows(stored, scope(NameMode.VISIBLE)))
    assert [row[3] for row in visible] == ["Anna de Vries", pseudonym(BEN), pseudonym(DAAN)]


def test_notes_keep_their_text_but_not_those_of_absent_or_forgotten_authors() -> None:
    written = START + timedelta(minutes=12)
    stored = [
        (7, 1, 1, "note", ANNA, "Donors fund projects, not learning.", written),
        (7, 1, 1, "insight", BEN, "=Shared data beats reports", written),
        (7, 1, 2, "note", CLARA, "Clara's words", written),  # opted out
        (7, 2, 1, "note", None, "Words of someone forgotten", written),
    ]
    assert list(note_rows(stored, scope(NameMode.VISIBLE))) == [
        (
            "7",
            1,
            1,
            "note",
            "Anna de Vries",
            "Donors fund projects, not learning.",
            written,
            "2024-05-06T15:12:00+02:00",
        ),
        (
            "7",
            1,
            1,
            "harvest",
            pseudonym(BEN),
            "=Shared data beats reports",  # the writers neutralise it for spreadsheets
            written,
            "2024-05-06T15:12:00+02:00",
        ),
    ]


def test_no_cell_holds_a_persons_discord_id() -> None:
    cells = [
        *cafe_rows(
            [
                (
                    7,
                    "t",
                    "open",
                    None,
                    None,
                    1,
                    20,
                    None,
                    CHANNEL,
                    None,
                    None,
                    START,
                    ((BEN, "host"),),
                )
            ],
            scope(),
        ),
        *round_rows([(7, 1, ("q",), ((1, 1),), ((1, BEN, True),))], scope()),
        *seat_rows([(7, 1, 1, BEN, True, THREAD, 1)], scope()),
        *note_rows([(7, 1, 1, "note", BEN, "text", START)], scope()),
    ]
    assert not [row for row in cells if any(str(BEN) in str(cell) for cell in row)]
