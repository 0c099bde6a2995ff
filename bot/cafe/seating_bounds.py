"""Lower bounds on the seating figures, for the future rounds of a :class:`Problem`.

Each bound holds for every seating with the problem's table sizes and hosts, so a seating that
reaches one cannot be improved on that figure, and the search stops trying.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence

from bot.cafe.seating_search import Problem


def repeat_bound(
    problem: Problem,
    played_repeats: int,
    played_meetings: Sequence[int],
    departed_partners: Sequence[int],
) -> int:
    """The fewest extra meetings over all rounds, played ones (``played_repeats``) included.

    Counting: x meets (table size - 1) people a round and can meet at most n - 1 present people
    plus the departed ones it met, so each meeting beyond that repeats (shared by two people).
    Hosts: a traveller meets a host again on any visit to a table past the tables whose hosts
    it has not met; hosts sharing a table meet every round.
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
    structural = played_repeats
    meets = problem.base_meets
    for hosts in hosts_at:
        for i, h in enumerate(hosts):
            for k in hosts[i + 1 :]:
                structural += future - (meets[h * n + k] == 0)
    if future and all(hosts_at):
        for x in range(n):
            if host_table[x] < 0:
                fresh = sum(1 for hosts in hosts_at if not any(meets[x * n + h] for h in hosts))
                structural += max(0, future - fresh)
    return max(played_repeats, counting, structural)


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
    hosted_tables = [set() for _ in range(problem.group_count)]
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
