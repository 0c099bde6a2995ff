"""The insight charts as PNG pictures: plain values in, PNG bytes out (no Discord, no SQL).

Six charts, each from a function that takes plain data and a title line naming the period
("Activity by stakeholder group · 1 Nov – 30 Nov 2026") and returns the bytes of a
:data:`WIDTH_PX` × :data:`HEIGHT_PX` PNG picture:

- :func:`activity_chart`: contributions over time by stakeholder group, as stacked areas;
- :func:`lorenz_chart`: the Lorenz curve of contributions, the line of equality, the Gini;
- :func:`ei_chart`: the E-I index per group as horizontal bars, the value expected under random
  mixing marked on each, a line at 0, silos highlighted;
- :func:`flow_matrix_chart`: a from-to matrix of reply counts (level to level, or stakeholder
  group to stakeholder group) as a heatmap with the counts written in the cells;
- :func:`network_chart`: organisations as nodes sized by contributions and coloured by
  stakeholder group, reply flows between them as arrows whose width grows with their volume.
- :func:`alliance_chart`: a learning alliance's platforms in rows by level, what they sent each
  other over their links as arrows coloured by direction (up, down, across), silent links
  dashed (the layout and widths are stated in :func:`alliance_layout` and the function).

Empty data gives a picture that says "No data for this period", never an error.

Drawn for Discord's dark theme on a phone: the background of Discord's message area, light text
of at least 12 pt at 100 dpi, lines of at least 1 pt, and the Okabe–Ito colour-blind-safe palette
(Okabe and Ito 2008) with a fixed colour per stakeholder group (:func:`stakeholder_colours`).

matplotlib is used through its object-oriented API on the Agg canvas, never through pyplot:
pyplot keeps global state (the current figure, ``rcParams`` edits) that threads would share, and
these functions run in a worker thread. For the same reason no ``rcParams`` are changed here:
every artist is given its colours and sizes. Text that people wrote (group and organisation names)
has its ``$`` escaped, so a name is never read as a mathematical formula; its control characters
are dropped and characters the font cannot draw (emoji, some scripts) are drawn as □.

What the charts compute from their input (stated precisely, to be gathered with the formulas of
the other insight modules):

- Activity: the count of each stakeholder group on each day from the first to the last day (a
  day without a count is 0). Over more than :data:`DAILY_UP_TO_DAYS` days, the chart shows for
  each calendar week (Monday to Sunday) the mean per day, the week's sum divided by the number
  of its days inside the period, as a step over those days: a year reads as 53 steps rather
  than 365 spikes, and a partial first or last week is not mistaken for a drop.
- Lorenz curve (Lorenz 1905): with the n values sorted ascending, x_(1) <= ... <= x_(n), and
  their total T > 0, the points (k / n, (x_(1) + ... + x_(k)) / T) for k = 0..n, joined by
  straight lines. Above :data:`LORENZ_POINTS` people, only the points at k = round(j n / 2000)
  for j = 0..2000 are drawn (both ends included); the curve is convex and rises at most to 1,
  so the lines between them stay within a pixel or so of it.
  The Gini shown is the one given by the caller (computed by the inequality figures).
- E-I bars: when there are more than :data:`EI_MAX_GROUPS` groups, those shown are the silos
  first, then the rest by how far their value is from the expected one, |observed - expected|
  (|observed| when no expected value is given), largest first; ties by name. The bars are then
  drawn in ascending order of the observed value (the most inward-looking group at the top).
- Flow matrix: cell (i, j) is the caller's count of replies by people in row group i to messages
  of people in column group j; the colour scale runs linearly from 0 to the largest cell.
  Cells on the diagonal (replies within one level or group: horizontal flows) are outlined.
  Each count is written in light or dark text, whichever has the higher WCAG 2 contrast ratio
  (L1 + 0.05) / (L2 + 0.05) with the cell's colour.
- Network: the :data:`NETWORK_MAX_NODES` organisations with the most contributions are drawn
  (ties by name), and of the flows between two different drawn organisations the
  :data:`NETWORK_MAX_FLOWS` largest (ties by names). A node's area is proportional to its
  contributions (the largest drawn node is :data:`NODE_MAX_AREA` pt²; none smaller than
  :data:`NODE_MIN_AREA` pt²). An arrow's width is 1.5 + 6.5 * sqrt(count / largest count) pt.
  Layout: the organisations sit on a circle, clockwise from the top, gathered by stakeholder
  group (groups in the order of :func:`stakeholder_colours`, one empty place between groups),
  within a group by contributions, most first: deterministic by construction (no random seed
  is needed), fast for any size, and it makes silos visible (flows inside a group are short
  chords along its arc, flows across groups cross the circle).
"""

from __future__ import annotations

import functools
import io
import math
import textwrap
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
from matplotlib import colormaps
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_rgb
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter, date2num
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties, findfont, get_font
from matplotlib.layout_engine import ConstrainedLayoutEngine
from matplotlib.legend import Legend
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch, Patch, Rectangle
from matplotlib.ticker import PercentFormatter

from bot.insights.alliance import AllianceFigures
from bot.insights.flows import LEVEL_ORDER
from bot.platforms.values import Direction, Platform

