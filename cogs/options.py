"""Slash-command options every cog shares: free text under the one text rule, and row numbers.

Annotate a free-text parameter ``app_commands.Transform[str, FreeText("title", 100)]``: Discord
is told the length limit (its client shows it and refuses longer text), and the bot checks the
value itself all the same (a command registered by an older version may carry another limit):
control characters, text that shows nothing and text over the limit are refused before the
command runs, with an ephemeral answer naming the option. The command gets the value tidied.
"""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands

from bot.errors import BadInput, NotFound
from bot.text import clean_text

# The largest id an integer column holds on PostgreSQL: cafés, questions and schedules are
# numbered in such columns, so a larger number names nothing (and must not reach a query).
MAX_ROW_NUMBER = 2**31 - 1


class OptionRefused(BadInput, app_commands.AppCommandError):
    """An option value refused while discord.py reads the options: an AppCommandError, so the
    tree's error handler gets it as it is, and a CopbotError, so the user reads why."""

    @classmethod
    def from_error(cls, error: BadInput) -> OptionRefused:
        return cls(error.problem, error.fix)


class OptionNotFound(NotFound, app_commands.AppCommandError):
    """A number that cannot name a row: answered as "not found", like any unknown number."""


class FreeText(app_commands.Transformer[Any]):
    """Text a person types into option ``name``: at least ``minimum`` and at most ``limit``
    characters once tidied, printable, no control characters."""

    def __init__(self, name: str, limit: int, *, minimum: int = 1) -> None:
        if not 1 <= minimum <= limit <= 6000:  # Discord's bounds for a string option
            raise ValueError(f"option {name!r}: lengths must satisfy 1 <= {minimum} <= {limit}")
        self.name = name
        self.limit = limit
        self.minimum = minimum

    @property
    def type(self) -> discord.AppCommandOptionType:
        return discord.AppCommandOptionType.string

    @property
    def min_value(self) -> int:
        return self.minimum

    @property
    def max_value(self) -> int:
        return self.limit

    async def transform(self, interaction: discord.Interaction[Any], value: Any, /) -> str:
        try:
            return clean_text(
                str(value), f"`{self.name}`", limit=self.limit, minimum=self.minimum
            )
        except BadInput as error:
            raise OptionRefused.from_error(error) from None


class RowNumber(app_commands.Transformer[Any]):
    """The number of a café, question or schedule (``what``); ``listing`` is the command that
    shows the numbers. A number no row can have (0, negative, past PostgreSQL's integer) is
    answered as not found, as an unknown number is, and never reaches a query."""

    def __init__(self, what: str, listing: str) -> None:
        self.what = what
        self.listing = listing

    @property
    def type(self) -> discord.AppCommandOptionType:
        return discord.AppCommandOptionType.integer

    async def transform(self, interaction: discord.Interaction[Any], value: Any, /) -> int:
        number = int(value)
        if not 1 <= number <= MAX_ROW_NUMBER:
            raise OptionNotFound(
                f"There is no {self.what} #{number}.", f"`{self.listing}` shows the numbers."
            )
        return number
