"""The insights report: one self-contained HTML page of a community's figures for one period,
which a coordinator opens in a browser and prints to PDF for a steering group.

Plain values in (the measures already suppressed for small groups, the previous period's values,
the charts as PNG bytes, the names people may be shown by), one HTML string out: no Discord, no
SQL, no file. The page holds everything it shows: the charts are inline ``data:`` images, the
style is one ``<style>`` element, and there is no script, no link and no font to fetch. A
Content-Security-Policy ``<meta>`` forbids loading anything but ``data:`` images and the inline
style, so a stray reference could not fetch anything, and a browser says so in its console (the
browser test reads that console).

What the page computes itself (everything else is read from the measures, whose formulas are in
the modules that make them: participation, silos, flows, brokers, questions, cafes, hoarding):

- Trend: for a figure whose (scope, group, metric) is in ``previous`` with a value, ▲ when this
  period's value is larger, ▼ when smaller, = when both read the same once formatted; the
  previous value is written next to the arrow. Up is not coloured as good or bad: more replies
  are welcome, a higher Gini is not.
- Silo or not: :func:`bot.insights.silos.is_silo` on the group's ``ei_index``, ``ei_expected``,
  ``ei_p_value`` and size (its ``n``): a silo needs E-I below the expected value, p < 0.05 and at
  least ``min_group`` people.
- Ordering of the long tables (organisations; at most :data:`TABLE_ROWS` rows, every figure is in
  ``/export metrics``): participation by given, most first; silos called first, then by
  E-I - expected, lowest first; brokerage by the sum of the five roles, most first. People by
  betweenness, highest first, at most :data:`TABLE_PEOPLE`. Figures without a value go last, by
  name.

Privacy: a figure without a value over fewer than ``min_group`` people reads "fewer than N", and
so does the size of such a group; a person (scope ``member``, group = their user id as text)
appears only when ``names`` gives how they may be shown, and only under that name; every text
that comes from data is escaped with :func:`html.escape`.

Formatting: counts with thousands separators; shares as percentages with at most one decimal
(``12.5%``, ``50%``); ratios (Gini, give ratio) to two decimals; E-I values to two decimals with
their sign; p-values to three decimals; hours to one decimal; means per person to one decimal.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime

from bot.insights import brokers, cafes, flows, hoarding, participation, questions, silos
from bot.insights.charts import DAILY_UP_TO_DAYS, NETWORK_MAX_FLOWS, NETWORK_MAX_NODES
from bot.insights.compute import is_small_group
from bot.insights.text import NO_DATA, READINGS, Form, format_value, reading_of
from bot.insights.values import Measure, Scope

CHART_ACTIVITY = "activity"
CHART_LORENZ = "lorenz"
CHART_EI = {
    Scope.ORGANISATION: "ei_organisation",
    Scope.STAKEHOLDER: "ei_stakeholder",
    Scope.LEVEL: "ei_level",
}
CHART_LEVEL_MATRIX = "level_matrix"
CHART_STAKEHOLDER_MATRIX = "stakeholder_matrix"
CHART_NETWORK = "network"
CHART_KEYS = (
    CHART_ACTIVITY,
    CHART_LORENZ,
    *CHART_EI.values(),
    CHART_LEVEL_MATRIX,
    CHART_STAKEHOLDER_MATRIX,
    CHART_NETWORK,
)

SECTIONS = (
    ("participation", "Participation"),
    ("activity", "Activity over time"),
    ("silos", "Silos"),
    ("flows", "Flows"),
    ("brokers", "Brokers"),
    ("questions", "Questions"),
    ("cafes", "Cafés"),
    ("hoarding", "Hoarding signals"),
)
"""Each section's id (its anchor) and heading, in the order of the page."""

TABLE_ROWS = 25
"""Organisations listed in a long table: a printed page or two, not ten."""
TABLE_PEOPLE = 10

