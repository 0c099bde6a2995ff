"""/platform digest up: a child platform's periodic summary for its parents, group figures only,
shared over the links by the scheduler's firings (once per due time, whatever restarts).

:class:`PlatformDigestCommands` is a mixin of ``PlatformCommands`` (cogs/platforms/cog.py) with
the ``/platform digest up`` subcommand; the cog calls :meth:`~PlatformDigestCommands.
start_platform_digests` from its ``cog_load``, which starts a :class:`PlatformDigestPoster`: it
takes the firings of kind :data:`~bot.platforms.digest.PLATFORM_DIGEST_KIND` and, at start-up,
finishes the firings a stopped process left claimed. What the digest says is in
bot/platforms/digest.py; the schedule and the share in bot/platforms/digest_schedules.py.

Made once: a firing makes a share whose ``source_key`` names the schedule and the due time, in
one transaction with its deliveries. A second run of the same firing (another process, or the
recovery of a claim whose process stopped after the share was made) finds every parent holding
a copy and does nothing more; a claim whose process stopped before the share was made makes it
then. No Discord call is part of it: the copies are posted by the delivery worker
(cogs/platforms/deliveries.py), which makes each exactly once.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Final
from zoneinfo import ZoneInfo

from discord import app_commands

from bot.client import CopBot
from bot.errors import new_error_id
from bot.insights.digest import Frequency
from bot.permissions import Access, require
from bot.platforms.digest import PLATFORM_DIGEST_KIND
from bot.platforms.values import Relation
from bot.scheduling.scheduler import Firing, SkipFiring
from bot.scheduling.values import FiringStatus
from cogs._ui.embeds import Tone, make_embed
from cogs._ui.interaction import GuildInteraction, guild_autocomplete, guild_command
from cogs._ui.tree import send_ephemeral
from cogs.platforms.options import PlatformChoice, category_of, platform_names

log = logging.getLogger(__name__)

FREQUENCY_CHOICES = [
    app_commands.Choice(name="weekly: Mondays at 09:00, about the week before", value="weekly"),
    app_commands.Choice(name="monthly: the 1st at 09:00, about the month before", value="monthly"),
    app_commands.Choice(name="off: stop the summary", value="off"),
]
ABOUT: Final[dict[Frequency, str]] = {
    Frequency.WEEKLY: "every Monday at 09:00, about the 7 days before",
    Frequency.MONTHLY: "on the 1st of every month at 09:00, about the month before",
}
WHAT_IT_SAYS: Final = (
    "members, contributions, cafés held, questions asked and answered, prompts and their "
    "response rate, and the top themes: group figures only, nobody named, small groups shown "
    "as “fewer than N”"
)


class PlatformDigestCommands:
    """``/platform digest up``, mixed into ``PlatformCommands``, which sets ``bot`` and calls
    :meth:`start_platform_digests` from ``cog_load``."""

    bot: CopBot
    platform_digest_poster: PlatformDigestPoster

    def start_platform_digests(self) -> None:
        self.platform_digest_poster = PlatformDigestPoster(self.bot)
        self.platform_digest_poster.start()

    digest = app_commands.Group(
        name="digest", description="A periodic summary of group figures for linked platforms"
    )

    @guild_command(
        name="up",
        description="Send the parent platforms a weekly or monthly summary of group figures",
        group=digest,
    )
    @app_commands.describe(
        frequency="weekly (Mondays), monthly (the 1st), or off to stop it",
        platform="Which of this server's platforms (default: this channel's category, or the "
        "server)",
    )
    @app_commands.choices(frequency=FREQUENCY_CHOICES)
    @guild_autocomplete(platform=platform_names)
    @require(Access.MODERATOR)
    async def digest_up(
        self,
        interaction: GuildInteraction,
        frequency: app_commands.Choice[str],
        platform: PlatformChoice | None = None,
    ) -> None:
        chosen = Frequency(frequency.value)
        found = await self.bot.platforms.resolve(
            interaction.guild_id, platform, category_id=category_of(interaction.channel)
        )
        digests = self.bot.platform_digests
        actor = interaction.user
        if chosen is Frequency.OFF:
            stopped = await digests.stop(found, actor_id=actor.id)
            await send_ephemeral(
                interaction,
                f"The summary of **{found.name}** for its parents is stopped: nothing more "
                "will be sent."
                if stopped
                else f"**{found.name}** sends no summary, so nothing changed.",
            )
            return
        guild = interaction.guild
        community = await self.bot.communities.settings(guild.id, guild.name)
        schedule_id = await digests.replace(
            found, chosen, timezone=community.timezone, actor_id=actor.id
        )
        due = self.bot.scheduler.next_alarm(schedule_id)
        upcoming = "none" if due is None else _local_time(due, community.timezone)
        parents = [
            item.platform.name
            for item in await self.bot.platforms.links(found)
            if item.relation is Relation.PARENT
        ]
        goes_to = (
            "It goes to " + ", ".join(f"**{name}**" for name in parents) + "."
            if parents
            else "**It has no parent platform yet**: each summary is skipped until one is "
            "linked (`/platform invite relation:parent`)."
        )
        await send_ephemeral(
            interaction,
            embed=make_embed(
                "Summary for the parent platforms saved",
                f"**{found.name}** sends its parent platforms a summary {ABOUT[chosen]}: "
                f"{WHAT_IT_SAYS}. {goes_to}\n\nNext summary: **{upcoming}**",
                tone=Tone.SUCCESS,
                footer="One summary per platform: setting it again replaces it. Stop it with "
                "/platform digest up frequency:off.",
            ),
        )


def _local_time(moment: datetime, timezone: str) -> str:
    local = moment.astimezone(ZoneInfo(timezone))
    return f"{local:%a %d %b %Y, %H:%M} ({timezone})"


class PlatformDigestPoster:
    """Makes each firing's share, and finishes at start-up the firings a stopped process left
    claimed (module docstring: the share's source key makes this safe)."""

    def __init__(self, bot: CopBot) -> None:
        self.bot = bot

    def start(self) -> None:
        """Take the scheduler's firings of vertical digests and begin the start-up recovery
        (from the cog's ``cog_load``, before the scheduler starts)."""
        self.bot.scheduler.handle(PLATFORM_DIGEST_KIND, self.on_firing)
        self.bot.run_in_background(self.recover(), "platform digest recovery")

    async def on_firing(self, firing: Firing) -> str:
        """Share the digest; a platform without a parent raises SkipFiring (recorded as a
        skip, with its note)."""
        sent = await self.bot.platform_digests.send(firing.schedule, firing.scheduled_for)
        if sent.shared is not None:
            self.bot.deliveries.notify()
        return sent.note

    async def recover(self) -> None:
        for firing in await self.bot.scheduler.stale_claims(PLATFORM_DIGEST_KIND):
            schedule = firing.schedule
            try:
                note = await self.on_firing(firing)
                status = FiringStatus.DONE
                note = f"{note}; finished at start-up"
            except SkipFiring as skipped:
                status, note = FiringStatus.SKIPPED, skipped.note
            except Exception:
                error_id = new_error_id()
                log.exception("schedule %s: recovering a platform digest failed", schedule.id)
                status, note = FiringStatus.FAILED, f"error {error_id}"
            log.info("platform digest of schedule %s, after a stop: %s", schedule.id, note)
            await self.bot.scheduler.finish_claim(
                schedule.id, firing.scheduled_for, status=status, note=note
            )
