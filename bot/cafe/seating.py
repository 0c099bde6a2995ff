"""The World Café seating planner: who sits at which table in each round. Pure, no Discord.

Rules, in priority order: hosts stay at their table every round; table sizes (hosts included)
differ by at most one in every round; travellers (everyone who is not a host) move to a table
they have not sat at, whenever that is possible; nobody shares a table with the same person
twice where that can be avoided (nor with someone met at an earlier café, ``met_before``);
people of one organisation are kept apart where that can be avoided; stakeholder groups and
levels are spread over the tables.

Only future rounds are planned. ``played`` rounds are kept exactly, and their meetings count as
already met, so callers handle people joining or leaving between rounds by planning again with
the present people and the rounds held so far.

Determinism: the same request (seed included) gives the same seating whenever the search reaches
every bound within ``time_budget`` (the usual case, and what the tests check). When a bound is
out of reach, the search returns the best seating found when the time runs out, which on a busy
machine may differ between runs; set ``max_steps`` to make such runs repeatable too.

``plan_seating`` is synchronous and keeps no global state: run big seatings in a worker thread
(``asyncio.to_thread``) so they do not hold up an event loop.
"""

from __future__ import annotations

import heapq
import random
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace

from bot.cafe.seating_bounds import gap_bound, org_pair_bound, repeat_bound, stay_bound
from bot.cafe.seating_constructions import affine_seating, max_rounds
from bot.cafe.seating_search import Planner, Problem, Targets

Round = tuple[tuple[int, ...], ...]
"""``round[t]``: the ids seated at table t (0-based), sorted; hosts included."""


class SeatingError(ValueError):
    """A request no seating can satisfy; ``str()`` says why in plain words."""


@dataclass(frozen=True, slots=True)
class Person:
    id: int
    organisation: str | None = None  # None never counts as the same organisation
    stakeholder: str | None = None
    level: str | None = None


@dataclass(frozen=True, slots=True)
class SeatingRequest:
    """Everyone to seat in the rounds still to plan, hosts included.

    ``hosts`` maps a person id to the table (0-based) they host every round; a table may have
    several hosts. The default is an empty dict, so a request is hashable only when ``hosts`` is
    (pass e.g. a ``frozendict``-like mapping if you need that). ``played`` rounds are kept as
    they are and may name people no longer in ``people``. ``met_before`` holds pairs of ids
    who shared a table at an earlier café (of a recurring series): meeting again counts as a
    repeat, as meeting twice in this café does. ``max_steps`` (optional) caps the search by
    steps as well as by ``time_budget`` seconds.
    """

    people: tuple[Person, ...]
    tables: int
    rounds: int
    hosts: Mapping[int, int] = field(default_factory=dict)
    played: tuple[Round, ...] = ()
    met_before: frozenset[tuple[int, int]] = frozenset()
    seed: int = 0
    time_budget: float = 0.4
    max_steps: int | None = None


@dataclass(frozen=True, slots=True)
class Seating:
    rounds: tuple[Round, ...]  # played rounds first, unchanged, then the planned ones

    def table_of(self, person_id: int, round_index: int) -> int | None:
        for table, seated in enumerate(self.rounds[round_index]):
            if person_id in seated:
                return table
        return None


