"""The ``metrics`` export: every insight figure of the period in long form, exactly the columns
``period_start, period_end, scope, group, metric, value, n`` (issue 15, DESIGN.md section 7).

The figures are those of ``bot.insights`` for the same period. Privacy as everywhere: a group
figure over fewer people than the community's minimum group size has an empty value (its n
says why); a person is a pseudonym, or their name when the export asks for names and they chose
``/privacy visible``; people who opted out are in no figure.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.exports.cells import ColumnType
from bot.exports.sources import ExportScope, KindSource, TableSource
from bot.exports.tables import Column, Row, Table
from bot.insights.compute import is_small_group
from bot.insights.service import measure_batches
from bot.insights.values import Measure, Scope

METRICS = Table(
    "metrics",
    (
        Column(
            "period_start",
            ColumnType.DATE,
            "The period's first day, in the community's time zone (empty: from the start).",
            "2026-11-08",
        ),
        Column(
            "period_end",
            ColumnType.DATE,
            "The period's last day, included (empty: up to the export).",
            "2026-12-07",
        ),
        Column(
            "scope",
            ColumnType.TEXT,
            "What the figure is about: community, organisation, stakeholder, level, member, "
            "cafe_table, prompt, or platform (a learning-alliance platform linked, directly or "
            "through others, to this server's platforms; its figures count items and responses "
            "across links, not people, so they are never left empty for a small group).",
            "organisation",
        ),
        Column(
            "group",
            ColumnType.TEXT,
            "Which one: the organisation, group or level's name, a member's pseudonym (or name, "
            "by their choice), a café table, a prompt, a platform's name (with its server's "
            "name when two share one); empty for the whole community.",
            "WaterAid",
        ),
        Column(
            "metric",
            ColumnType.TEXT,
            "The figure's name (given, gini, ei_index, ...: see the insights documentation).",
            "ei_index",
        ),
        Column(
            "value",
            ColumnType.NUMBER,
            "The figure (empty: undefined, or a group smaller than the community's minimum "
            "group size, whose n then tells).",
            "-0.42",
        ),
        Column(
            "n",
            ColumnType.INTEGER,
            "How many people (or items) are behind it; for a platform, its links that existed "
            "in the period.",
            "12",
        ),
    ),
)


def metric_rows(stored: Iterable[Sequence[Any]], scope: ExportScope) -> Iterator[Row]:
    zone = ZoneInfo(scope.timezone)
    first: date | None = None if scope.start is None else scope.start.astimezone(zone).date()
    last: date | None = (
        None if scope.end is None else (scope.end.astimezone(zone) - timedelta(days=1)).date()
    )
    for scope_name, group, metric, value, n in stored:
        about = Scope(scope_name)
        if about is Scope.MEMBER:
            user_id = int(group)
            if scope.namer.is_absent(user_id):
                continue
            group = scope.namer.person(user_id)
        elif is_small_group(Measure(about, group, metric, value, n), scope.min_group):
            value = None
        yield first, last, scope_name, group, metric, value, n


SOURCE = KindSource((TableSource(METRICS, measure_batches, metric_rows),), rows_are="figures")