WIDTH_PX = 1200
HEIGHT_PX = 800
DPI = 100
"""Points are 1/72 inch: at 100 dpi a 12 pt font is 16.7 pixels high."""

NO_DATA = "No data for this period"
MISSING_GLYPH = "□"
"""Drawn for a character of a name that the font has no glyph for."""

# Discord's dark theme: the message area, its text, and its muted text.
BACKGROUND = "#313338"
FOREGROUND = "#F2F3F5"
MUTED = "#B5BAC1"
GRID = "#6D7079"
"""Grid lines: visible on the background without competing with the data."""

# Okabe–Ito, ordered for a dark background: the dark blue (little contrast with it) comes last
# and black, invisible on it, is left out.
ORANGE = "#E69F00"
SKY_BLUE = "#56B4E9"
BLUISH_GREEN = "#009E73"
REDDISH_PURPLE = "#CC79A7"
YELLOW = "#F0E442"
VERMILLION = "#D55E00"
BLUE = "#0072B2"
GROUP_PALETTE = (ORANGE, SKY_BLUE, BLUISH_GREEN, REDDISH_PURPLE, YELLOW, VERMILLION, BLUE)
UNGROUPED = "no group"
"""The label for people or organisations without a stakeholder group; always drawn in grey."""
UNGROUPED_COLOUR = MUTED
LEVEL = "level"
"""The ``kind`` of the level-to-level flow matrix."""

TITLE_PT = 21
LABEL_PT = 17
TICK_PT = 15
NOTE_PT = 14
SMALL_PT = 12
"""The smallest text on any chart."""

DAILY_UP_TO_DAYS = 92
LORENZ_POINTS = 2000
EI_MAX_GROUPS = 25
NETWORK_MAX_NODES = 60
NETWORK_MAX_FLOWS = 80
NODE_MAX_AREA = 1400.0
NODE_MIN_AREA = 60.0


@dataclass(frozen=True, slots=True)
class GroupEI:
    """One group's E-I index (Krackhardt and Stern 1988) as the E-I chart shows it.

    ``expected`` is the value under random mixing for the group's size (None: not known);
    ``silo`` says the silo test called the group a silo. Groups whose figures are suppressed
    (fewer people than the minimum group size) are left out by the caller."""

    name: str
    observed: float
    expected: float | None = None
    silo: bool = False


@dataclass(frozen=True, slots=True)
class OrganisationNode:
    """An organisation in the network chart: its contributions in the period and its
    stakeholder group (None: not given, drawn as :data:`UNGROUPED`)."""

    name: str
    contributions: int
    stakeholder: str | None = None


@dataclass(frozen=True, slots=True)
class OrganisationFlow:
    """``count`` replies by members of ``source`` to messages of members of ``target``."""

    source: str
    target: str
    count: int


def stakeholder_colours(groups: Iterable[str]) -> dict[str, str]:
    """A fixed colour for each stakeholder group: the groups sorted by name (case ignored) take
    the palette in turn (it repeats after seven); :data:`UNGROUPED` is grey.

    Pass the community's whole list of groups and hand the result to every chart, so a group
    has the same colour in all of them whichever groups a chart happens to show."""
    named = sorted(
        {group for group in groups if group != UNGROUPED}, key=lambda g: (g.casefold(), g)
    )
    colours = {group: GROUP_PALETTE[i % len(GROUP_PALETTE)] for i, group in enumerate(named)}
    colours[UNGROUPED] = UNGROUPED_COLOUR
    return colours


