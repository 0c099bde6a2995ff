"""Brokers (the first seed's "spiders"): who lies between others in the reply network, how many
organisations each person connects, and the Gould and Fernandez brokerage roles per organisation.

The network. People are the present, not opted-out people handed in; a directed edge
``source -> target`` exists when ``source`` replied at least once to ``target`` in the period (the
knowledge went from source to target). The network is unweighted: how many replies an edge stands
for does not matter here. Self-replies, replies whose count is below 1 and replies with an end
outside the people handed in are left out.

``betweenness`` (Freeman 1977), per person v, over the directed network of all n people::

    B(v) = sum over ordered pairs (s, t), s != v != t, s != t, of sigma_st(v) / sigma_st
    betweenness(v) = B(v) / ((n - 1)(n - 2))

where sigma_st is the number of shortest directed paths from s to t and sigma_st(v) the number of
those passing through v (pairs with no path add nothing). The division by (n - 1)(n - 2), the
number of ordered pairs of other people, puts it in [0, 1] (1: the centre of a star whose every
path goes through it). With fewer than 3 people nobody can lie between two others: 0 for all.
Computed with Brandes' algorithm (python-igraph). Exact when ``S * edges`` is at most
``work_budget`` (default 3e8: about 2-3 s on one core of the 2-core machine), S being the people
who replied to someone (a person who replied to no one starts no shortest path, so adds nothing
as a start). Above it, sampled (Brandes and Pich 2007): k = work_budget // edges pivots are drawn
uniformly without replacement (seeded) among those S people, and B(v) is estimated by
S / k * sum over the pivots s of sum over t of sigma_st(v) / sigma_st, an unbiased estimate. On
the benchmark network (10,000 people, 150,000 distinct edges, Zipf-like activity: k = 2,000 of
S = 9,925) against exact, over five seeds: largest absolute error 0.007 of normalised betweenness
(the largest value there is 0.13), mean absolute error 4e-5, at most 10% relative error for each
of the ten highest, 9 or 10 of the top 10 and 92 to 94 of the top 100 the same people as in the
exact ranking. Exact takes 9 to 15 s there.

``organisations_bridged``, per person p: the number of distinct organisations among p's own and
those of everyone p replied to or who replied to p in the period; people without an organisation
add none. An organised person who exchanged replies with no one has 1, an unorganised one 0.

Gould and Fernandez (1989) brokerage roles. A brokerage is a two-step path a -> b -> c (a replied
to b, b replied to c: b passes knowledge from a to c) with a != c and no direct edge a -> c (a
did not reach c without b). It counts only when a, b and c all have an organisation: paths
through anyone without one are left out. The role of broker b, by organisations A, B, C of a, b,
c::

    coordinator     A = B = C       (brokering inside one organisation)
    gatekeeper      A != B = C      (letting the outside into one's own organisation)
    representative  A = B != C      (carrying one's own organisation's knowledge out)
    consultant      A = C != B      (an outsider brokering inside another organisation)
    liaison         A, B, C all different

Each path counts once, for its broker. ``brokerage_<role>`` of an organisation is the sum over
its members as brokers (per person counts are given by :func:`brokerage_by_person`), n the number
of its present people. Counted without listing paths: per broker b, with I_b[o] (O_b[o]) the
number of b's in- (out-) neighbours in organisation o and I_b (O_b) their sum over
organisations, the paths by role before the two rules are, in the order above, I_b[B] O_b[B],
(I_b - I_b[B]) O_b[B], I_b[B] (O_b - O_b[B]), sum over o != B of I_b[o] O_b[o], and
(I_b - I_b[B]) (O_b - O_b[B]) less that consultant sum; then the paths a -> b -> a (mutual ties:
coordinator or consultant) and the paths closed by an edge a -> c (for each edge b -> c, the
common in-neighbours a of b and c, found with bitsets and classed by a's organisation) are taken
off their roles.

All functions are pure and deterministic (the sampling is seeded).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

import igraph  # type: ignore[import-untyped]
import numpy as np
import numpy.typing as npt

from bot.insights.values import Measure, Person, Reply, Scope

BETWEENNESS = "betweenness"
ORGANISATIONS_BRIDGED = "organisations_bridged"
BROKERAGE_COORDINATOR = "brokerage_coordinator"
BROKERAGE_GATEKEEPER = "brokerage_gatekeeper"
BROKERAGE_REPRESENTATIVE = "brokerage_representative"
BROKERAGE_CONSULTANT = "brokerage_consultant"
BROKERAGE_LIAISON = "brokerage_liaison"

WORK_BUDGET = 300_000_000
"""Pivots times edges above which betweenness is sampled: about 2-3 s of Brandes' algorithm here
(exact on 10,000 people and 150,000 edges, 1.5e9, took 9 to 15 s)."""

BLOCK_PEOPLE = 4096
"""Possible first steps a handled at once when counting closed paths: bitsets of this many
people per row keep memory linear in the number of people (rows x 512 bytes)."""

EDGES_PER_CHUNK = 8192
"""Edges b -> c whose bitsets are intersected at once (a few MB of temporaries)."""

Ints = npt.NDArray[np.int64]


class Role(StrEnum):
    """Gould and Fernandez's brokerage roles, in the order of the columns of the counts."""

    COORDINATOR = "coordinator"
    GATEKEEPER = "gatekeeper"
    REPRESENTATIVE = "representative"
    CONSULTANT = "consultant"
    LIAISON = "liaison"

    @property
    def metric(self) -> str:
        return ROLE_METRICS[self]


