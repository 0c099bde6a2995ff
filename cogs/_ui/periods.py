"""The period options of /insights and /export: a named span (the last 30, 90 or 365 days, or
everything), or first and last days typed ``YYYY-MM-DD`` in the community's time zone."""

from __future__ import annotations

from datetime import UTC, datetime

from discord import app_commands

from bot.client import CopBot
from bot.errors import BadInput
from bot.periods import Period, Span, parse_day, span_period, today_in
from cogs._ui.interaction import GuildInteraction
from cogs.options import FreeText

SPAN_CHOICES = [
    app_commands.Choice(name="the last 30 days", value=Span.DAYS_30.value),
    app_commands.Choice(name="the last 90 days", value=Span.DAYS_90.value),
    app_commands.Choice(name="the last 365 days", value=Span.DAYS_365.value),
    app_commands.Choice(name="everything logged", value=Span.ALL.value),
]
# A day as typed: YYYY-MM-DD, with room for stray spaces (parse_day says what is wrong).
DAY_TEXT = 20
Since = app_commands.Transform[str, FreeText("since", DAY_TEXT)]
Until = app_commands.Transform[str, FreeText("until", DAY_TEXT)]
SINCE_HELP = "First day, YYYY-MM-DD in the community's time zone (default: the beginning)"
UNTIL_HELP = "Last day, included, YYYY-MM-DD (default: today)"


def typed_period(since: str | None, until: str | None) -> Period:
    """The days typed, checked (BadInput says which option is wrong)."""
    return Period(
        None if since is None else parse_day(since, "since"),
        None if until is None else parse_day(until, "until"),
    )


async def chosen_period(
    bot: CopBot,
    interaction: GuildInteraction,
    span: str | None,
    since: str | None,
    until: str | None,
    *,
    default: Span = Span.DAYS_30,
) -> Period:
    """``span`` or the days typed (not both), else ``default``; spans end today in the
    community's time zone."""
    if span is not None and (since is not None or until is not None):
        raise BadInput(
            "Choose a period, or give `since` and `until`, not both.",
            "For example `period:the last 90 days`, or `since:2026-01-01 until:2026-03-31`.",
        )
    if since is not None or until is not None:
        return typed_period(since, until)
    community = await bot.communities.settings(interaction.guild.id, interaction.guild.name)
    today = today_in(community.timezone, datetime.now(UTC))
    return span_period(Span(span) if span is not None else default, today)