def activity_series(
    counts: Mapping[str, Mapping[date, int]],
    *,
    first_day: date | None = None,
    last_day: date | None = None,
) -> tuple[list[str], list[date], np.ndarray, bool] | None:
    """What the activity chart draws: the groups (in colour order), the start of each step,
    a groups × steps array of contributions per day, and whether the steps are weeks. Daily:
    one start per day. Weekly: one start per calendar week, the first day of the week inside
    the period, and the day after the last day at the end (as many starts as weeks, plus one);
    each value is the week's mean per day. None when nothing was counted."""
    days = sorted({day for per_day in counts.values() for day in per_day})
    first = first_day if first_day is not None else (days[0] if days else None)
    last = last_day if last_day is not None else (days[-1] if days else None)
    groups = _ordered_groups(group for group, per_day in counts.items() if any(per_day.values()))
    if first is None or last is None or last < first or not groups:
        return None
    weekly = (last - first).days + 1 > DAILY_UP_TO_DAYS
    # Weekly bins are calendar weeks (Monday to Sunday).
    origin = first - timedelta(days=first.weekday()) if weekly else first
    step = 7 if weekly else 1
    bins = (last - origin).days // step + 1
    sums = np.zeros((len(groups), bins), dtype=np.float64)
    for row, group in enumerate(groups):
        for day, count in counts[group].items():
            if first <= day <= last:
                sums[row, (day - origin).days // step] += count
    if not sums.any():
        return None
    if not weekly:
        return groups, [first + timedelta(days=i) for i in range(bins)], sums, False
    # A partial first or last week is divided by its days inside the period, so it does not
    # look like a drop.
    starts = [max(first, origin + timedelta(days=7 * i)) for i in range(bins)]
    starts.append(last + timedelta(days=1))
    days_in = np.diff([(start - first).days for start in starts])
    return groups, starts, sums / days_in, True


def activity_chart(
    counts: Mapping[str, Mapping[date, int]],
    title: str,
    *,
    first_day: date | None = None,
    last_day: date | None = None,
    colours: Mapping[str, str] | None = None,
) -> bytes:
    """Contributions per day of each stakeholder group, stacked (weekly means over more than
    :data:`DAILY_UP_TO_DAYS` days). ``counts`` maps a group to its count on each day; the days run
    from ``first_day`` to ``last_day`` (by default the first and last day in ``counts``)."""
    series = activity_series(counts, first_day=first_day, last_day=last_day)
    if series is None:
        return _empty_chart(title)
    groups, starts, per_day, weekly = series
    palette = _colours_for(groups, colours)

    figure, ax = _figure(title)
    labels = [_plain(_short(group, 30)) for group in groups]
    fills = [palette[group] for group in groups]
    x = date2num(starts)
    # The last value repeated at the end: a step is drawn up to the next start.
    y = np.column_stack((per_day, per_day[:, -1])) if weekly else per_day
    ax.stackplot(
        x,
        y,
        labels=labels,
        colors=fills,
        edgecolor=BACKGROUND,
        linewidth=0.8,
        step="post" if weekly else None,
    )
    ax.set_xlim(float(x[0]), float(x[-1]))
    _style_axes(ax)
    ax.grid(axis="y", color=GRID, linewidth=1.0)
    ax.set_axisbelow(True)
    locator = AutoDateLocator(minticks=4, maxticks=8)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))
    ax.xaxis.get_offset_text().set_color(MUTED)
    ax.xaxis.get_offset_text().set_fontsize(SMALL_PT)
    ax.set_ylim(0, None)
    ax.set_ylabel(
        "Contributions per day (weekly mean)" if weekly else "Contributions per day",
        color=FOREGROUND,
        fontsize=LABEL_PT,
    )
    handles, labels = ax.get_legend_handles_labels()
    # Top of the stack first, as the areas are read from the top.
    _legend(figure, handles[::-1], labels[::-1], columns=min(len(groups), 4))
    return _png(figure)


def lorenz_points(values: Sequence[float]) -> tuple[np.ndarray, np.ndarray] | None:
    """The Lorenz curve of ``values`` as (share of people, share of the total) arrays, both
    from 0 to 1, at most :data:`LORENZ_POINTS` + 1 points; None when there is nothing to share
    (no values, or a total of 0)."""
    ordered = np.sort(np.asarray(values, dtype=np.float64))
    total = float(ordered.sum()) if ordered.size else 0.0
    if ordered.size == 0 or total <= 0:
        return None
    n = ordered.size
    shares = np.concatenate(([0.0], np.cumsum(ordered) / total))
    people = np.arange(n + 1, dtype=np.float64) / n
    if n > LORENZ_POINTS:
        keep = np.unique(np.linspace(0, n, LORENZ_POINTS + 1).round().astype(np.int64))
        shares, people = shares[keep], people[keep]
    return people, shares


def lorenz_chart(values: Sequence[float], gini: float | None, title: str) -> bytes:
    """The Lorenz curve of ``values`` (each member's contributions in the period, silent
    members' zeros included), the line of equality, and ``gini`` in the legend."""
    points = lorenz_points(values)
    if points is None:
        return _empty_chart(title)
    people, shares = points
    n = len(values)

    figure, ax = _figure(title)
    ax.plot([0, 1], [0, 1], color=MUTED, linewidth=2.0, linestyle=(0, (6, 4)))
    ax.fill_between(people, shares, people, color=ORANGE, alpha=0.22, linewidth=0)
    ax.plot(people, shares, color=ORANGE, linewidth=3.5)
    _style_axes(ax)
    ax.grid(color=GRID, linewidth=1.0)
    ax.set_axisbelow(True)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    percent = PercentFormatter(xmax=1.0, decimals=0)
    ax.xaxis.set_major_formatter(percent)
    ax.yaxis.set_major_formatter(percent)
    ax.set_xlabel(
        "Share of members, from the least to the most active", color=FOREGROUND, fontsize=LABEL_PT
    )
    ax.set_ylabel("Share of all contributions", color=FOREGROUND, fontsize=LABEL_PT)
    gini_text = "not shown" if gini is None or math.isnan(gini) else f"{gini:.2f}"
    handles = [
        Line2D([], [], color=ORANGE, linewidth=3.5),
        Line2D([], [], color=MUTED, linewidth=2.0, linestyle=(0, (6, 4))),
    ]
    labels = [
        f"Lorenz curve (Gini {gini_text}, {n:,} members)",
        "Line of equality (everyone gives the same)",
    ]
    legend = ax.legend(handles, labels, loc="upper left", fontsize=TICK_PT)
    _style_legend(legend)
    return _png(figure)


