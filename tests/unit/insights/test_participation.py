"""Participation inequality on hand-computed cases, and its bounds on generated ones."""

from __future__ import annotations

import random
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.insights.participation import (
    ABSENCE_FACTOR,
    CONTRIBUTIONS,
    ELEPHANT_FACTOR,
    GINI,
    GIVE_RATIO,
    GIVEN,
    MEMBERS,
    RECEIVED,
    SHARE_SILENT,
    TOP1_SHARE,
    TOP10_SHARE,
    absence_factor,
    community_measures,
    elephant_factor,
    gini,
    group_measures,
    lorenz,
    member_measures,
    scope_measures,
    share_silent,
    thin_curve,
    top_count,
    top_share,
)
from bot.insights.values import Activity, Measure, Person, Scope

SMALL = settings(max_examples=150, deadline=None)
counts = st.lists(st.integers(0, 1000), min_size=1, max_size=40)
some_given = counts.filter(lambda values: sum(values) > 0)


# --- Gini ------------------------------------------------------------------------------------


@pytest.mark.parametrize("values", [[5], [5, 5], [3, 3, 3, 3], [1] * 100])
def test_gini_of_equal_shares_is_0(values: list[int]) -> None:
    assert gini(values) == 0


@pytest.mark.parametrize("n", [1, 2, 3, 10, 1000])
def test_gini_of_one_person_holding_everything_is_n_minus_1_over_n(n: int) -> None:
    assert gini([0] * (n - 1) + [7]) == pytest.approx((n - 1) / n)


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        # sorted 1, 2, 3; weights 2i - n - 1 = -2, 0, 2: (-2 + 0 + 6) / (3 * 6) = 4/18
        ([3, 1, 2], 2 / 9),
        # sorted 0, 1, 2, 3; weights -3, -1, 1, 3: (0 - 1 + 2 + 9) / (4 * 6) = 10/24
        ([0, 1, 2, 3], 5 / 12),
        # sorted 0, 0, 1, 3; weights -3, -1, 1, 3: (0 + 0 + 1 + 9) / (4 * 4) = 10/16
        ([3, 0, 1, 0], 5 / 8),
        # sorted 2, 2, 4; weights -2, 0, 2: (-4 + 0 + 8) / (3 * 8) = 4/24
        ([2, 4, 2], 1 / 6),
    ],
)
def test_gini_of_small_hand_computed_cases(values: list[int], expected: float) -> None:
    assert gini(values) == pytest.approx(expected)


@pytest.mark.parametrize("values", [[], [0], [0, 0, 0]])
def test_gini_is_undefined_when_nobody_gave(values: list[int]) -> None:
    assert gini(values) is None


def test_negative_contributions_are_refused() -> None:
    with pytest.raises(ValueError):
        gini([3, -1])
    with pytest.raises(ValueError):
        absence_factor([-2])


@SMALL
@given(some_given)
def test_gini_is_in_0_1_and_is_half_the_mean_absolute_difference(values: list[int]) -> None:
    n, total = len(values), sum(values)
    # The plain form equals sum over all pairs |x_i - x_j| / (2 n S): an independent check.
    pairs = sum(abs(a - b) for a in values for b in values)
    found = gini(values)
    assert found is not None
    assert 0 <= found <= (n - 1) / n
    assert found == pytest.approx(pairs / (2 * n * total))


@SMALL
@given(some_given, st.randoms(use_true_random=False))
def test_gini_ignores_order(values: list[int], shuffler: random.Random) -> None:
    shuffled = values[:]
    shuffler.shuffle(shuffled)
    assert gini(shuffled) == pytest.approx(gini(values))


@SMALL
@given(some_given, st.integers(1, 1000))
def test_gini_ignores_scale(values: list[int], factor: int) -> None:
    assert gini([factor * x for x in values]) == pytest.approx(gini(values))
    assert gini([x / factor for x in values]) == pytest.approx(gini(values))


# --- Lorenz ----------------------------------------------------------------------------------


def test_lorenz_of_a_small_case() -> None:
    # sorted 0, 1, 3 (sum 4): cumulative 0, 0, 1, 4 over people 0, 1/3, 2/3, 1
    assert lorenz([3, 0, 1]) == [(0.0, 0.0), (1 / 3, 0.0), (2 / 3, 0.25), (1.0, 1.0)]


def test_lorenz_is_empty_when_nobody_gave() -> None:
    assert lorenz([]) == []
    assert lorenz([0, 0]) == []


