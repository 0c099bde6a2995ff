"""Cafés: who stayed silent at their table, how much was written down, and whom people met.

From the seats of a café (:class:`~bot.insights.values.Seat`, with the messages each person
posted in their table's thread) and the notes per table:

- ``table_silence`` per table and round = seated people who posted nothing at the table /
  seated people (n: the seated);
- ``table_notes`` per table and round: tablecloth notes and harvest items written there;
- mixing per person over the whole café: ``organisations_met`` and ``stakeholders_met``, the
  distinct organisations and stakeholder groups of the people they sat with (their own left
  out; people without one add none); per café, the mean over its people (``mean_organisations_met``,
  ``mean_stakeholders_met``) and ``cafe_silence``, the share of seats that stayed silent.

Tables are named ``café <number> · round <r> · table <t>``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from statistics import mean

from bot.insights.values import Measure, Person, Scope, Seat, TableNotes

TABLE_SILENCE = "table_silence"
TABLE_NOTES = "table_notes"
ORGANISATIONS_MET = "organisations_met"
STAKEHOLDERS_MET = "stakeholders_met"
MEAN_ORGANISATIONS_MET = "mean_organisations_met"
MEAN_STAKEHOLDERS_MET = "mean_stakeholders_met"
CAFE_SILENCE = "cafe_silence"

TableKey = tuple[int, int, int]  # café, round, table


def table_name(cafe_id: int, round_number: int, table_number: int) -> str:
    return f"café {cafe_id} · round {round_number} · table {table_number}"


def cafe_measures(
    seats: Sequence[Seat],
    notes: Sequence[TableNotes],
    people: Mapping[int, Person],
) -> list[Measure]:
    """The figures of the cafés the seats belong to (people not in ``people``, such as those
    who opted out, are left out first)."""
    seats = [seat for seat in seats if seat.user_id in people]
    tables: dict[TableKey, list[Seat]] = defaultdict(list)
    for seat in seats:
        tables[(seat.cafe_id, seat.round_number, seat.table_number)].append(seat)
    written = {(n.cafe_id, n.round_number, n.table_number): n.notes for n in notes}
    measures: list[Measure] = []
    for key in sorted(tables.keys() | written.keys()):
        seated = tables.get(key, [])
        name = table_name(*key)
        silent = sum(1 for seat in seated if seat.contributions == 0)
        silence = silent / len(seated) if seated else None
        measures.append(Measure(Scope.CAFE_TABLE, name, TABLE_SILENCE, silence, len(seated)))
        measures.append(
            Measure(Scope.CAFE_TABLE, name, TABLE_NOTES, float(written.get(key, 0)), len(seated))
        )
    measures += _mixing(seats, tables, people)
    return measures


def _mixing(
    seats: Sequence[Seat], tables: Mapping[TableKey, Sequence[Seat]], people: Mapping[int, Person]
) -> list[Measure]:
    met_organisations: dict[tuple[int, int], set[str]] = defaultdict(set)
    met_stakeholders: dict[tuple[int, int], set[str]] = defaultdict(set)
    for (cafe_id, _round, _table), seated in tables.items():
        for seat in seated:
            me = people[seat.user_id]
            for other in seated:
                if other.user_id == seat.user_id:
                    continue
                them = people[other.user_id]
                if them.organisation and them.organisation != me.organisation:
                    met_organisations[(cafe_id, seat.user_id)].add(them.organisation)
                if them.stakeholder and them.stakeholder != me.stakeholder:
                    met_stakeholders[(cafe_id, seat.user_id)].add(them.stakeholder)
    measures: list[Measure] = []
    by_cafe: dict[int, set[int]] = defaultdict(set)
    silent_seats: dict[int, list[bool]] = defaultdict(list)
    for seat in seats:
        by_cafe[seat.cafe_id].add(seat.user_id)
        silent_seats[seat.cafe_id].append(seat.contributions == 0)
    for cafe_id in sorted(by_cafe):
        sitters = sorted(by_cafe[cafe_id])
        organisations = [len(met_organisations[(cafe_id, user)]) for user in sitters]
        stakeholders = [len(met_stakeholders[(cafe_id, user)]) for user in sitters]
        group = f"café {cafe_id}"
        count = len(sitters)
        silences = silent_seats[cafe_id]
        measures += [
            Measure(Scope.COMMUNITY, group, MEAN_ORGANISATIONS_MET, mean(organisations), count),
            Measure(Scope.COMMUNITY, group, MEAN_STAKEHOLDERS_MET, mean(stakeholders), count),
            Measure(Scope.COMMUNITY, group, CAFE_SILENCE, sum(silences) / len(silences), count),
        ]
        for user, met_o, met_s in zip(sitters, organisations, stakeholders, strict=True):
            measures += [
                Measure(Scope.MEMBER, str(user), ORGANISATIONS_MET, float(met_o), 1),
                Measure(Scope.MEMBER, str(user), STAKEHOLDERS_MET, float(met_s), 1),
            ]
    return measures
