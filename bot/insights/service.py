"""Insights as a service (``bot.insights``): a community and a period in, its figures out, with
the privacy rules applied (DESIGN.md section 8).

The rows come from storage on the event loop (aggregates computed by the database); the figures
and the charts are computed in a worker thread, so other commands keep being answered. A
community's figures for a period are kept for a few minutes: a coordinator who asks for the
network after the community view does not wait twice.

Who is named: a person's figures go to that person; coordinators see a person by name only when
they chose ``/privacy visible``, and not at all otherwise (``/export metrics`` gives pseudonyms).
Group figures over fewer people than the community's minimum group size have no value and read
"fewer than N".
"""

from __future__ import annotations

import asyncio
import dataclasses
import statistics
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.communities import MIN_GROUP_FLOOR, Communities, CommunitySettings
from bot.errors import NotFound
from bot.insights import charts
from bot.insights.alliance import AllianceFigures, alliance_figures, alliance_measures
from bot.insights.alliance_text import alliance_lines
from bot.insights.cafes import cafe_measures
from bot.insights.compute import CommunityData, CommunityFigures, compute, suppressed
from bot.insights.report import (
    CHART_ACTIVITY,
    CHART_EI,
    CHART_KEYS,
    CHART_LEVEL_MATRIX,
    CHART_LORENZ,
    CHART_NETWORK,
    CHART_STAKEHOLDER_MATRIX,
    report_html,
)
from bot.insights.text import measure_text, trend_text
from bot.insights.values import Activity, Measure, Scope
from bot.periods import Period
from bot.platforms.service import AllianceData, Platforms, read_alliance
from bot.platforms.values import Platform
from storage import insights as queries
from storage.db import Database
from storage.exports.people import export_people
from storage.members import get_member
from storage.organisations import list_organisations

CACHE_SECONDS = 300.0
OPEN_START = datetime(2000, 1, 1, tzinfo=UTC)
"""Where an open period ("everything logged") starts for the alliance's figures, whose links
and flows need a start: before any platform could have been made."""

MeasureKey = tuple[Scope, str, str]


@dataclass(frozen=True)
class CommunityInsights:
    """A community's figures for a period, as they may be shown."""

    community: CommunitySettings
    period: Period
    figures: CommunityFigures
    shown: tuple[Measure, ...]
    """Every measure, small groups suppressed (value None, n under the minimum)."""
    previous: Mapping[MeasureKey, float | None]
    """The previous period's values (suppressed the same way), for the trend; empty for an
    open period."""
    visible_names: Mapping[int, str]
    """People who chose to be named: user id -> display name."""

    @property
    def min_group(self) -> int:
        return self.community.min_group

    @property
    def period_text(self) -> str:
        return self.period.describe()

    def value(self, scope: Scope, group: str, metric: str) -> Measure | None:
        for measure in self.shown:
            if (measure.scope, measure.group, measure.metric) == (scope, group, metric):
                return measure
        return None

    def shown_text(self, scope: Scope, group: str, metric: str) -> str:
        """The figure as people read it, with its trend: "12.5% ▲ from 10%"."""
        measure = self.value(scope, group, metric)
        text = measure_text(measure, self.min_group)
        trend = trend_text(
            metric,
            None if measure is None else measure.value,
            self.previous.get((scope, group, metric)),
        )
        return f"{text} {trend}".strip()

    def of_scope(self, scope: Scope, metric: str) -> list[Measure]:
        return [m for m in self.shown if m.scope is scope and m.metric == metric]

    def named_members(self) -> dict[str, str]:
        """Member measure groups (user ids as text) of those who may be named -> their name."""
        return {str(user_id): name for user_id, name in self.visible_names.items()}


@dataclass(frozen=True)
class MemberInsights:
    """One person's figures and the community's middle values to compare them with."""

    period: Period
    given: int
    received: int
    give_ratio: float | None
    median_given: float | None
    median_received: float | None
    median_give_ratio: float | None
    members: int
    share_given_more: float | None
    """The share of present members who gave more than this person."""