@SMALL
@given(some_given)
def test_lorenz_runs_from_0_to_1_rising_and_under_the_diagonal(values: list[int]) -> None:
    points = lorenz(values)
    assert len(points) == len(values) + 1
    assert points[0] == (0.0, 0.0)
    assert points[-1] == (1.0, 1.0)
    for (x0, y0), (x1, y1) in pairwise(points):
        assert x0 < x1
        assert y0 <= y1
    assert all(y <= x + 1e-12 for x, y in points)


def test_thinning_keeps_a_short_curve_whole() -> None:
    points = lorenz([1, 2, 3])
    assert thin_curve(points) == points


def assert_thinned(
    points: list[tuple[float, float]], thinned: list[tuple[float, float]], max_points: int
) -> None:
    assert len(thinned) <= max_points
    assert thinned[0] == points[0]
    assert thinned[-1] == points[-1]
    # A subset of the points, in order.
    positions = [points.index(point) for point in thinned]
    assert positions == sorted(set(positions))
    # Every dropped point lies within 1/k, in each coordinate, of the kept one before it.
    cells = (max_points - 2) // 2
    kept = set(thinned)
    anchor = points[0]
    for point in points:
        if point in kept:
            anchor = point
        assert point[0] - anchor[0] < 1 / cells
        assert point[1] - anchor[1] < 1 / cells


# Mostly small counts and a few very large ones, as in a real community.
heavy_tailed = st.lists(
    st.one_of(st.integers(0, 5), st.integers(0, 5), st.integers(0, 10_000)),
    min_size=1,
    max_size=3000,
).filter(lambda values: sum(values) > 0)


@SMALL
@given(heavy_tailed, st.integers(4, 60))
def test_thinning_keeps_the_shape(values: list[int], max_points: int) -> None:
    points = lorenz(values)
    thinned = thin_curve(points, max_points)
    if len(points) <= max_points:
        assert thinned == points
    else:
        assert_thinned(points, thinned, max_points)


def test_thinning_a_large_community_to_200_points() -> None:
    chooser = random.Random(15)
    # 10,000 people: 70% silent, the rest heavy-tailed.
    values = [0] * 7000 + [int(chooser.paretovariate(1.2)) for _ in range(3000)]
    points = lorenz(values)
    thinned = thin_curve(points)
    assert_thinned(points, thinned, 200)
    # The end of the silent run (share 0.7 of people, nothing given) is kept within a column.
    flat_end = max(x for x, y in thinned if y == 0)
    assert 0.7 - 1 / 99 < flat_end <= 0.7


def test_thinning_needs_room_for_both_ends() -> None:
    with pytest.raises(ValueError):
        thin_curve(lorenz(list(range(10))), 3)


# --- Silence, top shares, absence factor ------------------------------------------------------


def test_share_silent() -> None:
    assert share_silent([0, 0, 1, 5]) == 0.5
    assert share_silent([0]) == 1.0
    assert share_silent([2]) == 0.0
    assert share_silent([]) is None


@pytest.mark.parametrize(
    ("n", "percent", "expected"),
    [(0, 1, 1), (5, 1, 1), (100, 1, 1), (101, 1, 2), (300, 1, 3), (300, 10, 30), (11, 10, 2)],
)
def test_top_count_rounds_up_and_is_at_least_1(n: int, percent: int, expected: int) -> None:
    assert top_count(n, percent) == expected


def test_top_shares_of_a_hand_computed_case() -> None:
    # 20 people, total 100: top 1% is ceil(0.2) = 1 person (50), top 10% is 2 people (50 + 20).
    values = [5, 50, 0, 10, 5, 20, 5, 5] + [0] * 12
    assert top_share(values, 1) == 0.5
    assert top_share(values, 10) == 0.7
    # 101 people giving 1 each and one giving 99 more (total 200): top 1% is 2 people (100 + 1).
    assert top_share([1] * 100 + [100], 1) == pytest.approx(101 / 200)


def test_top_shares_are_undefined_when_nobody_gave() -> None:
    assert top_share([0, 0], 10) is None
    assert top_share([], 1) is None


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([10, 10, 10, 10], 2),  # half of 40 is 20: two people
        ([20, 50, 30], 1),  # 50 is half of 100: one person
        ([21, 49, 30], 2),  # 49 < 50, 49 + 30 = 79
        ([1, 1, 1, 1, 1], 3),  # half of 5 is 2.5: three people
        ([0, 0, 0, 9], 1),
        ([1, 0, 0, 1], 1),  # half of 2 is 1: one person
    ],
)
def test_absence_factor_of_hand_computed_cases(values: list[int], expected: int) -> None:
    assert absence_factor(values) == expected


