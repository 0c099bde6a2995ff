"""Silos: does a group (organisation, stakeholder group or level) reply mostly within itself?

Krackhardt and Stern's E-I index (Krackhardt, D. and Stern, R. N. (1988), "Informal networks
and organizational crises: an experimental simulation", Social Psychology Quarterly 51(2)),
over the reply network of the period: one edge per reply message (an edge of the storage's
``Reply(source, target, count)`` weighs ``count``), self-replies and edges with an end outside the
people present dropped (:func:`bot.insights.flows.reply_edges`). A person belongs to at most one
group of a grouping; people without one (None or a blank name) belong to none, and their edges
with a group's members count as external for that group.

For a group with g members among the N people present:

- ``internal_edges`` I = replies with both ends in the group.
- ``external_edges`` E = replies with exactly one end in the group.
- ``ei_index`` = (E - I) / (E + I), from -1 (every reply stays inside) to +1 (every reply
  crosses the boundary); None when E + I = 0.
- ``ei_expected`` = (2g(N - g) - g(g - 1)) / (2g(N - g) + g(g - 1)): the E-I the group would have
  if its replies were spread evenly over all possible ordered pairs of people, of which g(g - 1)
  are internal and 2g(N - g) external (either direction). None when both are 0 (N = g = 1). It
  is exactly the expected E-I (given E + I > 0) when every reply's ordered pair (source, target)
  is drawn uniformly from the N(N - 1) pairs: each reply that touches the group is then internal
  with probability g(g - 1) / (g(g - 1) + 2g(N - g)), independently of the others. When instead
  the sources are fixed and only targets are drawn, it is the ratio of the expected E - I to the
  expected E + I only if the group sends its proportional share g/N of the replies; otherwise
  read it as the value for ties spread over all possible pairs. It depends on the group's size
  only, so it says what "mixing" means for a group that small or that large (a group of one can
  only be +1; the whole community only -1).
- ``ei_p_value``: a one-sided permutation test of how unusually closed the group is. The group
  labels are shuffled among the people who have one (each group keeps its size; people without a
  group stay without, and the reply edges stay where they are); S shuffles (at least 1,000 by
  default), drawn with a seeded ``numpy.random.Generator``. p = (1 + the number of shuffles whose
  E-I for the group is <= the observed one) / (1 + S). A shuffle in which the group's members have
  no edge at all (E-I undefined) does not count as <=. None when the observed E-I is None.
- A group is called a silo (:func:`is_silo`) only when its E-I is below ``ei_expected``, p < 0.05
  and it has at least ``min_group`` people (3 by default): a small group is never called a silo
  on chance alone.

Computation: with D = the sum over the group's members of their reply degree (replies sent plus
received), D = E + 2I, so E + I = D - I and E - I = D - 3I. A shuffle moves D by a sum over the
new members' fixed degrees and I by a sum over edges whose ends share a label: both are one
``numpy.bincount`` for every group at once, over a batch of shuffles.

Each group's measures carry scope ``organisation``, ``stakeholder`` or ``level`` (the caller's)
and n = the group's size.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from bot.insights.flows import NO_CATEGORY, ReplyEdges, categories, reply_edges
from bot.insights.values import Measure, Person, Reply, Scope

EI_INDEX = "ei_index"
EI_EXPECTED = "ei_expected"
EI_P_VALUE = "ei_p_value"
INTERNAL_EDGES = "internal_edges"
EXTERNAL_EDGES = "external_edges"

SHUFFLES = 1000
"""Permutations in the test by default (the issue asks for at least 1,000)."""
MIN_GROUP = 3
"""The fewest people a group needs before it may be called a silo."""
SIGNIFICANCE = 0.05
SHUFFLE_BATCH_CELLS = 1_000_000
"""About how many (shuffle, edge) pairs one batch of shuffles works on: some 30 MB of arrays.
Measured on the benchmark network (160,000 edges), batches of 150,000 to 1,000,000 cells took
the same time and larger ones were slower (the arrays leave the cache)."""


@dataclass(frozen=True, slots=True)
class GroupMixing:
    """How one group's replies mix with the rest of the community in the period."""

    group: str
    size: int
    internal: int
    external: int
    ei_index: float | None
    ei_expected: float | None
    p_value: float | None


