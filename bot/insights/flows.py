"""Horizontal and vertical flows of knowledge, and reciprocity, in the reply network.

A learning alliance wants lessons to travel between peers at one level (horizontally) and between
the local, intermediate, national and international levels (vertically). Storage hands over the
people present (not opted out) and the reply edges of the period (``Reply(source, target,
count)``: ``source`` replied ``count`` times to messages of ``target``). Edges whose ends are not
among the people, self-replies and counts below one are dropped first (:func:`reply_edges`).

Formulas (a reply edge weighs its count: one edge per reply message):

- ``horizontal_edges`` = sum of counts of edges whose two ends have a level and the same one.
- ``vertical_edges`` = sum of counts of edges whose two ends have a level and different ones.
- ``unplaced_edges`` = sum of counts of edges with at least one end without a level (counted in
  neither of the two above), so horizontal + vertical + unplaced = all replies.
- Level-to-level matrix: ``M[a][b]`` = sum of counts of edges from a person at level ``a`` to a
  person at level ``b``; rows and columns in the vocabulary order (international, national,
  intermediate, local; a level outside the vocabulary follows, alphabetically). Its diagonal sums
  to ``horizontal_edges``, the rest to ``vertical_edges``. The same matrix between stakeholder
  groups, in the order of :class:`bot.membership.vocabulary.Stakeholder`. In ``/export metrics``
  each cell is a measure of scope ``level`` (or ``stakeholder``), group ``a`` and metric
  ``replies_to_<b>`` (``b`` in snake_case, e.g. ``replies_to_civil_society``), with n the
  number of people in ``a``.
- ``reciprocity`` = R / T, where T is the number of ties (ordered pairs of distinct people (s, t)
  with at least one reply from s to t in the period) and R the number of those ties whose
  reverse (t, s) is also a tie: the share of ties answered in the other direction (the arc
  reciprocity of Wasserman and Faust 1994, section 13.2). None when there is no tie.

The community-level figures (scope ``community``) carry n = the number of people present.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

from bot.insights.values import Measure, Person, Reply, Scope
from bot.membership.vocabulary import Level, Stakeholder, parse_choice

HORIZONTAL_EDGES = "horizontal_edges"
VERTICAL_EDGES = "vertical_edges"
UNPLACED_EDGES = "unplaced_edges"
RECIPROCITY = "reciprocity"
REPLIES_TO = "replies_to_"
"""Prefix of a flow matrix cell's metric: ``replies_to_`` + the target category in snake_case."""

LEVEL_ORDER: tuple[str, ...] = tuple(level.value for level in Level)
STAKEHOLDER_ORDER: tuple[str, ...] = tuple(group.value for group in Stakeholder)

NO_CATEGORY = -1
"""The code of a person without a level (or stakeholder group, organisation...)."""


@dataclass(frozen=True, slots=True)
class ReplyEdges:
    """The reply network with people indexed 0..n-1 (``user_ids[i]`` is person i, ascending):
    one row per ordered pair with at least one reply, ``weight`` the number of replies."""

    user_ids: NDArray[np.int64]
    source: NDArray[np.intp]
    target: NDArray[np.intp]
    weight: NDArray[np.int64]

    @property
    def people(self) -> int:
        return len(self.user_ids)

    def index_of(self, user_id: int) -> int | None:
        """Person ``user_id``'s index, or None when they are not in the network."""
        position = int(np.searchsorted(self.user_ids, user_id))
        if position < self.people and int(self.user_ids[position]) == user_id:
            return position
        return None


