"""Autocomplete suggestions every cog offers the same way."""

from __future__ import annotations

from discord import app_commands

from cogs._ui.interaction import GuildInteraction


async def organisation_names(
    interaction: GuildInteraction, current: str
) -> list[app_commands.Choice[str]]:
    """The register's organisation names that match what was typed (a suggestion only: the
    command checks the name it gets)."""
    names = await interaction.client.organisations.suggest_organisation_names(
        interaction.guild_id, current
    )
    return [app_commands.Choice(name=name, value=name) for name in names]
