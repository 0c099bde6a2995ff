"""A learning alliance's flows: what its platforms shared over their links, and how they
responded, in one period. Plain values in (``bot.platforms.values``: platforms, links, flows),
figures out; no Discord, no SQL.

The caller hands over the alliance's platforms, the links active at any time in the period
[start, end), and the flows (items shared and responses to them) of the period. Flows with ``at``
outside [start, end), on a link not handed over, or whose ends are not the link's two platforms
are left out. A flow's direction is the one it carries: an item shared from a child platform
to its parent travels up, a response to it travels down; between peers both travel across.

Figures (each a count over the period):

- Per link (:class:`LinkFlows`): items and responses per direction (up, down, across), and per
  sending end (so the two ways of a peer link are told apart). ``active_in_period``: the link
  existed at some moment of [start, end): ``started_at < end`` and it had not ended by
  ``start`` (``ended_at`` None or after ``start``).
- Per platform (:class:`PlatformFlows`): items sent, items received, responses sent, responses
  received, items sent up, down and across, its links active in the period and how many of
  those were silent.
- Only receiving: platforms that received at least one item and sent nothing (neither an item
  nor a response). Only sending: platforms that sent at least one item and received nothing
  (neither an item nor a response). Items and responses both count as knowledge going out or
  coming in, so a platform that answers what it receives does not "only receive", and one whose
  items are answered does not "only send"; responses alone do not put a platform on either list.
- Silent links: links active in the period with no item and no response in either direction.
- Level matrix (:class:`bot.insights.flows.FlowMatrix`): ``counts[a][b]`` = items sent from a
  platform at level ``a`` to a platform at level ``b``, levels in the vocabulary order
  (international, national, intermediate, local); ``sizes[a]`` the number of platforms at level
  ``a``; ``unplaced`` items with an end among no platform handed over. Responses are not in it:
  it says which way lessons travel, and a response follows the item it answers.

In ``/export metrics`` (:func:`alliance_measures`) every platform has a row per metric with
scope ``platform``, group the platform's name and n the number of its links active in the
period. These are counts of items between institutions, not figures about people, so the small
group rule (DESIGN.md section 8) does not apply to them: they are always shown.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from bot.insights.flows import LEVEL_ORDER, FlowMatrix
from bot.insights.values import Measure, Scope
from bot.platforms.values import Direction, Flow, Link, Platform

ITEMS_SENT = "items_sent"
ITEMS_RECEIVED = "items_received"
RESPONSES_SENT = "responses_sent"
RESPONSES_RECEIVED = "responses_received"
ITEMS_SENT_UP = "items_sent_up"
ITEMS_SENT_DOWN = "items_sent_down"
ITEMS_SENT_ACROSS = "items_sent_across"
SILENT_LINKS = "silent_links"

PLATFORM_METRICS: tuple[str, ...] = (
    ITEMS_SENT,
    ITEMS_RECEIVED,
    RESPONSES_SENT,
    RESPONSES_RECEIVED,
    ITEMS_SENT_UP,
    ITEMS_SENT_DOWN,
    ITEMS_SENT_ACROSS,
    SILENT_LINKS,
)

LEVEL_RANK: dict[str, int] = {level: rank for rank, level in enumerate(LEVEL_ORDER)}


def _per_direction() -> dict[Direction, int]:
    return dict.fromkeys(Direction, 0)


@dataclass(frozen=True, slots=True)
class LinkFlows:
    """What crossed one link in the period. ``items`` and ``responses`` count per direction
    (every direction is a key; a vertical link has nothing across, a peer link nothing up or
    down); ``items_from`` and ``responses_from`` count per sending platform (both ends are
    keys)."""

    link_id: int
    upper_id: int
    lower_id: int
    peer: bool
    active_in_period: bool
    items: dict[Direction, int] = field(default_factory=_per_direction)
    responses: dict[Direction, int] = field(default_factory=_per_direction)
    items_from: dict[int, int] = field(default_factory=dict)
    responses_from: dict[int, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        """Items and responses, both ways."""
        return sum(self.items.values()) + sum(self.responses.values())

    @property
    def silent(self) -> bool:
        """Active in the period, and nothing crossed it."""
        return self.active_in_period and self.total == 0

    def direction_from(self, platform_id: int) -> Direction:
        """The way what ``platform_id`` sends over this link travels."""
        if platform_id not in (self.upper_id, self.lower_id):
            raise ValueError(f"platform {platform_id} is not an end of link {self.link_id}")
        if self.peer:
            return Direction.ACROSS
        return Direction.UP if platform_id == self.lower_id else Direction.DOWN

    def sent_from(self, platform_id: int) -> int:
        """Items and responses sent over this link by ``platform_id``."""
        return self.items_from.get(platform_id, 0) + self.responses_from.get(platform_id, 0)


@dataclass(frozen=True, slots=True)
class PlatformFlows:
    """One platform's exchanges over all its links in the period."""

    platform_id: int
    items_sent: int = 0
    items_received: int = 0
    responses_sent: int = 0
    responses_received: int = 0
    items_sent_by_direction: dict[Direction, int] = field(default_factory=_per_direction)
    active_links: int = 0
    silent_links: int = 0

    @property
    def sent(self) -> int:
        return self.items_sent + self.responses_sent

    @property
    def received(self) -> int:
        return self.items_received + self.responses_received

    @property
    def only_receives(self) -> bool:
        return self.items_received > 0 and self.sent == 0

    @property
    def only_sends(self) -> bool:
        return self.items_sent > 0 and self.received == 0


