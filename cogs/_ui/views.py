"""The base views every cog builds on: their errors go to the one handler (cogs/_ui/tree.py), and
each interaction they receive starts its work there (the change record and the answer watch)."""

from __future__ import annotations

import re
from typing import Any, Self

import discord

from cogs._ui.tree import begin_interaction_work, report_interaction_error


class CopbotView(discord.ui.View):
    """Base for every view: errors go through the same handler as slash commands."""

    async def _scheduled_task(self, *args: Any) -> Any:
        # The task discord.py starts for one click: the record of what it changes starts here
        # (before interaction_check, which subclasses override), unless another process
        # handles the click.
        if not await begin_interaction_work(args[1]):  # (item, interaction)
            return None
        return await super()._scheduled_task(*args)

    async def on_error(
        self, interaction: discord.Interaction[Any], error: Exception, item: discord.ui.Item[Any]
    ) -> None:
        await report_interaction_error(interaction, error)


class CopbotModal(discord.ui.Modal):
    """Base for every modal: errors go through the same handler as slash commands."""

    async def _scheduled_task(self, *args: Any) -> Any:
        if not await begin_interaction_work(args[0]):  # (interaction, components): one submission
            return None
        return await super()._scheduled_task(*args)

    # discord.py's Modal itself drops BaseView.on_error's item argument; this matches Modal's.
    async def on_error(  # type: ignore[override]
        self, interaction: discord.Interaction[Any], error: Exception
    ) -> None:
        await report_interaction_error(interaction, error)


class DynamicButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"(?!)"):
    """Base of every button whose state lives in its custom_id (this base matches none).

    Such buttons work after a restart with no view in memory. A subclass sets ``template``,
    rebuilds itself from the template's match in :meth:`from_match`, and acts in :meth:`pressed`;
    what that raises goes to the one error handler (discord.py would only log it). A button
    whose answer is a form sets ``opens_modal`` (see cogs/_ui/answers.py).
    """

    opens_modal: bool = False

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> Self:
        return cls.from_match(match)

    @classmethod
    def from_match(cls, match: re.Match[str]) -> Self:
        raise NotImplementedError

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        # A form must be the first answer: a button that opens one is not watched.
        if not await begin_interaction_work(interaction, watch=not self.opens_modal):
            return
        try:
            await self.pressed(interaction)
        except Exception as error:
            await report_interaction_error(interaction, error)

    async def pressed(self, interaction: discord.Interaction[Any]) -> None:
        raise NotImplementedError