def test_absence_factor_is_undefined_when_nobody_gave() -> None:
    assert absence_factor([0, 0]) is None
    assert absence_factor([]) is None


@SMALL
@given(some_given)
def test_absence_factor_is_the_fewest_people_making_half(values: list[int]) -> None:
    factor = absence_factor(values)
    assert factor is not None
    assert 1 <= factor <= len(values)
    # No smaller set of people makes half: the factor - 1 largest fall short.
    descending = sorted(values, reverse=True)
    assert 2 * sum(descending[:factor]) >= sum(values)
    assert 2 * sum(descending[: factor - 1]) < sum(values)


@SMALL
@given(some_given)
def test_top_10_share_is_at_least_top_1_share(values: list[int]) -> None:
    top1, top10 = top_share(values, 1), top_share(values, 10)
    assert top1 is not None
    assert top10 is not None
    assert 0 < top1 <= top10 <= 1


# --- Measures over people ---------------------------------------------------------------------

ANA, BEN, CAS, DEV, EVA = 10**17 + 1, 10**17 + 2, 10**17 + 3, 10**17 + 4, 10**17 + 5
OUTSIDER = 10**17 + 99
PEOPLE = [
    Person(ANA, "Alpha", "farmers", "local"),
    Person(BEN, "Alpha", "farmers", "national"),
    Person(CAS, "Beta", "researchers", "local"),
    Person(DEV, "Gamma", None, None),
    Person(EVA, None, "researchers", "local"),
]
ACTIVITY = {
    ANA: Activity(messages=8, replies=3, notes=2, replies_received=4, reactions_received=1),
    BEN: Activity(harvest_items=5),
    CAS: Activity(messages=10, reactions_received=10),
    # DEV did nothing: no entry.
    EVA: Activity(replies_received=2),
    # Not present (opted out): ignored everywhere.
    OUTSIDER: Activity(messages=1000),
}
# given: ANA 8 + 2 = 10, BEN 5, CAS 10, DEV 0, EVA 0 (total 25)
# received: ANA 4 + 1 = 5, BEN 0, CAS 10, DEV 0, EVA 2


def test_member_measures() -> None:
    def member(user_id: int, metric: str, value: float | None) -> Measure:
        return Measure(Scope.MEMBER, str(user_id), metric, value, 1)

    assert member_measures(PEOPLE, ACTIVITY) == [
        member(ANA, GIVEN, 10),
        member(ANA, RECEIVED, 5),
        member(ANA, GIVE_RATIO, 10 / 15),
        member(BEN, GIVEN, 5),
        member(BEN, RECEIVED, 0),
        member(BEN, GIVE_RATIO, 1.0),
        member(CAS, GIVEN, 10),
        member(CAS, RECEIVED, 10),
        member(CAS, GIVE_RATIO, 0.5),
        member(DEV, GIVEN, 0),
        member(DEV, RECEIVED, 0),
        member(DEV, GIVE_RATIO, None),
        member(EVA, GIVEN, 0),
        member(EVA, RECEIVED, 2),
        member(EVA, GIVE_RATIO, 0.0),
    ]


def test_community_measures() -> None:
    # given sorted 0, 0, 5, 10, 10 (S = 25); weights -4, -2, 0, 2, 4: (0 + 0 + 0 + 20 + 40) / 125
    # top 1% and 10%: 1 person, 10 of 25; absence: 10 + 10 = 20 >= 12.5 -> 2 people
    # organisations: Alpha 15, Beta 10, Gamma 0 (EVA has none): 15 >= 12.5 -> 1, from 4 people
    def community(metric: str, value: float | None, n: int = 5) -> Measure:
        return Measure(Scope.COMMUNITY, "", metric, value, n)

    found = community_measures(PEOPLE, ACTIVITY)
    assert found == [
        community(MEMBERS, 5),
        community(CONTRIBUTIONS, 25),
        community(GINI, 60 / 125),
        community(SHARE_SILENT, 0.4),
        community(TOP1_SHARE, 0.4),
        community(TOP10_SHARE, 0.4),
        community(ABSENCE_FACTOR, 2),
        community(ELEPHANT_FACTOR, 1, 4),
    ]