ROLES = tuple(Role)
ROLE_METRICS = {
    Role.COORDINATOR: BROKERAGE_COORDINATOR,
    Role.GATEKEEPER: BROKERAGE_GATEKEEPER,
    Role.REPRESENTATIVE: BROKERAGE_REPRESENTATIVE,
    Role.CONSULTANT: BROKERAGE_CONSULTANT,
    Role.LIAISON: BROKERAGE_LIAISON,
}
COORDINATOR, GATEKEEPER, REPRESENTATIVE, CONSULTANT, LIAISON = range(len(ROLES))


@dataclass(frozen=True, slots=True)
class ReplyNetwork:
    """The unweighted reply network: person i is ``people[i]``; edge j goes from ``source[j]``
    to ``target[j]`` (distinct pairs, no self-edges), sorted by (source, target)."""

    people: tuple[Person, ...]
    source: Ints
    target: Ints

    @property
    def size(self) -> int:
        return len(self.people)


@dataclass(frozen=True, slots=True)
class Betweenness:
    """Normalised betweenness per person (``values[i]`` for ``people[i]``), and how it was got:
    from ``pivots`` starting people out of ``sources`` who replied to someone (exact when equal)."""

    values: npt.NDArray[np.float64]
    pivots: int
    sources: int

    @property
    def exact(self) -> bool:
        return self.pivots == self.sources


def reply_network(people: Sequence[Person], replies: Sequence[Reply]) -> ReplyNetwork:
    """The network of ``people``: one edge per (source, target) pair with at least one reply,
    self-replies and replies with an end outside ``people`` left out."""
    index = {person.user_id: i for i, person in enumerate(people)}
    pairs = {
        (index[reply.source], index[reply.target])
        for reply in replies
        if reply.count >= 1
        and reply.source != reply.target
        and reply.source in index
        and reply.target in index
    }
    ordered = sorted(pairs)
    source = np.fromiter((s for s, _ in ordered), dtype=np.int64, count=len(ordered))
    target = np.fromiter((t for _, t in ordered), dtype=np.int64, count=len(ordered))
    return ReplyNetwork(tuple(people), source, target)


CHUNK_WORK = 5_000_000
"""Pivots x edges per call into igraph: about 50 ms of C on one core."""


