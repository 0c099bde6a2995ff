"""The one embed style."""

from __future__ import annotations

from collections.abc import Iterable
from enum import Enum

import discord


class Tone(Enum):
    INFO = discord.Colour(0x2E86AB)  # water blue
    SUCCESS = discord.Colour(0x3BB273)
    WARNING = discord.Colour(0xE1BC29)
    ERROR = discord.Colour(0xE15554)


def make_embed(
    title: str,
    description: str | None = None,
    *,
    fields: Iterable[tuple[str, str]] = (),
    tone: Tone = Tone.INFO,
    footer: str | None = None,
    inline: bool = False,
) -> discord.Embed:
    embed = discord.Embed(title=title, description=description, colour=tone.value)
    for name, value in fields:
        embed.add_field(name=name, value=value or "—", inline=inline)
    if footer:
        embed.set_footer(text=footer)
    return embed
