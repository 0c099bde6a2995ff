"""/insights digest: a community's headline figures, alerts and two charts, posted on a schedule
to a coordinators' channel, once per due time whatever restarts.

:class:`DigestCommands` is a mixin of the ``Insights`` cog (cogs/insights/cog.py) with the
``/insights digest`` subcommand; :class:`DigestPoster` handles the scheduler's firings of kind
:data:`~bot.insights.digest.DIGEST_KIND` and, at start-up, the firings a stopped process left
claimed. What the digest says is in bot/insights/digest.py.

Posted once:

- Each firing is claimed in the database before anything is computed or sent
  (bot/scheduling/scheduler.py): of several processes, or of a process and its successor, only
  the one whose claim was inserted posts.
- The message is sent with a nonce made from the schedule and the due time
  (:func:`~bot.insights.digest.digest_nonce`); discord.py sends every nonce with
  ``enforce_nonce``, so a send that discord.py retries (a 5xx, a 429) returns the message
  already made instead of making another, for the few minutes Discord remembers a nonce.
- A firing still claimed by a process that stopped (crashed, killed) is finished at start-up
  WITHOUT posting, recorded as skipped: whether its digest went out cannot be read back (a
  message's nonce is not shown in the channel's history), and a missed digest is better than a
  double one. The one exception is a claim so young that the nonce still holds: when the due
  time is at most :data:`RESEND_WITHIN` ago (the claim, and any message sent for it, came after
  the due time, so they are younger still), the digest is sent again with the same nonce, and
  Discord returns the first message if it went out; if the figures take so long that the send
  would come later than that, it is skipped after all. (A process still at work on such a
  claim, in an overlapping deploy, sends within the same few minutes: the nonce holds for it
  too.)

A channel that is gone, or where the bot may no longer post or attach files, pauses the
schedule with the reason, and the coordinator who set it is told by direct message.
"""

from __future__ import annotations

import io
import logging
from datetime import datetime, timedelta
from typing import Final
from zoneinfo import ZoneInfo

import discord
from discord import app_commands

from bot.client import CopBot
from bot.errors import BadInput, NotAllowed, new_error_id
from bot.insights.digest import (
    DIGEST_KIND,
    Frequency,
    digest_alerts,
    digest_fields,
    digest_nonce,
    digest_period,
    frequency_of,
)
from bot.insights.report import CHART_ACTIVITY, CHART_LORENZ
from bot.insights.service import CommunityInsights
from bot.permissions import Access, check_bot_can_post, require
from bot.scheduling.scheduler import Firing
from bot.scheduling.values import FiringStatus, Schedule
from bot.text import shorten
from cogs._ui.embeds import Tone, make_embed
from cogs._ui.interaction import GuildInteraction, guild_command
from cogs._ui.tree import send_ephemeral

log = logging.getLogger(__name__)

NO_PINGS = discord.AllowedMentions.none()
CHARTS: Final = (CHART_LORENZ, CHART_ACTIVITY)
RESEND_WITHIN: Final = timedelta(minutes=2)
"""A claim left by a stopped process is sent again (same nonce) only this soon after its due
time: well inside the few minutes Discord remembers a nonce (module docstring)."""
ALERT_CHARACTERS: Final = 1000
"""Each alert line at most this long: four of them stay inside an embed's description."""
MISSED_AFTER_A_STOP = (
    "not posted: the process that claimed it stopped before finishing, and whether its digest "
    "went out cannot be known; skipped rather than posted twice"
)
FREQUENCY_CHOICES = [
    app_commands.Choice(name="weekly: Mondays at 09:00, about the week before", value="weekly"),
    app_commands.Choice(name="monthly: the 1st at 09:00, about the month before", value="monthly"),
    app_commands.Choice(name="off: stop the digest", value="off"),
]
ABOUT: Final[dict[Frequency, str]] = {
    Frequency.WEEKLY: "every Monday at 09:00, about the 7 days before",
    Frequency.MONTHLY: "on the 1st of every month at 09:00, about the month before",
}


def check_bot_can_post_digest(channel: discord.TextChannel) -> None:
    """NotAllowed unless the bot may post an embed with files in ``channel``."""
    check_bot_can_post(channel, or_else=", or choose another channel")
    if not channel.permissions_for(channel.guild.me).attach_files:
        raise NotAllowed(
            f"I can't attach files in {channel.mention}.",
            "Let my role attach files there (the digest brings two charts), or choose another "
            "channel.",
        )


