"""Participation inequality: who gives, who only receives, and how unevenly giving is spread.

Plain Python over the people present in the period (everyone in ``people``, silent ones
included) and what each did (``activity``; a person without an entry did nothing, and an entry
for someone not in ``people`` — opted out, or gone — is ignored). Each person is listed once.
The sizes involved (some 10,000 people) need no numpy: every figure here is one sort and a pass.

Per person (a person's given ``g`` and received ``r``, see :class:`Activity`):

* ``given`` = messages + tablecloth notes + harvest items (a reply, an answer, a resource is a
  message and counts once); ``received`` = replies and reactions by others to the person's
  messages.
* ``give_ratio`` = g / (g + r); undefined (None) when g + r = 0.

Over the values x_1 <= x_2 <= ... <= x_n (given of the n present people, zeros included,
sorted ascending; S = x_1 + ... + x_n):

* ``gini`` = sum over i = 1..n of (2i - n - 1) x_i / (n S): the plain form the issue gives, with
  no n/(n - 1) correction, so one person holding everything among n gives (n - 1)/n and equal
  shares give 0. Undefined (None) when n = 0 or S = 0 (the formula is 0/0: nobody gave).
* Lorenz curve: the points (k/n, (x_1 + ... + x_k)/S) for k = 0..n, from (0, 0) to (1, 1);
  empty when n = 0 or S = 0. :func:`thin_curve` keeps at most ``max_points`` of them (see there
  for the error bound).
* ``share_silent`` = (number of people with given = 0) / n; undefined when n = 0. Next to the
  top shares it is the community's own reading of Nielsen's 90-9-1 rule (Nielsen 2006,
  "Participation inequality"): most people only read, a few make most of the contributions.
* ``top1_share``, ``top10_share`` = (sum of the k largest x) / S with k = ceil(n p / 100) for
  p = 1 and p = 10, and at least 1 (so with fewer than 100 people the top 1% is the single
  largest contributor; ties at the cut do not matter, the sum is the same). Undefined when S = 0.
* ``absence_factor`` = the smallest k such that the k largest x add up to at least half of S
  (2 (x_(1) + ... + x_(k)) >= S, largest first): the fewest people whose absence would take half
  of all contributions away — the "bus factor" form of the CHAOSS metrics. Between 1 and n;
  undefined when S = 0.
* ``elephant_factor`` = the same over organisations (CHAOSS "elephant factor"): the given of each
  organisation is the sum over its people, and the factor is the fewest organisations making at
  least half of what all organisations gave. People without an organisation are left out of this
  figure (out of the sum too); its ``n`` is the number of people with one. Undefined when no
  organisation gave anything.
* ``members`` = n; ``contributions`` = S.

Per group (organisation, stakeholder group, level; people whose profile does not name one are
left out of that scope), with G the group's people and ``n`` = |G|:

* ``given`` = sum of g over G; ``received`` = sum of r over G;
* ``give_ratio`` = given / (given + received) of the group's totals (not the mean of the
  people's ratios, so a few very active people weigh what they did); undefined when both are 0;
* ``share_silent`` = (people in G with g = 0) / |G|.

Per person measures are in scope ``member`` with ``group`` = ``str(user_id)`` for now: the
service replaces the id by the person's pseudonym, or name for those who chose to be visible,
before anything leaves the bot. Nothing here hides small groups: the service applies the
community's minimum group size to the ``n`` of each figure.

Counts (``given``, ``received``, ``members``, ``contributions``, the factors) are handed over as
ints, so exports write ``12``, not ``12.0``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from itertools import accumulate

from bot.insights.values import Activity, Measure, Person, Scope

GIVEN = "given"
RECEIVED = "received"
GIVE_RATIO = "give_ratio"
GINI = "gini"
SHARE_SILENT = "share_silent"
TOP1_SHARE = "top1_share"
TOP10_SHARE = "top10_share"
ABSENCE_FACTOR = "absence_factor"
ELEPHANT_FACTOR = "elephant_factor"
MEMBERS = "members"
CONTRIBUTIONS = "contributions"

LORENZ_POINTS = 200
"""At most this many Lorenz points go to a chart."""

NOTHING = Activity()

# Scope -> the attribute of a person that names their group in it.
GROUP_OF: dict[Scope, Callable[[Person], str | None]] = {
    Scope.ORGANISATION: lambda person: person.organisation,
    Scope.STAKEHOLDER: lambda person: person.stakeholder,
    Scope.LEVEL: lambda person: person.level,
}


def _checked(values: Iterable[float]) -> list[float]:
    found = list(values)
    # Negative counts would break every bound below (a Gini over 1, a factor of 0).
    if found and min(found) < 0:
        raise ValueError("contributions are never negative")
    return found


def gini(values: Iterable[float]) -> float | None:
    """The Gini coefficient of ``values`` in the plain form (see the module docstring); None
    when there are no values or they add up to 0."""
    ascending = sorted(_checked(values))
    n = len(ascending)
    total = math.fsum(ascending)
    if n == 0 or total == 0:
        return None
    weighted = math.fsum((2 * i - n - 1) * x for i, x in enumerate(ascending, start=1))
    return weighted / (n * total)


def lorenz(values: Iterable[float]) -> list[tuple[float, float]]:
    """The Lorenz curve of ``values``: (share of people, share of what they gave), the smallest
    contributors first, n + 1 points from (0, 0) to (1, 1); empty when there are no values or
    they add up to 0."""
    ascending = sorted(_checked(values))
    n = len(ascending)
    total = math.fsum(ascending)
    if n == 0 or total == 0:
        return []
    points = [(0.0, 0.0)]
    points += [(k / n, running / total) for k, running in enumerate(accumulate(ascending), 1)]
    # Rounding may leave the running sum a hair off the total; the curve ends at (1, 1).
    points[-1] = (1.0, 1.0)
    return points


def thin_curve(
    points: Sequence[tuple[float, float]], max_points: int = LORENZ_POINTS
) -> list[tuple[float, float]]:
    """At most ``max_points`` of ``points`` (a curve rising in both coordinates within the unit
    square, such as :func:`lorenz`), in order, first and last kept.

    With k = (max_points - 2) // 2, the square is cut into k columns and k rows; a point is kept
    when it is the first in its column or the first in its row (at most 2k + 1 points), and the
    last point is kept. Every dropped point shares the column and the row of the kept point
    before it, so it lies within 1/k of it in each coordinate: the thinned curve stays within
    sqrt(2)/k of the full one (under 0.015 for 200 points), and both the long flat run of silent
    people and the steep rise of the top contributors keep their shape."""
    if max_points < 4:
        raise ValueError("a thinned curve needs at least 4 points")
    if len(points) <= max_points:
        return list(points)
    cells = (max_points - 2) // 2
    kept: list[tuple[float, float]] = []
    last_column = last_row = -1
    for x, y in points[:-1]:
        column, row = min(int(x * cells), cells), min(int(y * cells), cells)
        if column != last_column or row != last_row:
            kept.append((x, y))
        last_column, last_row = column, row
    kept.append(points[-1])
    return kept


def share_silent(values: Iterable[float]) -> float | None:
    """The share of ``values`` that are 0; None when there are none."""
    found = list(values)
    if not found:
        return None
    return sum(1 for x in found if x == 0) / len(found)


def top_count(n: int, percent: int) -> int:
    """How many people make the top ``percent`` of ``n``: ceil(n * percent / 100), at least 1
    (in integers, so 1% of 300 is 3, not 4 by a floating-point hair)."""
    return max(1, -(-n * percent // 100))


def top_share(values: Iterable[float], percent: int) -> float | None:
    """The share of the total made by the top ``percent`` of ``values`` (see :func:`top_count`);
    None when the total is 0."""
    descending = sorted(_checked(values), reverse=True)
    total = math.fsum(descending)
    if total == 0:
        return None
    return math.fsum(descending[: top_count(len(descending), percent)]) / total


def absence_factor(values: Iterable[float]) -> int | None:
    """The fewest of ``values`` (largest first) that add up to at least half of the total; None
    when the total is 0."""
    descending = sorted(_checked(values), reverse=True)
    total = math.fsum(descending)
    if total == 0:
        return None
    for count, running in enumerate(accumulate(descending), start=1):
        if 2 * running >= total:
            return count
    # Not reached: the running sum ends at the total (rounding aside, for floats).
    return len(descending)


def given_by_person(people: Sequence[Person], activity: Mapping[int, Activity]) -> list[int]:
    """The given of each person, in the order of ``people``."""
    return [activity.get(person.user_id, NOTHING).given for person in people]


def given_by_organisation(
    people: Sequence[Person], activity: Mapping[int, Activity]
) -> dict[str, int]:
    """The given of each organisation (summed over its people); people without one left out."""
    totals: dict[str, int] = {}
    for person in people:
        if person.organisation is not None:
            given = activity.get(person.user_id, NOTHING).given
            totals[person.organisation] = totals.get(person.organisation, 0) + given
    return totals


def elephant_factor(people: Sequence[Person], activity: Mapping[int, Activity]) -> int | None:
    """The fewest organisations that made at least half of what all organisations gave (people
    without an organisation left out); None when organisations gave nothing."""
    return absence_factor(given_by_organisation(people, activity).values())


def community_measures(people: Sequence[Person], activity: Mapping[int, Activity]) -> list[Measure]:
    """Every community-wide figure: members, contributions, Gini, share silent, top 1% and 10%
    shares, absence and elephant factors (scope ``community``, group "")."""
    given = given_by_person(people, activity)
    n = len(given)
    with_organisation = sum(1 for person in people if person.organisation is not None)

    def measure(metric: str, value: float | None, behind: int = n) -> Measure:
        return Measure(Scope.COMMUNITY, "", metric, value, behind)

    return [
        measure(MEMBERS, n),
        measure(CONTRIBUTIONS, sum(given)),
        measure(GINI, gini(given)),
        measure(SHARE_SILENT, share_silent(given)),
        measure(TOP1_SHARE, top_share(given, 1)),
        measure(TOP10_SHARE, top_share(given, 10)),
        measure(ABSENCE_FACTOR, absence_factor(given)),
        measure(ELEPHANT_FACTOR, elephant_factor(people, activity), with_organisation),
    ]


def member_measures(people: Sequence[Person], activity: Mapping[int, Activity]) -> list[Measure]:
    """``given``, ``received`` and ``give_ratio`` of each person, in the order of ``people``
    (scope ``member``, group ``str(user_id)`` until the service names the person)."""
    measures: list[Measure] = []
    for person in people:
        done = activity.get(person.user_id, NOTHING)
        group = str(person.user_id)
        measures += [
            Measure(Scope.MEMBER, group, GIVEN, done.given, 1),
            Measure(Scope.MEMBER, group, RECEIVED, done.received, 1),
            Measure(Scope.MEMBER, group, GIVE_RATIO, done.give_ratio, 1),
        ]
    return measures


def scope_measures(
    scope: Scope, people: Sequence[Person], activity: Mapping[int, Activity]
) -> list[Measure]:
    """``given``, ``received``, ``give_ratio`` and ``share_silent`` of each group in ``scope``
    (organisation, stakeholder or level), groups in name order."""
    group_of = GROUP_OF[scope]
    # group -> [people, given, received, silent]
    totals: dict[str, list[int]] = {}
    for person in people:
        group = group_of(person)
        if group is None:
            continue
        done = activity.get(person.user_id, NOTHING)
        given, received = done.given, done.received
        total = totals.setdefault(group, [0, 0, 0, 0])
        total[0] += 1
        total[1] += given
        total[2] += received
        total[3] += given == 0
    measures: list[Measure] = []
    for group in sorted(totals):
        size, given, received, silent = totals[group]
        ratio = None if given + received == 0 else given / (given + received)
        measures += [
            Measure(scope, group, GIVEN, given, size),
            Measure(scope, group, RECEIVED, received, size),
            Measure(scope, group, GIVE_RATIO, ratio, size),
            Measure(scope, group, SHARE_SILENT, silent / size, size),
        ]
    return measures


def group_measures(people: Sequence[Person], activity: Mapping[int, Activity]) -> list[Measure]:
    """:func:`scope_measures` for organisations, then stakeholder groups, then levels."""
    return [
        measure
        for scope in (Scope.ORGANISATION, Scope.STAKEHOLDER, Scope.LEVEL)
        for measure in scope_measures(scope, people, activity)
    ]