@dataclass(frozen=True, slots=True)
class AllianceFigures:
    """The alliance's figures for [start, end). ``links`` in link id order; ``platforms`` in
    level order (international first), then by name, then id."""

    start: datetime
    end: datetime
    links: tuple[LinkFlows, ...]
    platforms: tuple[PlatformFlows, ...]
    levels: FlowMatrix

    @property
    def only_receiving(self) -> tuple[int, ...]:
        """Platforms that received items and sent nothing (neither items nor responses)."""
        return tuple(p.platform_id for p in self.platforms if p.only_receives)

    @property
    def only_sending(self) -> tuple[int, ...]:
        """Platforms that sent items and received nothing (neither items nor responses)."""
        return tuple(p.platform_id for p in self.platforms if p.only_sends)

    @property
    def silent_links(self) -> tuple[int, ...]:
        """Links active in the period over which nothing travelled."""
        return tuple(link.link_id for link in self.links if link.silent)

    def link(self, link_id: int) -> LinkFlows:
        for found in self.links:
            if found.link_id == link_id:
                return found
        raise KeyError(link_id)

    def platform(self, platform_id: int) -> PlatformFlows:
        for found in self.platforms:
            if found.platform_id == platform_id:
                return found
        raise KeyError(platform_id)

    @property
    def is_empty(self) -> bool:
        """No platform, and so nothing to show."""
        return not self.platforms


def active_between(link: Link, start: datetime, end: datetime) -> bool:
    """Whether ``link`` existed at some moment of [start, end)."""
    return link.started_at < end and (link.ended_at is None or link.ended_at > start)


