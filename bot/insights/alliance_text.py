"""A learning alliance's flows as plain lines for an embed: what went which way over each link,
the platforms that only receive or only send, and the silent links, with the period. The
figures and their definitions are in :mod:`bot.insights.alliance`."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC

from bot.insights.alliance import LEVEL_RANK, AllianceFigures, LinkFlows
from bot.insights.text import Form, format_value
from bot.membership.vocabulary import Level

NOTHING_CROSSED = "Nothing crossed the links in this period."


def alliance_lines(
    figures: AllianceFigures,
    platform_names: Mapping[int, str],
    levels: Mapping[int, Level],
    *,
    period: str | None = None,
) -> list[str]:
    """The lines, in this order: the period (``period`` as the caller words it, e.g.
    ``Period.describe()``; by default the UTC bounds), one line per link and way that carried
    something ("Kisumu → National (vertical-up): 3 items, 1 response", counting what travelled
    that way), then the platforms that only receive, those that only send, and the silent
    links, each line only when there is one. Links are listed from the top level down (by the
    levels of their upper then lower end, then names)."""

    def name(platform_id: int) -> str:
        return platform_names.get(platform_id, f"platform {platform_id}")

    def rank(platform_id: int) -> int:
        level = levels.get(platform_id)
        return len(LEVEL_RANK) if level is None else LEVEL_RANK[level.value]

    def place(link: LinkFlows) -> tuple[int, str, int, str, int]:
        return (
            rank(link.upper_id),
            name(link.upper_id),
            rank(link.lower_id),
            name(link.lower_id),
            link.link_id,
        )

    lines = [f"Period: {period if period is not None else _utc_period(figures)}"]
    exchanged = False
    for link in sorted(figures.links, key=place):
        # Up (or the joining peer's way) first, then down.
        for sender, receiver in ((link.lower_id, link.upper_id), (link.upper_id, link.lower_id)):
            items = link.items_from.get(sender, 0)
            responses = link.responses_from.get(sender, 0)
            if items == 0 and responses == 0:
                continue
            exchanged = True
            lines.append(
                f"{name(sender)} → {name(receiver)} ({link.direction_from(sender).label}): "
                f"{_count(items, 'item')}, {_count(responses, 'response')}"
            )
    if not exchanged:
        lines.append(NOTHING_CROSSED)
    if figures.only_receiving:
        lines.append(
            "Only receiving (received items, sent nothing back or on): "
            + ", ".join(name(i) for i in figures.only_receiving)
        )
    if figures.only_sending:
        lines.append(
            "Only sending (sent items, received nothing): "
            + ", ".join(name(i) for i in figures.only_sending)
        )
    silent = [link for link in sorted(figures.links, key=place) if link.silent]
    if silent:
        lines.append(
            "Silent links: "
            + ", ".join(f"{name(link.upper_id)} – {name(link.lower_id)}" for link in silent)
        )
    return lines


def _count(count: int, noun: str) -> str:
    return f"{format_value(count, Form.COUNT)} {noun}{'' if count == 1 else 's'}"


def _utc_period(figures: AllianceFigures) -> str:
    return (
        f"{figures.start.astimezone(UTC):%Y-%m-%d %H:%M} to "
        f"{figures.end.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
        " (end not included)"
    )