CONTENT_SECURITY_POLICY = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
CHART_MEANINGS = {
    CHART_ACTIVITY: (
        "Contributions per day of each stakeholder group, stacked; over more than "
        f"{DAILY_UP_TO_DAYS} days each step is a week's mean per day."
    ),
    CHART_LORENZ: (
        "Members from least to most active along the bottom, the share of all contributions "
        "they made together up the side: the further the curve sags below the diagonal, the "
        "more unequal the giving (the Gini is twice the area between them)."
    ),
    CHART_LEVEL_MATRIX: (
        "Replies by people at each level (rows) to people at each level (columns): the outlined "
        "diagonal is horizontal flow, the rest vertical."
    ),
    CHART_STAKEHOLDER_MATRIX: (
        "Replies by people in each stakeholder group (rows) to people in each group (columns): "
        "the outlined diagonal stays within a group."
    ),
    CHART_NETWORK: (
        "Organisations as circles sized by their contributions and coloured by stakeholder "
        "group, with arrows for the replies between them, wider for more (at most "
        f"{NETWORK_MAX_NODES} organisations and {NETWORK_MAX_FLOWS} flows are drawn)."
    ),
}
EI_CHART_MEANING = (
    "Each group's E-I as a bar with the value expected under random mixing marked on it; "
    "groups called silos are drawn in vermillion."
)

SCOPE_NOUNS = {
    Scope.ORGANISATION: ("Organisation", "organisations"),
    Scope.STAKEHOLDER: ("Stakeholder group", "stakeholder groups"),
    Scope.LEVEL: ("Level", "levels"),
}

STYLE = """
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 62rem; padding: 1.5rem; background: #ffffff; color: #1b1b1b;
  font: 11pt/1.45 system-ui, "Segoe UI", Roboto, "DejaVu Sans", Arial, sans-serif; }
h1 { font-size: 1.8rem; margin: 0 0 0.3rem; }
h2 { font-size: 1.4rem; margin: 2.5rem 0 0.2rem; padding-bottom: 0.2rem;
  border-bottom: 2px solid #0072b2; }
h3 { font-size: 1.05rem; margin: 1.4rem 0 0.4rem; }
p { margin: 0.4rem 0; max-width: 48rem; }
.period, .made { color: #444444; margin: 0.1rem 0; }
.how { background: #f3f5f7; border-left: 4px solid #0072b2; padding: 0.6rem 1rem;
  margin: 1rem 0; }
table { border-collapse: collapse; width: 100%; margin: 0.5rem 0 0.8rem;
  font-variant-numeric: tabular-nums; }
th, td { border-bottom: 1px solid #d4d7db; padding: 0.3rem 0.5rem; text-align: left;
  vertical-align: top; overflow-wrap: break-word; }
th { background: #eef1f4; font-weight: 600; }
.number { text-align: right; }
.value { white-space: nowrap; }
.trend { display: block; font-size: 0.85em; color: #555555; white-space: nowrap; }
.hidden { color: #666666; font-style: italic; }
.silo { font-weight: 700; }
.meaning { color: #333333; font-size: 0.95em; }
dl.columns { margin: 0.3rem 0 1rem; font-size: 0.95em; }
dl.columns dt { font-weight: 600; }
dl.columns dd { margin: 0 0 0.35rem 1.2rem; }
figure.chart { margin: 1rem 0; padding: 0.8rem; background: #1e1f22; border-radius: 8px; }
figure.chart img { display: block; width: 100%; height: auto; }
figure.chart figcaption { color: #f2f3f5; margin-top: 0.5rem; font-size: 0.95em; }
@page { size: A4; margin: 14mm; }
@media print {
  body { max-width: none; padding: 0; font-size: 10pt; }
  section { break-before: page; }
  h2, h3 { break-after: avoid; }
  tr, figure, dl, .how { break-inside: avoid; }
  thead { display: table-header-group; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"""