@dataclass(frozen=True)
class AllianceInsights:
    """A learning alliance seen from one server, for a period: its figures, the lines that say
    them, and its picture (PNG)."""

    period: Period
    figures: AllianceFigures
    platforms: tuple[Platform, ...]
    home_ids: frozenset[int]
    names: Mapping[int, str]
    """Platform id -> its name as shown (with its server when two platforms share a name)."""
    lines: tuple[str, ...]
    chart: bytes

    @property
    def period_text(self) -> str:
        return self.period.describe()

    @property
    def has_links(self) -> bool:
        return bool(self.figures.links)


class Insights:
    def __init__(
        self, db: Database, communities: Communities, platforms: Platforms | None = None
    ) -> None:
        self.db = db
        self.communities = communities
        self.platforms = platforms if platforms is not None else Platforms(db)
        self._cache: dict[
            tuple[int, Period, str, int], tuple[float, CommunityFigures, Sequence[Measure]]
        ] = {}

    async def community(
        self, guild_id: int, period: Period, *, now: datetime | None = None
    ) -> CommunityInsights:
        """Every figure of the community for ``period`` (days in its time zone). The figures
        are kept a few minutes; who may be named is read afresh every time, so a person who
        withdraws consent is never named from a kept copy."""
        community = await self._community(guild_id)
        key = (guild_id, period, community.timezone, community.min_group)
        cached = self._cache.get(key)
        if cached is not None and time.monotonic() - cached[0] < CACHE_SECONDS and now is None:
            figures, before = cached[1], cached[2]
        else:
            figures, before = await self._figures(community, period, now or datetime.now(UTC))
            self._cache[key] = (time.monotonic(), figures, before)
        # Tens of thousands of figures on a large community: suppressed off the event loop too.
        shown, previous = await asyncio.to_thread(
            _as_shown, figures.measures, before, community.min_group
        )
        async with self.db.session() as session:
            people = await export_people(session, guild_id)
        return CommunityInsights(
            community=community,
            period=period,
            figures=figures,
            shown=shown,
            previous=previous,
            visible_names=people.visible_names,
        )

    async def _figures(
        self, community: CommunitySettings, period: Period, now: datetime
    ) -> tuple[CommunityFigures, Sequence[Measure]]:
        """The period's figures, and the counting figures of the period before (none for an
        open period)."""
        start, end = period.bounds(community.timezone)
        data = await self._data(community, start, end)
        previous_period = period.previous()
        earlier: list[Mapping[int, Activity]] = []
        previous_data, previous_end = None, None
        if previous_period is not None:
            previous_start, previous_end = previous_period.bounds(community.timezone)
            previous_data = await self._data(community, previous_start, previous_end)
            earlier.append(previous_data.activity)
        until = now if end is None else min(end, now)
        figures = await asyncio.to_thread(
            compute, data, now=until, min_group=community.min_group, earlier=earlier
        )
        if previous_data is None or previous_end is None:
            return figures, ()
        before = await asyncio.to_thread(
            compute,
            previous_data,
            now=previous_end,
            min_group=community.min_group,
            networks=False,
        )
        return figures, before.measures

    async def member(self, guild_id: int, user_id: int, period: Period) -> MemberInsights:
        """One person's given, received and give ratio, next to the community's medians: only
        the counts, so it stays quick however large the community."""
        community = await self._community(guild_id)
        start, end = period.bounds(community.timezone)
        async with self.db.session() as session:
            people = await queries.present_people(session, guild_id, start, end)
            activity = await queries.activity_by_person(session, guild_id, start, end)
        present = [activity.get(p.user_id, Activity()) for p in people]
        mine = activity.get(user_id, Activity())
        ratios = [a.give_ratio for a in present if a.give_ratio is not None]
        given = [a.given for a in present]
        return MemberInsights(
            period=period,
            given=mine.given,
            received=mine.received,
            give_ratio=mine.give_ratio,
            median_given=statistics.median(given) if given else None,
            median_received=statistics.median([a.received for a in present]) if present else None,
            median_give_ratio=statistics.median(ratios) if ratios else None,
            members=len(present),
            share_given_more=(
                sum(1 for g in given if g > mine.given) / len(given) if given else None
            ),
        )

    async def named(self, guild_id: int, user_id: int) -> bool:
        """Whether the person chose to be named (``/privacy visible``) and is not opted out."""
        async with self.db.session() as session:
            member = await get_member(session, guild_id, user_id)
        return member is not None and member.name_visible and member.opted_out_at is None

    async def alliance(
        self, guild_id: int, period: Period, *, now: datetime | None = None
    ) -> AllianceInsights:
        """The learning alliance of this server's platforms in ``period`` (days in the
        community's time zone): the figures, their lines and the picture, computed in a worker
        thread. A server with no platform is told how to make one."""
        community = await self._community(guild_id)
        start, end = alliance_bounds(period, community.timezone, now or datetime.now(UTC))
        data = await self.platforms.alliance(guild_id, start, end)
        if not data.home_ids:
            raise NotFound(
                "This server is not a learning platform yet, so it has no alliance to show.",
                "A moderator makes it one with `/platform create`, then links it to other "
                "platforms with `/platform invite`.",
            )
        return await asyncio.to_thread(_alliance_insights, data, period, start, end)

    async def cafe(self, guild_id: int, cafe_id: int | None) -> tuple[list[Measure], int, int]:
        """The figures of one café (the latest with seats when None), small tables suppressed;
        with the community's minimum group size and the café's number."""
        community = await self._community(guild_id)
        async with self.db.session() as session:
            if cafe_id is None:
                cafe_id = await queries.latest_cafe_id(session, guild_id)
                if cafe_id is None:
                    raise NotFound(
                        "No café has seated anyone here yet.",
                        "Plan one with `/cafe create`; its figures appear once it runs.",
                    )
            seats = await queries.cafe_seats(session, guild_id, None, None, cafe_id=cafe_id)
            notes = await queries.cafe_table_notes(session, guild_id, None, None, cafe_id=cafe_id)
            people = await queries.present_people(session, guild_id, None, None)
        if not seats and not notes:
            raise NotFound(
                f"Café #{cafe_id} has no seats here.",
                "Give the number of a café of this server that has run (`/cafe list`).",
            )
        by_id = {person.user_id: person for person in people}
        measures = cafe_measures(seats, notes, by_id)
        return suppressed(measures, community.min_group), community.min_group, cafe_id

    async def report(
        self, guild_id: int, period: Period, *, made_by: str, now: datetime | None = None
    ) -> str:
        """The self-contained HTML report of the period, every chart inline; people named only
        if they chose it."""
        found = await self.community(guild_id, period, now=now)
        drawn = await self.charts(found, CHARTS)
        return await asyncio.to_thread(
            report_html,
            community=found.community.name,
            period_text=found.period_text,
            made_at=now or datetime.now(UTC),
            made_by=made_by,
            min_group=found.min_group,
            measures=found.shown,
            previous=found.previous,
            charts=drawn,
            names=found.named_members(),
        )

    async def charts(self, insights: CommunityInsights, keys: Sequence[str]) -> dict[str, bytes]:
        """The charts named by ``keys`` (:data:`CHARTS`), drawn in a worker thread."""
        return await asyncio.to_thread(draw_charts, insights, keys)

    async def _community(self, guild_id: int) -> CommunitySettings:
        community = await self.communities.find(guild_id)
        if community is None:
            raise NotFound(
                f"copbot knows no server with id {guild_id}.",
                "Check the id: it is the server's id (Developer Mode, Copy Server ID).",
            )
        return community

    async def _data(
        self, community: CommunitySettings, start: datetime | None, end: datetime | None
    ) -> CommunityData:
        async with self.db.session() as session:
            return await read_community_data(
                session, community.guild_id, start, end, community.timezone
            )


