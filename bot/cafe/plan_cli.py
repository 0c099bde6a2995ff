"""``copbot plan MEMBERS.csv --tables T --rounds R``: preview a café's seating offline.

Reads the member CSV that ``copbot export-members`` writes (or a hand-made one with a ``name``
column instead of ``user_id``/``display_name``), plus an optional ``host`` column holding the
table number (1..T) a person hosts. Prints the seating round by round and the quality figures
next to their lower bounds.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import TextIO, TypeVar

from bot.cafe.seating import (
    Person,
    SeatingError,
    SeatingRequest,
    assess,
    default_table_count,
    plan_seating,
)
from bot.cafe.text import quality_lines
from bot.errors import BadInput
from bot.membership import fields
from bot.membership.csv_io import (
    MAX_IMPORT_BYTES,
    MEMBER_COLUMNS,
    CsvRow,
    RowError,
    parse_user_id,
    read_rows,
)
from bot.membership.names import name_key

PLAN_COLUMNS = (*MEMBER_COLUMNS, "name", "host")
# Offline there is no event loop to keep free: the search may take longer than in the bot.
OFFLINE_TIME_BUDGET = 2.0

T = TypeVar("T")


class PlanError(Exception):
    """The file or the arguments cannot be used; ``str()`` is the one line to show."""


@dataclass(frozen=True, slots=True)
class Attendee:
    person: Person
    name: str
    host_table: int | None  # 1-based, as in the file


def read_attendees(data: bytes) -> list[Attendee]:
    rows, errors = read_rows(data, PLAN_COLUMNS, ())
    attendees: list[Attendee] = []
    for row in rows:
        try:
            attendees.append(_attendee(row, len(attendees) + 1))
        except _CellProblem as problem:
            errors.append(RowError(row.line, problem.column, problem.problem))
    if errors:
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise PlanError(errors[0].describe() + more)
    ids = [a.person.id for a in attendees]
    if len(set(ids)) != len(ids):
        raise PlanError("someone is listed twice (the same user_id on two rows)")
    return attendees


class _CellProblem(Exception):
    def __init__(self, column: str | None, problem: str) -> None:
        super().__init__(problem)
        self.column = column
        self.problem = problem


def _checked(row: CsvRow, column: str, rule: Callable[[str], T]) -> T | None:
    value = row.cells.get(column)
    if value is None:
        return None
    try:
        return rule(value)
    except BadInput as error:
        fix = f" {error.fix}" if error.fix else ""
        raise _CellProblem(column, error.problem + fix) from None


def _attendee(row: CsvRow, number: int) -> Attendee:
    user_id = _checked(row, "user_id", parse_user_id)
    name = _checked(row, "display_name", fields.display_name) or _checked(
        row, "name", fields.display_name
    )
    if name is None and user_id is None:
        raise _CellProblem(None, "this row has neither a name nor a user_id.")
    organisation = _checked(row, "organisation", fields.organisation_name)
    stakeholder = _checked(row, "stakeholder", fields.stakeholder)
    level = _checked(row, "level", fields.level)
    host = row.cells.get("host")
    host_table = None
    if host is not None:
        if not host.isascii() or not host.isdigit() or int(host) < 1:
            raise _CellProblem("host", f"`{host[:20]}` is not a table number (1, 2, ...).")
        host_table = int(host)
    person = Person(
        id=user_id if user_id is not None else number,
        organisation=name_key(organisation) if organisation is not None else None,
        stakeholder=str(stakeholder) if stakeholder is not None else None,
        level=str(level) if level is not None else None,
    )
    return Attendee(person, str(name or user_id), host_table)


def run_plan(
    file: str,
    tables: int | None,
    rounds: int,
    seed: int,
    *,
    out: TextIO | None = None,
) -> int:
    """Print the seating (to ``out``, default stdout); raise :class:`PlanError` for a bad
    file or arguments."""
    out = out if out is not None else sys.stdout
    try:
        if file == "-":
            data = sys.stdin.buffer.read(MAX_IMPORT_BYTES + 1)
        else:
            with open(file, "rb") as source:
                data = source.read(MAX_IMPORT_BYTES + 1)
    except OSError as error:
        raise PlanError(f"cannot read {file}: {error.strerror or error}") from None
    attendees = read_attendees(data)
    table_count = tables if tables is not None else default_table_count(len(attendees))
    hosts: dict[int, int] = {}
    for attendee in attendees:
        if attendee.host_table is not None:
            if attendee.host_table > table_count:
                raise PlanError(
                    f"{attendee.name} hosts table {attendee.host_table}, "
                    f"but there are {table_count} tables"
                )
            hosts[attendee.person.id] = attendee.host_table - 1
    request = SeatingRequest(
        people=tuple(a.person for a in attendees),
        tables=table_count,
        rounds=rounds,
        hosts=hosts,
        seed=seed,
        time_budget=OFFLINE_TIME_BUDGET,
    )
    try:
        seating = plan_seating(request)
    except SeatingError as error:
        raise PlanError(str(error)) from None
    quality = assess(request, seating)
    name_of = {a.person.id: a.name for a in attendees}
    print(
        f"{len(attendees)} people at {table_count} tables for {rounds} "
        f"round{'s' if rounds != 1 else ''} (seed {seed})",
        file=out,
    )
    for number, round_ in enumerate(seating.rounds, start=1):
        print(f"\nRound {number}", file=out)
        for table, seated in enumerate(round_, start=1):
            names = [
                name_of[pid] + (" (host)" if pid in hosts else "")
                for pid in sorted(seated, key=lambda pid: (pid not in hosts, name_of[pid]))
            ]
            print(f"  Table {table}: {', '.join(names)}", file=out)
    print("\nQuality", file=out)
    for line in quality_lines(quality, markdown=False):
        print(f"  {line}", file=out)
    return 0