def test_community_measures_when_nobody_gave() -> None:
    found = community_measures(PEOPLE[:2], {})
    assert [(m.metric, m.value, m.n) for m in found] == [
        (MEMBERS, 2, 2),
        (CONTRIBUTIONS, 0, 2),
        (GINI, None, 2),
        (SHARE_SILENT, 1.0, 2),
        (TOP1_SHARE, None, 2),
        (TOP10_SHARE, None, 2),
        (ABSENCE_FACTOR, None, 2),
        (ELEPHANT_FACTOR, None, 2),
    ]


def test_elephant_factor_leaves_people_without_an_organisation_out() -> None:
    people = [
        Person(1, "A"),
        Person(2, "A"),
        Person(3, "B"),
        Person(4, "C"),
        Person(5, None),
    ]
    activity = {
        1: Activity(messages=10),
        2: Activity(messages=5),
        3: Activity(messages=10),
        4: Activity(messages=6),
        5: Activity(messages=100),
    }
    # A 15, B 10, C 6 (total 31; person 5's 100 left out): 2 * 15 = 30 < 31, 15 + 10 -> 2
    assert elephant_factor(people, activity) == 2
    assert elephant_factor([Person(5, None)], activity) is None


def test_group_measures() -> None:
    def group(scope: Scope, name: str, n: int, *values: float | None) -> list[Measure]:
        metrics = (GIVEN, RECEIVED, GIVE_RATIO, SHARE_SILENT)
        return [
            Measure(scope, name, metric, value, n)
            for metric, value in zip(metrics, values, strict=True)
        ]

    assert group_measures(PEOPLE, ACTIVITY) == [
        # Alpha: ANA + BEN given 15, received 5; nobody silent
        *group(Scope.ORGANISATION, "Alpha", 2, 15, 5, 0.75, 0.0),
        *group(Scope.ORGANISATION, "Beta", 1, 10, 10, 0.5, 0.0),
        # Gamma: DEV did nothing: ratio undefined, everyone silent
        *group(Scope.ORGANISATION, "Gamma", 1, 0, 0, None, 1.0),
        *group(Scope.STAKEHOLDER, "farmers", 2, 15, 5, 0.75, 0.0),
        # researchers: CAS (10 given, 10 received) and EVA (0, 2): 10 / 22; EVA silent
        *group(Scope.STAKEHOLDER, "researchers", 2, 10, 12, 10 / 22, 0.5),
        # local: ANA, CAS, EVA: given 20, received 17
        *group(Scope.LEVEL, "local", 3, 20, 17, 20 / 37, 1 / 3),
        *group(Scope.LEVEL, "national", 1, 5, 0, 1.0, 0.0),
    ]


def test_scope_measures_of_one_scope() -> None:
    assert [(m.group, m.metric, m.value) for m in scope_measures(Scope.LEVEL, PEOPLE, {})] == [
        ("local", GIVEN, 0),
        ("local", RECEIVED, 0),
        ("local", GIVE_RATIO, None),
        ("local", SHARE_SILENT, 1.0),
        ("national", GIVEN, 0),
        ("national", RECEIVED, 0),
        ("national", GIVE_RATIO, None),
        ("national", SHARE_SILENT, 1.0),
    ]


@SMALL
@given(
    st.lists(st.tuples(st.sampled_from("ABC"), st.integers(0, 20), st.integers(0, 20)), min_size=1)
)
def test_group_totals_add_up_to_the_community(rows: list[tuple[str, int, int]]) -> None:
    people = [Person(index, organisation) for index, (organisation, _, _) in enumerate(rows)]
    activity = {
        index: Activity(messages=given, reactions_received=received)
        for index, (_, given, received) in enumerate(rows)
    }
    found = scope_measures(Scope.ORGANISATION, people, activity)
    totals = {m.metric: 0.0 for m in found}
    for measure in found:
        if measure.metric in (GIVEN, RECEIVED) and measure.value is not None:
            totals[measure.metric] += measure.value
    assert totals.get(GIVEN, 0) == sum(given for _, given, _ in rows)
    assert totals.get(RECEIVED, 0) == sum(received for _, _, received in rows)
    assert sum(m.n for m in found if m.metric == GIVEN) == len(rows)
    community = {m.metric: m.value for m in community_measures(people, activity)}
    assert community[CONTRIBUTIONS] == sum(given for _, given, _ in rows)
    silent = sum(1 for _, given, _ in rows if given == 0)
    assert community[SHARE_SILENT] == silent / len(rows)