def ei_groups_shown(groups: Sequence[GroupEI]) -> list[GroupEI]:
    """The groups the E-I chart draws, top to bottom: at most :data:`EI_MAX_GROUPS` (silos
    first, then the farthest from chance), in ascending order of the observed value."""
    shown = [group for group in groups if not math.isnan(group.observed)]
    if len(shown) > EI_MAX_GROUPS:
        shown = sorted(shown, key=_extremeness)[:EI_MAX_GROUPS]
    return sorted(shown, key=lambda group: (group.observed, group.name.casefold(), group.name))


def ei_chart(groups: Sequence[GroupEI], title: str) -> bytes:
    """The E-I index of each group as a horizontal bar from 0, the expected value marked on
    each, a line at 0, silos in vermillion. Over :data:`EI_MAX_GROUPS` groups, the most
    extreme are shown and the chart says so."""
    shown = ei_groups_shown(groups)
    if not shown:
        return _empty_chart(title)
    total = sum(1 for group in groups if not math.isnan(group.observed))
    note = None
    if total > len(shown):
        note = f"The {len(shown)} most extreme of {total:,} groups (silos first)"
    positions = np.arange(len(shown))[::-1]  # the first (most inward) at the top

    figure, ax = _figure(title)
    colours = [VERMILLION if group.silo else SKY_BLUE for group in shown]
    bar_height = 0.7 if len(shown) > 1 else 0.4
    ax.barh(positions, [group.observed for group in shown], height=bar_height, color=colours)
    ax.axvline(0, color=FOREGROUND, linewidth=2.0)
    expected = [
        (float(g.expected), float(p))
        for p, g in zip(positions, shown, strict=True)
        if g.expected is not None and not math.isnan(g.expected)
    ]
    marker_size = max(8.0, min(16.0, 300.0 / len(shown)))
    if expected:
        ax.plot(
            [value for value, _ in expected],
            [position for _, position in expected],
            linestyle="none",
            marker="D",
            markersize=marker_size,
            markerfacecolor=YELLOW,
            markeredgecolor=BACKGROUND,
            markeredgewidth=1.5,
        )
    _style_axes(ax)
    ax.grid(axis="x", color=GRID, linewidth=1.0)
    ax.set_axisbelow(True)
    ax.set_xlim(-1.05, 1.05)
    ax.set_ylim(-0.7, len(shown) - 0.3)
    ax.set_yticks(positions)
    label_pt = TICK_PT if len(shown) <= 15 else SMALL_PT
    ax.set_yticklabels([_plain(_short(group.name, 28)) for group in shown], fontsize=label_pt)
    ax.tick_params(axis="y", length=0)
    ax.set_xlabel(
        "E-I index: (replies across − replies within) / all replies",
        color=FOREGROUND,
        fontsize=LABEL_PT,
    )
    ax.set_xticks([-1.0, -0.5, 0.0, 0.5, 1.0])
    ax.set_xticklabels(["−1\nall within", "−0.5", "0", "+0.5", "+1\nall across"])
    if note:
        ax.set_title(note, color=MUTED, fontsize=NOTE_PT, loc="left")
    handles: list[Patch | Line2D] = [Patch(color=SKY_BLUE, label="E-I index")]
    if any(group.silo for group in shown):
        handles.append(Patch(color=VERMILLION, label="Silo"))
    if expected:
        handles.append(
            Line2D(
                [],
                [],
                linestyle="none",
                marker="D",
                markersize=11,
                markerfacecolor=YELLOW,
                markeredgecolor=BACKGROUND,
                label="Expected by chance",
            )
        )
    _legend(figure, handles, [str(h.get_label()) for h in handles], columns=len(handles))
    return _png(figure)


def flow_matrix_chart(
    labels: Sequence[str],
    counts: Sequence[Sequence[int]],
    title: str,
    *,
    kind: str = LEVEL,
) -> bytes:
    """Replies from each group (rows) to each group (columns) as a heatmap with the counts in
    the cells; ``counts[i][j]`` is the replies by people of ``labels[i]`` to people of
    ``labels[j]``. ``kind`` names the groups in the axis titles ("level", "stakeholder group").
    The diagonal (within one group: horizontal flows) is outlined."""
    matrix = np.asarray(counts, dtype=np.int64).reshape(len(counts), -1) if counts else None
    if matrix is not None and matrix.shape != (len(labels), len(labels)):
        raise ValueError(f"counts must be {len(labels)} × {len(labels)}, not {matrix.shape}")
    if matrix is None or not labels or not matrix.any():
        return _empty_chart(title)
    size = len(labels)
    largest = int(matrix.max())

    figure, ax = _figure(title)
    ax.imshow(matrix, cmap="cividis", vmin=0, vmax=largest, aspect="auto", interpolation="nearest")
    _style_axes(ax)
    for spine in ax.spines.values():
        spine.set_visible(False)
    names = [_plain(_short(label, 18)) for label in labels]
    label_pt = TICK_PT if size <= 8 else SMALL_PT
    ax.set_xticks(range(size))
    ax.set_xticklabels(
        names,
        fontsize=label_pt,
        rotation=0 if size <= 5 else 30,
        ha="right" if size > 5 else "center",
        rotation_mode="anchor",
    )
    ax.set_yticks(range(size))
    ax.set_yticklabels(names, fontsize=label_pt)
    ax.tick_params(length=0)
    ax.set_xlabel(f"To the {kind} of the person replied to", color=FOREGROUND, fontsize=LABEL_PT)
    ax.set_ylabel(f"From the {kind} of the person replying", color=FOREGROUND, fontsize=LABEL_PT)
    if size <= 12:
        cell_pt = LABEL_PT if size <= 6 else SMALL_PT
        shades = colormaps["cividis"](matrix / largest)
        for row in range(size):
            for column in range(size):
                ax.text(
                    column,
                    row,
                    f"{int(matrix[row, column]):,}",
                    ha="center",
                    va="center",
                    fontsize=cell_pt,
                    fontweight="bold",
                    color=_readable_on(shades[row, column]),
                )
    for index in range(size):
        ax.add_patch(
            Rectangle(
                (index - 0.5, index - 0.5),
                1,
                1,
                fill=False,
                edgecolor=FOREGROUND,
                linewidth=3.0,
            )
        )
    # Between levels, "within" and "across" are the learning alliance's horizontal and vertical.
    plane = " (horizontal); the rest across levels (vertical)" if kind == LEVEL else ""
    ax.set_title(
        f"Outlined: replies within one {kind}{plane}",
        color=MUTED,
        fontsize=NOTE_PT,
        loc="left",
    )
    return _png(figure)