@dataclass(frozen=True, slots=True)
class SiloVerdict:
    """Whether a group is called a silo, and why (a sentence a coordinator reads)."""

    silo: bool
    reason: str


def ei_index(internal: float, external: float) -> float | None:
    """(E - I) / (E + I); None when the group has no edge."""
    total = external + internal
    return None if total == 0 else (external - internal) / total


def ei_expected(group_size: int, population: int) -> float | None:
    """The E-I of a group of ``group_size`` among ``population`` people if its ties were spread
    over all possible ordered pairs (module docstring); None when there is no possible pair."""
    possible_internal = group_size * (group_size - 1)
    possible_external = 2 * group_size * (population - group_size)
    return ei_index(possible_internal, possible_external)


def group_mixing(
    people: Sequence[Person],
    replies: Sequence[Reply],
    group_of: Callable[[Person], str | None],
    *,
    shuffles: int = SHUFFLES,
    seed: int = 0,
) -> list[GroupMixing]:
    """Each group's internal and external replies, E-I, expected E-I and permutation p-value,
    groups in alphabetical order."""
    if shuffles < 1:
        raise ValueError("the permutation test needs at least one shuffle")
    edges = reply_edges(people, replies)
    labels, codes = categories(people, edges, group_of)
    groups = len(labels)
    if groups == 0:
        return []
    members = _MemberNetwork.of(edges, codes)
    sizes = np.bincount(members.codes, minlength=groups)
    degree_sum, internal = members.degree_and_internal(members.codes[np.newaxis, :], groups)
    observed = _ei_values(degree_sum, internal)[0]
    at_most = members.count_at_most(observed, groups, shuffles, seed)
    return [
        GroupMixing(
            group=label,
            size=int(sizes[g]),
            internal=int(internal[0, g]),
            external=int(degree_sum[0, g] - 2 * internal[0, g]),
            ei_index=None if np.isnan(observed[g]) else float(observed[g]),
            ei_expected=ei_expected(int(sizes[g]), edges.people),
            p_value=None if np.isnan(observed[g]) else (1 + int(at_most[g])) / (1 + shuffles),
        )
        for g, label in enumerate(labels)
    ]


