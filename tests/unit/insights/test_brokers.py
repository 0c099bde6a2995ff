"""Brokers: betweenness, organisations bridged and Gould and Fernandez brokerage roles, on small
graphs computed by hand, against a plain listing of every two-step path, and against networkx."""

from __future__ import annotations

import random

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.insights import brokers
from bot.insights.brokers import (
    ROLES,
    Role,
    betweenness,
    betweenness_pivots,
    broker_measures,
    brokerage_by_organisation,
    brokerage_by_person,
    organisations_bridged,
    reply_network,
)
from bot.insights.values import Measure, Person, Reply, Scope

A, B, C, D = 1, 2, 3, 4


def network_of(edges: list[tuple[int, int]], people: list[Person] | None = None):
    ids = sorted({end for edge in edges for end in edge})
    return reply_network(people or [Person(i) for i in ids], [Reply(s, t) for s, t in edges])


def values_by_id(edges: list[tuple[int, int]], people: list[Person] | None = None):
    network = network_of(edges, people)
    result = betweenness(network)
    return {p.user_id: float(v) for p, v in zip(network.people, result.values, strict=True)}


def listed_roles(people: list[Person], replies: list[Reply]) -> dict[int, list[int]]:
    """The reference: walk every path a -> b -> c and class it, one by one."""
    organisation = {p.user_id: p.organisation for p in people}
    after: dict[int, set[int]] = {p.user_id: set() for p in people}
    for reply in replies:
        if reply.source != reply.target and reply.count >= 1:
            after[reply.source].add(reply.target)
    counts = {p.user_id: [0] * len(ROLES) for p in people}
    for a, middles in after.items():
        for b in middles:
            for c in after[b]:
                if c == a or c in after[a]:
                    continue
                org_a, org_b, org_c = organisation[a], organisation[b], organisation[c]
                if org_a is None or org_b is None or org_c is None:
                    continue
                if org_a == org_b == org_c:
                    role = Role.COORDINATOR
                elif org_b == org_c:
                    role = Role.GATEKEEPER
                elif org_a == org_b:
                    role = Role.REPRESENTATIVE
                elif org_a == org_c:
                    role = Role.CONSULTANT
                else:
                    role = Role.LIAISON
                counts[b][ROLES.index(role)] += 1
    return counts


def by_person(people: list[Person], replies: list[Reply]) -> dict[int, list[int]]:
    network = reply_network(people, replies)
    counts = brokerage_by_person(network)
    return {p.user_id: counts[i].tolist() for i, p in enumerate(network.people)}


# --- the network -------------------------------------------------------------------------------


def test_the_network_keeps_one_edge_per_pair_among_the_people_given() -> None:
    people = [Person(A), Person(B), Person(C)]
    replies = [
        Reply(A, B, 3),
        Reply(A, B, 1),  # the same pair again: still one edge
        Reply(B, B, 2),  # a self-reply
        Reply(C, D, 1),  # D is not among the people (absent or opted out)
        Reply(C, A, 0),  # no reply at all
        Reply(B, C, 1),
    ]
    network = reply_network(people, replies)
    assert network.source.tolist() == [0, 1]
    assert network.target.tolist() == [1, 2]


# --- betweenness -------------------------------------------------------------------------------


def test_betweenness_of_a_path() -> None:
    # a -> b -> c, n = 3: only the ordered pair (a, c) has a path between others, through b:
    # B(b) = 1, normalised 1 / ((3 - 1)(3 - 2)) = 0.5; a and c lie between no one.
    assert values_by_id([(A, B), (B, C)]) == {A: 0.0, B: 0.5, C: 0.0}


def test_betweenness_of_a_two_way_star_is_one_at_the_centre() -> None:
    # Centre A exchanges replies with B, C, D (n = 4). Each of the 3 * 2 = 6 ordered pairs of
    # leaves has one shortest path, through A: B(A) = 6, normalised 6 / (3 * 2) = 1.
    edges = [(A, leaf) for leaf in (B, C, D)] + [(leaf, A) for leaf in (B, C, D)]
    assert values_by_id(edges) == {A: 1.0, B: 0.0, C: 0.0, D: 0.0}


def test_betweenness_follows_the_direction_of_the_replies() -> None:
    # A replied to B, C and D, none of them replied: no path from one leaf to another.
    assert values_by_id([(A, B), (A, C), (A, D)]) == {A: 0.0, B: 0.0, C: 0.0, D: 0.0}


def test_betweenness_shares_a_pair_between_equal_shortest_paths() -> None:
    # A -> B -> D and A -> C -> D: the pair (A, D) has 2 shortest paths, one through B and one
    # through C: B(B) = B(C) = 1/2, normalised (1/2) / (3 * 2) = 1/12.
    values = values_by_id([(A, B), (A, C), (B, D), (C, D)])
    assert values == pytest.approx({A: 0.0, B: 1 / 12, C: 1 / 12, D: 0.0})


