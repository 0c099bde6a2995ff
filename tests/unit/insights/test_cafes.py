"""Cafés: silence per table and round, notes per table, and whom people met."""

from __future__ import annotations

from bot.insights import cafes
from bot.insights.values import Person, Scope, Seat, TableNotes

PEOPLE = {
    1: Person(1, "WaterAid", "civil society", "national"),
    2: Person(2, "Ministry", "government", "national"),
    3: Person(3, "WaterAid", "civil society", "local"),
    4: Person(4, None, None, None),
    5: Person(5, "Akvo", "private sector", "international"),
}


def test_silence_notes_and_mixing() -> None:
    seats = [
        # round 1: table 1 (1, 2, 4), table 2 (3, 5)
        Seat(9, 1, 1, 1, True, 2),
        Seat(9, 1, 1, 2, False, 0),
        Seat(9, 1, 1, 4, False, 0),
        Seat(9, 1, 2, 3, True, 1),
        Seat(9, 1, 2, 5, False, 3),
        # round 2: table 1 (1, 5), table 2 (3, 2, 4); 99 opted out: left out
        Seat(9, 2, 1, 1, True, 0),
        Seat(9, 2, 1, 5, False, 1),
        Seat(9, 2, 2, 3, True, 0),
        Seat(9, 2, 2, 2, False, 0),
        Seat(9, 2, 2, 4, False, 1),
        Seat(9, 2, 2, 99, False, 4),
    ]
    notes = [TableNotes(9, 1, 1, 3), TableNotes(9, 2, 2, 1)]
    measures = cafes.cafe_measures(seats, notes, PEOPLE)
    by_key = {(m.group, m.metric): m for m in measures}
    first = cafes.table_name(9, 1, 1)
    assert (by_key[(first, "table_silence")].value, by_key[(first, "table_silence")].n) == (
        2 / 3,
        3,
    )
    assert by_key[(first, "table_notes")].value == 3
    assert by_key[(cafes.table_name(9, 1, 2), "table_silence")].value == 0
    assert by_key[(cafes.table_name(9, 2, 2), "table_silence")].value == 2 / 3  # 99 not counted
    assert by_key[(cafes.table_name(9, 2, 1), "table_notes")].value == 0
    # person 1 met Ministry (2) and Akvo (5): 2 organisations; government, private sector
    assert by_key[("1", "organisations_met")].value == 2
    assert by_key[("1", "stakeholders_met")].value == 2
    # person 4 (no organisation) met WaterAid, Ministry, Akvo... round 1: 1 and 2; round 2: 3, 2
    assert by_key[("4", "organisations_met")].value == 2
    # seats: 10 counted, silent 5
    assert by_key[("café 9", "cafe_silence")].value == 0.5
    assert all(m.scope in (Scope.CAFE_TABLE, Scope.COMMUNITY, Scope.MEMBER) for m in measures)
    assert not any(m.group == "99" for m in measures)