def alliance_figures(
    platforms: Sequence[Platform],
    links: Sequence[Link],
    flows: Sequence[Flow],
    start: datetime,
    end: datetime,
) -> AllianceFigures:
    """The alliance's figures for [start, end) (module docstring)."""
    per_link = {
        link.id: LinkFlows(
            link_id=link.id,
            upper_id=link.upper_id,
            lower_id=link.lower_id,
            peer=link.peer,
            active_in_period=active_between(link, start, end),
            items_from={link.upper_id: 0, link.lower_id: 0},
            responses_from={link.upper_id: 0, link.lower_id: 0},
        )
        for link in sorted(links, key=lambda link: link.id)
    }
    ordered = sorted(platforms, key=lambda p: (LEVEL_RANK.get(p.level.value, 99), p.name, p.id))
    level_of = {platform.id: platform.level.value for platform in ordered}
    sent_items: dict[int, dict[Direction, int]] = {p.id: _per_direction() for p in ordered}
    received_items = dict.fromkeys(level_of, 0)
    sent_responses = dict.fromkeys(level_of, 0)
    received_responses = dict.fromkeys(level_of, 0)
    size = len(LEVEL_ORDER)
    cells = [[0] * size for _ in range(size)]
    unplaced = 0

    for flow in flows:
        found = per_link.get(flow.link_id)
        if found is None or not start <= flow.at < end:
            continue
        if {flow.from_platform_id, flow.to_platform_id} != {found.upper_id, found.lower_id}:
            continue
        sender, receiver = flow.from_platform_id, flow.to_platform_id
        if flow.response:
            found.responses[flow.direction] += 1
            found.responses_from[sender] += 1
            if sender in level_of:
                sent_responses[sender] += 1
            if receiver in level_of:
                received_responses[receiver] += 1
            continue
        found.items[flow.direction] += 1
        found.items_from[sender] += 1
        if sender in level_of:
            sent_items[sender][flow.direction] += 1
        if receiver in level_of:
            received_items[receiver] += 1
        if sender in level_of and receiver in level_of:
            cells[LEVEL_RANK[level_of[sender]]][LEVEL_RANK[level_of[receiver]]] += 1
        else:
            unplaced += 1

    active_links = dict.fromkeys(level_of, 0)
    silent_links = dict.fromkeys(level_of, 0)
    for found in per_link.values():
        for end_id in {found.upper_id, found.lower_id} & level_of.keys():
            active_links[end_id] += found.active_in_period
            silent_links[end_id] += found.silent

    return AllianceFigures(
        start=start,
        end=end,
        links=tuple(per_link.values()),
        platforms=tuple(
            PlatformFlows(
                platform_id=p.id,
                items_sent=sum(sent_items[p.id].values()),
                items_received=received_items[p.id],
                responses_sent=sent_responses[p.id],
                responses_received=received_responses[p.id],
                items_sent_by_direction=sent_items[p.id],
                active_links=active_links[p.id],
                silent_links=silent_links[p.id],
            )
            for p in ordered
        ),
        levels=FlowMatrix(
            labels=LEVEL_ORDER,
            counts=tuple(tuple(row) for row in cells),
            unplaced=unplaced,
            sizes=tuple(sum(1 for p in ordered if p.level.value == level) for level in LEVEL_ORDER),
        ),
    )


def alliance_measures(figures: AllianceFigures, platform_names: Mapping[int, str]) -> list[Measure]:
    """Every platform's figures in long form for ``/export metrics``: scope ``platform``, group
    its name ("platform <id>" when ``platform_names`` lacks it), the metrics of
    :data:`PLATFORM_METRICS` in that order, n its links active in the period. Never suppressed
    (module docstring)."""
    measures: list[Measure] = []
    for platform in figures.platforms:
        name = platform_names.get(platform.platform_id, f"platform {platform.platform_id}")
        by_direction = platform.items_sent_by_direction
        values = {
            ITEMS_SENT: platform.items_sent,
            ITEMS_RECEIVED: platform.items_received,
            RESPONSES_SENT: platform.responses_sent,
            RESPONSES_RECEIVED: platform.responses_received,
            ITEMS_SENT_UP: by_direction[Direction.UP],
            ITEMS_SENT_DOWN: by_direction[Direction.DOWN],
            ITEMS_SENT_ACROSS: by_direction[Direction.ACROSS],
            SILENT_LINKS: platform.silent_links,
        }
        measures += [
            Measure(Scope.PLATFORM, name, metric, float(values[metric]), platform.active_links)
            for metric in PLATFORM_METRICS
        ]
    return measures
