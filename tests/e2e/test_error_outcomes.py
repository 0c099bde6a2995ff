"""The apology for an unexpected error says "Nothing was changed" only when that is true: a test
cog (loaded into the real bot) whose commands and buttons fail before or after changing
something, in the database or on Discord."""

from __future__ import annotations

import re
from typing import Any

import discord
import pytest
from discord import app_commands
from discord.ext import commands

from bot.client import COGS
from bot.sandbox import Message, SandboxInteraction
from cogs._ui.tree import send_ephemeral
from cogs._ui.views import CopbotView
from storage import app_state
from tests.e2e.harness import Harness
from tests.e2e.helpers import buttons

STATE_KEY = "test.error_outcomes"


class Failing(commands.GroupCog, group_name="failtest", group_description="Fails on purpose"):
    def __init__(self, bot: Any) -> None:
        self.bot = bot

    async def write(self) -> None:
        async with self.bot.db.transaction() as session:
            await app_state.set_state(session, STATE_KEY, "written")

    @app_commands.command(name="before-write", description="Reads, then fails")
    async def before_write(self, interaction: discord.Interaction[Any]) -> None:
        async with self.bot.db.session() as session:
            await app_state.get_state(session, STATE_KEY)
            await session.commit()  # a commit of a read changes nothing
        raise RuntimeError("failed before writing anything")

    @app_commands.command(name="rolled-back", description="Writes in a transaction that fails")
    async def rolled_back(self, interaction: discord.Interaction[Any]) -> None:
        async with self.bot.db.transaction() as session:
            await app_state.set_state(session, STATE_KEY, "never")
            raise RuntimeError("failed inside the transaction")

    @app_commands.command(name="after-write", description="Commits, then fails")
    async def after_write(self, interaction: discord.Interaction[Any]) -> None:
        await self.write()
        raise RuntimeError("failed after writing")

    @app_commands.command(name="after-post", description="Posts in the channel, then fails")
    async def after_post(self, interaction: discord.Interaction[Any]) -> None:
        await interaction.response.defer(ephemeral=True)
        assert isinstance(interaction.channel, discord.TextChannel)
        await interaction.channel.send("a message posted before the failure")
        raise RuntimeError("failed after posting")

    @app_commands.command(name="buttons", description="Buttons that fail")
    async def show_buttons(self, interaction: discord.Interaction[Any]) -> None:
        await send_ephemeral(interaction, "Press one")
        view = FailingButtons(self)
        await interaction.followup.send("Buttons", view=view, ephemeral=True)


class FailingButtons(CopbotView):
    def __init__(self, cog: Failing) -> None:
        super().__init__(timeout=30)
        self.cog = cog

    async def interaction_check(self, interaction: discord.Interaction[Any]) -> bool:
        return True  # overridden without calling the base, as views may do

    @discord.ui.button(label="Fail before", custom_id="failtest:before")
    async def fail_before(self, interaction: discord.Interaction[Any], _: Any) -> None:
        raise RuntimeError("button failed before writing")

    @discord.ui.button(label="Fail after", custom_id="failtest:after")
    async def fail_after(self, interaction: discord.Interaction[Any], _: Any) -> None:
        await self.cog.write()
        raise RuntimeError("button failed after writing")


async def setup(bot: Any) -> None:
    await bot.add_cog(Failing(bot))


@pytest.fixture
async def failing(harness: Harness) -> Harness:
    await harness.restart_bot((*COGS, __name__))
    return harness


async def text_of(itx: SandboxInteraction) -> str:
    if itx.deferred:
        await itx.wait_for_followup()
    return itx.text()


def apology(text: str) -> str:
    assert "Sorry, something went wrong on our side" in text, text
    assert re.search(r"`[0-9a-f]{8}`", text), text  # the error id is still shown
    return text


async def run(harness: Harness, sub: str) -> str:
    itx = await harness.sandbox.slash(harness.plain_member, harness.general, f"failtest {sub}")
    assert itx.ephemeral
    return apology(await text_of(itx))


async def stored(harness: Harness) -> str | None:
    async with harness.db.session() as session:
        return await app_state.get_state(session, STATE_KEY)


async def test_nothing_was_changed_only_when_nothing_was(failing: Harness) -> None:
    assert "Nothing was changed." in await run(failing, "before-write")
    assert "Nothing was changed." in await run(failing, "rolled-back")
    assert await stored(failing) is None

    written = await run(failing, "after-write")
    assert "Nothing was changed" not in written
    assert "Part of `/failtest after-write` may have been done" in written
    assert await stored(failing) == "written"

    posted = await run(failing, "after-post")
    assert "Nothing was changed" not in posted
    assert "Part of `/failtest after-post` may have been done" in posted
    assert failing.general.messages[-1].content == "a message posted before the failure"


async def button_message(harness: Harness) -> Message:
    itx = await harness.sandbox.slash(harness.plain_member, harness.general, "failtest buttons")
    message = await itx.wait_for_followup()
    assert set(buttons(message)) == {"Fail before", "Fail after"}
    return message


async def test_a_button_says_nothing_was_changed_only_when_nothing_was(failing: Harness) -> None:
    message = await button_message(failing)
    member = failing.plain_member
    before = await failing.sandbox.click(member, message, "failtest:before")
    assert "Nothing was changed." in apology(before.text())
    after = await failing.sandbox.click(member, message, "failtest:after")
    text = apology(after.text())
    assert "Nothing was changed" not in text and "may have been done" in text
    assert await stored(failing) == "written"