@dataclass(frozen=True, slots=True)
class _MemberNetwork:
    """The part of the network that a shuffle changes: the people with a group (indexed
    0..m-1), their group codes, their reply degrees over every edge (those with people without a
    group included), and the edges between two of them (the only ones that can be internal)."""

    codes: NDArray[np.int32]
    degree: NDArray[np.float64]
    source: NDArray[np.intp]
    target: NDArray[np.intp]
    weight: NDArray[np.float64]

    @classmethod
    def of(cls, edges: ReplyEdges, codes: NDArray[np.intp]) -> _MemberNetwork:
        members = np.flatnonzero(codes != NO_CATEGORY)
        sent = np.bincount(edges.source, edges.weight, edges.people)
        received = np.bincount(edges.target, edges.weight, edges.people)
        local = np.full(edges.people, -1, dtype=np.intp)
        local[members] = np.arange(len(members), dtype=np.intp)
        between = (local[edges.source] >= 0) & (local[edges.target] >= 0)
        return cls(
            codes=codes[members].astype(np.int32),
            degree=(sent + received)[members].astype(np.float64),
            source=local[edges.source[between]],
            target=local[edges.target[between]],
            weight=edges.weight[between].astype(np.float64),
        )

    def degree_and_internal(
        self,
        labellings: NDArray[np.int32],
        groups: int,
        tiled_weight: NDArray[np.float64] | None = None,
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """For each labelling (a row of group codes, one per member): per group, the sum of its
        members' degrees D and its internal weight I, as (labellings, groups) arrays.
        ``tiled_weight``: the edge weights repeated for at least as many labellings (made here
        when not given; a batch of shuffles makes it once)."""
        count = labellings.shape[0]
        if tiled_weight is None:
            tiled_weight = np.tile(self.weight, count)
        # Codes shifted by row, so that one bincount serves every labelling of the batch.
        shifted = labellings + (np.arange(count, dtype=np.int32) * groups)[:, np.newaxis]
        degree_sum = np.bincount(
            shifted.ravel(), np.tile(self.degree, count), minlength=count * groups
        )
        from_code = np.take(shifted, self.source, axis=1).ravel()
        inside = np.flatnonzero(from_code == np.take(shifted, self.target, axis=1).ravel())
        internal = np.bincount(from_code[inside], tiled_weight[inside], minlength=count * groups)
        return (
            degree_sum.astype(np.float64, copy=False).reshape(count, groups),
            internal.astype(np.float64, copy=False).reshape(count, groups),
        )

    def count_at_most(
        self, observed: NDArray[np.float64], groups: int, shuffles: int, seed: int
    ) -> NDArray[np.int64]:
        """Per group, how many of ``shuffles`` random relabellings of the members (sizes kept)
        give an E-I <= the observed one."""
        rng = np.random.default_rng(seed)
        widest = max(1, len(self.source), len(self.codes))
        batch = max(1, min(shuffles, SHUFFLE_BATCH_CELLS // widest))
        tiled_weight = np.tile(self.weight, batch)
        at_most = np.zeros(groups, dtype=np.int64)
        done = 0
        while done < shuffles:
            size = min(batch, shuffles - done)
            shuffled = rng.permuted(np.tile(self.codes, (size, 1)), axis=1)
            values = _ei_values(*self.degree_and_internal(shuffled, groups, tiled_weight))
            with np.errstate(invalid="ignore"):  # NaN (no edge) is never <=
                at_most += np.count_nonzero(values <= observed, axis=0)
            done += size
        return at_most


def _ei_values(
    degree_sum: NDArray[np.float64], internal: NDArray[np.float64]
) -> NDArray[np.float64]:
    """E-I = (D - 3I) / (D - I) elementwise, NaN where the group has no edge. The sums are whole
    numbers held exactly, so a shuffle as closed as the observed network compares equal."""
    total = degree_sum - internal
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(total > 0, (degree_sum - 3 * internal) / total, np.nan)


def is_silo(
    mixing: GroupMixing, *, min_group: int = MIN_GROUP, significance: float = SIGNIFICANCE
) -> SiloVerdict:
    """Call the group a silo only when it is big enough, more closed than random mixing would
    make it, and unlikely to be so closed by chance."""
    if mixing.size < min_group:
        return SiloVerdict(
            False,
            f"{mixing.size} people, fewer than {min_group}: a small group is never called a "
            "silo on chance alone",
        )
    if mixing.ei_index is None or mixing.ei_expected is None or mixing.p_value is None:
        return SiloVerdict(False, "no replies to or from its members in the period")
    if mixing.ei_index >= mixing.ei_expected:
        return SiloVerdict(
            False,
            f"E-I {mixing.ei_index:+.2f} is not below the {mixing.ei_expected:+.2f} expected "
            "under random mixing for its size",
        )
    if mixing.p_value >= significance:
        return SiloVerdict(
            False,
            f"E-I {mixing.ei_index:+.2f} is below the {mixing.ei_expected:+.2f} expected, but "
            f"p = {mixing.p_value:.3f}: shuffled groups of its size are often as closed",
        )
    return SiloVerdict(
        True,
        f"E-I {mixing.ei_index:+.2f} is below the {mixing.ei_expected:+.2f} expected under "
        f"random mixing, and p = {mixing.p_value:.3f}: shuffled groups of its size are rarely "
        "as closed",
    )


def mixing_measures(scope: Scope, found: Sequence[GroupMixing]) -> list[Measure]:
    """The figures of groups' mixing already computed (:func:`group_mixing`)."""
    measures: list[Measure] = []
    for mixing in found:
        figures = (
            (EI_INDEX, mixing.ei_index),
            (EI_EXPECTED, mixing.ei_expected),
            (EI_P_VALUE, mixing.p_value),
            (INTERNAL_EDGES, float(mixing.internal)),
            (EXTERNAL_EDGES, float(mixing.external)),
        )
        measures += [Measure(scope, mixing.group, m, v, mixing.size) for m, v in figures]
    return measures