def reply_edges(people: Sequence[Person], replies: Sequence[Reply]) -> ReplyEdges:
    """Index the people and turn the replies into arrays: edges to or from someone not in
    ``people``, self-replies and counts under one are dropped; repeated pairs are added up."""
    user_ids = np.unique(np.fromiter((p.user_id for p in people), np.int64, len(people)))
    sources = np.fromiter((r.source for r in replies), np.int64, len(replies))
    targets = np.fromiter((r.target for r in replies), np.int64, len(replies))
    counts = np.fromiter((r.count for r in replies), np.int64, len(replies))
    source_at, source_known = _positions(user_ids, sources)
    target_at, target_known = _positions(user_ids, targets)
    keep = source_known & target_known & (source_at != target_at) & (counts > 0)
    n = len(user_ids)
    pair = source_at[keep].astype(np.int64) * n + target_at[keep]
    pairs, which = np.unique(pair, return_inverse=True)
    weight = np.bincount(which, weights=counts[keep], minlength=len(pairs)).astype(np.int64)
    return ReplyEdges(
        user_ids=user_ids,
        source=(pairs // max(n, 1)).astype(np.intp),
        target=(pairs % max(n, 1)).astype(np.intp),
        weight=weight,
    )


def _positions(
    user_ids: NDArray[np.int64], wanted: NDArray[np.int64]
) -> tuple[NDArray[np.intp], NDArray[np.bool_]]:
    """Each wanted id's index in the sorted ``user_ids``, and whether it is there at all."""
    at = np.searchsorted(user_ids, wanted)
    inside = at < len(user_ids)
    known = np.zeros(len(wanted), dtype=np.bool_)
    known[inside] = user_ids[at[inside]] == wanted[inside]
    return at.astype(np.intp), known


def categories(
    people: Sequence[Person],
    edges: ReplyEdges,
    category_of: Callable[[Person], str | None],
    order: Sequence[str] = (),
) -> tuple[tuple[str, ...], NDArray[np.intp]]:
    """The category names (``order`` first, then any others alphabetically) and each indexed
    person's category code (:data:`NO_CATEGORY` for None or a blank name)."""
    ids = np.fromiter((p.user_id for p in people), np.int64, len(people))
    at, known = _positions(edges.user_ids, ids)
    named: dict[int, str] = {}
    for person, index, is_known in zip(people, at.tolist(), known.tolist(), strict=True):
        name = category_of(person)
        if is_known and index not in named and name is not None and name.strip():
            named[index] = name
    extra = sorted(set(named.values()) - set(order))
    labels = (*order, *extra)
    code_of = {label: code for code, label in enumerate(labels)}
    codes = np.full(edges.people, NO_CATEGORY, dtype=np.intp)
    for index, name in named.items():
        codes[index] = code_of[name]
    return labels, codes


@dataclass(frozen=True, slots=True)
class FlowMatrix:
    """Replies between categories (levels or stakeholder groups): ``counts[a][b]`` replies by
    people in ``labels[a]`` to people in ``labels[b]``; ``unplaced`` replies with an end outside
    every category; ``sizes[a]`` the number of people in ``labels[a]``."""

    labels: tuple[str, ...]
    counts: tuple[tuple[int, ...], ...]
    unplaced: int
    sizes: tuple[int, ...]

    def count(self, source: str, target: str) -> int:
        return self.counts[self.labels.index(source)][self.labels.index(target)]

    @property
    def within(self) -> int:
        """Replies between people in one category: the diagonal."""
        return sum(self.counts[a][a] for a in range(len(self.labels)))

    @property
    def across(self) -> int:
        """Replies between people in two different categories: off the diagonal."""
        return sum(map(sum, self.counts)) - self.within

    def as_dict(self) -> dict[str, dict[str, int]]:
        """from -> to -> replies, in the order of ``labels``."""
        return {
            label: dict(zip(self.labels, row, strict=True))
            for label, row in zip(self.labels, self.counts, strict=True)
        }


def flow_matrix(edges: ReplyEdges, labels: tuple[str, ...], codes: NDArray[np.intp]) -> FlowMatrix:
    """The category-to-category matrix of the reply edges, people's categories given by
    ``codes`` (indexes into ``labels``, or :data:`NO_CATEGORY`)."""
    size = len(labels)
    from_code = codes[edges.source]
    to_code = codes[edges.target]
    placed = (from_code != NO_CATEGORY) & (to_code != NO_CATEGORY)
    cells = np.bincount(
        from_code[placed] * size + to_code[placed],
        weights=edges.weight[placed],
        minlength=size * size,
    ).astype(np.int64)
    people_in = np.bincount(codes[codes != NO_CATEGORY], minlength=size)
    return FlowMatrix(
        labels=labels,
        counts=tuple(tuple(int(c) for c in cells[a * size : (a + 1) * size]) for a in range(size)),
        unplaced=int(edges.weight[~placed].sum()),
        sizes=tuple(int(s) for s in people_in),
    )


@dataclass(frozen=True, slots=True)
class Flows:
    """Flows between levels and between stakeholder groups in one period."""

    levels: FlowMatrix
    stakeholders: FlowMatrix

    @property
    def horizontal(self) -> int:
        return self.levels.within

    @property
    def vertical(self) -> int:
        return self.levels.across

    @property
    def unplaced(self) -> int:
        return self.levels.unplaced


def _level_of(person: Person) -> str | None:
    return _canonical(Level, person.level)


def _stakeholder_of(person: Person) -> str | None:
    return _canonical(Stakeholder, person.stakeholder)


@lru_cache(maxsize=256)
def _canonical(vocabulary: type[StrEnum], value: str | None) -> str | None:
    """The vocabulary's spelling of ``value`` (case and spacing aside); other text as given."""
    if value is None:
        return None
    choice = parse_choice(vocabulary, value)
    return value if choice is None else choice.value


def flows(people: Sequence[Person], replies: Sequence[Reply]) -> Flows:
    """The level-to-level and stakeholder-to-stakeholder matrices of the period's replies."""
    edges = reply_edges(people, replies)
    return flows_of(people, edges)


def flows_of(people: Sequence[Person], edges: ReplyEdges) -> Flows:
    """:func:`flows` on a network already indexed by :func:`reply_edges`."""
    return Flows(
        levels=flow_matrix(edges, *categories(people, edges, _level_of, LEVEL_ORDER)),
        stakeholders=flow_matrix(
            edges, *categories(people, edges, _stakeholder_of, STAKEHOLDER_ORDER)
        ),
    )


def reciprocity(people: Sequence[Person], replies: Sequence[Reply]) -> float | None:
    """The share of reply ties whose reverse is also a tie (None without ties)."""
    return reciprocity_of(reply_edges(people, replies))


def reciprocity_of(edges: ReplyEdges) -> float | None:
    """:func:`reciprocity` on an indexed network (its pairs are distinct)."""
    ties = len(edges.source)
    if ties == 0:
        return None
    n = np.int64(edges.people)
    pair = edges.source.astype(np.int64) * n + edges.target
    reverse = edges.target.astype(np.int64) * n + edges.source
    ordered = np.sort(pair)
    at = np.clip(np.searchsorted(ordered, reverse), 0, ties - 1)
    answered = int(np.count_nonzero(ordered[at] == reverse))
    return answered / ties


def snake_case(name: str) -> str:
    """``civil society`` -> ``civil_society``, ``community-based organisation`` ->
    ``community_based_organisation``: a category name as part of a metric name."""
    return re.sub(r"[^0-9a-z]+", "_", name.casefold()).strip("_")


def flow_measures(people: Sequence[Person], replies: Sequence[Reply]) -> list[Measure]:
    """The period's flow figures in long form: the community's horizontal, vertical and unplaced
    replies and reciprocity, then every cell of the level and stakeholder matrices."""
    edges = reply_edges(people, replies)
    found = flows_of(people, edges)
    present = edges.people
    measures = [
        Measure(Scope.COMMUNITY, "", HORIZONTAL_EDGES, float(found.horizontal), present),
        Measure(Scope.COMMUNITY, "", VERTICAL_EDGES, float(found.vertical), present),
        Measure(Scope.COMMUNITY, "", UNPLACED_EDGES, float(found.unplaced), present),
        Measure(Scope.COMMUNITY, "", RECIPROCITY, reciprocity_of(edges), present),
    ]
    measures += _cell_measures(Scope.LEVEL, found.levels)
    measures += _cell_measures(Scope.STAKEHOLDER, found.stakeholders)
    return measures


def _cell_measures(scope: Scope, matrix: FlowMatrix) -> list[Measure]:
    return [
        Measure(scope, source, REPLIES_TO + snake_case(target), float(count), matrix.sizes[a])
        for a, (source, row) in enumerate(zip(matrix.labels, matrix.counts, strict=True))
        for target, count in zip(matrix.labels, row, strict=True)
    ]