def network_shown(
    organisations: Sequence[OrganisationNode], flows: Sequence[OrganisationFlow]
) -> tuple[list[OrganisationNode], list[OrganisationFlow]]:
    """The organisations the network chart draws (most contributions first) and the flows it
    draws between them (largest first)."""
    drawn, shown_flows, _, _ = _network_selection(organisations, flows)
    return drawn, shown_flows


def _network_selection(
    organisations: Sequence[OrganisationNode], flows: Sequence[OrganisationFlow]
) -> tuple[list[OrganisationNode], list[OrganisationFlow], int, int]:
    """What :func:`network_shown` gives, with the number of active organisations and of flows
    between drawn ones, before the limits."""
    active = [node for node in organisations if node.contributions > 0]
    drawn = sorted(active, key=lambda node: (-node.contributions, node.name))[:NETWORK_MAX_NODES]
    drawn_names = {node.name for node in drawn}
    between = [
        flow
        for flow in flows
        if flow.count > 0
        and flow.source != flow.target
        and flow.source in drawn_names
        and flow.target in drawn_names
    ]
    shown_flows = sorted(between, key=lambda flow: (-flow.count, flow.source, flow.target))
    return drawn, shown_flows[:NETWORK_MAX_FLOWS], len(active), len(between)


def network_chart(
    organisations: Sequence[OrganisationNode],
    flows: Sequence[OrganisationFlow],
    title: str,
    *,
    colours: Mapping[str, str] | None = None,
) -> bytes:
    """Organisations on a circle gathered by stakeholder group, sized by contributions, with
    arrows for the reply flows between them (width by volume). Over
    :data:`NETWORK_MAX_NODES` organisations or :data:`NETWORK_MAX_FLOWS` flows, the largest
    are drawn and the chart says so."""
    drawn, shown_flows, active, between = _network_selection(organisations, flows)
    if not drawn:
        return _empty_chart(title)

    group_of = {node.name: node.stakeholder or UNGROUPED for node in drawn}
    palette = _colours_for(_ordered_groups(group_of.values()), colours)
    order = _ordered_groups(group_of.values())
    rank = {group: index for index, group in enumerate(order)}
    placed = sorted(
        drawn, key=lambda node: (rank[group_of[node.name]], -node.contributions, node.name)
    )
    # One empty place between consecutive groups marks where a group ends.
    slots: list[int] = []
    slot = 0
    for index, node in enumerate(placed):
        if index and group_of[node.name] != group_of[placed[index - 1].name]:
            slot += 1
        slots.append(slot)
        slot += 1
    places = slot + (1 if len(order) > 1 else 0)
    angles = np.pi / 2 - 2 * np.pi * np.asarray(slots, dtype=np.float64) / places
    xs, ys = np.cos(angles), np.sin(angles)
    where = {node.name: index for index, node in enumerate(placed)}
    largest = max(node.contributions for node in placed)
    areas = np.maximum(
        NODE_MIN_AREA,
        NODE_MAX_AREA * np.asarray([node.contributions for node in placed], dtype=float) / largest,
    )

    figure = Figure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI, facecolor=BACKGROUND)
    # A square drawing area on the left (in pixels), the legend and notes on the right.
    # The circle with the names around it on the left, under the title; legend and notes on the
    # right. Data units are equal on both axes: the unit circle is `radius_px` pixels.
    area_width, area_height = 0.63 * WIDTH_PX, 0.88 * HEIGHT_PX
    ax = figure.add_axes((0.0, 0.0, area_width / WIDTH_PX, area_height / HEIGHT_PX))
    ax.set_facecolor(BACKGROUND)
    ax.set_axis_off()
    few = len(placed) <= 24
    # The rest is room for the names outside the circle: fewer names, each may be longer.
    radius_px = (0.21 if few else 0.25) * area_height
    ax.set_xlim(-area_width / 2 / radius_px, area_width / 2 / radius_px)
    ax.set_ylim(-area_height / 2 / radius_px, area_height / 2 / radius_px)
    figure.suptitle(_title_text(title), color=FOREGROUND, fontsize=TITLE_PT, x=0.02, ha="left")

    most = max((flow.count for flow in shown_flows), default=1)
    for flow in shown_flows:
        source, target = where[flow.source], where[flow.target]
        width = 1.5 + 6.5 * math.sqrt(flow.count / most)
        # add_artist, not add_patch: the limits are set, and updating them from each curved
        # arrow's path cost a quarter of the chart's time.
        ax.add_artist(
            FancyArrowPatch(
                (xs[source], ys[source]),
                (xs[target], ys[target]),
                arrowstyle="-|>",
                mutation_scale=10 + 2.2 * width,
                connectionstyle="arc3,rad=0.18",
                linewidth=width,
                color=palette[group_of[flow.source]],
                alpha=0.5 + 0.4 * math.sqrt(flow.count / most),
                shrinkA=math.sqrt(areas[source]) / 2,
                shrinkB=math.sqrt(areas[target]) / 2 + 2,
                zorder=1,
            )
        )
    ax.scatter(
        xs,
        ys,
        s=areas,
        c=[palette[group_of[node.name]] for node in placed],
        edgecolors=FOREGROUND,
        linewidths=1.5,
        zorder=2,
    )
    name_pt, name_chars = (NOTE_PT, 17) if few else (SMALL_PT, 15)
    for index, node in enumerate(placed):
        degrees = math.degrees(angles[index]) % 360
        on_left = 90 < degrees < 270
        # A name starts just outside its circle (the radius of a marker of area s pt² is
        # sqrt(s) / 2 pt).
        out = 1 + (math.sqrt(areas[index]) / 2 * DPI / 72 + 8) / radius_px
        ax.text(
            out * xs[index],
            out * ys[index],
            _plain(_short(node.name, name_chars)),
            rotation=degrees - 180 if on_left else degrees,
            rotation_mode="anchor",
            ha="right" if on_left else "left",
            va="center",
            color=FOREGROUND,
            fontsize=name_pt,
        )

    notes = []
    if active > len(drawn):
        notes.append(f"The {len(drawn)} most active of {active:,} organisations.")
    if between > len(shown_flows):
        notes.append(f"The {len(shown_flows)} largest of {between:,} flows.")
    notes.append("Circle size: contributions.")
    notes.append("Arrow: replies by one organisation's members to another's; wider = more.")
    legend_x = 0.02 + area_width / WIDTH_PX
    handles = [Patch(color=palette[group]) for group in order]
    legend = figure.legend(
        handles,
        [_plain(_short(group, 24)) for group in order],
        loc="upper left",
        bbox_to_anchor=(legend_x, 0.88),
        fontsize=TICK_PT,
        title="Stakeholder group",
        title_fontsize=TICK_PT,
    )
    _style_legend(legend)
    wrapped = "\n".join(textwrap.fill(note, 34) for note in notes)
    figure.text(legend_x, 0.05, wrapped, color=MUTED, fontsize=NOTE_PT, va="bottom", ha="left")
    return _png(figure)