def test_betweenness_is_unweighted_and_counts_people_without_replies() -> None:
    # The path a -> b -> c again, with many replies on one edge and a fourth person who replied
    # to no one: B(b) = 1, normalised by (4 - 1)(4 - 2) = 6.
    people = [Person(A), Person(B), Person(C), Person(D)]
    network = reply_network(people, [Reply(A, B, 40), Reply(B, C, 1)])
    result = betweenness(network)
    assert result.values.tolist() == pytest.approx([0.0, 1 / 6, 0.0, 0.0])
    assert (result.pivots, result.sources, result.exact) == (2, 2, True)


def test_betweenness_of_fewer_than_three_people_is_zero() -> None:
    assert values_by_id([(A, B), (B, A)]) == {A: 0.0, B: 0.0}
    assert betweenness(reply_network([], [])).values.tolist() == []


def test_sampled_betweenness_scales_the_pivots_paths() -> None:
    # A budget of 2 edge-walks on a 4-edge two-way path a <-> b <-> c: 2 // 4 -> 1 pivot out
    # of the 3 people who replied. Whichever pivot s, the estimate is 3 * the paths from s
    # through b: from a or c one pair through b (1 -> 3 / 2 normalised), from b none.
    network = network_of([(A, B), (B, A), (B, C), (C, B)])
    result = betweenness(network, work_budget=2, seed=7)
    pivot = betweenness_pivots(network, work_budget=2, seed=7).tolist()
    assert (result.pivots, result.sources, result.exact) == (1, 3, False)
    expected_b = 0.0 if pivot == [1] else 3 * 1 / 2
    assert result.values.tolist() == pytest.approx([0.0, expected_b, 0.0])


def test_sampled_betweenness_is_the_same_for_the_same_seed() -> None:
    rng = random.Random(3)
    edges = [(rng.randrange(30), rng.randrange(30)) for _ in range(120)]
    network = network_of(edges)
    first = betweenness(network, work_budget=500, seed=11)
    again = betweenness(network, work_budget=500, seed=11)
    assert first.pivots == 500 // network.source.size < first.sources
    assert first.values.tolist() == again.values.tolist()


digraphs = st.integers(min_value=0, max_value=9).flatmap(
    lambda n: st.tuples(
        st.just(n),
        st.lists(
            st.tuples(st.integers(0, max(n - 1, 0)), st.integers(0, max(n - 1, 0))), max_size=30
        )
        if n
        else st.just([]),
    )
)


@settings(max_examples=150, deadline=None)
@given(digraphs)
def test_exact_betweenness_is_freemans_as_networkx_computes_it(graph) -> None:
    n, edges = graph
    people = [Person(i) for i in range(n)]
    network = reply_network(people, [Reply(s, t) for s, t in edges])
    reference = nx.DiGraph()
    reference.add_nodes_from(range(n))
    reference.add_edges_from((s, t) for s, t in edges if s != t)
    expected = nx.betweenness_centrality(reference, normalized=True)
    values = betweenness(network).values
    assert values.tolist() == pytest.approx([expected[i] for i in range(n)])
    assert all(0.0 <= value <= 1.0 + 1e-12 for value in values)


@settings(max_examples=100, deadline=None)
@given(digraphs, st.integers(min_value=1, max_value=40), st.integers(0, 2**32 - 1))
def test_sampled_betweenness_is_the_pivots_share_scaled_up(graph, budget, seed) -> None:
    n, edges = graph
    network = reply_network([Person(i) for i in range(n)], [Reply(s, t) for s, t in edges])
    result = betweenness(network, work_budget=budget, seed=seed)
    if n < 3 or result.sources == 0:
        assert result.values.tolist() == [0.0] * n
        return
    pivots = betweenness_pivots(network, work_budget=budget, seed=seed).tolist()
    reference = nx.DiGraph()
    reference.add_nodes_from(range(n))
    reference.add_edges_from(zip(network.source.tolist(), network.target.tolist(), strict=True))
    through = nx.betweenness_centrality_subset(reference, pivots, list(range(n)))
    scale = result.sources / len(pivots) / ((n - 1) * (n - 2))
    assert len(pivots) == result.pivots
    assert result.values.tolist() == pytest.approx([through[i] * scale for i in range(n)])


# --- organisations bridged ---------------------------------------------------------------------


