"""The E-I index per group, its value under random mixing, the permutation test and the silo
verdict."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from random import Random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.insights.silos import (
    EI_EXPECTED,
    EI_INDEX,
    EI_P_VALUE,
    EXTERNAL_EDGES,
    INTERNAL_EDGES,
    GroupMixing,
    ei_expected,
    ei_index,
    group_mixing,
    is_silo,
    mixing_measures,
)
from bot.insights.values import Measure, Person, Reply, Scope


def by_organisation(person: Person) -> str | None:
    return person.organisation


def people_in(groups: Mapping[int, str | None]) -> list[Person]:
    return [Person(user_id, organisation=group) for user_id, group in groups.items()]


def mixing_of(
    people: list[Person],
    replies: list[Reply],
    group_of: Callable[[Person], str | None] = by_organisation,
    **options: int,
) -> dict[str, GroupMixing]:
    return {m.group: m for m in group_mixing(people, replies, group_of, **options)}


def test_a_closed_group_has_minus_one_and_an_open_group_plus_one() -> None:
    people = people_in({1: "closed", 2: "closed", 3: "closed", 4: "open", 5: None})
    replies = [Reply(1, 2, 2), Reply(2, 3, 1), Reply(3, 1, 1), Reply(4, 5, 3), Reply(5, 4, 1)]
    found = mixing_of(people, replies)
    # closed: I = 2 + 1 + 1 = 4, E = 0 -> -4/4; open: I = 0, E = 3 + 1 (with 5, in no group)
    assert (found["closed"].internal, found["closed"].external) == (4, 0)
    assert found["closed"].ei_index == -1.0
    assert (found["open"].internal, found["open"].external) == (0, 4)
    assert found["open"].ei_index == 1.0


# a, b, c in X; d, e in Y; f in no group.
MIXED_PEOPLE = people_in({1: "X", 2: "X", 3: "X", 4: "Y", 5: "Y", 6: None})
MIXED_REPLIES = [
    Reply(1, 2, 2),  # X internal
    Reply(1, 4, 1),  # X-Y: external for both
    Reply(5, 3, 3),  # Y-X: external for both
    Reply(6, 1, 1),  # no group -> X: external for X
    Reply(4, 5, 4),  # Y internal
    Reply(6, 6, 9),  # a self-reply: dropped
    Reply(1, 77, 5),  # to someone not present: dropped
]


def test_a_mixed_case_by_hand() -> None:
    found = mixing_of(MIXED_PEOPLE, MIXED_REPLIES)
    # X: I = 2, E = 1 + 3 + 1 = 5 -> (5 - 2) / 7 = 3/7
    assert (found["X"].size, found["X"].internal, found["X"].external) == (3, 2, 5)
    assert found["X"].ei_index == pytest.approx(3 / 7)
    # Y: I = 4, E = 1 + 3 = 4 -> 0
    assert (found["Y"].size, found["Y"].internal, found["Y"].external) == (2, 4, 4)
    assert found["Y"].ei_index == 0.0


def test_the_expected_value_by_hand() -> None:
    # N = 6. X, g = 3: internal pairs 3*2 = 6, external 2*3*3 = 18 -> (18 - 6) / 24 = 0.5
    # Y, g = 2: internal 2*1 = 2, external 2*2*4 = 16 -> 14 / 18 = 7/9
    found = mixing_of(MIXED_PEOPLE, MIXED_REPLIES)
    assert found["X"].ei_expected == pytest.approx(0.5)
    assert found["Y"].ei_expected == pytest.approx(7 / 9)
    assert ei_expected(3, 6) == pytest.approx(0.5)
    # One person can only reach out; the whole community can only stay inside; nobody: None.
    assert ei_expected(1, 6) == 1.0
    assert ei_expected(6, 6) == -1.0
    assert ei_expected(1, 1) is None


def test_every_possible_pair_replying_once_gives_exactly_the_expected_value() -> None:
    groups = {1: "X", 2: "X", 3: "Y", 4: "Y", 5: "Y", 6: None}
    replies = [Reply(s, t) for s in groups for t in groups if s != t]
    found = mixing_of(people_in(groups), replies)
    for mixing in found.values():
        assert mixing.ei_index == pytest.approx(mixing.ei_expected)


def test_the_expected_value_is_the_mean_when_each_reply_picks_a_random_pair() -> None:
    # Monte Carlo: 20 replies, each an ordered pair drawn uniformly among N = 6 people; a group
    # of g = 2 (people 0 and 1). The mean E-I over the draws where the group has an edge is the
    # formula's value (given E + I, each edge is internal with probability 2 / (2 + 16)).
    rng = np.random.default_rng(7)
    draws, replies, population = 40_000, 20, 6
    source = rng.integers(0, population, (draws, replies))
    target = (source + rng.integers(1, population, (draws, replies))) % population  # never self
    in_source, in_target = source < 2, target < 2
    internal = np.count_nonzero(in_source & in_target, axis=1)
    external = np.count_nonzero(in_source ^ in_target, axis=1)
    values = [ei_index(int(i), int(e)) for i, e in zip(internal, external, strict=True)]
    mean = float(np.mean([v for v in values if v is not None]))
    assert mean == pytest.approx(ei_expected(2, population), abs=0.01)


def test_people_without_a_group_and_blank_names_belong_to_none() -> None:
    people = people_in({1: "X", 2: "  ", 3: None, 4: "X"})
    found = mixing_of(people, [Reply(2, 3, 5), Reply(1, 2, 1), Reply(4, 1, 2)])
    assert list(found) == ["X"]
    # 2 -> 3 touches no group; 1 -> 2 is external for X; 4 -> 1 internal
    assert (found["X"].internal, found["X"].external) == (2, 1)


def test_the_p_value_of_a_tiny_network_by_hand() -> None:
    # X = {1, 2}, Y = {3, 4}, one edge 1 -> 2; X's observed E-I is -1. Of the 6 equally likely
    # shufflings of the labels X, X, Y, Y: 1 and 2 both X (1 of 6) gives -1 <= -1; both Y (1 of 6)
    # leaves X without an edge (undefined, not counted); split (4 of 6) gives +1. So the share
    # of shuffles at most as open is 1/6.
    people = people_in({1: "X", 2: "X", 3: "Y", 4: "Y"})
    found = mixing_of(people, [Reply(1, 2)], shuffles=6000, seed=3)
    assert found["X"].p_value == pytest.approx(1 / 6, abs=0.015)
    assert found["Y"].ei_index is None
    assert found["Y"].p_value is None


def test_the_p_value_counts_whole_shuffles() -> None:
    people = people_in({1: "X", 2: "X", 3: "Y", 4: "Y"})
    found = mixing_of(people, [Reply(1, 2)], shuffles=9, seed=1)
    p_value = found["X"].p_value
    assert p_value is not None
    assert round(p_value * 10, 9) == round(p_value * 10)  # (1 + k) / (1 + 9)
    assert p_value >= 1 / 10


def closed_network(seed: int) -> tuple[list[Person], list[Reply]]:
    """Three groups of ten: "inward" replies only among itself, the others at random."""
    rng = np.random.default_rng(seed)
    groups = {i: ("inward", "north", "south")[i // 10] for i in range(30)}
    replies = [Reply(int(s), int(t)) for s, t in rng.integers(0, 10, (60, 2)) if s != t]
    others = rng.integers(10, 30, (120, 2))
    replies += [Reply(int(s), int(t)) for s, t in others if s != t]
    replies += [Reply(int(s), int(t)) for s, t in rng.integers(0, 30, (40, 2)) if s != t]
    return people_in(groups), replies


def random_network(seed: int) -> tuple[list[Person], list[Reply]]:
    rng = np.random.default_rng(seed)
    groups = {i: ("a", "b", "c")[i % 3] for i in range(30)}
    pairs = rng.integers(0, 30, (300, 2))
    return people_in(groups), [Reply(int(s), int(t)) for s, t in pairs if s != t]


def test_a_strongly_closed_group_is_unusual_and_a_silo() -> None:
    people, replies = closed_network(seed=11)
    found = mixing_of(people, replies, seed=5)
    inward = found["inward"]
    assert inward.ei_index is not None and inward.ei_expected is not None
    assert inward.ei_index < inward.ei_expected
    assert inward.p_value is not None and inward.p_value < 0.01
    assert is_silo(inward).silo


def test_groups_that_mix_at_random_are_not_silos() -> None:
    people, replies = random_network(seed=2)
    found = mixing_of(people, replies, seed=5)
    for mixing in found.values():
        assert mixing.p_value is not None and mixing.p_value > 0.05
        assert not is_silo(mixing).silo


def test_the_same_seed_gives_the_same_p_values() -> None:
    people, replies = random_network(seed=4)
    first = mixing_of(people, replies, seed=9)
    assert mixing_of(people, replies, seed=9) == first
    assert mixing_of(people, replies, seed=10) != first


def test_at_least_one_shuffle_is_needed() -> None:
    with pytest.raises(ValueError):
        group_mixing(MIXED_PEOPLE, MIXED_REPLIES, by_organisation, shuffles=0)


def mixing(size: int, ei: float | None, expected: float | None, p: float | None) -> GroupMixing:
    return GroupMixing("G", size, 0, 0, ei, expected, p)


def test_a_small_group_is_never_called_a_silo() -> None:
    verdict = is_silo(mixing(2, -1.0, 0.8, 0.001))
    assert not verdict.silo
    assert verdict.reason == (
        "2 people, fewer than 3: a small group is never called a silo on chance alone"
    )
    assert is_silo(mixing(4, -1.0, 0.8, 0.001), min_group=5).silo is False


def test_the_silo_verdict_gives_its_reason() -> None:
    assert is_silo(mixing(5, -0.5, 0.8, 0.001)) == is_silo(mixing(5, -0.5, 0.8, 0.001))
    silo = is_silo(mixing(5, -0.5, 0.8, 0.001))
    assert silo.silo
    assert silo.reason == (
        "E-I -0.50 is below the +0.80 expected under random mixing, and p = 0.001: shuffled "
        "groups of its size are rarely as closed"
    )
    chance = is_silo(mixing(5, -0.5, 0.8, 0.2))
    assert not chance.silo
    assert chance.reason == (
        "E-I -0.50 is below the +0.80 expected, but p = 0.200: shuffled groups of its size "
        "are often as closed"
    )
    open_group = is_silo(mixing(5, 0.9, 0.8, 0.001))
    assert not open_group.silo
    assert open_group.reason == (
        "E-I +0.90 is not below the +0.80 expected under random mixing for its size"
    )
    silent = is_silo(mixing(5, None, 0.8, None))
    assert not silent.silo
    assert silent.reason == "no replies to or from its members in the period"


def test_the_measures_in_long_form() -> None:
    found = group_mixing(MIXED_PEOPLE, MIXED_REPLIES, by_organisation, seed=1)
    measures = mixing_measures(Scope.ORGANISATION, found)
    assert [(m.scope, m.group, m.metric, m.n) for m in measures] == [
        (Scope.ORGANISATION, group, metric, size)
        for group, size in (("X", 3), ("Y", 2))
        for metric in (EI_INDEX, EI_EXPECTED, EI_P_VALUE, INTERNAL_EDGES, EXTERNAL_EDGES)
    ]
    values = {(m.group, m.metric): m.value for m in measures}
    assert values[("X", EI_INDEX)] == pytest.approx(3 / 7)
    assert values[("Y", EI_EXPECTED)] == pytest.approx(7 / 9)
    assert values[("X", INTERNAL_EDGES)] == 2.0
    assert values[("Y", EXTERNAL_EDGES)] == 4.0
    p_value = values[("X", EI_P_VALUE)]
    assert p_value is not None and 1 / 1001 <= p_value <= 1
    assert Measure(Scope.ORGANISATION, "Y", EI_INDEX, 0.0, 2) in measures


def test_any_grouping_works_levels_for_one() -> None:
    people = [Person(1, level="local"), Person(2, level="local"), Person(3, level="national")]
    found = mixing_of(people, [Reply(1, 2, 3), Reply(2, 3, 1)], group_of=lambda p: p.level)
    assert found["local"].ei_index == pytest.approx((1 - 3) / 4)
    assert found["national"].ei_index == 1.0


@st.composite
def networks(draw: st.DrawFn) -> tuple[list[Person], list[Reply]]:
    size = draw(st.integers(min_value=1, max_value=9))
    labels = st.sampled_from(["X", "Y", "Z", None])
    people = [Person(i, organisation=draw(labels)) for i in range(size)]
    ends = st.integers(min_value=0, max_value=size)  # `size` is nobody present
    replies = draw(
        st.lists(st.builds(Reply, ends, ends, st.integers(min_value=1, max_value=4)), max_size=25)
    )
    return people, replies


@settings(max_examples=150, deadline=None)
@given(networks())
def test_the_ei_index_and_the_p_value_stay_in_range(
    network: tuple[list[Person], list[Reply]],
) -> None:
    for mixing in group_mixing(*network, by_organisation, shuffles=50, seed=0):
        if mixing.internal + mixing.external == 0:
            assert mixing.ei_index is None and mixing.p_value is None
            continue
        assert mixing.ei_index is not None and -1 <= mixing.ei_index <= 1
        assert mixing.p_value is not None and 1 / 51 <= mixing.p_value <= 1
        assert mixing.ei_expected is None or -1 <= mixing.ei_expected <= 1


@settings(max_examples=150, deadline=None)
@given(networks(), st.randoms(use_true_random=False))
def test_shuffling_the_labels_leaves_the_totals_unchanged(
    network: tuple[list[Person], list[Reply]], random: Random
) -> None:
    # Each reply between two people with a group counts 2 group-ends, one with a group 1: the sum
    # over groups of E + 2I. Moving the labels around (sizes kept) keeps that total as long as
    # every person keeps their degree, i.e. always.
    people, replies = network
    labels = [p.organisation for p in people if p.organisation is not None]
    random.shuffle(labels)
    relabelled = iter(labels)
    shuffled = [
        p if p.organisation is None else Person(p.user_id, organisation=next(relabelled))
        for p in people
    ]

    def group_ends(group_people: list[Person]) -> int:
        found = group_mixing(group_people, replies, by_organisation, shuffles=1, seed=0)
        return sum(m.external + 2 * m.internal for m in found)

    assert group_ends(shuffled) == group_ends(people)
    present = {p.user_id for p in people}
    grouped = {p.user_id for p in people if p.organisation is not None}
    expected = sum(
        r.count * ((r.source in grouped) + (r.target in grouped))
        for r in replies
        if r.source in present and r.target in present and r.source != r.target
    )
    assert group_ends(people) == expected


@settings(max_examples=100, deadline=None)
@given(st.integers(min_value=1, max_value=40), st.integers(min_value=1, max_value=40))
def test_the_expected_value_is_in_range(group_size: int, others: int) -> None:
    value = ei_expected(group_size, group_size + others)
    assert value is not None and -1 <= value <= 1
    assert math.isclose(
        value,
        (2 * group_size * others - group_size * (group_size - 1))
        / (2 * group_size * others + group_size * (group_size - 1)),
    )