def _extremeness(group: GroupEI) -> tuple[bool, float, str, str]:
    """Sort key: silos first, then the largest distance from chance, then by name."""
    reference = 0.0 if group.expected is None or math.isnan(group.expected) else group.expected
    return (not group.silo, -abs(group.observed - reference), group.name.casefold(), group.name)


def _ordered_groups(groups: Iterable[str]) -> list[str]:
    """Distinct group names in the order of :func:`stakeholder_colours`, :data:`UNGROUPED`
    last."""
    distinct = set(groups)
    named = sorted((g for g in distinct if g != UNGROUPED), key=lambda g: (g.casefold(), g))
    return named + ([UNGROUPED] if UNGROUPED in distinct else [])


def _colours_for(groups: Sequence[str], given: Mapping[str, str] | None) -> dict[str, str]:
    """The caller's colours where given, the default assignment otherwise."""
    default = stakeholder_colours(groups)
    if given is None:
        return default
    return {group: given.get(group, default[group]) for group in groups}


def _figure(title: str) -> tuple[Figure, Axes]:
    """A dark figure of the chart size with its title and one axes, laid out by constrained
    layout (which keeps the pixel size)."""
    figure = Figure(
        figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI),
        dpi=DPI,
        facecolor=BACKGROUND,
        layout=ConstrainedLayoutEngine(w_pad=0.15, h_pad=0.12),
    )
    figure.suptitle(_title_text(title), color=FOREGROUND, fontsize=TITLE_PT)
    return figure, figure.add_subplot()


def _empty_chart(title: str) -> bytes:
    figure, ax = _figure(title)
    ax.set_facecolor(BACKGROUND)
    ax.set_axis_off()
    ax.text(0.5, 0.5, NO_DATA, ha="center", va="center", color=MUTED, fontsize=26)
    return _png(figure)


