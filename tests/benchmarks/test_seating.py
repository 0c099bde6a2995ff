"""The seating planner's speed and quality, each figure next to random seating of the same
instance (balanced sizes, hosts fixed) in the same run.

Instances: 1000 people (100 hosts) at 100 tables for 4 rounds with Zipf-sized organisations;
the Social Golfer instance 8-4-w; a tight hosted café of 100 people at 10 tables.
"""

from __future__ import annotations

import random
import time
import tracemalloc

from bot.cafe.seating import Person, Seating, SeatingRequest, assess, plan_seating


def zipf_community(people: int, organisations: int, groups: int, seed: int) -> tuple[Person, ...]:
    rng = random.Random(seed)
    weights = [1 / (rank + 1) for rank in range(organisations)]
    return tuple(
        Person(
            id=10**17 + i,
            organisation=f"org{rng.choices(range(organisations), weights)[0]}",
            stakeholder=f"group{rng.randrange(groups)}",
            level=rng.choice(["local", "intermediate", "national", "international"]),
        )
        for i in range(people)
    )


def random_seating(request: SeatingRequest) -> Seating:
    """The baseline: hosts at their tables, travellers shuffled into balanced tables."""
    rng = random.Random(request.seed)
    rounds = []
    for _ in range(request.rounds):
        tables: list[list[int]] = [[] for _ in range(request.tables)]
        for host, table in request.hosts.items():
            tables[table].append(host)
        travellers = [p.id for p in request.people if p.id not in request.hosts]
        rng.shuffle(travellers)
        for pid in travellers:
            min(tables, key=len).append(pid)
        rounds.append(tuple(tuple(sorted(table)) for table in tables))
    return Seating(tuple(rounds))


def report(name: str, request: SeatingRequest) -> None:
    began = time.perf_counter()
    seating = plan_seating(request)
    elapsed = time.perf_counter() - began
    tracemalloc.start()
    plan_seating(request)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    planned = assess(request, seating)
    baseline = assess(request, random_seating(request))
    print(
        f"\n{name}: planned in {elapsed:.3f} s (budget {request.time_budget} s), "
        f"peak memory {peak / 2**20:.1f} MiB"
    )
    print(f"  {'figure':<28}{'planner':>9}{'bound':>9}{'random':>9}")
    for figure, value, bound, random_value in (
        (
            "travellers staying",
            planned.travellers_staying,
            planned.travellers_staying_bound,
            baseline.travellers_staying,
        ),
        ("repeat pairs", planned.repeat_pairs, planned.repeat_pairs_bound, baseline.repeat_pairs),
        (
            "same-organisation pairs",
            planned.same_org_pairs,
            planned.same_org_pairs_bound,
            baseline.same_org_pairs,
        ),
        (
            "stakeholder gaps",
            planned.tables_missing_stakeholder,
            planned.tables_missing_stakeholder_bound,
            baseline.tables_missing_stakeholder,
        ),
        ("size spread", planned.size_spread, 0, baseline.size_spread),
    ):
        print(f"  {figure:<28}{value:>9}{bound:>9}{random_value:>9}")
    assert planned.size_spread <= 1
    assert planned.travellers_staying <= baseline.travellers_staying
    assert planned.repeat_pairs <= baseline.repeat_pairs


def test_thousand_people_at_a_hundred_tables() -> None:
    people = zipf_community(1000, 50, 4, seed=1)
    hosts = {person.id: table for table, person in enumerate(people[:100])}
    report(
        "N=1000, 100 hosts, 100 tables, 4 rounds, 50 Zipf organisations, 4 groups",
        SeatingRequest(people, 100, 4, hosts=hosts, time_budget=0.5),
    )


def test_social_golfer_8_4() -> None:
    golfers = tuple(Person(i) for i in range(32))
    for weeks in (8, 9, 10):
        report(f"Social Golfer 8-4-{weeks}", SeatingRequest(golfers, 8, weeks, time_budget=10))


def test_hosted_hundred_at_ten_tables() -> None:
    people = zipf_community(100, 12, 4, seed=2)
    hosts = {person.id: table for table, person in enumerate(people[:10])}
    report(
        "100 people, 10 tables, 10 hosts, 4 rounds",
        SeatingRequest(people, 10, 4, hosts=hosts, time_budget=2),
    )