@dataclass(frozen=True, slots=True)
class SeatingQuality:
    """Figures over all rounds (played ones included), each next to a lower bound no seating
    of the request can beat. A gap is a stakeholder group present in a round but missing from a
    table; gaps are counted per (round, table, group).

    ``travellers_staying`` counts (traveller, round) where the traveller sits at a table they
    sat at in an earlier round; its bound is 0 when there are no more rounds than tables (and
    hosts at most one a table), and forced above that. The rules rank travellers moving before
    repeats, so when no traveller comes back to a hosted table in the planned rounds,
    ``repeat_pairs_bound`` is the least among such seatings (often higher than without the rule).

    ``met_before_again``: pairs of the request's ``met_before`` who share a table here (None
    when the request names no earlier meetings); it has no bound of its own.
    """

    travellers_staying: int
    travellers_staying_bound: int
    repeat_pairs: int
    repeat_pairs_bound: int
    same_org_pairs: int
    same_org_pairs_bound: int
    tables_missing_stakeholder: int
    tables_missing_stakeholder_bound: int
    size_spread: int
    met_before_again: int | None = None

    def at_bounds(self) -> bool:
        return (
            self.travellers_staying <= self.travellers_staying_bound
            and self.repeat_pairs <= self.repeat_pairs_bound
            and self.same_org_pairs <= self.same_org_pairs_bound
            and self.tables_missing_stakeholder <= self.tables_missing_stakeholder_bound
        )


def default_table_count(people: int, seats_per_table: int = 5) -> int:
    """About ``seats_per_table`` seats per table, hosts included; at least one table."""
    return max(1, min(people, round(people / seats_per_table)))


def validate_request(request: SeatingRequest) -> None:
    """Raise :class:`SeatingError` for a request that cannot be seated."""
    people, tables = len(request.people), request.tables
    if tables < 1:
        raise SeatingError("A café needs at least one table.")
    if request.rounds < 1:
        raise SeatingError("A café needs at least one round.")
    if not request.people:
        raise SeatingError("There is nobody to seat.")
    if tables > people:
        raise SeatingError(
            f"{tables} tables for {people} "
            f"{'person' if people == 1 else 'people'}: there must be no more tables than people."
        )
    ids = [person.id for person in request.people]
    if len(set(ids)) != len(ids):
        raise SeatingError("Someone is listed twice among the people to seat.")
    known = set(ids)
    for host, table in request.hosts.items():
        if host not in known:
            raise SeatingError(f"Host {host} is not among the people to seat.")
        if not 0 <= table < tables:
            raise SeatingError(
                f"Host {host} is given table {table + 1}; the café has tables 1 to {tables}."
            )
    if len(request.played) > request.rounds:
        raise SeatingError(
            f"{len(request.played)} rounds are already played, but the café has only "
            f"{request.rounds}."
        )
    for number, played in enumerate(request.played, start=1):
        if len(played) != tables:
            raise SeatingError(
                f"Played round {number} has {len(played)} tables; the café has {tables}."
            )
        seated = [person for table in played for person in table]
        if len(set(seated)) != len(seated):
            raise SeatingError(f"Someone sits at two tables in played round {number}.")


# --- planning ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Prepared:
    problem: Problem
    ids: tuple[int, ...]  # index -> person id
    played_repeats: int
    played_org_pairs: int
    played_gaps: int
    played_stays: int
    repeat_bound: int  # all rounds, any seating
    repeat_bound_moving: int  # all rounds, no traveller back at a hosted table in future rounds
    targets: Targets  # future rounds


def plan_seating(request: SeatingRequest) -> Seating:
    """Seat the present people in the rounds after ``request.played``."""
    validate_request(request)
    began = time.perf_counter()
    prepared = _prepare(request)
    if prepared.problem.rounds == 0:
        return Seating(tuple(request.played))
    deadline = began + request.time_budget
    target = prepared.targets
    built = _constructed(request, prepared, deadline)
    if built is not None and built.at(target):
        return _seating(request, prepared, built)
    if built is not None and built.stays() <= target.stays and built.repeats() <= target.repeats:
        # The construction is as good as it gets on stays and repeats: polish the rest.
        built.polish(target)
        return _seating(request, prepared, built)
    if built is not None and built.repeats() > target.repeats:
        # Too many rounds for the construction alone: its rounds start the search.
        planner, built = built, None
    else:
        planner = Planner(
            prepared.problem, random.Random(request.seed), deadline, request.max_steps
        )
        planner.greedy()
    planner.reduce_repeats(target)
    planner.polish(target)
    if built is not None and _rank(built) <= _rank(planner):
        planner = built
    return _seating(request, prepared, planner)