def _style_axes(ax: Axes) -> None:
    ax.set_facecolor(BACKGROUND)
    for spine in ax.spines.values():
        spine.set_color(MUTED)
        spine.set_linewidth(1.2)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.tick_params(colors=FOREGROUND, labelsize=TICK_PT, width=1.2, length=6)


def _legend(figure: Figure, handles: Sequence[Artist], labels: Sequence[str], columns: int) -> None:
    """A legend in one band under the chart (constrained layout places it next to the title
    when it is put at the top, so the two overlap)."""
    legend = figure.legend(
        handles, labels, loc="outside lower center", ncols=max(1, columns), fontsize=TICK_PT
    )
    _style_legend(legend)


def _style_legend(legend: Legend) -> None:
    frame = legend.get_frame()
    frame.set_facecolor(BACKGROUND)
    frame.set_edgecolor(GRID)
    for text in legend.get_texts():
        text.set_color(FOREGROUND)
    legend.get_title().set_color(FOREGROUND)


def _title_text(title: str) -> str:
    """The title, escaped, on at most two lines."""
    return _plain(textwrap.fill(" ".join(title.split()), 70, max_lines=2, placeholder=" …"))


def _readable_on(shade: Sequence[float]) -> str:
    """The text colour, light or dark, with the higher contrast on ``shade`` (RGB(A) in 0..1),
    by the WCAG contrast ratio of relative luminances."""
    on_shade = _luminance(shade)
    light, dark = _luminance(to_rgb(FOREGROUND)), _luminance(to_rgb(BACKGROUND))
    return (
        FOREGROUND
        if (light + 0.05) / (on_shade + 0.05) >= (on_shade + 0.05) / (dark + 0.05)
        else BACKGROUND
    )


def _luminance(shade: Sequence[float]) -> float:
    """WCAG 2 relative luminance of an sRGB colour with components in 0..1."""
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in shade[:3]]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _short(name: str, limit: int) -> str:
    """The name cut to ``limit`` characters, with an ellipsis when cut."""
    name = " ".join(name.split())
    return name if len(name) <= limit else name[: limit - 1].rstrip() + "…"


def _plain(text: str) -> str:
    """Text drawn as written: ``$`` escaped (matplotlib reads text between two as a formula),
    control characters dropped, and characters the font cannot draw (emoji, rare scripts)
    shown as □ rather than a warning for each."""
    drawable = (
        char if _has_glyph(char) else MISSING_GLYPH
        for char in text
        if char == "\n" or unicodedata.category(char) not in ("Cc", "Cf", "Cs", "Co", "Cn")
    )
    return "".join(drawable).replace("$", r"\$")


@functools.cache
def _has_glyph(char: str) -> bool:
    if char == "\n":
        return True
    font = get_font(findfont(FontProperties()))
    return font.get_char_index(ord(char)) != 0


def _png(figure: Figure) -> bytes:
    FigureCanvasAgg(figure)  # attaches the Agg canvas to the figure
    buffer = io.BytesIO()
    # No "Software" entry: the same chart gives the same bytes whatever the matplotlib version.
    figure.savefig(buffer, format="png", dpi=DPI, facecolor=BACKGROUND, metadata={"Software": None})
    return buffer.getvalue()


# The alliance chart: one colour per way an item travels (the Okabe–Ito colours of the other
# charts), grey dashes for silent links.
DIRECTION_COLOURS: dict[Direction, str] = {
    Direction.UP: ORANGE,
    Direction.DOWN: SKY_BLUE,
    Direction.ACROSS: BLUISH_GREEN,
}
SILENT_COLOUR = MUTED
PLATFORM_NODE_AREA = 700.0
"""A platform's circle, in pt²: every platform is drawn the same size (its volume is on the
arrows)."""


def alliance_layout(
    figures: AllianceFigures, platforms: Sequence[Platform]
) -> dict[int, tuple[float, float]]:
    """Where the alliance chart puts each platform: one row per level that has a platform
    (international on top, then national, intermediate, local; row r of R at y = R - 1 - r),
    the k platforms of a row at x = (i + 0.5) / k.

    The top row is ordered by name (then id). Each row below is ordered by the mean x of the
    platforms in the rows above it shares a link with (its barycentre, so children sit under
    their parents and arrows cross little), then by name and id; platforms linked to none of
    the rows above come last. Deterministic: no randomness, same input, same places."""
    distinct = {platform.id: platform for platform in platforms}
    rows: list[list[Platform]] = [
        [p for p in distinct.values() if p.level.value == level] for level in LEVEL_ORDER
    ]
    rows = [row for row in rows if row]
    neighbours: dict[int, set[int]] = {platform_id: set() for platform_id in distinct}
    for link in figures.links:
        if link.upper_id in distinct and link.lower_id in distinct:
            neighbours[link.upper_id].add(link.lower_id)
            neighbours[link.lower_id].add(link.upper_id)
    places: dict[int, tuple[float, float]] = {}
    for r, row in enumerate(rows):

        def order(platform: Platform) -> tuple[int, float, str, int]:
            above = [places[n][0] for n in sorted(neighbours[platform.id]) if n in places]
            if not above:
                return (1, 0.0, platform.name, platform.id)
            return (0, sum(above) / len(above), platform.name, platform.id)

        ordered = sorted(row, key=order)
        for i, platform in enumerate(ordered):
            places[platform.id] = ((i + 0.5) / len(ordered), float(len(rows) - 1 - r))
    return places


