"""A learning alliance's figures, measures, lines and chart, on a small alliance whose figures
are worked out by hand below."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.insights.alliance import (
    AllianceFigures,
    active_between,
    alliance_figures,
    alliance_measures,
)
from bot.insights.alliance_text import NOTHING_CROSSED, alliance_lines
from bot.insights.charts import (
    HEIGHT_PX,
    WIDTH_PX,
    alliance_chart,
    alliance_layout,
    lorenz_chart,
)
from bot.insights.compute import is_small_group
from bot.insights.values import Measure, Scope
from bot.membership.vocabulary import Level
from bot.platforms.values import Direction, Flow, Link, Platform

START = datetime(2026, 11, 1, tzinfo=UTC)
END = datetime(2026, 12, 1, tzinfo=UTC)
TITLE = "Learning alliance · 1 Nov – 30 Nov 2026"


def day(month: int, dom: int, hour: int = 12) -> datetime:
    return datetime(2026, month, dom, hour, tzinfo=UTC)


OCTOBER_FIRST = datetime(2026, 10, 1, tzinfo=UTC)


def platform(platform_id: int, name: str, level: Level) -> Platform:
    return Platform(
        id=platform_id,
        community_id=1,
        name=name,
        level=level,
        category_id=None,
        inbox_channel_id=None,
        inbox_paused=None,
        autoshare_harvests=False,
        created_by=None,
        created_at=day(1, 1),
        removed_at=None,
    )


def link(
    link_id: int,
    upper: int,
    lower: int,
    *,
    peer: bool = False,
    started: datetime = OCTOBER_FIRST,
    ended: datetime | None = None,
) -> Link:
    return Link(link_id, upper, lower, peer, started, ended)


def item(link_id: int, sender: int, receiver: int, way: Direction, at: datetime) -> Flow:
    return Flow(link_id, sender, receiver, way, response=False, at=at)


def response(link_id: int, sender: int, receiver: int, way: Direction, at: datetime) -> Flow:
    return Flow(link_id, sender, receiver, way, response=True, at=at)


UP, DOWN, ACROSS = Direction.UP, Direction.DOWN, Direction.ACROSS
GLOBAL, KENYA, KISUMU, NAKURU, MOMBASA, ELDORET = 4, 1, 2, 3, 5, 7

PLATFORMS = [
    platform(KENYA, "Kenya WASH", Level.NATIONAL),
    platform(KISUMU, "Kisumu", Level.LOCAL),
    platform(NAKURU, "Nakuru", Level.LOCAL),
    platform(GLOBAL, "Global", Level.INTERNATIONAL),
    platform(MOMBASA, "Mombasa", Level.LOCAL),
    platform(ELDORET, "Eldoret", Level.LOCAL),
]
NAMES = {p.id: p.name for p in PLATFORMS}
LEVELS = {p.id: p.level for p in PLATFORMS}

LINKS = [
    link(10, KENYA, KISUMU),
    link(11, KENYA, NAKURU),
    link(12, KISUMU, NAKURU, peer=True, started=day(10, 15)),
    link(13, GLOBAL, KENYA, started=day(9, 1), ended=day(11, 15)),  # ends mid-period
    link(14, KENYA, MOMBASA, started=day(11, 20)),  # starts late; nothing crosses it
    link(15, GLOBAL, NAKURU, started=day(9, 1), ended=day(10, 20)),  # over before the period
    link(16, KENYA, ELDORET),
]

FLOWS = [
    # Kisumu and Kenya WASH: three items up, answered once; one item down, answered once.
    item(10, KISUMU, KENYA, UP, day(11, 2)),
    item(10, KISUMU, KENYA, UP, day(11, 3)),
    item(10, KISUMU, KENYA, UP, day(11, 4)),
    response(10, KENYA, KISUMU, DOWN, day(11, 5)),
    item(10, KENYA, KISUMU, DOWN, day(11, 6)),
    response(10, KISUMU, KENYA, UP, day(11, 7)),
    # Nakuru sends two items up, unanswered.
    item(11, NAKURU, KENYA, UP, day(11, 8)),
    item(11, NAKURU, KENYA, UP, day(11, 9)),
    # Between the peers: one item across, one response back.
    item(12, KISUMU, NAKURU, ACROSS, day(11, 10)),
    response(12, NAKURU, KISUMU, ACROSS, day(11, 11)),
    # Up to Global before the link ends.
    item(13, KENYA, GLOBAL, UP, day(11, 12)),
    # Eldoret sends and hears nothing back.
    item(16, ELDORET, KENYA, UP, day(11, 13)),
    item(16, ELDORET, KENYA, UP, day(11, 14)),
    # Left out: just before the start, at the (excluded) end, on the finished link, on a link
    # not handed over, and between platforms that are not the link's ends.
    item(10, KISUMU, KENYA, UP, datetime(2026, 10, 31, 23, 59, 59, tzinfo=UTC)),
    item(10, KISUMU, KENYA, UP, END),
    item(15, GLOBAL, NAKURU, DOWN, day(10, 10)),
    item(99, KISUMU, KENYA, UP, day(11, 3)),
    item(10, NAKURU, KENYA, UP, day(11, 3)),
]


def figures() -> AllianceFigures:
    return alliance_figures(PLATFORMS, LINKS, FLOWS, START, END)


def test_links_per_direction_and_per_sender() -> None:
    found = figures()
    assert [link.link_id for link in found.links] == [10, 11, 12, 13, 14, 15, 16]
    kisumu = found.link(10)
    assert kisumu.items == {UP: 3, DOWN: 1, ACROSS: 0}
    assert kisumu.responses == {UP: 1, DOWN: 1, ACROSS: 0}
    assert kisumu.items_from == {KENYA: 1, KISUMU: 3}
    assert kisumu.responses_from == {KENYA: 1, KISUMU: 1}
    peers = found.link(12)
    assert peers.items == {UP: 0, DOWN: 0, ACROSS: 1}
    assert peers.responses == {UP: 0, DOWN: 0, ACROSS: 1}
    assert peers.items_from == {KISUMU: 1, NAKURU: 0}
    assert peers.responses_from == {KISUMU: 0, NAKURU: 1}
    assert found.link(11).items == {UP: 2, DOWN: 0, ACROSS: 0}
    assert found.link(13).items == {UP: 1, DOWN: 0, ACROSS: 0}
    assert found.link(16).items == {UP: 2, DOWN: 0, ACROSS: 0}
    # The October item on the finished link is outside the period.
    assert found.link(15).total == 0


def test_a_link_that_ended_mid_period_was_active_and_one_over_before_was_not() -> None:
    found = figures()
    assert found.link(13).active_in_period
    assert not found.link(15).active_in_period
    assert found.link(14).active_in_period
    assert not active_between(link(1, 1, 2, ended=START), START, END)
    assert not active_between(link(1, 1, 2, started=END), START, END)
    assert active_between(link(1, 1, 2, started=day(11, 30, 23)), START, END)


def test_per_platform_counts() -> None:
    found = figures()
    kenya = found.platform(KENYA)
    assert (
        kenya.items_sent,
        kenya.items_received,
        kenya.responses_sent,
        kenya.responses_received,
    ) == (2, 7, 1, 1)
    assert kenya.items_sent_by_direction == {UP: 1, DOWN: 1, ACROSS: 0}
    assert (kenya.active_links, kenya.silent_links) == (5, 1)
    kisumu = found.platform(KISUMU)
    assert (
        kisumu.items_sent,
        kisumu.items_received,
        kisumu.responses_sent,
        kisumu.responses_received,
    ) == (4, 1, 1, 2)
    assert kisumu.items_sent_by_direction == {UP: 3, DOWN: 0, ACROSS: 1}
    nakuru = found.platform(NAKURU)
    assert (
        nakuru.items_sent,
        nakuru.items_received,
        nakuru.responses_sent,
        nakuru.responses_received,
    ) == (2, 1, 1, 0)
    assert nakuru.active_links == 2  # the finished link 15 does not count
    assert (found.platform(GLOBAL).items_received, found.platform(GLOBAL).sent) == (1, 0)
    assert found.platform(MOMBASA).active_links == 1
    # Ordered by level from the top, then by name.
    assert [p.platform_id for p in found.platforms] == [
        GLOBAL,
        KENYA,
        ELDORET,
        KISUMU,
        MOMBASA,
        NAKURU,
    ]


def test_only_receiving_only_sending_and_silent_links() -> None:
    found = figures()
    assert found.only_receiving == (GLOBAL,)
    assert found.only_sending == (ELDORET,)
    assert found.silent_links == (14,)


def test_responses_count_as_sending_and_receiving() -> None:
    """A platform that receives an item and answers it does not only receive; one whose item
    is answered does not only send; responses alone put a platform on neither list."""
    pair = [platform(1, "Upper", Level.NATIONAL), platform(2, "Lower", Level.LOCAL)]
    answered = [item(1, 2, 1, UP, day(11, 2)), response(1, 1, 2, DOWN, day(11, 3))]
    found = alliance_figures(pair, [link(1, 1, 2)], answered, START, END)
    assert (found.only_receiving, found.only_sending) == ((), ())
    responses_only = [response(1, 1, 2, DOWN, day(11, 3))]
    found = alliance_figures(pair, [link(1, 1, 2)], responses_only, START, END)
    assert (found.only_receiving, found.only_sending) == ((), ())
    unanswered = [item(1, 2, 1, UP, day(11, 2))]
    found = alliance_figures(pair, [link(1, 1, 2)], unanswered, START, END)
    assert (found.only_receiving, found.only_sending) == ((1,), (2,))


def test_level_matrix_counts_items_from_level_to_level() -> None:
    levels = figures().levels
    assert levels.labels == ("international", "national", "intermediate", "local")
    assert levels.counts == (
        (0, 0, 0, 0),
        (1, 0, 0, 1),  # Kenya WASH up to Global, down to Kisumu
        (0, 0, 0, 0),
        (0, 7, 0, 1),  # 3 + 2 + 2 up to Kenya WASH; Kisumu across to Nakuru
    )
    assert levels.sizes == (1, 1, 0, 4)
    assert (levels.unplaced, levels.within, levels.across) == (0, 1, 9)


def test_items_with_an_end_not_handed_over_are_unplaced() -> None:
    only_upper = [platform(1, "Upper", Level.NATIONAL)]
    flows = [item(1, 2, 1, UP, day(11, 2)), response(1, 1, 2, DOWN, day(11, 3))]
    found = alliance_figures(only_upper, [link(1, 1, 2)], flows, START, END)
    assert found.levels.unplaced == 1
    assert sum(map(sum, found.levels.counts)) == 0
    upper = found.platform(1)
    assert (upper.items_received, upper.responses_sent, upper.active_links) == (1, 1, 1)


def test_measures_rows() -> None:
    measures = alliance_measures(figures(), NAMES)
    assert len(measures) == 6 * 8
    kenya = [m for m in measures if m.group == "Kenya WASH"]
    assert kenya == [
        Measure(Scope.PLATFORM, "Kenya WASH", "items_sent", 2.0, 5),
        Measure(Scope.PLATFORM, "Kenya WASH", "items_received", 7.0, 5),
        Measure(Scope.PLATFORM, "Kenya WASH", "responses_sent", 1.0, 5),
        Measure(Scope.PLATFORM, "Kenya WASH", "responses_received", 1.0, 5),
        Measure(Scope.PLATFORM, "Kenya WASH", "items_sent_up", 1.0, 5),
        Measure(Scope.PLATFORM, "Kenya WASH", "items_sent_down", 1.0, 5),
        Measure(Scope.PLATFORM, "Kenya WASH", "items_sent_across", 0.0, 5),
        Measure(Scope.PLATFORM, "Kenya WASH", "silent_links", 1.0, 5),
    ]
    kisumu = {m.metric: (m.value, m.n) for m in measures if m.group == "Kisumu"}
    assert kisumu == {
        "items_sent": (4.0, 2),
        "items_received": (1.0, 2),
        "responses_sent": (1.0, 2),
        "responses_received": (2.0, 2),
        "items_sent_up": (3.0, 2),
        "items_sent_down": (0.0, 2),
        "items_sent_across": (1.0, 2),
        "silent_links": (0.0, 2),
    }
    mombasa = {m.metric: m.value for m in measures if m.group == "Mombasa"}
    assert mombasa["silent_links"] == 1.0 and mombasa["items_sent"] == 0.0
    # Platforms are institutions, not people: one link is not a group too small to show.
    assert not any(is_small_group(m, 3) for m in measures)
    assert [m.group for m in alliance_measures(figures(), {})][:1] == [f"platform {GLOBAL}"]


def test_lines_for_discord() -> None:
    lines = alliance_lines(figures(), NAMES, LEVELS, period="2026-11-01 to 2026-11-30")
    assert lines == [
        "Period: 2026-11-01 to 2026-11-30",
        "Kenya WASH → Global (vertical-up): 1 item, 0 responses",
        "Eldoret → Kenya WASH (vertical-up): 2 items, 0 responses",
        "Kisumu → Kenya WASH (vertical-up): 3 items, 1 response",
        "Kenya WASH → Kisumu (vertical-down): 1 item, 1 response",
        "Nakuru → Kenya WASH (vertical-up): 2 items, 0 responses",
        "Nakuru → Kisumu (horizontal): 0 items, 1 response",
        "Kisumu → Nakuru (horizontal): 1 item, 0 responses",
        "Only receiving (received items, sent nothing back or on): Global",
        "Only sending (sent items, received nothing): Eldoret",
        "Silent links: Kenya WASH – Mombasa",
    ]


def test_lines_when_nothing_crossed() -> None:
    pair = [platform(1, "Upper", Level.NATIONAL), platform(2, "Lower", Level.LOCAL)]
    found = alliance_figures(pair, [link(1, 1, 2)], [], START, END)
    assert alliance_lines(found, {1: "Upper", 2: "Lower"}, {1: Level.NATIONAL}) == [
        "Period: 2026-11-01 00:00 to 2026-12-01 00:00 UTC (end not included)",
        NOTHING_CROSSED,
        "Silent links: Upper – Lower",
    ]


def test_layout_rows_by_level_and_children_under_their_parents() -> None:
    assert alliance_layout(figures(), PLATFORMS) == {
        GLOBAL: (0.5, 2.0),
        KENYA: (0.5, 1.0),
        ELDORET: (0.125, 0.0),
        KISUMU: (0.375, 0.0),
        MOMBASA: (0.625, 0.0),
        NAKURU: (0.875, 0.0),
    }
    alpha, beta, zebra, aardvark, loner = 1, 2, 3, 4, 5
    tree = [
        platform(beta, "Beta", Level.NATIONAL),
        platform(alpha, "Alpha", Level.NATIONAL),
        platform(loner, "Loner", Level.LOCAL),
        platform(aardvark, "Aardvark", Level.LOCAL),
        platform(zebra, "Zebra", Level.LOCAL),
    ]
    found = alliance_figures(tree, [link(1, alpha, zebra), link(2, beta, aardvark)], [], START, END)
    places = alliance_layout(found, tree)
    assert places[alpha] == (0.25, 1.0) and places[beta] == (0.75, 1.0)
    # Zebra sits under Alpha, Aardvark under Beta, the unlinked platform last.
    assert [places[p][0] for p in (zebra, aardvark, loner)] == [1 / 6, 0.5, 5 / 6]


def pixel_size(png: bytes) -> tuple[int, int]:
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")


def test_chart_is_a_png_and_the_same_for_the_same_input() -> None:
    first = alliance_chart(figures(), PLATFORMS, TITLE)
    assert pixel_size(first) == (WIDTH_PX, HEIGHT_PX)
    assert alliance_chart(figures(), PLATFORMS, TITLE) == first
    quiet = alliance_figures(PLATFORMS, LINKS, [], START, END)
    assert alliance_chart(quiet, PLATFORMS, TITLE) != first


def test_chart_of_an_empty_alliance_is_the_empty_chart() -> None:
    empty = alliance_figures([], [], [], START, END)
    assert empty.is_empty
    assert alliance_chart(empty, [], TITLE) == lorenz_chart([], None, TITLE)


def test_chart_with_a_crowded_row_and_awkward_names() -> None:
    hub = platform(1, "Ministère de l'Eau $50$ – direction nationale", Level.NATIONAL)
    towns = [platform(100 + i, f"Coöperatie district {i} 🌊", Level.LOCAL) for i in range(9)]
    links = [link(i, 1, town.id) for i, town in enumerate(towns)]
    flows = [item(i, town.id, 1, UP, day(11, 2 + i)) for i, town in enumerate(towns[:5])]
    found = alliance_figures([hub, *towns], links, flows, START, END)
    assert len(found.silent_links) == 4
    assert pixel_size(alliance_chart(found, [hub, *towns], TITLE)) == (WIDTH_PX, HEIGHT_PX)