def _as_shown(
    measures: Sequence[Measure], before: Sequence[Measure], min_group: int
) -> tuple[tuple[Measure, ...], dict[MeasureKey, float | None]]:
    """The period's measures and the previous period's values, small groups suppressed."""
    previous = {(m.scope, m.group, m.metric): m.value for m in suppressed(before, min_group)}
    return tuple(suppressed(measures, min_group)), previous


async def read_community_data(
    session: AsyncSession,
    community_id: int,
    start: datetime | None,
    end: datetime | None,
    timezone: str = "UTC",
) -> CommunityData:
    """What the figures of [start, end) are computed from, people who are not present (or
    opted out) left out of every part."""
    people = await queries.present_people(session, community_id, start, end)
    activity = await queries.activity_by_person(session, community_id, start, end)
    replies = await queries.reply_edges(session, community_id, start, end)
    asked = await queries.questions_asked(session, community_id, start, end)
    seats = await queries.cafe_seats(session, community_id, start, end)
    notes = await queries.cafe_table_notes(session, community_id, start, end)
    daily = await queries.daily_messages_by_stakeholder(session, community_id, start, end, timezone)
    organisations, _ = await list_organisations(session, community_id)

    def assembled() -> CommunityData:
        present = {p.user_id for p in people}
        return CommunityData(
            people=people,
            activity={user: a for user, a in activity.items() if user in present},
            replies=[r for r in replies if r.source in present and r.target in present],
            questions=asked,
            seats=seats,
            table_notes=notes,
            daily=daily,
            organisation_groups={o.name: o.stakeholder for o in organisations},
        )

    # A hundred thousand edges filtered: in a worker thread, not on the event loop.
    return await asyncio.to_thread(assembled)