def _rank(planner: Planner) -> tuple[int, int, int, int]:
    return planner.stays(), planner.repeats(), planner.org_pairs(), planner.gaps()


def _seating(request: SeatingRequest, prepared: _Prepared, planner: Planner) -> Seating:
    planner.relabel_tables()
    ids = prepared.ids
    planned = tuple(
        tuple(tuple(sorted(ids[x] for x in seated)) for seated in round_members)
        for round_members in planner.members
    )
    return Seating(tuple(request.played) + planned)


def _constructed(request: SeatingRequest, prepared: _Prepared, deadline: float) -> Planner | None:
    """A zero-repeat seating from :mod:`seating_constructions` when the request has its shape:
    no hosts or one per table, nearly full tables, and played rounds (if any) that the same
    construction would have seated. Who is who is then chosen to spread organisations."""
    problem = prepared.problem
    n, tables = problem.n, problem.tables
    size = -(-n // tables)
    empty = tables * size - n
    hosted = bool(request.hosts)
    if hosted and sorted(request.hosts.values()) != list(range(tables)):
        return None
    most = max_rounds(tables, size, hosted=hosted, empty_seats=empty)
    if most == 0 or (request.played and most < request.rounds):
        return None
    if request.played:
        whole = _constructed(
            replace(request, played=()), _prepare(replace(request, played=())), deadline
        )
        if whole is None:
            return None
        played = len(request.played)
        prefix = tuple(
            tuple(tuple(sorted(prepared.ids[x] for x in seated)) for seated in members)
            for members in whole.members[:played]
        )
        if prefix != tuple(request.played):
            return None
        planner = Planner(problem, random.Random(request.seed), deadline, request.max_steps)
        planner.load([whole.seat[r] for r in range(played, request.rounds)])
        return planner
    rng = random.Random(request.seed)
    round_order = list(range(tables))
    rng.shuffle(round_order)
    construction = affine_seating(tables, size, min(most, request.rounds), empty, round_order)
    # Seats 0..tables-1 are hosts' (seat t at table t); travellers fill the rest largest
    # organisation first, so an organisation shares a class, whose members never meet.
    travellers = [x for x in range(n) if problem.host_table[x] < 0]
    org_size: dict[int, int] = {}
    for o in problem.org:
        org_size[o] = org_size.get(o, 0) + 1
    travellers.sort(key=lambda x: (problem.org[x] < 0, -org_size[problem.org[x]], problem.org[x]))
    person_at = [0] * n
    if hosted:
        for x in range(n):
            if problem.host_table[x] >= 0:
                person_at[problem.host_table[x]] = x
        first = tables
    else:
        first = 0
    for offset, x in enumerate(travellers):
        person_at[first + offset] = x
    seats = []
    for round_seats in construction.seats:
        seat = [0] * n
        for point, table in enumerate(round_seats):
            seat[person_at[point]] = table
        seats.append(seat)
    planner = Planner(problem, rng, deadline, request.max_steps)
    planner.load(seats)
    if most < request.rounds:
        planner.greedy(first_round=most)
    else:
        planner.relabel(lambda: planner.at(prepared.targets))
    return planner


def _prepare(request: SeatingRequest) -> _Prepared:
    people = sorted(request.people, key=lambda person: person.id)
    ids = tuple(person.id for person in people)
    index = {pid: x for x, pid in enumerate(ids)}
    n, tables = len(people), request.tables

    def categories(values: list[str | None]) -> tuple[list[int], int]:
        keys = sorted({v for v in values if v is not None})
        number = {key: k for k, key in enumerate(keys)}
        return [number[v] if v is not None else -1 for v in values], len(keys)

    org, org_count = categories([person.organisation for person in people])
    group, group_count = categories([person.stakeholder for person in people])
    level, level_count = categories([person.level for person in people])
    host_table = [-1] * n
    for pid, table in request.hosts.items():
        host_table[index[pid]] = table

    base = bytearray(n * n)
    played_meetings = [0] * n
    departed: list[set[int]] = [set() for _ in range(n)]
    played_tables: list[list[int]] = [[] for _ in range(n)]
    last_played_table = [-1] * n
    for number, played in enumerate(request.played, start=1):
        for table, seated in enumerate(played):
            present = [index[pid] for pid in seated if pid in index]
            gone = [pid for pid in seated if pid not in index]
            for x in present:
                played_tables[x].append(table)
                if number == len(request.played):
                    last_played_table[x] = table
                played_meetings[x] += len(seated) - 1
                departed[x].update(gone)
                for z in present:
                    if z != x:
                        base[x * n + z] += 1

    # Pairs who met at an earlier café start as met once (the bounds below stay lower bounds:
    # they count these as played meetings would be, or leave them out).
    for a, b in request.met_before:
        first, second = index.get(a), index.get(b)
        if first is None or second is None or first == second:
            continue
        if base[first * n + second] == 0:
            base[first * n + second] = base[second * n + first] = 1

    future = request.rounds - len(request.played)
    hosts_per_table = [0] * tables
    for table in host_table:
        if table >= 0:
            hosts_per_table[table] += 1
    # Travellers seated at each table so far, played rounds included: the extra seats of a
    # round go to the tables fewest have sat at, which most travellers still have to visit.
    # (Sized as if nothing was played, a round after played ones gave them to the tables that
    # had just had them, and travellers had to come back.)
    travellers_seated = [0] * tables
    for x in range(n):
        if host_table[x] < 0:
            for table in played_tables[x]:
                travellers_seated[table] += 1
    capacities = []
    for r in range(future):
        sizes = _table_sizes(n, hosts_per_table, len(request.played) + r, travellers_seated)
        capacities.append(sizes)
        for table, size in enumerate(sizes):
            travellers_seated[table] += size - hosts_per_table[table]
    problem = Problem(
        n=n,
        tables=tables,
        org=org,
        group=group,
        level=level,
        host_table=host_table,
        base_meets=bytes(base),
        capacities=tuple(capacities),
        org_count=org_count,
        group_count=group_count,
        level_count=level_count,
        played_tables=played_tables,
        last_played_table=last_played_table,
    )
    by_id = {person.id: person for person in people}
    played_repeats = _repeats(request.played)
    played_org = sum(_org_pairs(played, by_id) for played in request.played)
    played_gaps = sum(_gaps(played, by_id) for played in request.played)
    departed_partners = [len(d) for d in departed]
    repeats_all = repeat_bound(problem, played_repeats, played_meetings, departed_partners)
    repeats_moving = repeat_bound(
        problem, played_repeats, played_meetings, departed_partners, travellers_move=True
    )
    stays = stay_bound(problem)
    targets = Targets(
        stays=stays,
        repeats=(repeats_moving if stays == 0 else repeats_all) - played_repeats,
        org_pairs=org_pair_bound(problem),
        gaps=gap_bound(problem),
    )
    return _Prepared(
        problem,
        ids,
        played_repeats,
        played_org,
        played_gaps,
        _stays(request.played, set(request.hosts)),
        repeats_all,
        repeats_moving,
        targets,
    )


def _table_sizes(
    people: int, hosts_per_table: list[int], round_index: int, travellers_seated: list[int]
) -> tuple[int, ...]:
    """Sizes as even as hosts allow; an extra seat goes to the table that has seated the
    fewest travellers in earlier rounds, ties turning with the round."""
    tables = len(hosts_per_table)
    sizes = list(hosts_per_table)
    heap = [
        (size, travellers_seated[t], (t - round_index) % tables, t) for t, size in enumerate(sizes)
    ]
    heapq.heapify(heap)
    for _ in range(people - sum(sizes)):
        size, seated, turn, t = heap[0]
        sizes[t] = size + 1
        heapq.heapreplace(heap, (size + 1, seated, turn, t))
    return tuple(sizes)


# --- assessing -----------------------------------------------------------------------------------


def table_pairs(tables: Iterable[Sequence[int]]) -> Iterator[tuple[int, int]]:
    """Every pair of people who share one of ``tables``, smaller id first, once per table."""
    for seated in tables:
        for i, a in enumerate(seated):
            for b in seated[i + 1 :]:
                yield (a, b) if a < b else (b, a)


def _repeats(rounds: tuple[Round, ...] | list[Round]) -> int:
    meetings: dict[tuple[int, int], int] = {}
    for pair in table_pairs(table for played in rounds for table in played):
        meetings[pair] = meetings.get(pair, 0) + 1
    return sum(count - 1 for count in meetings.values())


def _org_pairs(played: Round, by_id: Mapping[int, Person]) -> int:
    total = 0
    for seated in played:
        counts: dict[str, int] = {}
        for pid in seated:
            person = by_id.get(pid)
            if person is not None and person.organisation is not None:
                counts[person.organisation] = counts.get(person.organisation, 0) + 1
        total += sum(c * (c - 1) // 2 for c in counts.values())
    return total


def _gaps(played: Round, by_id: Mapping[int, Person]) -> int:
    groups_at = [
        {by_id[pid].stakeholder for pid in seated if pid in by_id} - {None} for seated in played
    ]
    present = set().union(*groups_at) if groups_at else set()
    return sum(len(present - groups) for groups in groups_at)


def _stays(
    rounds: tuple[Round, ...] | list[Round], hosts: set[int], only: set[int] | None = None
) -> int:
    """(person, round) where someone not in ``hosts`` sits at a table they sat at before;
    with ``only``, counting only returns to those tables."""
    visited: dict[int, set[int]] = {}
    total = 0
    for played in rounds:
        for table, seated in enumerate(played):
            for pid in seated:
                if pid in hosts:
                    continue
                tables = visited.setdefault(pid, set())
                if table in tables and (only is None or table in only):
                    total += 1
                tables.add(table)
    return total


def assess(request: SeatingRequest, seating: Seating) -> SeatingQuality:
    """The seating's figures next to the request's bounds."""
    prepared = _prepare(request)
    by_id = {person.id: person for person in request.people}
    future = seating.rounds[len(request.played) :]
    played_spread = max(
        (max(map(len, r)) - min(map(len, r)) for r in request.played if r), default=0
    )
    spread = max(
        played_spread,
        max((max(map(len, r)) - min(map(len, r)) for r in future if r), default=0),
    )
    hosts = set(request.hosts)
    hosted_tables = set(request.hosts.values())
    returns = _stays(seating.rounds, hosts, hosted_tables) - _stays(
        request.played, hosts, hosted_tables
    )
    return SeatingQuality(
        travellers_staying=_stays(seating.rounds, hosts),
        travellers_staying_bound=prepared.played_stays + prepared.targets.stays,
        repeat_pairs=_repeats(seating.rounds),
        repeat_pairs_bound=prepared.repeat_bound_moving if returns == 0 else prepared.repeat_bound,
        same_org_pairs=sum(_org_pairs(r, by_id) for r in seating.rounds),
        same_org_pairs_bound=prepared.played_org_pairs + prepared.targets.org_pairs,
        tables_missing_stakeholder=sum(_gaps(r, by_id) for r in seating.rounds),
        tables_missing_stakeholder_bound=prepared.played_gaps + prepared.targets.gaps,
        size_spread=spread,
        met_before_again=_met_again(seating.rounds, request.met_before)
        if request.met_before
        else None,
    )


def _met_again(rounds: tuple[Round, ...], met_before: frozenset[tuple[int, int]]) -> int:
    """Pairs who met at an earlier café and share a table again (each pair once)."""
    tables = (table for round_ in rounds for table in round_)
    return len(
        {pair for pair in table_pairs(tables) if pair in met_before or pair[::-1] in met_before}
    )