def betweenness_pivots(
    network: ReplyNetwork, *, work_budget: int = WORK_BUDGET, seed: int = 0
) -> Ints:
    """The people whose shortest paths betweenness follows, sorted: everyone who replied to
    someone when that fits ``work_budget`` (pivots x edges), else a seeded uniform sample of
    them of size ``work_budget // edges`` (at least 1)."""
    starters = np.unique(network.source)
    edges = int(network.source.size)
    if edges == 0:
        return starters
    pivots = min(starters.size, max(1, work_budget // edges))
    if pivots == starters.size:
        return starters
    chosen = np.random.default_rng(seed).choice(starters, size=pivots, replace=False)
    return np.sort(chosen).astype(np.int64)


def betweenness(
    network: ReplyNetwork, *, work_budget: int = WORK_BUDGET, seed: int = 0
) -> Betweenness:
    """Freeman betweenness of every person, normalised by (n - 1)(n - 2); exact within
    ``work_budget`` (pivots x edges), otherwise estimated from seeded pivots (module docstring)."""
    n = network.size
    sources = int(np.unique(network.source).size)
    if n < 3 or sources == 0:
        return Betweenness(np.zeros(n), sources, sources)
    pivots = betweenness_pivots(network, work_budget=work_budget, seed=seed)
    graph = igraph.Graph(
        n=n, edges=np.column_stack((network.source, network.target)), directed=True
    )
    # A pivot's shortest paths are added up by igraph in C without letting go of the
    # interpreter: a few pivots per call keep each call short, so the bot's event loop (in
    # another thread) runs between them (a single call stalled it 2.8 s on the benchmark).
    per_call = max(1, CHUNK_WORK // max(1, int(network.source.size)))
    raw = np.zeros(n, dtype=np.float64)
    for first in range(0, pivots.size, per_call):
        chunk = pivots[first : first + per_call].tolist()
        raw += np.asarray(graph.betweenness(directed=True, sources=chunk), dtype=np.float64)
    raw *= sources / pivots.size  # 1 when every starter is a pivot: exact
    return Betweenness(raw / ((n - 1) * (n - 2)), int(pivots.size), sources)


def _organisation_codes(people: Sequence[Person]) -> tuple[Ints, list[str]]:
    """Each person's organisation as an index into the sorted names (-1: none)."""
    names = sorted({p.organisation for p in people if p.organisation is not None})
    code = {name: i for i, name in enumerate(names)}
    codes = np.fromiter(
        (-1 if p.organisation is None else code[p.organisation] for p in people),
        dtype=np.int64,
        count=len(people),
    )
    return codes, names


def organisations_bridged(network: ReplyNetwork) -> Ints:
    """Per person, the distinct organisations among their own and their reply partners' (in
    either direction); people without an organisation add none."""
    n = network.size
    org, names = _organisation_codes(network.people)
    width = max(len(names), 1)
    person = np.concatenate((np.arange(n), network.source, network.target))
    other = np.concatenate((np.arange(n), network.target, network.source))
    organised = org[other] >= 0
    pairs = np.unique(person[organised] * width + org[other[organised]])
    return np.bincount(pairs // width, minlength=n).astype(np.int64)


def brokerage_by_person(network: ReplyNetwork) -> npt.NDArray[np.int64]:
    """Gould and Fernandez brokerage counts: row i holds person i's paths as broker, columns in
    :data:`ROLES` order; all zero for people without an organisation."""
    org_all, _ = _organisation_codes(network.people)
    organised = np.flatnonzero(org_all >= 0)
    counts = np.zeros((network.size, len(ROLES)), dtype=np.int64)
    if organised.size == 0:
        return counts
    # Paths through anyone without an organisation are left out: work on the organised people.
    position = np.full(network.size, -1, dtype=np.int64)
    position[organised] = np.arange(organised.size)
    keep = (position[network.source] >= 0) & (position[network.target] >= 0)
    source = position[network.source[keep]]
    target = position[network.target[keep]]
    counts[organised] = _brokerage(source, target, org_all[organised])
    return counts


def _brokerage(source: Ints, target: Ints, org: Ints) -> npt.NDArray[np.int64]:
    """Brokerage counts per person of a network whose people all have an organisation
    (``org[i]`` >= 0): the raw counts from organisation tallies, less mutual ties and closed
    paths."""
    m = org.size
    orgs = int(org.max()) + 1
    counts = np.zeros((m, len(ROLES)), dtype=np.int64)
    if source.size == 0:
        return counts
    in_all = np.bincount(target, minlength=m)
    out_all = np.bincount(source, minlength=m)
    inside = org[source] == org[target]
    in_own = np.bincount(target[inside], minlength=m)
    out_own = np.bincount(source[inside], minlength=m)
    in_other = in_all - in_own
    out_other = out_all - out_own
    # sum over organisations o other than b's of I_b[o] * O_b[o]
    in_keys, in_tally = np.unique(target * orgs + org[source], return_counts=True)
    out_keys, out_tally = np.unique(source * orgs + org[target], return_counts=True)
    both, at_in, at_out = np.intersect1d(in_keys, out_keys, assume_unique=True, return_indices=True)
    brokers = both // orgs
    elsewhere = (both % orgs) != org[brokers]
    products = in_tally[at_in].astype(np.int64) * out_tally[at_out]
    consultant = np.zeros(m, dtype=np.int64)
    np.add.at(consultant, brokers[elsewhere], products[elsewhere])
    counts[:, COORDINATOR] = in_own * out_own
    counts[:, GATEKEEPER] = in_other * out_own
    counts[:, REPRESENTATIVE] = in_own * out_other
    counts[:, CONSULTANT] = consultant
    counts[:, LIAISON] = in_other * out_other - consultant

    # a -> b -> a: edge b -> c whose reverse c -> b exists; A = C, so coordinator or consultant.
    keys = source * m + target
    mutual = np.isin(target * m + source, keys, assume_unique=True)
    np.subtract.at(counts[:, COORDINATOR], source[mutual & inside], 1)
    np.subtract.at(counts[:, CONSULTANT], source[mutual & ~inside], 1)

    _take_off_closed_paths(counts, source, target, org, inside)
    return counts


def _take_off_closed_paths(
    counts: npt.NDArray[np.int64],
    source: Ints,
    target: Ints,
    org: Ints,
    inside: npt.NDArray[np.bool_],
) -> None:
    """Take off the paths a -> b -> c that have a direct edge a -> c: for each edge b -> c, the
    people a who replied to both b and c, split by whether a shares b's or c's organisation.
    Bitsets of in-neighbours, one block of possible a at a time."""
    m = org.size
    for start in range(0, m, BLOCK_PEOPLE):
        stop = min(start + BLOCK_PEOPLE, m)
        words = (stop - start + 63) // 64
        in_block = (source >= start) & (source < stop)
        if not in_block.any():
            continue
        first = source[in_block] - start
        receiver = target[in_block]
        # Distinct edges give distinct bits, so adding the bits of one word is the same as or-ing.
        bit = np.left_shift(np.uint64(1), (first % 64).astype(np.uint64))
        flat = receiver * words + first // 64
        any_in = np.zeros(m * words, dtype=np.uint64)
        np.bitwise_or.at(any_in, flat, bit)
        same = inside[in_block]
        own_in = np.zeros(m * words, dtype=np.uint64)
        np.bitwise_or.at(own_in, flat[same], bit[same])
        any_rows = any_in.reshape(m, words)
        own_rows = own_in.reshape(m, words)
        for at in range(0, source.size, EDGES_PER_CHUNK):
            b = source[at : at + EDGES_PER_CHUNK]
            c = target[at : at + EDGES_PER_CHUNK]
            same_org = inside[at : at + EDGES_PER_CHUNK]
            b_own = own_rows[b]
            b_other = any_rows[b] & ~b_own
            c_any = any_rows[c]
            with_own = _popcount(b_own & c_any)
            with_other = _popcount(b_other & c_any)
            # b -> c inside one organisation: a of B is coordinator, a from outside gatekeeper.
            np.subtract.at(counts[:, COORDINATOR], b[same_org], with_own[same_org])
            np.subtract.at(counts[:, GATEKEEPER], b[same_org], with_other[same_org])
            # b -> c across: a of B representative; a of C consultant; a of a third liaison.
            across = ~same_org
            if not across.any():
                continue
            c_own = own_rows[c[across]]
            of_c = _popcount(b_other[across] & c_own)
            np.subtract.at(counts[:, REPRESENTATIVE], b[across], with_own[across])
            np.subtract.at(counts[:, CONSULTANT], b[across], of_c)
            np.subtract.at(counts[:, LIAISON], b[across], with_other[across] - of_c)


def _popcount(rows: npt.NDArray[np.uint64]) -> Ints:
    """Set bits per row."""
    return np.bitwise_count(rows).sum(axis=1, dtype=np.int64)


def brokerage_by_organisation(network: ReplyNetwork) -> dict[str, dict[Role, int]]:
    """Per organisation with present people, the brokerage paths of its members as brokers."""
    per_person = brokerage_by_person(network)
    org, names = _organisation_codes(network.people)
    totals = np.zeros((len(names), len(ROLES)), dtype=np.int64)
    organised = org >= 0
    np.add.at(totals, org[organised], per_person[organised])
    return {
        name: {role: int(totals[i, j]) for j, role in enumerate(ROLES)}
        for i, name in enumerate(names)
    }


def broker_measures(
    people: Sequence[Person],
    replies: Sequence[Reply],
    *,
    work_budget: int = WORK_BUDGET,
    seed: int = 0,
) -> list[Measure]:
    """Every broker figure: per person (group = str(user_id), n = 1) ``betweenness`` and
    ``organisations_bridged``; per organisation ``brokerage_<role>`` with n its present people."""
    network = reply_network(people, replies)
    between = betweenness(network, work_budget=work_budget, seed=seed)
    bridged = organisations_bridged(network)
    measures: list[Measure] = []
    for i, person in enumerate(network.people):
        group = str(person.user_id)
        measures.append(Measure(Scope.MEMBER, group, BETWEENNESS, float(between.values[i]), 1))
        measures.append(Measure(Scope.MEMBER, group, ORGANISATIONS_BRIDGED, float(bridged[i]), 1))
    members = _members_per_organisation(people)
    for name, roles in brokerage_by_organisation(network).items():
        for role, value in roles.items():
            measures.append(
                Measure(Scope.ORGANISATION, name, role.metric, float(value), members[name])
            )
    return measures


def _members_per_organisation(people: Sequence[Person]) -> Mapping[str, int]:
    members: dict[str, int] = {}
    for person in people:
        if person.organisation is not None:
            members[person.organisation] = members.get(person.organisation, 0) + 1
    return members