def alliance_bounds(period: Period, timezone: str, now: datetime) -> tuple[datetime, datetime]:
    """The period's bounds for the alliance's figures: an open start is :data:`OPEN_START`, an
    open end is ``now``."""
    start, end = period.bounds(timezone)
    return start or OPEN_START, end or now


def shown_names(data: AllianceData) -> dict[int, str]:
    """Each platform's name, with its server's name when another platform of the alliance has
    the same name (two districts may both call theirs "WASH platform")."""
    counts: dict[str, int] = {}
    for platform in data.platforms:
        counts[platform.name] = counts.get(platform.name, 0) + 1
    return {
        platform.id: (
            f"{platform.name} ({data.server_names.get(platform.community_id, 'another server')})"
            if counts[platform.name] > 1
            else platform.name
        )
        for platform in data.platforms
    }


def _alliance_insights(
    data: AllianceData, period: Period, start: datetime, end: datetime
) -> AllianceInsights:
    figures = alliance_figures(data.platforms, data.links, data.flows, start, end)
    names = shown_names(data)
    lines = alliance_lines(
        figures,
        names,
        {platform.id: platform.level for platform in data.platforms},
        period=period.describe(),
    )
    # The chart names platforms by their own names: pass them as shown.
    drawn = [dataclasses.replace(platform, name=names[platform.id]) for platform in data.platforms]
    chart = charts.alliance_chart(figures, drawn, f"The learning alliance · {period.describe()}")
    return AllianceInsights(
        period=period,
        figures=figures,
        platforms=data.platforms,
        home_ids=data.home_ids,
        names=names,
        lines=tuple(lines),
        chart=chart,
    )


# --- /export metrics ---------------------------------------------------------------------------


async def measure_batches(
    session: AsyncSession, community_id: int, start: datetime | None, end: datetime | None
) -> AsyncIterator[Sequence[tuple[str, str, str, float | None, int]]]:
    """Every figure of [start, end) as rows ``(scope, group, metric, value, n)`` for the
    ``metrics`` export (``bot.exports.metrics``), unsuppressed: the export applies the minimum
    group size and the names. A member's group is their user id as text."""
    data = await read_community_data(session, community_id, start, end)
    earlier: list[Mapping[int, Activity]] = []
    if start is not None and end is not None:
        before = await queries.activity_by_person(
            session, community_id, start - (end - start), start
        )
        earlier.append(before)
    now = datetime.now(UTC)
    until = now if end is None else min(end, now)
    figures = await asyncio.to_thread(
        compute, data, now=until, min_group=MIN_GROUP_FLOOR, earlier=earlier
    )
    rows = [(m.scope.value, m.group, m.metric, m.value, m.n) for m in figures.measures]
    rows += [
        (m.scope.value, m.group, m.metric, m.value, m.n)
        for m in await _platform_measures(session, community_id, start, until)
    ]
    for first in range(0, len(rows), 5_000):
        yield rows[first : first + 5_000]


