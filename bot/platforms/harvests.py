"""A café's harvest shared across links: the compact text a copy carries, and the share itself.

The copy names nobody: a harvest is the work of the café's tables, so its items go without
their authors, mentions of members become "a participant", and the copy is credited to
:data:`HARVEST_CREDIT`. The whole harvest (with the names the café may show) stays in the
Markdown file the copy links to.

Two ways a harvest is shared: on purpose (``/cafe harvest share:``), where every refusal is told
to the moderator, and by the platform's ``autoshare_harvests`` setting when the café ends, where
a server that is no platform, a platform without the setting or without links, or links that
all hold a copy already, mean simply that nothing is shared.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from bot.cafe.harvest import Harvest, HarvestItem
from bot.errors import CopbotError
from bot.platforms.service import TEXT_LIMIT, Platforms, Shared
from bot.platforms.values import Platform, ShareKind, ShareTarget
from bot.text import collapse_spaces, neutralise_mentions, shorten

HARVEST_CREDIT: Final = "the café's tables"
MORE: Final = "… and more in the harvest file"
ITEM_LIMIT: Final = 400
"""Characters of one note or insight in the compact text: many short items beat one long one."""
INSIGHT_MARK: Final = "💡 "
_MEMBER_MENTION = re.compile(r"<@!?\d+>")
_ROLE_MENTION = re.compile(r"<@&\d+>")


def harvest_source_key(cafe_id: int) -> str:
    """What marks a café's harvest as one item, however often it is shared."""
    return f"cafe:{cafe_id}"


def harvest_title(cafe_title: str) -> str:
    return f"Harvest of {cafe_title}"


def unnamed(text: str) -> str:
    """One line, with member and role mentions replaced so that no copy names anyone."""
    text = _MEMBER_MENTION.sub("a participant", text)
    text = _ROLE_MENTION.sub("a group", text)
    return neutralise_mentions(collapse_spaces(text))


def harvest_share_text(harvest: Harvest, limit: int = TEXT_LIMIT) -> str:
    """The harvest in a few lines: the questions, then per round and table its tablecloth notes
    and marked insights (💡), unnamed, in at most ``limit`` characters. Whole lines are kept;
    when some do not fit, the text ends with :data:`MORE`."""
    if limit < len(MORE) + 1:
        raise ValueError(f"a limit of {limit} cannot hold the closing line")
    lines = _harvest_lines(harvest)
    whole = "\n".join(lines)
    if len(whole) <= limit:
        return whole
    room = limit - len(MORE) - 1  # the closing line, after a line break
    kept: list[str] = []
    size = 0  # len("\n".join(kept))
    for line in lines:
        added = size + (1 if kept else 0) + len(line)
        if added > room:
            break
        kept.append(line)
        size = added
    while kept and not kept[-1]:
        kept.pop()  # no blank line before the closing one
    return "\n".join([*kept, MORE])


def _harvest_lines(harvest: Harvest) -> list[str]:
    lines: list[str] = []
    if harvest.questions:
        lines.append("**Questions**")
        lines += [
            f"{number}. {shorten(unnamed(question), ITEM_LIMIT)}"
            for number, question in enumerate(harvest.questions, start=1)
        ]
    by_place: dict[tuple[int, int], list[HarvestItem]] = {}
    for item in harvest.items:
        by_place.setdefault((item.round_number, item.table_number), []).append(item)
    # The tables in order; what was marked outside the tables comes last.
    places = sorted(by_place, key=lambda place: (place[0] < 1 or place[1] < 1, place))
    for place in places:
        items = _notes_first(by_place[place])
        round_number, table_number = place
        if round_number < 1 or table_number < 1:
            heading = "**Elsewhere in the café**"
        else:
            heading = f"**Round {round_number} · Table {table_number}**"
        if lines:
            lines.append("")
        lines.append(heading)
        for item in items:
            mark = INSIGHT_MARK if item.is_insight else ""
            lines.append(f"- {mark}{shorten(unnamed(item.text), ITEM_LIMIT)}")
    if not harvest.items:
        if lines:
            lines.append("")
        lines.append("No tablecloth notes or insights were recorded.")
    return lines


def _notes_first(items: Sequence[HarvestItem]) -> list[HarvestItem]:
    return [item for item in items if not item.is_insight] + [
        item for item in items if item.is_insight
    ]


@dataclass(frozen=True, slots=True)
class HarvestShare:
    """What became of sharing a harvest: the share made (None: nothing shared) and, when nothing
    was, why (None for an autoshare that did not apply)."""

    platform: Platform | None
    shared: Shared | None
    refusal: str | None

    def describe(self) -> str:
        """For the moderator: which platforms get a copy, or why none does."""
        if self.shared is not None:
            names = ", ".join(f"**{item.platform.name}**" for item in self.shared.sent_to)
            text = f"A copy goes to {names}."
            if self.shared.already_there:
                held = ", ".join(f"**{item.platform.name}**" for item in self.shared.already_there)
                text += f" {held} had one already."
            return text
        return self.refusal or "It was not shared with other platforms."


async def share_harvest(
    platforms: Platforms,
    *,
    community_id: int,
    category_id: int | None,
    cafe_id: int,
    cafe_title: str,
    harvest: Harvest,
    target: ShareTarget | None,
    channel_id: int | None,
    message_id: int | None,
    jump_url: str | None,
    file_url: str | None,
    shared_by: int | None,
) -> HarvestShare:
    """Share a posted harvest from the platform of the café's channel. ``target`` None: the
    café ended, and the platform's ``autoshare_harvests`` decides (to every link); nothing is
    refused aloud then. With a ``target``, a refusal comes back in :attr:`HarvestShare.refusal`.
    Call ``bot.deliveries.notify()`` when a share was made."""
    explicit = target is not None
    try:
        platform = await platforms.resolve(community_id, None, category_id=category_id)
    except CopbotError as error:
        return HarvestShare(None, None, error.user_message if explicit else None)
    if target is None:
        if not platform.autoshare_harvests or platform.removed_at is not None:
            return HarvestShare(platform, None, None)
        target = ShareTarget.ALL
    try:
        shared = await platforms.share(
            platform,
            target,
            kind=ShareKind.HARVEST,
            source_key=harvest_source_key(cafe_id),
            title=harvest_title(cafe_title),
            text=harvest_share_text(harvest),
            attachment_urls=(file_url,) if file_url else (),
            credit=HARVEST_CREDIT,
            author_id=None,
            source_channel_id=channel_id,
            source_message_id=message_id,
            jump_url=jump_url,
            shared_by=shared_by,
        )
    except CopbotError as error:
        return HarvestShare(platform, None, error.user_message if explicit else None)
    return HarvestShare(platform, shared, None)
