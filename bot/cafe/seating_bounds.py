"""Lower bounds on the seating figures, for the future rounds of a :class:`Problem`.

Each bound holds for every seating with the problem's table sizes and hosts, so a seating that
reaches one cannot be improved on that figure, and the search stops trying.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Sequence
from functools import cache

from bot.cafe.seating_search import Problem


def repeat_bound(
    problem: Problem,
    played_repeats: int,
    played_meetings: Sequence[int],
    departed_partners: Sequence[int],
    *,
    travellers_move: bool = False,
) -> int:
    """The fewest extra meetings over all rounds, played ones (``played_repeats``) included.
    With ``travellers_move``, the fewest among seatings where no traveller comes back, in a
    future round, to a hosted table they sat at before.

    An extra meeting is a pair meeting in a round after one where they met; it belongs to that
    round, so the figure is the sum over rounds, and pairs of two hosts, of a host and a
    traveller, and of two travellers can be counted apart. The largest of these holds:

    - Counting: x meets (table size - 1) people a round and can meet at most n - 1 present
      people plus the departed ones it met, so each meeting beyond that repeats (shared by
      two people).
    - Hosts of one table meet again every future round (pairs met in played rounds from the
      first one on).
    - Host-traveller (all tables hosted): a traveller meets a host again on every visit past
      the tables whose hosts it has not met; plus the traveller pairs of the pigeonhole below.
    - Pigeonhole (:func:`_previous_table_pairs`): the travellers at a table in a round came
      from the previous round's tables; two from the same table met there, a host's table
      brings them back to its hosts.
    """
    n, tables, future = problem.n, problem.tables, problem.rounds
    host_table = problem.host_table
    excess = 0
    for x in range(n):
        meetings = played_meetings[x]
        for capacities in problem.capacities:
            own = host_table[x]
            meetings += (capacities[own] if own >= 0 else min(capacities)) - 1
        excess += max(0, meetings - (n - 1 + departed_partners[x]))
    counting = (excess + 1) // 2

    hosts_at: list[list[int]] = [[] for _ in range(tables)]
    for x in range(n):
        if host_table[x] >= 0:
            hosts_at[host_table[x]].append(x)
    meets = problem.base_meets
    host_pairs = 0
    for hosts in hosts_at:
        for i, h in enumerate(hosts):
            for k in hosts[i + 1 :]:
                host_pairs += future - (meets[h * n + k] == 0)
    host_visits = 0
    if future and all(hosts_at):
        for x in range(n):
            if host_table[x] < 0:
                row = meets[x * n : (x + 1) * n]
                met = (
                    {host_table[h] for h, count in enumerate(row) if count and host_table[h] >= 0}
                    if row.count(0) < n
                    else set()
                )
                host_visits += max(0, future - (tables - len(met)))
    travellers_only = sum(
        _previous_table_pairs(problem, r, with_hosts=False, travellers_move=travellers_move)
        for r in range(future)
    )
    with_hosts = sum(
        _previous_table_pairs(problem, r, with_hosts=True, travellers_move=travellers_move)
        for r in range(future)
    )
    future_bound = host_pairs + max(host_visits + travellers_only, with_hosts)
    return max(counting, played_repeats + future_bound)


def _table_levels(problem: Problem) -> tuple[int, int]:
    """(L, E): balanced sizes give every table max(hosts, L) seats, and E of the tables with
    at most L hosts one more (water-filling, as the planner sizes tables)."""
    hosts = problem.hosts_per_table()
    level = 0
    while sum(max(h, level + 1) for h in hosts) <= problem.n:
        level += 1
    return level, problem.n - sum(max(h, level) for h in hosts)


def _previous_table_pairs(
    problem: Problem, round_index: int, *, with_hosts: bool, travellers_move: bool
) -> int:
    """Least extra meetings in future round ``round_index`` among travellers who sat at one
    table in the round before (and, ``with_hosts``, between them and hosts they sat with).

    Proof: the k travellers at table t came from the previous round's tables, n_u from table
    u (joiners from none). Two from one table met there, so the round has at least
    sum_u C(n_u, 2) traveller repeats at t, plus n_u * a_u host repeats where a_u of t's hosts
    sat at u. Adding the travellers one at a time, each to the group where it adds least
    (n_u + a_u), minimises that convex sum; a group holds at most the travellers it had
    (played round) and, with ``travellers_move``, none from t when t has a host. Tables are
    then added up with the sizes chosen as cheaply as balance allows. Each table is minimised
    on its own, which only lowers the total, so the sum is a bound.
    """
    tables, host_table = problem.tables, problem.host_table
    hosts = problem.hosts_per_table()
    joiners = 0
    came_from = [[0] * tables for _ in range(tables)]  # came_from[t][u]: t's hosts at u before
    if round_index == 0:
        if not any(table >= 0 for table in problem.last_played_table):
            return 0  # nothing before the first round
        limit = [0] * tables
        for x, before in enumerate(problem.last_played_table):
            if host_table[x] >= 0:
                if before >= 0:
                    came_from[host_table[x]][before] += 1
            elif before >= 0:
                limit[before] += 1
            else:
                joiners += 1
    else:
        return _later_round_pairs(problem, with_hosts=with_hosts, travellers_move=travellers_move)

    def least(t: int, k: int, move: bool) -> int:
        heap = [(0, 0, -1)] if joiners else []  # (marginal cost, members, group)
        for u in range(tables):
            if limit[u] and not (move and hosts[t] and u == t):
                heap.append((came_from[t][u] if with_hosts else 0, 0, u))
        heapq.heapify(heap)
        total = 0
        for _ in range(k):
            if not heap:  # moving is impossible here: bound the table without that rule
                return least(t, k, False) if move else total
            cost, members, u = heapq.heappop(heap)
            total += cost
            members += 1
            if u < 0:
                if members < joiners:
                    heapq.heappush(heap, (0, members, u))
            elif members < limit[u]:
                heapq.heappush(heap, (cost + 1, members, u))
        return total

    return _sum_over_tables(problem, lambda t, k: least(t, k, travellers_move))


def _sum_over_tables(problem: Problem, least: Callable[[int, int], int]) -> int:
    """The least sum of ``least(t, travellers at t)`` over the sizes balance allows."""
    hosts = problem.hosts_per_table()
    level, extra = _table_levels(problem)
    base = 0
    steps = []
    for t in range(problem.tables):
        if hosts[t] > level:
            continue
        low = least(t, level - hosts[t])
        base += low
        steps.append(least(t, level + 1 - hosts[t]) - low)
    return base + sum(heapq.nsmallest(extra, steps))


def _later_round_pairs(problem: Problem, *, with_hosts: bool, travellers_move: bool) -> int:
    """:func:`_previous_table_pairs` for a round after a planned one: the k travellers at t
    come from the T - 1 other tables (no limit counted) or from t itself, where its hosts
    sat; with j from t, the rest spread evenly over the others."""
    tables = problem.tables
    hosts = problem.hosts_per_table()

    def even(k: int, groups: int) -> int:
        q, rest = divmod(k, groups)
        return groups * q * (q - 1) // 2 + rest * q

    @cache
    def least_for(k: int, own_hosts: int) -> int:
        if tables == 1:
            return k * (k - 1) // 2 + (own_hosts * k if with_hosts else 0)
        if travellers_move and own_hosts:
            return even(k, tables - 1)
        offset = own_hosts if with_hosts else 0
        return min(j * (j - 1) // 2 + offset * j + even(k - j, tables - 1) for j in range(k + 1))

    return _sum_over_tables(problem, lambda t, k: least_for(k, hosts[t]))


def stay_bound(problem: Problem) -> int:
    """Travellers back at a table they sat at before, in future rounds: at least the rounds a
    traveller has left beyond the tables it has not sat at yet; and from one round to the
    next, a table that must hold k and k' travellers keeps k + k' - m of the m travellers
    (the larger of the two counts)."""
    tables, future = problem.tables, problem.rounds
    travellers = [x for x in range(problem.n) if problem.host_table[x] < 0]
    played = problem.played_tables or [()] * problem.n
    per_traveller = sum(max(0, future - (tables - len(set(played[x])))) for x in travellers)
    hosts = problem.hosts_per_table()
    level, _ = _table_levels(problem)
    fewest = [max(0, level - h) if h <= level else 0 for h in hosts]
    before = [0] * tables
    for x in travellers:
        if problem.last_played_table and problem.last_played_table[x] >= 0:
            before[problem.last_played_table[x]] += 1
    per_table = 0
    for r in range(future):
        previous = before if r == 0 else fewest
        per_table += sum(max(0, previous[t] + fewest[t] - len(travellers)) for t in range(tables))
    return max(per_traveller, per_table)


def _fewest_pairs(fixed: list[int], more: int) -> int:
    """Same-kind pairs when ``more`` people join tables already holding ``fixed`` of the kind:
    each joins the table with fewest, which no other placement beats."""
    heap = list(fixed)
    heapq.heapify(heap)
    for _ in range(more):
        heapq.heapreplace(heap, heap[0] + 1)
    return sum(c * (c - 1) // 2 for c in heap)


def org_pair_bound(problem: Problem) -> int:
    """Same-organisation pairs in the future rounds: per round and organisation of k people
    over T tables, with q = k div T and r = k mod T, at least r*C(q+1, 2) + (T-r)*C(q, 2),
    and more where hosts of the organisation already crowd a table."""
    tables = problem.tables
    hosted = [[0] * tables for _ in range(problem.org_count)]
    travellers = [0] * problem.org_count
    for x, org in enumerate(problem.org):
        if org < 0:
            continue
        if problem.host_table[x] >= 0:
            hosted[org][problem.host_table[x]] += 1
        else:
            travellers[org] += 1
    per_round = sum(_fewest_pairs(hosted[o], travellers[o]) for o in range(problem.org_count))
    return per_round * problem.rounds


def gap_bound(problem: Problem) -> int:
    """Table-group gaps in the future rounds (a stakeholder group present in the round but
    absent from a table): a group reaches at most its hosts' tables plus one table per
    traveller, and a table holds at most as many groups as seats."""
    tables = problem.tables
    hosted_tables: list[set[int]] = [set() for _ in range(problem.group_count)]
    travellers = [0] * problem.group_count
    for x, group in enumerate(problem.group):
        if group < 0:
            continue
        if problem.host_table[x] >= 0:
            hosted_tables[group].add(problem.host_table[x])
        else:
            travellers[group] += 1
    present = [g for g in range(problem.group_count) if hosted_tables[g] or travellers[g]]
    reach = sum(min(tables, len(hosted_tables[g]) + travellers[g]) for g in present)
    total = 0
    for capacities in problem.capacities:
        room = sum(min(size, len(present)) for size in capacities)
        total += tables * len(present) - min(reach, room)
    return total