async def _platform_measures(
    session: AsyncSession, community_id: int, start: datetime | None, end: datetime
) -> list[Measure]:
    """The ``platform`` rows: every platform of the alliance of the server's platforms, in
    [start, end) (an open start is :data:`OPEN_START`); none when the server has no platform.
    Platform names are not people: they are written as they are."""
    begin = start or OPEN_START
    data = await read_alliance(session, community_id, begin, end)
    if not data.home_ids:
        return []

    def computed() -> list[Measure]:
        figures = alliance_figures(data.platforms, data.links, data.flows, begin, end)
        return alliance_measures(figures, shown_names(data))

    return await asyncio.to_thread(computed)


# --- charts -----------------------------------------------------------------------------------

CHARTS = CHART_KEYS
"""The charts, by key, in the order the report shows them."""
EI_SCOPES = {key: scope for scope, key in CHART_EI.items()}
SMALL_GROUPS = "smaller groups"
"""Where the activity chart puts stakeholder groups too small to show on their own."""


def draw_charts(insights: CommunityInsights, keys: Sequence[str]) -> dict[str, bytes]:
    """The charts named by ``keys``, privacy applied: no group smaller than the community's
    minimum group size is drawn on its own (its activity joins :data:`SMALL_GROUPS`, its row
    and column leave a matrix, its organisation leaves the network), and nobody is named."""
    figures, period, min_group = insights.figures, insights.period_text, insights.min_group
    sizes = {(m.scope, m.group): m.n for m in insights.figures.measures if m.metric == "given"}
    colours = charts.stakeholder_colours(
        {node.stakeholder for node in figures.organisations if node.stakeholder}
        | set(figures.daily)
        | {SMALL_GROUPS}
    )
    drawn: dict[str, bytes] = {}
    for key in keys:
        if key == CHART_ACTIVITY:
            daily: dict[str, dict[date, int]] = {}
            for group, series in figures.daily.items():
                shown = group if sizes.get((Scope.STAKEHOLDER, group), 0) >= min_group else None
                target = daily.setdefault(shown or SMALL_GROUPS, {})
                for day, count in series.items():
                    target[day] = target.get(day, 0) + count
            drawn[key] = charts.activity_chart(
                daily,
                f"Messages by stakeholder group · {period}",
                first_day=insights.period.since,
                last_day=insights.period.until,
                colours=colours,
            )
        elif key == CHART_LORENZ:
            gini = insights.value(Scope.COMMUNITY, "", "gini")
            drawn[key] = charts.lorenz_chart(
                figures.given,
                None if gini is None else gini.value,
                f"Who contributes: the Lorenz curve · {period}",
            )
        elif key in EI_SCOPES:
            scope = EI_SCOPES[key]
            drawn[key] = charts.ei_chart(
                figures.ei_groups(scope, min_group),
                f"E-I index by {scope.value} · {period}",
            )
        elif key in (CHART_LEVEL_MATRIX, CHART_STAKEHOLDER_MATRIX):
            levels = key == CHART_LEVEL_MATRIX
            matrix = figures.flows.levels if levels else figures.flows.stakeholders
            kind = "level" if levels else "stakeholder group"
            kept = [i for i, size in enumerate(matrix.sizes) if size >= min_group]
            drawn[key] = charts.flow_matrix_chart(
                [matrix.labels[i] for i in kept],
                [[matrix.counts[i][j] for j in kept] for i in kept],
                f"Replies between {kind}s · {period}",
                kind=kind,
            )
        elif key == CHART_NETWORK:
            organisations = {
                group
                for (scope, group), size in sizes.items()
                if scope is Scope.ORGANISATION and size >= min_group
            }
            drawn[key] = charts.network_chart(
                [node for node in figures.organisations if node.name in organisations],
                [
                    flow
                    for flow in figures.organisation_flows
                    if flow.source in organisations and flow.target in organisations
                ],
                f"Organisations and their replies · {period}",
                colours=colours,
            )
        else:
            raise KeyError(f"no chart {key!r}")
    return drawn