def alliance_chart(figures: AllianceFigures, platforms: Sequence[Platform], title: str) -> bytes:
    """The learning alliance: platforms in rows by level (:func:`alliance_layout`), what
    each sent over each link as an arrow coloured by direction (up, down, across) whose width
    is 1.5 + 6.5 * sqrt(v / largest v) pt with v = items + responses sent that way, and
    silent links (active in the period, nothing crossed) as thin grey dashes. Links that were
    not active and carried nothing are not drawn. No platform: the empty chart."""
    places = alliance_layout(figures, platforms)
    if not places:
        return _empty_chart(title)
    names = {platform.id: platform.name for platform in platforms}
    levels = {platform.id: platform.level.label for platform in platforms}

    arrows: list[tuple[int, int, Direction, int]] = []
    silent: list[tuple[int, int]] = []
    for link in figures.links:
        if link.upper_id not in places or link.lower_id not in places:
            continue
        if link.silent:
            silent.append((link.upper_id, link.lower_id))
            continue
        for sender, receiver in ((link.lower_id, link.upper_id), (link.upper_id, link.lower_id)):
            volume = link.sent_from(sender)
            if volume > 0:
                arrows.append((sender, receiver, link.direction_from(sender), volume))

    figure, ax = _figure(title)
    ax.set_facecolor(BACKGROUND)
    ax.set_axis_off()
    row_count = 1 + int(max(y for _, y in places.values()))
    ax.set_xlim(-0.16, 1.02)
    ax.set_ylim(-0.55, row_count - 0.55)
    shrink = math.sqrt(PLATFORM_NODE_AREA) / 2 + 2
    for upper, lower in silent:
        (x1, y1), (x2, y2) = places[upper], places[lower]
        ax.plot(
            [x1, x2], [y1, y2], color=SILENT_COLOUR, linewidth=1.5, linestyle=(0, (4, 3)), zorder=1
        )
    most = max((volume for *_, volume in arrows), default=1)
    for sender, receiver, direction, volume in arrows:
        width = 1.5 + 6.5 * math.sqrt(volume / most)
        same_row = places[sender][1] == places[receiver][1]
        ax.add_artist(
            FancyArrowPatch(
                places[sender],
                places[receiver],
                arrowstyle="-|>",
                mutation_scale=10 + 2.2 * width,
                # Curved, so the two ways of one link run side by side; more along a row, so
                # an arrow between peers bends round the platforms between them.
                connectionstyle=f"arc3,rad={0.3 if same_row else 0.2}",
                linewidth=width,
                color=DIRECTION_COLOURS[direction],
                alpha=0.85,
                shrinkA=shrink,
                shrinkB=shrink + 2,
                zorder=2,
            )
        )
    ids = list(places)
    ax.scatter(
        [places[i][0] for i in ids],
        [places[i][1] for i in ids],
        s=PLATFORM_NODE_AREA,
        c=GRID,
        edgecolors=FOREGROUND,
        linewidths=1.5,
        zorder=3,
    )
    per_row: dict[float, list[int]] = {}
    for platform_id in ids:
        per_row.setdefault(places[platform_id][1], []).append(platform_id)
    for y, row in per_row.items():
        crowded = len(row) > 6
        name_pt, name_chars = (SMALL_PT, 12) if crowded else (NOTE_PT, 18)
        for platform_id in sorted(row, key=lambda i: places[i][0]):
            x = places[platform_id][0]
            # In a crowded row every other name sits above its circle, so neighbours' names
            # do not run into each other.
            above = crowded and round(x * len(row) - 0.5) % 2 == 1
            ax.text(
                x,
                y + (0.2 if above else -0.2),
                _plain(_short(names[platform_id], name_chars)),
                ha="center",
                va="bottom" if above else "top",
                color=FOREGROUND,
                fontsize=name_pt,
                # On a patch of the background, so a name stays legible over an arrow.
                bbox={"boxstyle": "round,pad=0.15", "facecolor": BACKGROUND, "edgecolor": "none"},
                zorder=4,
            )
        ax.text(
            -0.02,
            y,
            _plain(levels[row[0]]),
            ha="right",
            va="center",
            color=MUTED,
            fontsize=TICK_PT,
        )
    ax.set_title(
        "Arrow: items and responses a platform sent over a link; wider = more",
        color=MUTED,
        fontsize=NOTE_PT,
        loc="left",
    )
    handles = [
        Line2D([], [], color=DIRECTION_COLOURS[direction], linewidth=4.0) for direction in Direction
    ]
    handles.append(Line2D([], [], color=SILENT_COLOUR, linewidth=1.5, linestyle=(0, (4, 3))))
    labels = [direction.label.capitalize() for direction in Direction] + ["Silent link"]
    _legend(figure, handles, labels, columns=len(labels))
    return _png(figure)