def local_time(moment: datetime, timezone: str) -> str:
    local = moment.astimezone(ZoneInfo(timezone))
    return f"{local:%a %d %b %Y, %H:%M} ({timezone})"


class DigestCommands:
    """The ``/insights digest`` subcommand, mixed into the ``Insights`` cog, which sets
    ``bot`` and ``digest_poster``."""

    bot: CopBot
    digest_poster: DigestPoster

    @guild_command(
        name="digest",
        description="Post the headline figures and alerts to a channel, weekly or monthly",
    )
    @app_commands.describe(
        frequency="weekly (Mondays), monthly (the 1st), or off to stop it",
        channel="Where it is posted: a coordinators' channel (not needed for off)",
    )
    @app_commands.choices(frequency=FREQUENCY_CHOICES)
    @require(Access.COORDINATOR)
    async def digest(
        self,
        interaction: GuildInteraction,
        frequency: app_commands.Choice[str],
        channel: discord.TextChannel | None = None,
    ) -> None:
        chosen = Frequency(frequency.value)
        schedules = self.digest_poster.schedules
        guild, actor = interaction.guild, interaction.user
        if chosen is Frequency.OFF:
            stopped = await schedules.stop(guild.id, actor_id=actor.id)
            await send_ephemeral(
                interaction,
                "The insights digest is stopped: nothing more will be posted."
                if stopped
                else "No insights digest is set here, so nothing changed.",
            )
            return
        if channel is None:
            raise BadInput(
                "Name the channel the digest goes to.",
                "For example `/insights digest frequency:weekly channel:#coordinators`.",
            )
        check_bot_can_post_digest(channel)
        community = await self.bot.communities.settings(guild.id, guild.name)
        schedule_id = await schedules.replace(
            guild.id,
            guild.name,
            channel_id=channel.id,
            frequency=chosen,
            timezone=community.timezone,
            actor_id=actor.id,
        )
        due = self.bot.scheduler.next_alarm(schedule_id)
        upcoming = "none" if due is None else local_time(due, community.timezone)
        await send_ephemeral(
            interaction,
            embed=make_embed(
                "Insights digest saved",
                f"In {channel.mention}, {ABOUT[chosen]}: the headline figures with their "
                "trends, alerts (organisations gone silent, unanswered prompts, hoarding "
                "signals, silos) and two charts. Nobody is named.\n\n"
                f"Next digest: **{upcoming}**",
                tone=Tone.SUCCESS,
                footer="One digest per server: setting it again replaces it. "
                "Stop it with /insights digest frequency:off.",
            ),
        )


