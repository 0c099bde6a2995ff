"""Horizontal and vertical flows, the level and stakeholder matrices, and reciprocity."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.insights.flows import (
    HORIZONTAL_EDGES,
    LEVEL_ORDER,
    RECIPROCITY,
    STAKEHOLDER_ORDER,
    UNPLACED_EDGES,
    VERTICAL_EDGES,
    flow_measures,
    flows,
    reciprocity,
    reply_edges,
    snake_case,
)
from bot.insights.values import Measure, Person, Reply, Scope

A, B, C, D, E = 101, 102, 103, 104, 105
STRANGER = 999

PEOPLE = [
    Person(A, level="local", stakeholder="government"),
    Person(B, level="local", stakeholder="civil society"),
    Person(C, level="national", stakeholder="government"),
    Person(D, level=None, stakeholder="research"),
    Person(E, level="intermediate", stakeholder=None),
]
REPLIES = [
    Reply(A, B, 3),  # local -> local: horizontal; government -> civil society
    Reply(B, A, 1),  # local -> local: horizontal; civil society -> government
    Reply(A, C, 2),  # local -> national: vertical; government -> government
    Reply(C, E, 4),  # national -> intermediate: vertical; E has no stakeholder group
    Reply(D, A, 5),  # D has no level: unplaced; research -> government
    Reply(A, A, 7),  # a self-reply: dropped
    Reply(A, STRANGER, 2),  # to someone not present: dropped
    Reply(B, C, 0),  # no reply at all: dropped
]


def test_reply_edges_drop_self_replies_strangers_and_empty_counts_and_add_up_pairs() -> None:
    edges = reply_edges(PEOPLE, [*REPLIES, Reply(A, B, 2)])
    pairs = {
        (int(edges.user_ids[s]), int(edges.user_ids[t])): int(w)
        for s, t, w in zip(edges.source, edges.target, edges.weight, strict=True)
    }
    assert pairs == {(A, B): 5, (B, A): 1, (A, C): 2, (C, E): 4, (D, A): 5}
    assert edges.people == 5
    assert edges.index_of(STRANGER) is None


def test_horizontal_vertical_and_unplaced_replies_by_hand() -> None:
    found = flows(PEOPLE, REPLIES)
    # horizontal: A->B 3 + B->A 1 = 4; vertical: A->C 2 + C->E 4 = 6; unplaced: D->A 5
    assert (found.horizontal, found.vertical, found.unplaced) == (4, 6, 5)


def test_the_level_matrix_is_in_vocabulary_order() -> None:
    levels = flows(PEOPLE, REPLIES).levels
    assert levels.labels == ("international", "national", "intermediate", "local")
    assert levels.counts == (
        (0, 0, 0, 0),
        (0, 0, 4, 0),  # national -> intermediate: C->E
        (0, 0, 0, 0),
        (0, 2, 0, 4),  # local -> national: A->C; local -> local: A<->B
    )
    assert levels.count("local", "national") == 2
    assert levels.sizes == (0, 1, 1, 2)
    assert levels.as_dict()["local"] == {
        "international": 0,
        "national": 2,
        "intermediate": 0,
        "local": 4,
    }


def test_the_stakeholder_matrix_by_hand() -> None:
    groups = flows(PEOPLE, REPLIES).stakeholders
    assert groups.labels == STAKEHOLDER_ORDER
    # government -> civil society: A->B 3; civil society -> government: B->A 1;
    # government -> government: A->C 2; research -> government: D->A 5; C->E unplaced (4)
    assert groups.as_dict() == {
        row: {
            column: {
                ("government", "civil society"): 3,
                ("civil society", "government"): 1,
                ("government", "government"): 2,
                ("research", "government"): 5,
            }.get((row, column), 0)
            for column in STAKEHOLDER_ORDER
        }
        for row in STAKEHOLDER_ORDER
    }
    assert (groups.within, groups.across, groups.unplaced) == (2, 9, 4)


def test_levels_are_matched_whatever_their_case_and_unknown_ones_follow_the_vocabulary() -> None:
    people = [Person(A, level="Local"), Person(B, level="regional"), Person(C, level="LOCAL ")]
    found = flows(people, [Reply(A, B, 1), Reply(C, A, 2)])
    assert found.levels.labels == (*LEVEL_ORDER, "regional")
    assert found.levels.count("local", "regional") == 1
    assert found.levels.count("local", "local") == 2
    assert (found.horizontal, found.vertical) == (2, 1)


def test_reciprocity_by_hand() -> None:
    # ties A->B, B->A, A->C, C->E, D->A: only A->B and B->A are answered: 2 / 5
    assert reciprocity(PEOPLE, REPLIES) == 0.4


def test_reciprocity_of_no_tie_is_none() -> None:
    assert reciprocity(PEOPLE, [Reply(A, A, 3), Reply(A, STRANGER, 1)]) is None


def test_the_measures_in_long_form() -> None:
    measures = flow_measures(PEOPLE, REPLIES)
    assert measures[:4] == [
        Measure(Scope.COMMUNITY, "", HORIZONTAL_EDGES, 4.0, 5),
        Measure(Scope.COMMUNITY, "", VERTICAL_EDGES, 6.0, 5),
        Measure(Scope.COMMUNITY, "", UNPLACED_EDGES, 5.0, 5),
        Measure(Scope.COMMUNITY, "", RECIPROCITY, 0.4, 5),
    ]
    cells = {(m.scope, m.group, m.metric): (m.value, m.n) for m in measures[4:]}
    assert len(cells) == 4 * 4 + 8 * 8
    assert cells[(Scope.LEVEL, "local", "replies_to_national")] == (2.0, 2)
    assert cells[(Scope.LEVEL, "international", "replies_to_local")] == (0.0, 0)
    assert cells[(Scope.STAKEHOLDER, "research", "replies_to_government")] == (5.0, 1)
    assert cells[(Scope.STAKEHOLDER, "government", "replies_to_civil_society")] == (3.0, 2)
    assert (Scope.STAKEHOLDER, "donor", "replies_to_community_based_organisation") in cells


def test_snake_case_of_category_names() -> None:
    assert snake_case("community-based organisation") == "community_based_organisation"
    assert snake_case("Utility or service provider") == "utility_or_service_provider"


LEVELS = st.sampled_from([*LEVEL_ORDER, None])
STAKEHOLDERS = st.sampled_from([*STAKEHOLDER_ORDER[:3], None])


@st.composite
def networks(draw: st.DrawFn) -> tuple[list[Person], list[Reply]]:
    size = draw(st.integers(min_value=1, max_value=8))
    people = [
        Person(1000 + i, level=draw(LEVELS), stakeholder=draw(STAKEHOLDERS)) for i in range(size)
    ]
    ends = st.integers(min_value=1000, max_value=1000 + size)  # 1000 + size is a stranger
    replies = draw(
        st.lists(st.builds(Reply, ends, ends, st.integers(min_value=0, max_value=5)), max_size=20)
    )
    return people, replies


def counted(people: list[Person], replies: list[Reply]) -> int:
    """The replies that count: between two present people, not to oneself."""
    present = {p.user_id for p in people}
    return sum(
        r.count
        for r in replies
        if r.source in present and r.target in present and r.source != r.target and r.count > 0
    )


@settings(max_examples=200, deadline=None)
@given(networks())
def test_the_matrices_hold_every_placed_reply(network: tuple[list[Person], list[Reply]]) -> None:
    people, replies = network
    found = flows(people, replies)
    assert sum(map(sum, found.levels.counts)) == found.horizontal + found.vertical
    assert found.horizontal + found.vertical + found.unplaced == counted(people, replies)
    stakeholders = found.stakeholders
    assert stakeholders.within + stakeholders.across + stakeholders.unplaced == counted(
        people, replies
    )


@settings(max_examples=200, deadline=None)
@given(networks())
def test_reciprocity_is_a_share(network: tuple[list[Person], list[Reply]]) -> None:
    value = reciprocity(*network)
    assert value is None or 0 <= value <= 1
    assert (value is None) == (counted(*network) == 0)


@settings(max_examples=100, deadline=None)
@given(networks())
def test_a_fully_mutual_network_has_reciprocity_one(
    network: tuple[list[Person], list[Reply]],
) -> None:
    people, replies = network
    mutual = replies + [Reply(r.target, r.source, r.count) for r in replies]
    value = reciprocity(people, mutual)
    assert value == (None if counted(people, mutual) == 0 else 1.0)
