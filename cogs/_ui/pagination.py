"""Paging through long listings: the page arithmetic, and Previous / Next buttons that keep
working after a restart.

The buttons are :class:`discord.ui.DynamicItem` subclasses: everything needed to draw the page
they lead to (the page number and the listing's filters) is in their ``custom_id``, so no view
has to survive in memory. A listing subclasses :class:`PageButton` with its own ``template``
and registers the class with ``bot.add_dynamic_items`` (its cog's ``cog_load``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Self

import discord

from cogs._ui.interaction import GuildInteraction, in_guild
from cogs._ui.views import CopbotView, DynamicButton

CUSTOM_ID_MAX = 100


@dataclass(frozen=True)
class PageWindow:
    """Page ``number`` (from 1) of ``total`` items shown ``size`` at a time."""

    number: int
    size: int
    total: int

    @classmethod
    def of(cls, requested: int, *, size: int, total: int) -> PageWindow:
        """The page asked for, moved into range: the listing may have shrunk since."""
        if size < 1:
            raise ValueError("a page holds at least one item")
        count = max(1, -(-total // size))
        return cls(min(max(requested, 1), count), size, max(total, 0))

    @property
    def count(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.count

    @property
    def label(self) -> str:
        return f"Page {self.number} of {self.count}"


class PageButton(DynamicButton, template=r"(?!)"):
    """Base of a listing's Previous / Next button (this base matches no custom_id).

    A subclass sets ``template`` (a regex with a ``page`` group, a ``direction`` group and any
    filter groups), builds its custom_id, and draws a page in :meth:`show_page`, which answers
    by editing the message (response type 7).
    """

    direction_labels: ClassVar[dict[str, str]] = {"prev": "◀ Previous", "next": "Next ▶"}

    def __init__(self, custom_id: str, *, direction: str, disabled: bool = False) -> None:
        if len(custom_id) > CUSTOM_ID_MAX:
            raise ValueError(f"custom_id {custom_id!r} is longer than {CUSTOM_ID_MAX}")
        super().__init__(
            discord.ui.Button(
                label=self.direction_labels[direction],
                style=discord.ButtonStyle.secondary,
                custom_id=custom_id,
                disabled=disabled,
            )
        )

    @classmethod
    def from_match(cls, match: re.Match[str]) -> Self:
        return cls(match.string, direction=match["direction"])

    async def pressed(self, interaction: discord.Interaction[Any]) -> None:
        match = self.template.fullmatch(self.custom_id)
        assert match is not None
        await self.show_page(in_guild(interaction), match)

    async def show_page(self, interaction: GuildInteraction, match: re.Match[str]) -> None:
        raise NotImplementedError


def page_buttons(
    window: PageWindow,
    make: Callable[[int, str, bool], PageButton],
) -> CopbotView | None:
    """Previous / Next for ``window``, or None when everything fits on one page.

    ``make(page, direction, disabled)`` builds the listing's button leading to ``page``. The
    two buttons always lead to different pages, so their custom_ids never clash.
    """
    if window.count <= 1:
        return None
    view = CopbotView(timeout=None)
    view.add_item(make(window.number - 1, "prev", not window.has_previous))
    view.add_item(make(window.number + 1, "next", not window.has_next))
    return view
