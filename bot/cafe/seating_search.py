"""The seating search: a greedy start, then swaps within a round, on people numbered 0..n-1.

Knows nothing of ids, names or requests (``bot.cafe.seating`` translates). One cost ranks a
seating: travellers back at a hosted table they sat at before first, then repeated meetings,
then same-organisation pairs, then tables missing a stakeholder group present in the round,
then same-group and same-level pairs (spreading). The weights keep that order for any single
move, which is all a local search compares.

Only hosted tables count for staying during the search: a table without a host is a label that
:meth:`Planner.relabel_tables` can change afterwards without changing who meets whom.

Swapping two travellers of one round, or moving one from a table to a table one seat smaller,
keeps every table size, so balance, fixed in the greedy start, holds throughout.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

W_STAY = 1 << 56
W_REPEAT = 1 << 40
W_ORG = 1 << 24
W_GAP = 1 << 12
W_SPREAD = 1

# Large rounds: a move is looked for among this many random other tables, not all of them.
SAMPLED_TABLES = 24
FULL_NEIGHBOURHOOD_PEOPLE = 400
# Large constructions: who-is-who swaps are tried with this many random travellers.
RELABEL_PARTNERS = 150
# The tabu polish prices the moves of this many random misplaced travellers a step.
POLISH_CANDIDATES = 16
POLISH_WANDERERS = 4
# Trades of all future seats are looked for with this many random partners.
TRADE_PARTNERS = 60
# Renumbering tables without hosts: an exact assignment up to this many tables, greedy past it.
EXACT_ASSIGNMENT = 60


@dataclass(frozen=True, slots=True)
class Problem:
    """People 0..n-1 to seat in ``len(capacities)`` future rounds.

    ``org``, ``group`` and ``level`` hold a category index per person, -1 for none.
    ``host_table`` is the table a host keeps, -1 for a traveller. ``base_meets`` is an n*n
    byte matrix of meetings in played rounds. ``capacities[r][t]`` is the size of table t in
    future round r (hosts included). ``played_tables[x]`` lists the tables x sat at in played
    rounds; ``last_played_table[x]`` is x's table in the last played round (-1: not seated,
    or no round played).
    """

    n: int
    tables: int
    org: Sequence[int]
    group: Sequence[int]
    level: Sequence[int]
    host_table: Sequence[int]
    base_meets: bytes
    capacities: Sequence[Sequence[int]]
    org_count: int
    group_count: int
    level_count: int
    played_tables: Sequence[Sequence[int]] = ()
    last_played_table: Sequence[int] = ()

    @property
    def rounds(self) -> int:
        return len(self.capacities)

    def hosts_per_table(self) -> list[int]:
        counts = [0] * self.tables
        for table in self.host_table:
            if table >= 0:
                counts[table] += 1
        return counts


@dataclass(frozen=True, slots=True)
class Targets:
    """The bounds to stop at: reaching all four, nothing better exists for these figures."""

    stays: int  # travellers back at a table they sat at before, in future rounds
    repeats: int  # repeats in future rounds (played ones excluded)
    org_pairs: int  # same-organisation pairs in future rounds
    gaps: int  # stakeholder gaps in future rounds


class Planner:
    """A seating of the future rounds with the counts that price a move in O(table size)."""

    def __init__(
        self,
        problem: Problem,
        rng: random.Random,
        deadline: float,
        max_steps: int | None,
    ) -> None:
        self.p = problem
        self.rng = rng
        self.deadline = deadline
        self.steps_left = max_steps
        n, tables, rounds = problem.n, problem.tables, problem.rounds
        self.meets = bytearray(problem.base_meets)
        self.seat = [[-1] * n for _ in range(rounds)]
        self.members: list[list[list[int]]] = [[[] for _ in range(tables)] for _ in range(rounds)]
        # counts[r][category * tables + table]: category-major, so one category is one slice.
        self.org_counts = [[0] * (problem.org_count * tables) for _ in range(rounds)]
        self.group_counts = [[0] * (problem.group_count * tables) for _ in range(rounds)]
        self.level_counts = [[0] * (problem.level_count * tables) for _ in range(rounds)]
        self.travellers = [x for x in range(n) if problem.host_table[x] < 0]
        self.repeated: set[int] = set()  # x * n + y (x < y) for pairs met at least twice
        self.partners: list[set[int]] = [set() for _ in range(n)]  # everyone x has met
        self.twice: list[set[int]] = [set() for _ in range(n)]  # everyone x has met twice or more
        self.table_sets: list[list[set[int]]] = [
            [set() for _ in range(tables)] for _ in range(rounds)
        ]
        # visits[x * tables + t]: rounds traveller x sits at table t, played ones included.
        self.hosted = [count > 0 for count in problem.hosts_per_table()]
        self.visits = [0] * (n * tables)
        for x in self.travellers:
            for t in problem.played_tables[x] if problem.played_tables else ():
                self.visits[x * tables + t] += 1
        self.all_stays = self.hosted_stays = 0
        for x in self.travellers:
            for t in set(problem.played_tables[x]) if problem.played_tables else ():
                extra = self.visits[x * tables + t] - 1
                self.all_stays += extra
                self.hosted_stays += extra if self.hosted[t] else 0
        self.played_all_stays, self.played_hosted_stays = self.all_stays, self.hosted_stays
        for x in range(n):
            line = self.meets[x * n : (x + 1) * n]
            if line.count(0) == n:
                continue
            for y, count in enumerate(line):
                if count:
                    self.partners[x].add(y)
                    if count >= 2:
                        self.twice[x].add(y)
                        if x < y:
                            self.repeated.add(x * n + y)

    # --- budget ----------------------------------------------------------------------------

    def out_of_time(self) -> bool:
        if self.steps_left is not None:
            self.steps_left -= 1
            if self.steps_left < 0:
                return True
        return time.perf_counter() > self.deadline

    # --- seating and unseating ---------------------------------------------------------------

    def _place(self, r: int, x: int, t: int) -> None:
        p, n, tables = self.p, self.p.n, self.p.tables
        meets, row = self.meets, x * n
        for z in self.members[r][t]:
            count = meets[row + z] + 1
            meets[row + z] = count
            meets[z * n + x] = count
            if count == 1:
                self.partners[x].add(z)
                self.partners[z].add(x)
            elif count == 2:
                self.repeated.add(min(x, z) * n + max(x, z))
                self.twice[x].add(z)
                self.twice[z].add(x)
        self.members[r][t].append(x)
        self.table_sets[r][t].add(x)
        self.seat[r][x] = t
        if p.host_table[x] < 0:
            visits = self.visits[x * tables + t]
            self.visits[x * tables + t] = visits + 1
            if visits:
                self.all_stays += 1
                if self.hosted[t]:
                    self.hosted_stays += 1
        if p.org[x] >= 0:
            self.org_counts[r][p.org[x] * tables + t] += 1
        if p.group[x] >= 0:
            self.group_counts[r][p.group[x] * tables + t] += 1
        if p.level[x] >= 0:
            self.level_counts[r][p.level[x] * tables + t] += 1

    def _unplace(self, r: int, x: int) -> int:
        p, n, tables = self.p, self.p.n, self.p.tables
        t = self.seat[r][x]
        self.members[r][t].remove(x)
        self.table_sets[r][t].discard(x)
        self.seat[r][x] = -1
        if p.host_table[x] < 0:
            visits = self.visits[x * tables + t] - 1
            self.visits[x * tables + t] = visits
            if visits:
                self.all_stays -= 1
                if self.hosted[t]:
                    self.hosted_stays -= 1
        meets, row = self.meets, x * n
        for z in self.members[r][t]:
            count = meets[row + z] - 1
            meets[row + z] = count
            meets[z * n + x] = count
            if count == 0:
                self.partners[x].discard(z)
                self.partners[z].discard(x)
            elif count == 1:
                self.repeated.discard(min(x, z) * n + max(x, z))
                self.twice[x].discard(z)
                self.twice[z].discard(x)
        if p.org[x] >= 0:
            self.org_counts[r][p.org[x] * tables + t] -= 1
        if p.group[x] >= 0:
            self.group_counts[r][p.group[x] * tables + t] -= 1
        if p.level[x] >= 0:
            self.level_counts[r][p.level[x] * tables + t] -= 1
        return t

    def swap(self, r: int, x: int, y: int, target: int) -> None:
        """x goes to ``target``; y (or nobody, y = -1) comes from there to x's table."""
        source = self._unplace(r, x)
        if y >= 0:
            self._unplace(r, y)
            self._place(r, y, source)
        self._place(r, x, target)

    def load(self, seats: Sequence[Sequence[int]]) -> None:
        """Seat everyone in the first ``len(seats)`` rounds as ``seats[r][x]`` says."""
        for r, round_seats in enumerate(seats):
            for x, t in enumerate(round_seats):
                self._place(r, x, t)

    # --- prices ------------------------------------------------------------------------------

    def cheap_delta(self, r: int, x: int, source: int, y: int, target: int) -> int:
        """The change in everything but repeats if x moves source->target and y the other way."""
        p, tables = self.p, self.p.tables
        delta = 0
        xo, yo = p.org[x], (p.org[y] if y >= 0 else -2)
        if xo != yo:
            counts = self.org_counts[r]
            if xo >= 0:
                delta += W_ORG * (counts[xo * tables + target] - counts[xo * tables + source] + 1)
            if yo >= 0:
                delta += W_ORG * (counts[yo * tables + source] - counts[yo * tables + target] + 1)
        xg, yg = p.group[x], (p.group[y] if y >= 0 else -2)
        if xg != yg:
            counts = self.group_counts[r]
            if xg >= 0:
                here, there = counts[xg * tables + source], counts[xg * tables + target]
                delta += W_GAP * ((here == 1) - (there == 0)) + W_SPREAD * (there - here + 1)
            if yg >= 0:
                here, there = counts[yg * tables + target], counts[yg * tables + source]
                delta += W_GAP * ((here == 1) - (there == 0)) + W_SPREAD * (there - here + 1)
        xl, yl = p.level[x], (p.level[y] if y >= 0 else -2)
        if xl != yl:
            counts = self.level_counts[r]
            if xl >= 0:
                delta += W_SPREAD * (
                    counts[xl * tables + target] - counts[xl * tables + source] + 1
                )
            if yl >= 0:
                delta += W_SPREAD * (
                    counts[yl * tables + source] - counts[yl * tables + target] + 1
                )
        return delta

    def stay_delta(self, x: int, source: int, y: int, target: int) -> int:
        """The change in hosted stays if x moves source->target and y the other way."""
        hosted, visits, tables = self.hosted, self.visits, self.p.tables
        delta = (hosted[target] and visits[x * tables + target] >= 1) - (
            hosted[source] and visits[x * tables + source] >= 2
        )
        if y >= 0:
            delta += (hosted[source] and visits[y * tables + source] >= 1) - (
                hosted[target] and visits[y * tables + target] >= 2
            )
        return delta

    def stays(self) -> int:
        """Travellers back at a hosted table they sat at before, in future rounds."""
        return self.hosted_stays - self.played_hosted_stays

    def repeat_delta(self, r: int, x: int, source: int, y: int, target: int) -> int:
        here, there = self.table_sets[r][source], self.table_sets[r][target]
        partners = self.partners[x]
        delta = len(partners & there) - len(self.twice[x] & here)
        if y >= 0:
            delta += len(self.partners[y] & here) - len(self.twice[y] & there) - 2 * (y in partners)
        return delta

    # --- the greedy start ----------------------------------------------------------------------

    def greedy(self, first_round: int = 0) -> None:
        """Each round in turn: hosts, then travellers largest organisation first, each to the
        open table where they add the fewest returns to a hosted table, then repeats, then
        organisation, group, level pairs."""
        p, rng, tables = self.p, self.rng, self.p.tables
        org_size: dict[int, int] = {}
        for o in p.org:
            org_size[o] = org_size.get(o, 0) + 1
        ties = list(range(tables))
        for r in range(first_round, p.rounds):
            room = list(p.capacities[r])
            for x in range(p.n):
                if p.host_table[x] >= 0:
                    self._place(r, x, p.host_table[x])
                    room[p.host_table[x]] -= 1
            order = sorted(
                self.travellers,
                key=lambda x: (p.org[x] < 0, -org_size[p.org[x]], p.org[x], rng.random()),
            )
            rng.shuffle(ties)
            tie_rank = ties + ties
            for x in order:
                self._place(r, x, self._best_open_table(r, x, room, tie_rank))

    def _best_open_table(self, r: int, x: int, room: list[int], tie_rank: list[int]) -> int:
        p, tables = self.p, self.p.tables
        offset = self.rng.randrange(tables)
        ties = tie_rank[offset : offset + tables]
        o, g, lv = p.org[x], p.group[x], p.level[x]
        zero = [0] * tables
        orgs = self.org_counts[r][o * tables : (o + 1) * tables] if o >= 0 else zero
        groups = self.group_counts[r][g * tables : (g + 1) * tables] if g >= 0 else zero
        levels = self.level_counts[r][lv * tables : (lv + 1) * tables] if lv >= 0 else zero
        most = max(room)
        # Lower is better; the room term fills tables evenly so the last travellers still
        # have a choice; the tie term is a seeded rotation.
        scores = [
            (((W_ORG * oc + W_GAP * (gc > 0) + W_SPREAD * (gc + lc)) << 16) + most - free) * tables
            + tie
            for oc, gc, lc, free, tie in zip(orgs, groups, levels, room, ties, strict=True)
        ]
        seat = self.seat[r]
        repeat_price = (W_REPEAT << 16) * tables
        for z in self.partners[x]:
            if seat[z] >= 0:
                scores[seat[z]] += repeat_price
        stay_price = (W_STAY << 16) * tables
        hosted = self.hosted
        been = {s[x] for s in self.seat}
        been.update(p.played_tables[x] if p.played_tables else ())
        for t in been:
            if t >= 0 and hosted[t]:
                scores[t] += stay_price
        full = W_STAY << 64
        for t in range(tables):
            if room[t] <= 0:
                scores[t] += full
        best = min(range(tables), key=scores.__getitem__)
        room[best] -= 1
        return best

    # --- local search --------------------------------------------------------------------------

    def _candidates(self, r: int, x: int) -> list[tuple[int, int]]:
        """(y, table) pairs x may trade places with in round r: travellers at other tables,
        and (-1, table) for a move to a table one seat smaller."""
        p, tables = self.p, self.p.tables
        source = self.seat[r][x]
        if p.n <= FULL_NEIGHBOURHOOD_PEOPLE:
            targets = [t for t in range(tables) if t != source]
        else:
            targets = self.rng.sample(range(tables), min(tables, SAMPLED_TABLES))
        size = len(self.members[r][source])
        host_table = p.host_table
        found: list[tuple[int, int]] = []
        for t in targets:
            if t == source:
                continue
            seated = self.members[r][t]
            if len(seated) == size - 1:
                found.append((-1, t))
            found.extend((y, t) for y in seated if host_table[y] < 0)
        return found

    def best_move(
        self,
        r: int,
        x: int,
        *,
        tabu: dict[tuple[int, int], int] | None = None,
        step: int = 0,
        aspiration: int = 0,
        hard_only: bool = True,
    ) -> tuple[int, int, int] | None:
        """The cheapest (delta, y, target) for x in round r, ties broken at random; with
        ``tabu``, moves of people tabu in this round are skipped unless their delta is below
        ``aspiration``, and with ``hard_only`` stays and repeats decide (the rest is priced only
        for the best). Without tabu, only improving moves count (None when there is none)."""
        source = self.seat[r][x]
        best: tuple[int, int, int] | None = None
        best_key = None
        fewest = None
        for y, target in self._candidates(r, x):
            stay = W_STAY * self.stay_delta(x, source, y, target)
            if tabu is not None and hard_only:
                hard = stay + W_REPEAT * self.repeat_delta(r, x, source, y, target)
                if fewest is not None and hard > fewest:
                    continue
                fewest = hard
                delta = hard + self.cheap_delta(r, x, source, y, target)
            else:
                cheap = stay + self.cheap_delta(r, x, source, y, target)
                if tabu is None and cheap >= 0 and not self.repeated:
                    continue  # without repeated meetings, a move adds repeats or none
                delta = cheap + W_REPEAT * self.repeat_delta(r, x, source, y, target)
            if tabu is None:
                if delta >= 0:
                    continue
            elif tabu.get((r, y), -1) > step and delta >= aspiration:
                continue
            key = (delta, self.rng.random())
            if best_key is None or key < best_key:
                best_key, best = key, (delta, y, target)
        return best

    def repeats(self) -> int:
        """Extra meetings in future rounds (played meetings of a pair included in its count)."""
        meets, base = self.meets, self.p.base_meets
        total = 0
        for key in self.repeated:
            total += meets[key] - max(base[key], 1)
        return total

    def hard_cost(self) -> int:
        return W_STAY * self.stays() + W_REPEAT * self.repeats()

    def _conflict_to_break(self, stays_too: bool) -> list[tuple[int, int]]:
        """(round, traveller) pairs that a move could free from one conflict picked at random:
        a repeated meeting (hosts sharing a table, or meetings in played rounds, cannot be
        broken) or, with ``stays_too``, a traveller back at a hosted table."""
        n, host_table = self.p.n, self.p.host_table
        if stays_too and (not self.repeated or self.rng.random() < 0.5):
            staying = self._staying()
            if staying:
                return [self.rng.choice(staying)]
        if not self.repeated:
            return []
        keys = tuple(self.repeated)
        for _ in range(8):
            x, y = divmod(self.rng.choice(keys), n)
            found = [
                (r, z)
                for r in range(self.p.rounds)
                if self.seat[r][x] == self.seat[r][y]
                for z in (x, y)
                if host_table[z] < 0
            ]
            if found:
                return found
        return []

    def _staying(self) -> list[tuple[int, int]]:
        """(round, traveller) for every traveller at a hosted table they sit at twice or more."""
        tables, hosted, visits = self.p.tables, self.hosted, self.visits
        return [
            (r, x)
            for r, seat in enumerate(self.seat)
            for x in self.travellers
            if hosted[seat[x]] and visits[x * tables + seat[x]] >= 2
        ]

    def reduce_repeats(self, targets: Targets, share: float = 0.75) -> None:
        """Tabu search on stays and repeats: move a traveller out of a conflict to the best
        place not tabu, even when that is worse, keeping the best seating seen. Uses ``share``
        of the time left, leaving the rest for organisations and groups."""
        rng = self.rng
        full_deadline, all_steps = self.deadline, self.steps_left
        self.deadline = time.perf_counter() + share * max(0.0, full_deadline - time.perf_counter())
        if all_steps is not None:
            self.steps_left = int(share * all_steps)
        target = W_STAY * targets.stays + W_REPEAT * targets.repeats
        now = best = self.hard_cost()
        best_seats = [list(s) for s in self.seat]
        step = 0
        stalled = 0
        tabu: dict[tuple[int, int], int] = {}
        while best > target and not self.out_of_time():
            stays_too = self.stays() > targets.stays
            if not stays_too and not self.repeated:
                break
            step += 1
            choice: tuple[int, int, int, int, int] | None = None
            aspiration = best - now
            for r, x in self._conflict_to_break(stays_too):
                if tabu.get((r, x), -1) > step:
                    continue
                move = self.best_move(r, x, tabu=tabu, step=step, aspiration=aspiration)
                if move is not None and (choice is None or move[0] < choice[0]):
                    choice = (move[0], r, x, move[1], move[2])
            if choice is None:
                stalled += 1
                continue
            _, r, x, y, target_table = choice
            self.swap(r, x, y, target_table)
            tenure = 3 + rng.randrange(6)
            tabu[(r, x)] = step + tenure
            if y >= 0:
                tabu[(r, y)] = step + tenure
            now = self.hard_cost()
            if now < best:
                best, stalled = now, 0
                best_seats = [list(s) for s in self.seat]
            else:
                stalled += 1
                if stalled > 300:
                    self._perturb()
                    now = self.hard_cost()
                    stalled = 0
        if self.hard_cost() > best:
            self.reseat(best_seats)
        self.deadline = full_deadline
        if all_steps is not None and self.steps_left is not None:
            self.steps_left = max(0, self.steps_left) + all_steps - int(share * all_steps)

    def _perturb(self) -> None:
        rng, p = self.rng, self.p
        for _ in range(2):
            r = rng.randrange(p.rounds)
            x = rng.choice(self.travellers)
            candidates = self._candidates(r, x)
            if candidates:
                y, target = rng.choice(candidates)
                self.swap(r, x, y, target)

    def reseat(self, seats: Sequence[Sequence[int]]) -> None:
        for r in range(self.p.rounds):
            for x in range(self.p.n):
                if self.seat[r][x] != seats[r][x]:
                    self._unplace(r, x)
        for r in range(self.p.rounds):
            for x in range(self.p.n):
                if self.seat[r][x] < 0:
                    self._place(r, x, seats[r][x])

    def at(self, targets: Targets) -> bool:
        return (
            self.stays() <= targets.stays
            and self.repeats() <= targets.repeats
            and self.org_pairs() <= targets.org_pairs
            and self.gaps() <= targets.gaps
        )

    def polish(self, targets: Targets) -> None:
        """Improving moves for travellers sharing a table with their organisation, group or
        level where another table has fewer, passes until none improves; then, if a bound is
        still out of reach, a tabu search on the whole cost that also takes sideways and
        worsening steps (a single improving swap often does not exist while a chain does)."""
        rng = self.rng
        improved = True
        while improved and not self.at(targets):
            improved = False
            candidates = self._misplaced()
            rng.shuffle(candidates)
            for r, x in candidates:
                if self.out_of_time():
                    return
                move = self.best_move(r, x, hard_only=False)
                if move is not None:
                    _, y, target = move
                    self.swap(r, x, y, target)
                    improved = True
                    if self.at(targets):
                        return
        if not self.at(targets):
            self._tabu_polish(targets)

    def full_cost(self) -> int:
        spread = sum(
            c * (c - 1) // 2 for counts in (*self.group_counts, *self.level_counts) for c in counts
        )
        return self.hard_cost() + W_ORG * self.org_pairs() + W_GAP * self.gaps() + W_SPREAD * spread

    def _focus(self, targets: Targets) -> list[tuple[int, int]]:
        """The travellers to move: those in the first figure still above its bound."""
        stays_above = self.stays() > targets.stays
        if stays_above or self.repeats() > targets.repeats:
            found = self._conflict_to_break(stays_above)
            if found:
                return found
        if self.org_pairs() > targets.org_pairs:
            found = self._misplaced("o")
            if found:
                return found
        if self.gaps() > targets.gaps:
            found = self._misplaced("g")
            if found:
                return found
        return self._misplaced()

    def _best_of(
        self,
        candidates: list[tuple[int, int]],
        tabu: dict[tuple[int, int], int],
        step: int,
        aspiration: int,
    ) -> tuple[int, int, int, int, int] | None:
        """(delta, round, x, y, target) of the cheapest move of one of ``candidates``."""
        choice: tuple[int, int, int, int, int] | None = None
        for r, x in candidates:
            if tabu.get((r, x), -1) > step:
                continue
            move = self.best_move(
                r, x, tabu=tabu, step=step, aspiration=aspiration, hard_only=False
            )
            if move is not None and (choice is None or move[0] < choice[0]):
                choice = (move[0], r, x, move[1], move[2])
        return choice

    def _trajectories_movable(self) -> bool:
        """Whether two travellers may trade all their future seats without changing stays or
        repeats: true unless someone's played rounds make one schedule differ from another."""
        return not any(self.p.played_tables[x] for x in self.travellers)

    def _best_trade(
        self,
        candidates: list[tuple[int, int]],
        tabu: dict[tuple[int, int], int],
        step: int,
        aspiration: int,
    ) -> tuple[int, int, int] | None:
        """(delta, x, y) of the cheapest trade of all future seats between a traveller among
        ``candidates`` and another: who meets whom as a set of schedules stays the same."""
        rounds = self.p.rounds
        best: tuple[int, int, int] | None = None
        for x in {x for _, x in candidates}:
            for y in self._partners(TRADE_PARTNERS):
                if y == x:
                    continue
                delta = self._trade_delta(x, y)
                if delta >= aspiration and any(
                    tabu.get((r, z), -1) > step for r in range(rounds) for z in (x, y)
                ):
                    continue
                if best is None or delta < best[0]:
                    best = (delta, x, y)
        return best

    def _partners(self, most: int) -> Sequence[int]:
        """The travellers a traveller may trade with: all of them, or ``most`` at random."""
        travellers = self.travellers
        return travellers if len(travellers) <= most else self.rng.sample(travellers, most)

    def _trade_delta(self, x: int, y: int) -> int:
        """The change in everything but stays and repeats if x and y trade all future seats."""
        delta = 0
        for r in range(self.p.rounds):
            source, target = self.seat[r][x], self.seat[r][y]
            if source != target:
                delta += self.cheap_delta(r, x, source, y, target)
        return delta

    def _trade(self, x: int, y: int) -> None:
        """x and y trade their seats in every future round."""
        for r in range(self.p.rounds):
            target = self.seat[r][y]
            if self.seat[r][x] != target:
                self.swap(r, x, y, target)

    def _tabu_polish(self, targets: Targets) -> None:
        rng = self.rng
        if not self.travellers:
            return
        trades = self._trajectories_movable()
        now = best = self.full_cost()
        best_seats = [list(s) for s in self.seat]
        tabu: dict[tuple[int, int], int] = {}
        step = stalled = 0
        while not self.at(targets) and not self.out_of_time():
            step += 1
            candidates = self._focus(targets)
            if len(candidates) > POLISH_CANDIDATES:
                candidates = rng.sample(candidates, POLISH_CANDIDATES)
            choice = self._best_of(candidates, tabu, step, best - now)
            trade = self._best_trade(candidates, tabu, step, best - now) if trades else None
            if trade is not None and (choice is None or trade[0] < choice[0]):
                delta, x, y = trade
                self._trade(x, y)
                for r in range(self.p.rounds):
                    tabu[(r, x)] = tabu[(r, y)] = step + 2 + rng.randrange(5)
                now += delta
                if now < best:
                    best, stalled = now, 0
                    best_seats = [list(s) for s in self.seat]
                else:
                    stalled += 1
                continue
            if choice is None:
                # All of them tabu: a few travellers at random, whose move may start the chain.
                wanderers = [
                    (rng.randrange(self.p.rounds), rng.choice(self.travellers))
                    for _ in range(POLISH_WANDERERS)
                ]
                choice = self._best_of(wanderers, tabu, step, best - now)
            if choice is None:
                continue
            delta, r, x, y, target = choice
            self.swap(r, x, y, target)
            now += delta
            tenure = 2 + rng.randrange(5)
            tabu[(r, x)] = step + tenure
            if y >= 0:
                tabu[(r, y)] = step + tenure
            if now < best:
                best, stalled = now, 0
                best_seats = [list(s) for s in self.seat]
            else:
                stalled += 1
                if stalled > 400:  # back to the best seen, shaken a little
                    self.reseat(best_seats)
                    self._perturb()
                    now = self.full_cost()
                    stalled = 0
        if now > best:
            self.reseat(best_seats)

    def _misplaced(self, which: str = "ogl") -> list[tuple[int, int]]:
        """(round, traveller) sitting with more of their organisation (o), group (g) or level
        (l) than another table has, for the kinds in ``which``."""
        p, tables = self.p, self.p.tables
        found: list[tuple[int, int]] = []
        for r in range(p.rounds):
            lows = []
            for kind, counts, kinds, category in (
                ("o", self.org_counts[r], p.org_count, p.org),
                ("g", self.group_counts[r], p.group_count, p.group),
                ("l", self.level_counts[r], p.level_count, p.level),
            ):
                if kind not in which:
                    continue
                low = [min(counts[k * tables : (k + 1) * tables]) for k in range(kinds)]
                lows.append((counts, low, category))
            seat = self.seat[r]
            for x in self.travellers:
                t = seat[x]
                for counts, low, category in lows:
                    k = category[x]
                    if k >= 0 and counts[k * tables + t] - 1 > low[k]:
                        found.append((r, x))
                        break
        return found

    def org_pairs(self) -> int:
        return sum(c * (c - 1) // 2 for counts in self.org_counts for c in counts)

    def gaps(self) -> int:
        p, tables = self.p, self.p.tables
        total = 0
        for counts in self.group_counts:
            for g in range(p.group_count):
                row = counts[g * tables : (g + 1) * tables]
                if any(row):
                    total += row.count(0)
        return total

    def relabel(self, at_targets: Callable[[], bool]) -> None:
        """Improving swaps of who is who (the same two travellers trade places in every round):
        a construction's meetings stay as they are; organisations and groups spread."""
        rng, travellers = self.rng, self.travellers
        improved = True
        while improved and not at_targets():
            improved = False
            order = list(travellers)
            rng.shuffle(order)
            for x in order:
                if self.out_of_time():
                    return
                best_delta, best_y = 0, -1
                for y in self._partners(RELABEL_PARTNERS):
                    if y == x:
                        continue
                    delta = self._trade_delta(x, y)
                    if delta < best_delta:
                        best_delta, best_y = delta, y
                if best_y >= 0:
                    self._trade(x, best_y)
                    improved = True
                    if at_targets():
                        return

    def relabel_tables(self) -> None:
        """Renumber the tables without hosts, round by round, so that as few travellers as
        possible come back to a table number they had: who meets whom, and every other figure,
        stays the same. Kept only when it lowers the count."""
        p, tables = self.p, self.p.tables
        free = [t for t in range(tables) if not self.hosted[t]]
        if len(free) < 2 or p.rounds == 0:
            return
        before = self.all_stays
        seats = [list(s) for s in self.seat]
        earlier: list[set[int]] = [
            set(p.played_tables[x]) if p.played_tables else set() for x in range(p.n)
        ]
        position = {t: i for i, t in enumerate(free)}
        for r in range(p.rounds):
            cost = [[0] * len(free) for _ in free]
            for i, t in enumerate(free):
                for x in self.members[r][t]:
                    if p.host_table[x] < 0:
                        for seen in earlier[x]:
                            j = position.get(seen)
                            if j is not None:
                                cost[i][j] += 1
            assignment = _assign(cost)
            renamed = {t: free[assignment[i]] for i, t in enumerate(free)}
            seat = seats[r]
            for x in range(p.n):
                seat[x] = renamed.get(seat[x], seat[x])
                earlier[x].add(seat[x])
        saved = [list(s) for s in self.seat]
        self.reseat(seats)
        if self.all_stays >= before:
            self.reseat(saved)


def _assign(cost: list[list[int]]) -> list[int]:
    """A permutation ``a`` with the least sum of ``cost[i][a[i]]`` (Hungarian method,
    O(n^3)); past ``EXACT_ASSIGNMENT`` rows, the cheapest free column row by row."""
    size = len(cost)
    if size > EXACT_ASSIGNMENT:
        taken: set[int] = set()
        result = []
        for row in cost:
            j = min((j for j in range(size) if j not in taken), key=row.__getitem__)
            taken.add(j)
            result.append(j)
        return result
    infinity = float("inf")
    u = [0.0] * (size + 1)
    v = [0.0] * (size + 1)
    match = [0] * (size + 1)  # match[j]: the row (1-based) given column j
    way = [0] * (size + 1)
    for i in range(1, size + 1):
        match[0] = i
        j0 = 0
        least = [infinity] * (size + 1)
        used = [False] * (size + 1)
        while True:
            used[j0] = True
            i0, delta, j1 = match[j0], infinity, 0
            for j in range(1, size + 1):
                if not used[j]:
                    reduced = cost[i0 - 1][j - 1] - u[i0] - v[j]
                    if reduced < least[j]:
                        least[j], way[j] = reduced, j0
                    if least[j] < delta:
                        delta, j1 = least[j], j
            for j in range(size + 1):
                if used[j]:
                    u[match[j]] += delta
                    v[j] -= delta
                else:
                    least[j] -= delta
            j0 = j1
            if match[j0] == 0:
                break
        while j0:
            j1 = way[j0]
            match[j0] = match[j1]
            j0 = j1
    result = [0] * size
    for j in range(1, size + 1):
        result[match[j] - 1] = j - 1
    return result