def test_organisations_bridged_by_hand() -> None:
    P, Q, R, S, T, U, V = 11, 12, 13, 14, 15, 16, 17
    people = [
        Person(P, "X"),
        Person(Q, "Y"),
        Person(R, "Z"),
        Person(S),  # no organisation
        Person(T, "X"),
        Person(U),  # no organisation, no replies
        Person(V, "W"),  # no replies
    ]
    replies = [Reply(P, Q), Reply(R, P), Reply(S, P), Reply(T, P), Reply(P, T)]
    network = reply_network(people, replies)
    # P: own X, partners Q (Y), R (Z), S (none), T (X) -> {X, Y, Z} = 3
    # Q: own Y, partner P (X) -> 2;  R: own Z, partner P (X) -> 2;  S: none, partner P (X) -> 1
    # T: own X, partner P (X) -> 1;  U: nothing -> 0;  V: own W only -> 1
    assert organisations_bridged(network).tolist() == [3, 2, 2, 1, 1, 0, 1]


# --- Gould and Fernandez brokerage -------------------------------------------------------------


@pytest.mark.parametrize(
    ("orgs", "role"),
    [
        (("X", "X", "X"), Role.COORDINATOR),
        (("Y", "X", "X"), Role.GATEKEEPER),
        (("X", "X", "Y"), Role.REPRESENTATIVE),
        (("Y", "X", "Y"), Role.CONSULTANT),
        (("Y", "X", "Z"), Role.LIAISON),
    ],
)
def test_one_path_a_b_c_counts_once_for_the_brokers_organisation(orgs, role) -> None:
    people = [Person(A, orgs[0]), Person(B, orgs[1]), Person(C, orgs[2])]
    network = reply_network(people, [Reply(A, B), Reply(B, C)])
    names = sorted(set(orgs))
    expected = {name: dict.fromkeys(ROLES, 0) for name in names}
    expected["X"][role] = 1
    assert brokerage_by_organisation(network) == expected
    assert brokerage_by_person(network).tolist() == [
        [0] * 5,
        [int(r == role) for r in ROLES],
        [0] * 5,
    ]


@pytest.mark.parametrize(
    "orgs", [("X", "X", "X"), ("Y", "X", "X"), ("X", "X", "Y"), ("Y", "X", "Y"), ("Y", "X", "Z")]
)
def test_no_path_counts_when_a_replied_to_c_directly(orgs) -> None:
    people = [Person(A, orgs[0]), Person(B, orgs[1]), Person(C, orgs[2])]
    replies = [Reply(A, B), Reply(B, C), Reply(A, C)]
    assert brokerage_by_person(reply_network(people, replies)).sum() == 0


def test_a_reply_from_c_to_a_does_not_close_the_path() -> None:
    # The rule is about a direct edge a -> c. With a (X) -> b (X) -> c (Y) -> a, each of the
    # three people brokers one path, none closed (no edge goes the other way round):
    #   a -> b -> c  X X Y  broker b, representative
    #   b -> c -> a  X Y X  broker c, consultant
    #   c -> a -> b  Y X X  broker a, gatekeeper
    people = [Person(A, "X"), Person(B, "X"), Person(C, "Y")]
    replies = [Reply(A, B), Reply(B, C), Reply(C, A)]
    assert by_person(people, replies) == {
        A: [0, 1, 0, 0, 0],
        B: [0, 0, 1, 0, 0],
        C: [0, 0, 0, 1, 0],
    }


def test_a_reply_back_is_no_brokerage() -> None:
    # a -> b -> a has a == c: not a path between two others.
    people = [Person(A, "X"), Person(B, "Y")]
    assert brokerage_by_person(reply_network(people, [Reply(A, B), Reply(B, A)])).sum() == 0


def test_paths_through_people_without_an_organisation_are_left_out() -> None:
    for orgs in [(None, "X", "X"), ("X", None, "X"), ("X", "X", None)]:
        people = [Person(A, orgs[0]), Person(B, orgs[1]), Person(C, orgs[2])]
        counts = brokerage_by_person(reply_network(people, [Reply(A, B), Reply(B, C)]))
        assert counts.sum() == 0, orgs


