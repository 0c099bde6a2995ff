"""A bare discord.py bot with a few commands, buttons and a modal, for driving the sandbox."""

from __future__ import annotations

import asyncio
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands
from discord.webhook.async_ import async_context, interaction_response_params

from tests.e2e.sandbox.conftest import make_bot

ORGS = ["IRC WASH", "WaterAid", "SNV", "Akvo", "UNICEF WASH", "Water.org"]


class TopicModal(discord.ui.Modal, title="Propose a topic"):
    topic: discord.ui.TextInput[Any] = discord.ui.TextInput(label="Topic", custom_id="topic")
    notes: discord.ui.TextInput[Any] = discord.ui.TextInput(
        label="Notes", custom_id="notes", style=discord.TextStyle.paragraph, required=False
    )

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(
            f"Topic saved: {self.topic.value} ({self.notes.value or 'no notes'})", ephemeral=True
        )


class Panel(discord.ui.View):
    def __init__(self) -> None:
        super().__init__(timeout=None)

    @discord.ui.button(label="Propose", custom_id="panel:propose")
    async def propose(
        self, interaction: discord.Interaction, button: discord.ui.Button[Any]
    ) -> None:
        await interaction.response.send_modal(TopicModal())

    @discord.ui.button(label="Count", custom_id="panel:count", style=discord.ButtonStyle.green)
    async def count(self, interaction: discord.Interaction, button: discord.ui.Button[Any]) -> None:
        button.label = "Counted"
        await interaction.response.edit_message(content="counted!", view=self)


def build_test_bot(record: dict[str, Any], intents: discord.Intents | None = None) -> commands.Bot:
    bot = make_bot(intents)
    tree = bot.tree
    settings = app_commands.Group(name="settings", description="Community settings")

    @settings.command(name="roles", description="Choose the staff roles")
    async def roles(
        interaction: discord.Interaction,
        moderator: discord.Role,
        coordinator: discord.Role | None = None,
    ) -> None:
        text = f"Roles saved: moderator {moderator.name}"
        if coordinator is not None:
            text += f", coordinator {coordinator.name}"
        await interaction.response.send_message(text, ephemeral=True)

    tree.add_command(settings)

    @tree.command(name="greet", description="Greet a member")
    async def greet(interaction: discord.Interaction, member: discord.Member, words: str) -> None:
        embed = discord.Embed(title="Greeting", description=f"{words}, {member.display_name}!")
        embed.add_field(name="By", value=interaction.user.name)
        await interaction.response.send_message(embed=embed)

    @tree.command(name="slow", description="Think, then answer")
    async def slow(interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        await asyncio.sleep(0.05)
        await interaction.followup.send("done thinking")
        await interaction.followup.send("and one more thing")

    @tree.command(name="panel", description="Post the panel")
    async def panel(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("Café panel", view=Panel())

    @tree.command(name="twice", description="Answers twice")
    async def twice(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("first")
        # discord.py refuses a second response locally; send it raw to see Discord's answer
        adapter = async_context.get()
        params = interaction_response_params(type=4, data={"content": "second"})
        try:
            await adapter.create_interaction_response(
                interaction.id,
                interaction.token,
                session=interaction._session,
                proxy=None,
                proxy_auth=None,
                params=params,
            )
        except discord.HTTPException as exc:
            record["twice_error"] = (exc.status, exc.code)

    @tree.command(name="late", description="Answers too late")
    async def late(interaction: discord.Interaction) -> None:
        await asyncio.sleep(record.get("late_delay", 0.3))
        try:
            await interaction.response.send_message("too late")
        except discord.HTTPException as exc:
            record["late_error"] = (exc.status, exc.code)

    org = app_commands.Group(name="org", description="Organisations")

    @org.command(name="show", description="Show an organisation")
    async def org_show(interaction: discord.Interaction, name: str) -> None:
        await interaction.response.send_message(f"Organisation: {name}", ephemeral=True)

    @org_show.autocomplete("name")
    async def org_names(
        interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return [
            app_commands.Choice(name=o, value=o)
            for o in ORGS
            if o.lower().startswith(current.lower())
        ]

    tree.add_command(org)

    @tree.context_menu(name="Add to harvest")
    async def harvest(interaction: discord.Interaction, message: discord.Message) -> None:
        await interaction.response.send_message(f"Harvested: {message.content}", ephemeral=True)

    @bot.event
    async def setup_hook() -> None:
        bot.add_view(Panel())
        await bot.tree.sync()

    @bot.event
    async def on_message(message: discord.Message) -> None:
        record.setdefault("messages", []).append(message)

    @bot.event
    async def on_raw_reaction_add(payload: discord.RawReactionActionEvent) -> None:
        record.setdefault("reactions", []).append(payload)

    return bot
