"""Every figure of one community for one period, from what storage supplies: plain values in,
:class:`CommunityFigures` out. CPU-bound (the permutation test, betweenness): the service runs it
in a worker thread.

The figures are computed as they are; privacy is applied after (:func:`suppressed` for small
groups, the service for names), so that one computation serves Discord, the digest, the report
and ``/export metrics`` alike.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from bot.insights import brokers, cafes, flows, hoarding, participation, questions, silos
from bot.insights.charts import GroupEI, OrganisationFlow, OrganisationNode
from bot.insights.values import (
    Activity,
    Measure,
    Person,
    QuestionAsked,
    Reply,
    Scope,
    Seat,
    TableNotes,
)

# Scopes whose figures are about a group of people: shown only from the minimum group size on.
GROUP_SCOPES = frozenset(
    {Scope.ORGANISATION, Scope.STAKEHOLDER, Scope.LEVEL, Scope.CAFE_TABLE, Scope.PROMPT}
)

GROUPINGS: tuple[tuple[Scope, Callable[[Person], str | None]], ...] = (
    (Scope.ORGANISATION, lambda person: person.organisation),
    (Scope.STAKEHOLDER, lambda person: person.stakeholder),
    (Scope.LEVEL, lambda person: person.level),
)


@dataclass(frozen=True)
class CommunityData:
    """What storage supplies about one period (``bot.insights.service`` reads it)."""

    people: Sequence[Person]
    activity: Mapping[int, Activity]
    replies: Sequence[Reply]
    questions: Sequence[QuestionAsked] = ()
    seats: Sequence[Seat] = ()
    table_notes: Sequence[TableNotes] = ()
    daily: Sequence[tuple[date, str | None, int]] = ()
    """Messages per local day and stakeholder group."""
    organisation_groups: Mapping[str, str | None] = field(default_factory=dict)
    """Organisation -> its stakeholder group, from the register."""


@dataclass(frozen=True)
class CommunityFigures:
    measures: tuple[Measure, ...]
    given: tuple[int, ...]
    """Given per present person (the Lorenz curve's values)."""
    gini: float | None
    mixing: Mapping[Scope, Sequence[silos.GroupMixing]]
    verdicts: Mapping[tuple[Scope, str], silos.SiloVerdict]
    flows: flows.Flows
    daily: Mapping[str, Mapping[date, int]]
    organisations: tuple[OrganisationNode, ...]
    organisation_flows: tuple[OrganisationFlow, ...]

    def ei_groups(self, scope: Scope, min_group: int) -> list[GroupEI]:
        """The E-I chart's groups of ``scope``: those of at least ``min_group`` people with a
        defined E-I."""
        return [
            GroupEI(
                m.group,
                m.ei_index,
                m.ei_expected,
                self.verdicts[(scope, m.group)].silo,
            )
            for m in self.mixing.get(scope, ())
            if m.size >= min_group and m.ei_index is not None
        ]


def compute(
    data: CommunityData,
    *,
    now: datetime,
    min_group: int,
    earlier: Sequence[Mapping[int, Activity]] = (),
    seed: int = 0,
    networks: bool = True,
) -> CommunityFigures:
    """Every figure of the period. ``earlier``: the activity of the periods of the same length
    before it, oldest first (for the hoarding signal); ``seed`` makes the permutation test and
    sampled betweenness repeatable; ``networks`` False leaves out the costly network figures
    (silos and brokers: a trend's previous period needs only the counts)."""
    people, activity, replies = data.people, data.activity, data.replies
    measures: list[Measure] = []
    measures += participation.community_measures(people, activity)
    measures += participation.group_measures(people, activity)
    measures += participation.member_measures(people, activity)
    mixing: dict[Scope, list[silos.GroupMixing]] = {}
    verdicts: dict[tuple[Scope, str], silos.SiloVerdict] = {}
    for scope, group_of in GROUPINGS if networks else ():
        found = silos.group_mixing(people, replies, group_of, seed=seed)
        mixing[scope] = found
        for group in found:
            verdicts[(scope, group.group)] = silos.is_silo(group, min_group=min_group)
        measures += silos.mixing_measures(scope, found)
    measures += flows.flow_measures(people, replies)
    if networks:
        measures += brokers.broker_measures(people, replies, seed=seed)
    measures += questions.question_measures(data.questions, now)
    by_id = {person.user_id: person for person in people}
    measures += cafes.cafe_measures(data.seats, data.table_notes, by_id)
    measures += hoarding.hoarding_measures([*earlier, activity], people)
    given = tuple(participation.given_by_person(people, activity))
    return CommunityFigures(
        measures=tuple(measures),
        given=given,
        gini=participation.gini(given),
        mixing=mixing,
        verdicts=verdicts,
        flows=flows.flows(people, replies),
        daily=_daily(data.daily),
        organisations=_organisation_nodes(people, activity, data.organisation_groups),
        organisation_flows=_organisation_flows(people, replies),
    )


def suppressed(measures: Sequence[Measure], min_group: int) -> list[Measure]:
    """The measures as they may be shown: a group figure over fewer than ``min_group`` people
    has no value (shown "fewer than N"), and so has the community's when it is that small. (The
    community's question figures count questions, not people: they are not about a group.)"""
    return [
        Measure(m.scope, m.group, m.metric, None, m.n) if is_small_group(m, min_group) else m
        for m in measures
    ]


def is_small_group(measure: Measure, min_group: int) -> bool:
    """Whether the figure is about fewer people than the minimum group size."""
    if measure.n >= min_group:
        return False
    if measure.scope is Scope.COMMUNITY:
        return measure.group not in questions.GROUP_OF_KIND.values()
    return measure.scope in GROUP_SCOPES


def _daily(rows: Sequence[tuple[date, str | None, int]]) -> dict[str, dict[date, int]]:
    by_group: dict[str, dict[date, int]] = defaultdict(dict)
    for day, stakeholder, count in rows:
        series = by_group[stakeholder or "no group"]
        series[day] = series.get(day, 0) + count
    return dict(by_group)


def _organisation_nodes(
    people: Sequence[Person],
    activity: Mapping[int, Activity],
    groups: Mapping[str, str | None],
) -> tuple[OrganisationNode, ...]:
    given: Counter[str] = Counter()
    stakeholders: dict[str, Counter[str]] = defaultdict(Counter)
    for person in people:
        if person.organisation is None:
            continue
        given[person.organisation] += activity.get(person.user_id, Activity()).given
        if person.stakeholder:
            stakeholders[person.organisation][person.stakeholder] += 1
    nodes = []
    for name in sorted(given):
        stakeholder = groups.get(name)
        if stakeholder is None and stakeholders[name]:
            stakeholder = stakeholders[name].most_common(1)[0][0]
        nodes.append(OrganisationNode(name, given[name], stakeholder))
    return tuple(nodes)


def _organisation_flows(
    people: Sequence[Person], replies: Sequence[Reply]
) -> tuple[OrganisationFlow, ...]:
    organisation = {p.user_id: p.organisation for p in people}
    counts: Counter[tuple[str, str]] = Counter()
    for reply in replies:
        source, target = organisation.get(reply.source), organisation.get(reply.target)
        if source and target and reply.source != reply.target:
            counts[(source, target)] += reply.count
    return tuple(OrganisationFlow(s, t, c) for (s, t), c in sorted(counts.items()))