def test_brokerage_of_one_broker_with_several_neighbours_by_hand() -> None:
    # b in X; a1 (X), a2 (Y) replied to b; b replied to c1 (X), c2 (Y), c3 (Z); a2 replied to c2.
    #   a1 -> b -> c1  X X X  coordinator
    #   a1 -> b -> c2  X X Y  representative
    #   a1 -> b -> c3  X X Z  representative
    #   a2 -> b -> c1  Y X X  gatekeeper
    #   a2 -> b -> c2  Y X Y  consultant, but a2 -> c2 is direct: left out
    #   a2 -> b -> c3  Y X Z  liaison
    # No other two-step path: nobody replied to a1 or a2, and c1, c2, c3 replied to no one.
    a1, a2, b, c1, c2, c3 = 21, 22, 23, 24, 25, 26
    people = [
        Person(a1, "X"),
        Person(a2, "Y"),
        Person(b, "X"),
        Person(c1, "X"),
        Person(c2, "Y"),
        Person(c3, "Z"),
    ]
    replies = [Reply(a1, b), Reply(a2, b), Reply(b, c1), Reply(b, c2), Reply(b, c3)]
    replies.append(Reply(a2, c2))
    network = reply_network(people, replies)
    counts = dict.fromkeys(ROLES, 0)
    assert brokerage_by_organisation(network) == {
        "X": {
            Role.COORDINATOR: 1,
            Role.GATEKEEPER: 1,
            Role.REPRESENTATIVE: 2,
            Role.CONSULTANT: 0,
            Role.LIAISON: 1,
        },
        "Y": counts,
        "Z": counts,
    }
    assert by_person(people, replies)[b] == [1, 1, 2, 0, 1]


def test_broker_measures_by_hand() -> None:
    # a (X) -> b (X) -> c (Y), and d (Y) who took no part: b is a representative of X.
    people = [Person(A, "X"), Person(B, "X"), Person(C, "Y"), Person(D, "Y")]
    measures = broker_measures(people, [Reply(A, B, 2), Reply(B, C, 1)])
    # Betweenness of b: the pair (a, c), normalised by (4 - 1)(4 - 2) = 6.
    member = [
        Measure(Scope.MEMBER, "1", "betweenness", 0.0, 1),
        Measure(Scope.MEMBER, "1", "organisations_bridged", 1.0, 1),
        Measure(Scope.MEMBER, "2", "betweenness", 1 / 6, 1),
        Measure(Scope.MEMBER, "2", "organisations_bridged", 2.0, 1),
        Measure(Scope.MEMBER, "3", "betweenness", 0.0, 1),
        Measure(Scope.MEMBER, "3", "organisations_bridged", 2.0, 1),
        Measure(Scope.MEMBER, "4", "betweenness", 0.0, 1),
        Measure(Scope.MEMBER, "4", "organisations_bridged", 1.0, 1),
    ]
    organisation = [
        Measure(Scope.ORGANISATION, name, f"brokerage_{role}", value, 2)
        for name, representative in (("X", 1.0), ("Y", 0.0))
        for role, value in zip(ROLES, (0.0, 0.0, representative, 0.0, 0.0), strict=True)
    ]
    assert measures == member + organisation
    assert [m.metric for m in organisation[:5]] == [
        "brokerage_coordinator",
        "brokerage_gatekeeper",
        "brokerage_representative",
        "brokerage_consultant",
        "brokerage_liaison",
    ]


organised_graphs = st.integers(min_value=1, max_value=14).flatmap(
    lambda n: st.tuples(
        st.lists(st.sampled_from([None, "X", "Y", "Z", "W"]), min_size=n, max_size=n),
        st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=60),
    )
)


@settings(max_examples=200, deadline=None)
@given(organised_graphs)
def test_counting_matches_listing_every_path(graph) -> None:
    orgs, edges = graph
    people = [Person(100 + i, org) for i, org in enumerate(orgs)]
    replies = [Reply(100 + s, 100 + t) for s, t in edges]
    assert by_person(people, replies) == listed_roles(people, replies)


@settings(max_examples=100, deadline=None)
@given(organised_graphs, st.permutations(["P", "Q", "R", "S"]))
def test_renaming_organisations_keeps_the_counts(graph, names) -> None:
    orgs, edges = graph
    rename = dict(zip(["X", "Y", "Z", "W"], names, strict=True))
    replies = [Reply(s, t) for s, t in edges]
    before = by_person([Person(i, org) for i, org in enumerate(orgs)], replies)
    renamed = [Person(i, None if org is None else rename[org]) for i, org in enumerate(orgs)]
    assert by_person(renamed, replies) == before


def test_counting_in_blocks_matches_listing(monkeypatch: pytest.MonkeyPatch) -> None:
    # Small blocks and chunks so that the bitsets span several blocks and edge chunks.
    monkeypatch.setattr(brokers, "BLOCK_PEOPLE", 7)
    monkeypatch.setattr(brokers, "EDGES_PER_CHUNK", 5)
    rng = random.Random(15)
    people = [Person(i, rng.choice([None, "X", "Y", "Z"])) for i in range(40)]
    replies = [Reply(rng.randrange(40), rng.randrange(40)) for _ in range(300)]
    assert by_person(people, replies) == listed_roles(people, replies)
    assert np.asarray(list(listed_roles(people, replies).values())).sum() > 100