def report_html(
    *,
    community: str,
    period_text: str,
    made_at: datetime,
    made_by: str,
    min_group: int,
    measures: Sequence[Measure],
    previous: Mapping[tuple[Scope, str, str], float | None],
    charts: Mapping[str, bytes],
    names: Mapping[str, str],
) -> str:
    """The report as one HTML page.

    ``measures`` are already suppressed (:func:`bot.insights.compute.suppressed`); ``previous``
    maps (scope, group, metric) to the previous period's value; ``charts`` maps keys of
    :data:`CHART_KEYS` to PNG bytes (a missing key: no chart); ``names`` maps a member's group
    (their user id as text) to how they may be shown; members not in it are left out."""
    for key, png in charts.items():
        if not png.startswith(PNG_SIGNATURE):
            raise ValueError(f"chart {key!r} is not a PNG picture")
    page = _Page(measures, previous, min_group, names, charts, period_text)
    made = made_at.astimezone(UTC) if made_at.tzinfo is not None else made_at
    title = f"Insights: {community} · {period_text}"
    builders: dict[str, Callable[[], str]] = {
        "participation": page.participation,
        "activity": page.activity,
        "silos": page.silos,
        "flows": page.flows,
        "brokers": page.brokers,
        "questions": page.questions,
        "cafes": page.cafes,
        "hoarding": page.hoarding,
    }
    sections = "\n".join(
        f'<section id="{anchor}">\n<h2>{_e(heading)}</h2>\n'
        f'<p class="period">{_e(period_text)}</p>\n{builders[anchor]()}\n</section>'
        for anchor, heading in SECTIONS
    )
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{CONTENT_SECURITY_POLICY}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_e(title)}</title>
<style>{STYLE}</style>
</head>
<body>
<header>
<h1>{_e(community)}: insights</h1>
<p class="period">Period: {_e(period_text)}</p>
<p class="made">Made {made:%Y-%m-%d %H:%M} UTC by {_e(made_by)}.</p>
<div class="how">
<h2 id="how-to-read">How to read this</h2>
{_how_to_read(min_group)}
</div>
</header>
<main>
{sections}
</main>
</body>
</html>
"""


def _how_to_read(min_group: int) -> str:
    return (
        "<p>Every figure is about the period above and counts the people present in the "
        "community who did not opt out. Under a figure, ▲ or ▼ says whether it went up or down "
        "since the previous period of the same length, followed by that period's value (= when "
        "it did not change); up is not always better. "
        f"“Fewer than {min_group}” stands where fewer than {min_group} people are behind a "
        "figure: it is not shown, so that nobody can be singled out. “No data” means there was "
        "nothing to compute it from. People are named only when they chose to be visible; "
        "otherwise they appear under a pseudonym or not at all. Each figure comes with one "
        "sentence on what it means and how it was computed.</p>"
    )


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _png_size(png: bytes) -> tuple[int, int]:
    """Width and height from the PNG header (its IHDR chunk)."""
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")


class _Page:
    """The figures of one report and how each part of the page is written from them."""

    def __init__(
        self,
        measures: Sequence[Measure],
        previous: Mapping[tuple[Scope, str, str], float | None],
        min_group: int,
        names: Mapping[str, str],
        charts: Mapping[str, bytes],
        period_text: str,
    ) -> None:
        self.by_key = {(m.scope, m.group, m.metric): m for m in measures}
        self.groups: dict[tuple[Scope, str], list[str]] = {}
        for m in measures:
            found = self.groups.setdefault((m.scope, m.metric), [])
            found.append(m.group)
        self.previous = previous
        self.min_group = min_group
        self.names = names
        self.charts = charts
        self.period_text = period_text
        self.fewer = f"fewer than {min_group}"

    # Cells -------------------------------------------------------------------------------

    def value(self, scope: Scope, group: str, metric: str) -> float | None:
        found = self.by_key.get((scope, group, metric))
        return None if found is None else found.value

    def cell(self, scope: Scope, group: str, metric: str, *, trend: bool = True) -> str:
        """A figure's table cell: its value (or why there is none) and its trend."""
        found = self.by_key.get((scope, group, metric))
        form = reading_of(metric).form
        if found is None or found.value is None:
            hidden = found is not None and is_small_group(found, self.min_group)
            text = self.fewer if hidden else NO_DATA
            return f'<td class="number"><span class="hidden">{_e(text)}</span></td>'
        shown = format_value(found.value, form)
        trend_html = self.trend(scope, group, metric, found.value, form) if trend else ""
        return f'<td class="number"><span class="value">{_e(shown)}</span>{trend_html}</td>'

    def trend(self, scope: Scope, group: str, metric: str, now: float, form: Form) -> str:
        key = (scope, group, metric)
        if key not in self.previous:
            return ""
        before = self.previous[key]
        if before is None:
            return '<span class="trend">no figure before</span>'
        then = format_value(before, form)
        unchanged = then == format_value(now, form)
        arrow = "=" if unchanged else "▲" if now > before else "▼"
        return f'<span class="trend">{arrow} from {_e(then)}</span>'

    def size_cell(self, n: int) -> str:
        """A group's size, hidden when small (a café's figures are community-wide ones, but
        about the few people who sat there)."""
        if n < self.min_group:
            return f'<td class="number"><span class="hidden">{_e(self.fewer)}</span></td>'
        return f'<td class="number">{n:,}</td>'

    def n_of(self, scope: Scope, group: str, metrics: Iterable[str]) -> int:
        for metric in metrics:
            found = self.by_key.get((scope, group, metric))
            if found is not None:
                return found.n
        return 0

    # Blocks ------------------------------------------------------------------------------

    def chart(self, key: str, meaning: str, alt: str) -> str:
        png = self.charts.get(key)
        if png is None:
            return ""
        width, height = _png_size(png)
        data = base64.b64encode(png).decode("ascii")
        return (
            f'<figure class="chart"><img src="data:image/png;base64,{data}" '
            f'width="{width}" height="{height}" alt="{_e(alt)}">'
            f"<figcaption>{_e(meaning)}</figcaption></figure>"
        )

    def figure_table(self, scope: Scope, group: str, metrics: Sequence[str]) -> str:
        """One row per figure: its label, its value with the trend, and its sentence."""
        rows = "\n".join(
            f'<tr><th scope="row">{_e(reading_of(metric).label)}</th>'
            f"{self.cell(scope, group, metric)}"
            f'<td class="meaning">{_e(reading_of(metric).meaning)}</td></tr>'
            for metric in metrics
        )
        return (
            '<table><thead><tr><th>Figure</th><th class="number">This period</th>'
            f"<th>What it means</th></tr></thead>\n<tbody>\n{rows}\n</tbody></table>"
        )

    def group_table(
        self,
        scope: Scope,
        first_header: str,
        groups: Sequence[str],
        metrics: Sequence[str],
        shown_as: Callable[[str], str] = str,
        extra: Callable[[str], str] | None = None,
        extra_header: str = "",
        sized: bool = True,
        explained: bool = True,
    ) -> str:
        """A row per group: its name, its size, each metric's cell; then each column's sentence
        (unless ``explained`` is False: a table above in the section has the same columns)."""
        headers = [f"<th>{_e(first_header)}</th>"]
        if sized:
            headers.append('<th class="number">People</th>')
        headers += [f'<th class="number">{_e(reading_of(m).label)}</th>' for m in metrics]
        if extra is not None:
            headers.append(f"<th>{_e(extra_header)}</th>")
        rows = []
        for group in groups:
            cells = [f'<th scope="row">{_e(shown_as(group))}</th>']
            if sized:
                cells.append(self.size_cell(self.n_of(scope, group, metrics)))
            cells += [self.cell(scope, group, metric) for metric in metrics]
            if extra is not None:
                cells.append(extra(group))
            rows.append(f"<tr>{''.join(cells)}</tr>")
        notes = "".join(
            f"<dt>{_e(reading_of(m).label)}</dt><dd>{_e(reading_of(m).meaning)}</dd>"
            for m in metrics
            if explained
        )
        return (
            f"<table><thead><tr>{''.join(headers)}</tr></thead>\n<tbody>\n"
            + "\n".join(rows)
            + (
                f'\n</tbody></table>\n<dl class="columns">{notes}</dl>'
                if notes
                else "\n</tbody></table>"
            )
        )

    @staticmethod
    def ordered(keys: Mapping[str, float | None]) -> list[str]:
        """The groups of ``keys`` by their key ascending, those without one last, ties and the
        rest by name."""
        return sorted(
            keys,
            key=lambda group: (
                keys[group] is None,
                keys[group] or 0.0,
                group.casefold(),
                group,
            ),
        )

    def members_named(self, metric: str) -> list[str]:
        """The member groups with ``metric`` that may be shown (those in ``names``)."""
        return [g for g in self.groups.get((Scope.MEMBER, metric), []) if g in self.names]

    def name_of(self, group: str) -> str:
        return self.names[group]

    @staticmethod
    def nothing(text: str) -> str:
        return f"<p>{_e(text)}</p>"

    def cut_note(self, shown: int, total: int, what: str) -> str:
        if total <= shown:
            return ""
        return self.nothing(
            f"The first {shown} of {total:,} {what} are listed; every figure is in the metrics "
            "export (/export metrics)."
        )

    # Sections ----------------------------------------------------------------------------

    def participation(self) -> str:
        parts = [
            self.figure_table(
                Scope.COMMUNITY,
                "",
                (
                    participation.MEMBERS,
                    participation.CONTRIBUTIONS,
                    participation.SHARE_SILENT,
                    participation.GINI,
                    participation.TOP1_SHARE,
                    participation.TOP10_SHARE,
                    participation.ABSENCE_FACTOR,
                    participation.ELEPHANT_FACTOR,
                ),
            ),
            self.chart(CHART_LORENZ, CHART_MEANINGS[CHART_LORENZ], "Lorenz curve of giving"),
        ]
        metrics = (
            participation.GIVEN,
            participation.RECEIVED,
            participation.GIVE_RATIO,
            participation.SHARE_SILENT,
        )
        explained = False
        for scope in (Scope.STAKEHOLDER, Scope.LEVEL, Scope.ORGANISATION):
            header, plural = SCOPE_NOUNS[scope]
            groups = self.groups.get((scope, participation.GIVEN), [])
            parts.append(f"<h3>By {_e(header.lower())}</h3>")
            if not groups:
                parts.append(self.nothing(f"No {plural} in the profiles of the people present."))
                continue
            ordered = self.ordered(
                {g: _negated(self.value(scope, g, participation.GIVEN)) for g in groups}
            )
            shown = ordered[:TABLE_ROWS] if scope is Scope.ORGANISATION else ordered
            parts.append(self.cut_note(len(shown), len(ordered), f"{plural}, most given first,"))
            parts.append(self.group_table(scope, header, shown, metrics, explained=not explained))
            explained = True
        return "\n".join(part for part in parts if part)

    def activity(self) -> str:
        chart = self.chart(
            CHART_ACTIVITY, CHART_MEANINGS[CHART_ACTIVITY], "Contributions over time"
        )
        return chart or self.nothing("No activity chart for this period.")

    def silos(self) -> str:
        parts = [
            self.nothing(
                "A group is called a silo only when its E-I is below the value expected for its "
                f"size, its p-value is under {silos.SIGNIFICANCE:g} and it has at least "
                f"{self.min_group} people: a small group is never called a silo on chance alone."
            )
        ]
        metrics = (silos.EI_INDEX, silos.EI_EXPECTED, silos.EI_P_VALUE)
        explained = False
        for scope in (Scope.ORGANISATION, Scope.STAKEHOLDER, Scope.LEVEL):
            header, plural = SCOPE_NOUNS[scope]
            parts.append(f"<h3>{_e(plural.capitalize())}</h3>")
            groups = self.groups.get((scope, silos.EI_INDEX), [])
            if not groups:
                parts.append(self.nothing(f"No {plural} in the profiles of the people present."))
                continue
            verdict = {group: self.is_silo(scope, group) for group in groups}
            ordered = self.ordered({g: self.openness(scope, g) for g in groups})
            ordered.sort(key=lambda group: not verdict[group])  # silos first, order kept
            shown = ordered[:TABLE_ROWS]
            parts.append(self.cut_note(len(shown), len(ordered), f"{plural}, silos first,"))

            def silo_cell(group: str, verdict: dict[str, bool] = verdict) -> str:
                if verdict[group]:
                    return '<td><span class="silo">silo</span></td>'
                return "<td>no</td>"

            parts.append(
                self.group_table(
                    scope,
                    header,
                    shown,
                    metrics,
                    extra=silo_cell,
                    extra_header="Silo?",
                    explained=not explained,
                )
            )
            explained = True
            parts.append(
                self.chart(CHART_EI[scope], EI_CHART_MEANING, f"E-I index per {header.lower()}")
            )
        return "\n".join(part for part in parts if part)

    def is_silo(self, scope: Scope, group: str) -> bool:
        n = self.n_of(scope, group, (silos.EI_INDEX,))
        mixing = silos.GroupMixing(
            group=group,
            size=n,
            internal=round(self.value(scope, group, silos.INTERNAL_EDGES) or 0),
            external=round(self.value(scope, group, silos.EXTERNAL_EDGES) or 0),
            ei_index=self.value(scope, group, silos.EI_INDEX),
            ei_expected=self.value(scope, group, silos.EI_EXPECTED),
            p_value=self.value(scope, group, silos.EI_P_VALUE),
        )
        return silos.is_silo(mixing, min_group=self.min_group).silo

    def openness(self, scope: Scope, group: str) -> float | None:
        observed = self.value(scope, group, silos.EI_INDEX)
        expected = self.value(scope, group, silos.EI_EXPECTED)
        if observed is None or expected is None:
            return None
        return observed - expected

    def flows(self) -> str:
        parts = [
            self.figure_table(
                Scope.COMMUNITY,
                "",
                (
                    flows.HORIZONTAL_EDGES,
                    flows.VERTICAL_EDGES,
                    flows.UNPLACED_EDGES,
                    flows.RECIPROCITY,
                ),
            ),
            "<h3>Level to level</h3>",
            self.chart(
                CHART_LEVEL_MATRIX, CHART_MEANINGS[CHART_LEVEL_MATRIX], "Replies level to level"
            ),
            self.matrix_table(Scope.LEVEL, "levels"),
            "<h3>Stakeholder group to stakeholder group</h3>",
            self.chart(
                CHART_STAKEHOLDER_MATRIX,
                CHART_MEANINGS[CHART_STAKEHOLDER_MATRIX],
                "Replies stakeholder group to stakeholder group",
            ),
            self.matrix_table(Scope.STAKEHOLDER, "stakeholder groups"),
        ]
        return "\n".join(part for part in parts if part)

    def matrix_table(self, scope: Scope, plural: str) -> str:
        """Replies from each group (rows) to each (columns), groups with nobody in them left
        out; a row over fewer than ``min_group`` people reads "fewer than N"."""
        cell_metrics = {
            m.group: m.n
            for m in self.by_key.values()
            if m.scope is scope and m.metric.startswith(flows.REPLIES_TO)
        }
        labels = [group for group, n in cell_metrics.items() if n > 0]
        if not labels:
            return self.nothing(f"No {plural} in the profiles of the people present.")
        header = "".join(f'<th class="number">to {_e(label)}</th>' for label in labels)
        rows = "\n".join(
            f'<tr><th scope="row">from {_e(source)}</th>'
            + "".join(
                self.cell(scope, source, flows.REPLIES_TO + flows.snake_case(target), trend=False)
                for target in labels
            )
            + "</tr>"
            for source in labels
        )
        return (
            f"<table><thead><tr><th>Replies</th>{header}</tr></thead>\n<tbody>\n{rows}\n"
            "</tbody></table>"
        )

    def brokers(self) -> str:
        parts = [
            self.chart(CHART_NETWORK, CHART_MEANINGS[CHART_NETWORK], "Organisation network"),
            "<h3>Organisations as brokers</h3>",
            self.nothing(
                "Gould and Fernandez brokerage: two-step reply paths A → B → C with no direct "
                "reply from A to C, counted for the organisation of the broker B by where A and "
                "C belong."
            ),
        ]
        roles = tuple(role.metric for role in brokers.ROLES)
        groups = self.groups.get((Scope.ORGANISATION, brokers.BROKERAGE_COORDINATOR), [])
        if groups:
            ordered = self.ordered(
                {
                    g: _negated(_total(self.value(Scope.ORGANISATION, g, m) for m in roles))
                    for g in groups
                }
            )
            shown = ordered[:TABLE_ROWS]
            parts.append(
                self.cut_note(len(shown), len(ordered), "organisations, most brokerage first,")
            )
            parts.append(self.group_table(Scope.ORGANISATION, "Organisation", shown, roles))
        else:
            parts.append(self.nothing("No organisations in the profiles of the people present."))
        parts.append("<h3>People between others</h3>")
        people = self.members_named(brokers.BETWEENNESS)
        if people:
            ordered = self.ordered(
                {g: _negated(self.value(Scope.MEMBER, g, brokers.BETWEENNESS)) for g in people}
            )
            parts.append(
                self.nothing(
                    f"The {min(len(ordered), TABLE_PEOPLE)} people with the highest betweenness "
                    "among those who may be shown here."
                )
            )
            parts.append(
                self.group_table(
                    Scope.MEMBER,
                    "Person",
                    ordered[:TABLE_PEOPLE],
                    (brokers.BETWEENNESS, brokers.ORGANISATIONS_BRIDGED),
                    shown_as=self.name_of,
                    sized=False,
                )
            )
        else:
            parts.append(self.nothing("Nobody who may be shown here."))
        return "\n".join(part for part in parts if part)

    def questions(self) -> str:
        kinds = {"prompts": "Prompts posted by the bot", "questions": "Members' questions"}
        parts = [
            self.group_table(
                Scope.COMMUNITY,
                "Kind",
                list(kinds),
                (
                    questions.QUESTIONS,
                    questions.RESPONSE_RATE,
                    questions.MEDIAN_HOURS_TO_FIRST_ANSWER,
                ),
                shown_as=lambda group: kinds[group],
                sized=False,
            ),
            "<h3>Per prompt</h3>",
        ]
        prompts = self.groups.get((Scope.PROMPT, questions.ANSWERS), [])
        if prompts:
            parts.append(
                self.group_table(
                    Scope.PROMPT,
                    "Prompt",
                    prompts,
                    (questions.ANSWERS, questions.ANSWERERS),
                    sized=False,
                )
            )
        else:
            parts.append(self.nothing("No prompts were posted in the period."))
        return "\n".join(parts)

    def cafes(self) -> str:
        cafe_groups = [
            group for group in self.groups.get((Scope.COMMUNITY, cafes.CAFE_SILENCE), []) if group
        ]
        tables = self.groups.get((Scope.CAFE_TABLE, cafes.TABLE_SILENCE), [])
        if not cafe_groups and not tables:
            return self.nothing("No cafés in the period.")
        parts = []
        if cafe_groups:
            parts.append(
                self.group_table(
                    Scope.COMMUNITY,
                    "Café",
                    cafe_groups,
                    (cafes.CAFE_SILENCE, cafes.MEAN_ORGANISATIONS_MET, cafes.MEAN_STAKEHOLDERS_MET),
                )
            )
        if tables:
            parts.append("<h3>Per table and round</h3>")
            parts.append(
                self.group_table(
                    Scope.CAFE_TABLE, "Table", tables, (cafes.TABLE_SILENCE, cafes.TABLE_NOTES)
                )
            )
        return "\n".join(parts)

    def hoarding(self) -> str:
        reading = READINGS[hoarding.HOARDING_PERIODS]
        parts = [self.nothing(reading.meaning)]
        organisations = self.groups.get((Scope.ORGANISATION, hoarding.HOARDING_PERIODS), [])
        parts.append("<h3>Organisations</h3>")
        if organisations:
            parts.append(
                self.group_table(
                    Scope.ORGANISATION,
                    "Organisation",
                    organisations,
                    (hoarding.HOARDING_PERIODS,),
                )
            )
        else:
            parts.append(self.nothing("No organisation raised the signal."))
        people = self.members_named(hoarding.HOARDING_PERIODS)
        parts.append("<h3>People</h3>")
        if people:
            parts.append(
                self.group_table(
                    Scope.MEMBER,
                    "Person",
                    people,
                    (hoarding.HOARDING_PERIODS,),
                    shown_as=self.name_of,
                    sized=False,
                )
            )
        else:
            parts.append(self.nothing("Nobody who may be shown here raised the signal."))
        closed = [
            group
            for group in self.groups.get((Scope.ORGANISATION, silos.EI_INDEX), [])
            if self.is_silo(Scope.ORGANISATION, group)
        ]
        parts.append("<h3>Organisations keeping to themselves</h3>")
        if closed:
            listed = ", ".join(_e(group) for group in sorted(closed, key=str.casefold))
            parts.append(
                f"<p>Called silos (E-I well below what mixing by chance would give, see "
                f"Silos): {listed}.</p>"
            )
        else:
            parts.append(self.nothing("No organisation was called a silo."))
        return "\n".join(parts)


def _negated(value: float | None) -> float | None:
    """For sorting largest first with :meth:`_Page.ordered`, which sorts ascending."""
    return None if value is None else -value


def _total(values: Iterable[float | None]) -> float | None:
    """The sum, or None when any is missing (a suppressed organisation)."""
    total = 0.0
    for value in values:
        if value is None:
            return None
        total += value
    return total