class DigestPoster:
    """Posts the digest when its schedule fires, and finishes at start-up the firings a stopped
    process left claimed (module docstring: missed rather than posted twice)."""

    def __init__(self, bot: CopBot) -> None:
        self.bot = bot
        self.schedules = bot.digests

    def start(self) -> None:
        """Take the scheduler's digest firings and begin the start-up recovery (from the cog's
        ``cog_load``, before the scheduler starts)."""
        self.bot.scheduler.handle(DIGEST_KIND, self.on_firing)
        self.bot.run_in_background(self.recover(), "insights digest recovery")

    async def on_firing(self, firing: Firing) -> str:
        """A digest is due: post it, or pause the schedule and say why."""
        # An alarm due while the bot was down rings during start-up, before the gateway has
        # told the bot about any channel.
        await self.bot.wait_until_ready()
        return await self._post(firing, send_by=None)

    async def _post(self, firing: Firing, *, send_by: datetime | None) -> str:
        """Compute and send the digest of one firing; its note. ``send_by``: do not send after
        this moment (raises :class:`TooLateToResend`)."""
        schedule = firing.schedule
        frequency = frequency_of(schedule.when_text)
        if frequency is None:
            return await self._pause(schedule, f"`{schedule.when_text}` is not a digest's time")
        channel = self.bot.get_channel(firing.target_id)
        if not isinstance(channel, discord.TextChannel):
            return await self._pause(schedule, "its channel no longer exists")
        try:
            check_bot_can_post_digest(channel)
        except NotAllowed:
            return await self._pause(schedule, f"I can no longer post in #{channel.name}")
        community = await self.bot.communities.find(schedule.community_id)
        timezone = schedule.timezone if community is None else community.timezone
        period = digest_period(frequency, firing.scheduled_for, timezone)
        found = await self.bot.insights.community(schedule.community_id, period)
        charts = await self.bot.insights.charts(found, CHARTS)
        if send_by is not None and self.bot.scheduler.clock() > send_by:
            raise TooLateToResend
        files = [
            discord.File(io.BytesIO(png), filename=f"{key}.png") for key, png in charts.items()
        ]
        try:
            message = await channel.send(
                embed=digest_embed(found, frequency),
                files=files,
                nonce=digest_nonce(schedule.id, firing.scheduled_for),
                allowed_mentions=NO_PINGS,
            )
        except (discord.Forbidden, discord.NotFound):
            return await self._pause(schedule, f"I can no longer post in #{channel.name}")
        late = (
            f", {int(firing.late_by.total_seconds() // 60)} min late"
            if firing.late_by >= timedelta(minutes=1)
            else ""
        )
        return f"posted the digest of {found.period_text} (message {message.id}{late})"

    async def _pause(self, schedule: Schedule, reason: str) -> str:
        await self.schedules.pause(schedule.id, reason)
        await self._tell_creator(
            schedule,
            f"⏸ The insights digest is paused: {reason}. Set it again with "
            "`/insights digest`, in a channel where I can post and attach files.",
        )
        return f"paused: {reason}"

    async def _tell_creator(self, schedule: Schedule, text: str) -> None:
        """By direct message to the coordinator who set the digest; the reason also stays on
        the schedule."""
        guild = self.bot.get_guild(schedule.community_id)
        creator = (
            guild.get_member(schedule.created_by)
            if guild is not None and schedule.created_by is not None
            else None
        )
        if guild is not None and creator is not None:
            try:
                await creator.send(f"{guild.name}: {text}", allowed_mentions=NO_PINGS)
                return
            except discord.HTTPException:
                pass
        log.warning("could not tell who set the digest of %s: %s", schedule.community_id, text)

    # --- start-up recovery ----------------------------------------------------------------------

    async def recover(self) -> None:
        """Finish the digest firings that a stopped process left claimed: sent again with the
        same nonce when that still cannot make a second message, else recorded as skipped
        without posting (missed rather than double; module docstring)."""
        await self.bot.wait_until_ready()
        for firing in await self.bot.scheduler.stale_claims(DIGEST_KIND):
            try:
                await self._recover_firing(firing)
            except Exception:
                log.exception("schedule %s: recovering a digest failed", firing.schedule.id)

    async def _recover_firing(self, firing: Firing) -> None:
        schedule = firing.schedule
        status, note = FiringStatus.SKIPPED, MISSED_AFTER_A_STOP
        if firing.late_by <= RESEND_WITHIN:
            try:
                sent = await self._post(firing, send_by=firing.scheduled_for + RESEND_WITHIN)
                status, note = FiringStatus.DONE, f"{sent}; sent again at start-up, same nonce"
            except TooLateToResend:
                pass
            except Exception:
                error_id = new_error_id()
                log.exception("schedule %s failed [error %s]", schedule.id, error_id)
                status, note = FiringStatus.FAILED, f"error {error_id}"
        log.info("digest of schedule %s, after a stop: %s", schedule.id, note)
        await self.bot.scheduler.finish_claim(
            schedule.id, firing.scheduled_for, status=status, note=note
        )


class TooLateToResend(Exception):
    """A recovered digest would go out after the nonce can be trusted: it is skipped instead."""


def digest_embed(found: CommunityInsights, frequency: Frequency) -> discord.Embed:
    """The digest's one embed: alerts first, then the headline figures."""
    alerts = [shorten(alert, ALERT_CHARACTERS) for alert in digest_alerts(found)]
    days = found.period.days
    before = f"the {days} days before" if days is not None else "the period before"
    return make_embed(
        f"Insights digest · {found.period_text}",
        "\n".join(alerts)
        or "Nothing to flag: no organisation went silent, no prompt went unanswered, no "
        "hoarding signal, no silo.",
        fields=digest_fields(found),
        inline=True,
        footer=f"{frequency.value.capitalize()} digest of {found.community.name}. Trends compare "
        f"with {before}. Groups under {found.min_group} people are not shown; nobody is named. "
        "More: /insights community, /insights network, /insights report.",
    )
