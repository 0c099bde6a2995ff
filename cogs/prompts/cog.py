"""/prompt: the question bank, its review, schedules and posts. Thin: options in, a call to
bot/prompts/, a message out. Posting step by step, for ``/prompt post`` and for the scheduler
(kind ``prompt.post``), and the start-up recovery are in cogs/prompts/posting.py."""

from __future__ import annotations

import logging
from datetime import datetime
from zoneinfo import ZoneInfo

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import CopBot
from bot.communities import suggest_timezones, validate_timezone
from bot.contributions.classifier import ThreadKind
from bot.contributions.service import SpecialThread
from bot.errors import BadInput, NotFound
from bot.permissions import (
    Access,
    AccessDenied,
    check_access,
    check_bot_can_post,
    require,
)
from bot.prompts.rules import MAX_QUESTION, MAX_REASON, MAX_THEME
from bot.prompts.schedules import (
    PROMPT_POST,
    ScheduleView,
)
from bot.prompts.values import Question, QuestionStatus
from bot.scheduling.values import MisfirePolicy
from bot.scheduling.when import MAX_TEXT_LENGTH as MAX_WHEN
from bot.scheduling.when import MAX_TIMEZONE_NAME
from bot.text import collapse_spaces
from cogs._ui.csv_upload import import_attachment
from cogs._ui.embeds import Tone, make_embed
from cogs._ui.interaction import GuildInteraction, guild_autocomplete, guild_command
from cogs._ui.tree import send_ephemeral
from cogs.options import FreeText, RowNumber
from cogs.prompts.posting import PromptPoster
from cogs.prompts.views import (
    QuestionPageButton,
    ReviewButton,
    announce_review,
    member_name,
    question_listing,
    record_review,
    review_embed,
    review_view,
    update_review_message,
)

log = logging.getLogger(__name__)

STATUS_CHOICES = [app_commands.Choice(name=s.value, value=s.value) for s in QuestionStatus]
MISFIRE_CHOICES = [
    app_commands.Choice(name="late: post late, within an hour (default)", value="late"),
    app_commands.Choice(name="skip: never post late; record the skip", value="skip"),
]
# What a schedule does about a time it missed while the bot was offline, in plain words.
OFFLINE_TEXT = {
    MisfirePolicy.LATE: "If the bot was offline at the time: posted late, within an hour",
    MisfirePolicy.SKIP: "If the bot was offline at the time: skipped",
}
NO_PINGS = discord.AllowedMentions.none()
QuestionText = app_commands.Transform[str, FreeText("text", MAX_QUESTION)]
Theme = app_commands.Transform[str, FreeText("theme", MAX_THEME)]
QuestionNumber = app_commands.Transform[int, RowNumber("question", "/prompt list")]
ScheduleNumber = app_commands.Transform[int, RowNumber("schedule", "/prompt schedules")]


async def theme_names(
    interaction: GuildInteraction, current: str
) -> list[app_commands.Choice[str]]:
    names = await interaction.client.question_bank.suggest_themes(interaction.guild_id, current)
    return [app_commands.Choice(name=name, value=name) for name in names]


def _when(moment: datetime, timezone: str) -> str:
    local = moment.astimezone(ZoneInfo(timezone))
    return f"{local:%a %d %b %Y, %H:%M} ({discord.utils.format_dt(moment, 'R')})"


@app_commands.guild_only()
class Prompts(commands.GroupCog, group_name="prompt", group_description="Themed questions"):
    def __init__(self, bot: CopBot) -> None:
        self.bot = bot
        self.service = bot.prompts
        self.poster = PromptPoster(bot, self.service)
        self._recovered = False

    dynamic_items = (ReviewButton, QuestionPageButton)

    async def cog_load(self) -> None:
        self.poster.thread_authors.update(await self.service.prompt_threads())
        # Answers in prompt threads are always logged, as answers (cogs/contributions.py).
        self.bot.special_threads.add_lookup(self._special_thread)
        self.bot.scheduler.handle(PROMPT_POST, self.poster.on_firing)

    async def cog_unload(self) -> None:
        self.bot.special_threads.remove_lookup(self._special_thread)

    def _special_thread(self, thread_id: int) -> SpecialThread | None:
        thread_authors = self.poster.thread_authors
        if thread_id not in thread_authors:
            return None
        return SpecialThread(ThreadKind.PROMPT, thread_authors[thread_id])

    # --- the bank -------------------------------------------------------------------------------

    @guild_command(name="add", description="Add a question to the bank (approved at once)")
    @app_commands.describe(
        text="The question",
        theme="Its theme (offered as you type)",
        credit="Show your name when it is posted",
    )
    @guild_autocomplete(theme=theme_names)
    @require(Access.MODERATOR)
    async def add(
        self,
        interaction: GuildInteraction,
        text: QuestionText,
        theme: Theme,
        credit: bool = False,
    ) -> None:
        question = await self._add_question(interaction, text, theme, credit, approved=True)
        await send_ephemeral(
            interaction,
            f"Added question #{question.id} to **{question.theme}**: it is in the rotation.",
        )

    @guild_command(name="submit", description="Suggest a question; a moderator reviews it")
    @app_commands.describe(
        text="The question you would like the community to answer",
        theme="Its theme (offered as you type)",
        credit="Show your name when it is posted (default: no)",
    )
    @guild_autocomplete(theme=theme_names)
    @require(Access.MEMBER)
    async def submit(
        self,
        interaction: GuildInteraction,
        text: QuestionText,
        theme: Theme,
        credit: bool = False,
    ) -> None:
        question = await self._add_question(interaction, text, theme, credit, approved=False)
        await send_ephemeral(
            interaction,
            f"Thank you: question #{question.id} waits for a moderator's review. You will be told "
            "when it is decided, by direct message if you accept them.",
        )
        await self._ask_for_review(interaction.guild, question)

    async def _add_question(
        self,
        interaction: GuildInteraction,
        text: str,
        theme: str,
        credit: bool,
        *,
        approved: bool,
    ) -> Question:
        return await self.bot.question_bank.add(
            interaction.guild.id,
            interaction.guild.name,
            actor_id=interaction.user.id,
            text=text,
            theme=theme,
            approved=approved,
            show_author=credit,
        )

    async def _ask_for_review(self, guild: discord.Guild, question: Question) -> None:
        """Post the question with Approve / Reject in the review channel, if there is one."""
        community = await self.bot.communities.settings(guild.id, guild.name)
        if community.review_channel_id is None:
            return
        channel = guild.get_channel(community.review_channel_id)
        if not isinstance(channel, discord.TextChannel):
            return
        try:
            message = await channel.send(
                embed=review_embed(question, member_name(guild, question.author_id)),
                view=review_view(question.id),
                allowed_mentions=NO_PINGS,
            )
        except discord.HTTPException:
            log.warning("could not post question %s for review in %s", question.id, channel.id)
            return
        await self.bot.question_bank.set_review_message(
            guild.id, question.id, channel_id=channel.id, message_id=message.id
        )

    @guild_command(name="approve", description="Approve a submitted question")
    @app_commands.describe(id="The question's number")
    @require(Access.MODERATOR)
    async def approve(self, interaction: GuildInteraction, id: QuestionNumber) -> None:
        question = await record_review(interaction, id, approve=True, reason=None)
        await send_ephemeral(
            interaction, f"Question #{question.id} is approved: it joins the rotation."
        )
        await announce_review(interaction, question)

    @guild_command(name="reject", description="Reject a submitted question")
    @app_commands.describe(id="The question's number", reason="Why (the submitter is told)")
    @require(Access.MODERATOR)
    async def reject(
        self,
        interaction: GuildInteraction,
        id: QuestionNumber,
        reason: app_commands.Transform[str, FreeText("reason", MAX_REASON)] | None = None,
    ) -> None:
        question = await record_review(interaction, id, approve=False, reason=reason)
        await send_ephemeral(interaction, f"Question #{question.id} is rejected.")
        await announce_review(interaction, question)

    @guild_command(name="list", description="The question bank, page by page")
    @app_commands.describe(theme="Only this theme", status="Only questions in this state")
    @guild_autocomplete(theme=theme_names)
    @app_commands.choices(status=STATUS_CHOICES)
    @require(Access.MEMBER)
    async def list_questions(
        self,
        interaction: GuildInteraction,
        theme: Theme | None = None,
        status: app_commands.Choice[str] | None = None,
    ) -> None:
        wanted = QuestionStatus(status.value) if status else None
        if wanted in (QuestionStatus.PENDING, QuestionStatus.REJECTED):
            await check_access(interaction, Access.MODERATOR)
        elif wanted is None and not await self._is_moderator(interaction):
            # Members see the rotation: others' submissions and rejections are for moderators.
            wanted = QuestionStatus.APPROVED
        # Tidied as themes are: the page buttons carry it, within Discord's custom_id length.
        wanted_theme = collapse_spaces(theme or "") or None
        embed, view = await question_listing(
            self.bot, interaction.guild_id, wanted_theme, wanted, 1
        )
        if view is None:
            await interaction.response.send_message(embed=embed, ephemeral=True)
        else:
            await interaction.response.send_message(embed=embed, view=view, ephemeral=True)

    @guild_command(name="edit", description="Change the text of a question")
    @app_commands.describe(id="The question's number", text="The new text")
    @require(Access.MEMBER)
    async def edit(
        self, interaction: GuildInteraction, id: QuestionNumber, text: QuestionText
    ) -> None:
        question, back_to_review = await self.bot.question_bank.edit(
            interaction.guild.id,
            id,
            editor_id=interaction.user.id,
            is_moderator=await self._is_moderator(interaction),
            text=text,
        )
        if back_to_review:
            await send_ephemeral(
                interaction, f"Question #{id} is changed and waits for a moderator's review again."
            )
            await self._ask_for_review(interaction.guild, question)
        else:
            await send_ephemeral(interaction, f"Question #{id} is changed.")
            await update_review_message(interaction.guild, question)  # a pending card

    async def _is_moderator(self, interaction: GuildInteraction) -> bool:
        try:
            await check_access(interaction, Access.MODERATOR)
        except AccessDenied:
            return False
        return True

    @guild_command(name="retire", description="Take a question out of the rotation")
    @app_commands.describe(id="The question's number")
    @require(Access.MODERATOR)
    async def retire(self, interaction: GuildInteraction, id: QuestionNumber) -> None:
        question = await self.bot.question_bank.retire(
            interaction.guild_id, id, actor_id=interaction.user.id
        )
        await send_ephemeral(
            interaction, f"Question #{question.id} is retired: it will not be posted again."
        )

    @guild_command(name="import", description="Add questions from a CSV file (text, theme)")
    @app_commands.describe(file="A CSV with the columns text and theme")
    @require(Access.MODERATOR)
    async def import_csv(self, interaction: GuildInteraction, file: discord.Attachment) -> None:
        await import_attachment(
            interaction,
            file,
            self.bot.question_bank.import_questions,
            title="Questions imported",
            what="Questions",
            footer="They are approved and in the rotation. See them with /prompt list.",
        )

    # --- schedules ------------------------------------------------------------------------------

    @guild_command(name="schedule", description="Post a theme's questions on a schedule")
    @app_commands.describe(
        channel="Where the questions are posted",
        when="e.g. daily 09:00, weekly mon,wed 09:00, every 2 weeks tue 14:00, "
        "monthly first tue 10:00, or cron",
        theme="Whose questions (offered as you type)",
        timezone="Read the time in this zone (default: the server's)",
        thread="Open a thread for the answers (default: yes)",
        misfire="If the bot was down at the time: post late (within an hour) or skip",
    )
    @guild_autocomplete(theme=theme_names)
    @app_commands.choices(misfire=MISFIRE_CHOICES)
    @require(Access.MODERATOR)
    async def schedule(
        self,
        interaction: GuildInteraction,
        channel: discord.TextChannel,
        when: app_commands.Transform[str, FreeText("when", MAX_WHEN)],
        theme: Theme,
        timezone: app_commands.Transform[str, FreeText("timezone", MAX_TIMEZONE_NAME)]
        | None = None,
        thread: bool = True,
        misfire: app_commands.Choice[str] | None = None,
    ) -> None:
        check_bot_can_post(channel, threads=thread, threads_or_else=", or set `thread:False`")
        community = await self.bot.communities.settings(
            interaction.guild.id, interaction.guild.name
        )
        zone = validate_timezone(timezone) if timezone else community.timezone
        view, preview = await self.service.create_schedule(
            interaction.guild.id,
            interaction.guild.name,
            channel_id=channel.id,
            when_text=when,
            theme=theme,
            timezone=zone,
            make_thread=thread,
            misfire=misfire.value if misfire else None,
            actor_id=interaction.user.id,
        )
        dates = "\n".join(f"- {_when(moment, zone)}" for moment in preview)
        embed = make_embed(
            f"Schedule #{view.id} saved",
            f"**{view.prompt_schedule.theme}** in {channel.mention}: `{view.schedule.when_text}` "
            f"({zone}).\n\nThe next {len(preview)} dates:\n{dates}",
            tone=Tone.SUCCESS,
            footer=f"{OFFLINE_TEXT[view.schedule.misfire_policy]} · pause, resume or remove it "
            f"with /prompt pause|resume|unschedule id:{view.id}",
        )
        await send_ephemeral(interaction, embed=embed)

    @schedule.autocomplete("timezone")
    async def timezone_autocomplete(
        self, interaction: discord.Interaction[CopBot], current: str
    ) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=zone, value=zone) for zone in suggest_timezones(current)]

    @guild_command(name="schedules", description="The prompt schedules and their next dates")
    @require(Access.MODERATOR)
    async def schedules(self, interaction: GuildInteraction) -> None:
        views = await self.service.list_schedules(interaction.guild_id)
        lines = [self._schedule_line(view) for view in views]
        embed = make_embed(
            "Prompt schedules",
            "\n\n".join(lines)[:4000] or "No schedules yet. Make one with `/prompt schedule`.",
        )
        await send_ephemeral(interaction, embed=embed)

    def _schedule_line(self, view: ScheduleView) -> str:
        schedule = view.schedule
        head = (
            f"**#{view.id}** {view.prompt_schedule.theme} in <#{view.prompt_schedule.channel_id}>"
            f": `{schedule.when_text}` ({schedule.timezone}); "
            f"{OFFLINE_TEXT[schedule.misfire_policy].lower()}"
        )
        if schedule.paused:
            state = f"⏸ paused: {schedule.paused_reason or 'no reason given'}"
        elif view.next_due is not None:
            state = f"next: {_when(view.next_due, schedule.timezone)}"
        else:
            state = "no date left"
        skips = "".join(
            f"\n  skipped {discord.utils.format_dt(f.scheduled_for, 'f')}: {f.note}"
            for f in view.skips
        )
        return f"{head}\n{state}{skips}"

    @guild_command(name="pause", description="Pause a prompt schedule")
    @app_commands.describe(id="The schedule's number (see /prompt schedules)")
    @require(Access.MODERATOR)
    async def pause(self, interaction: GuildInteraction, id: ScheduleNumber) -> None:
        await self.service.set_paused(
            interaction.guild_id, id, paused=True, actor_id=interaction.user.id
        )
        await send_ephemeral(
            interaction, f"Schedule #{id} is paused. `/prompt resume id:{id}` starts it again."
        )

    @guild_command(name="resume", description="Resume a paused prompt schedule")
    @app_commands.describe(id="The schedule's number (see /prompt schedules)")
    @require(Access.MODERATOR)
    async def resume(self, interaction: GuildInteraction, id: ScheduleNumber) -> None:
        view = await self.service.set_paused(
            interaction.guild_id, id, paused=False, actor_id=interaction.user.id
        )
        due = f" Next: {_when(view.next_due, view.schedule.timezone)}." if view.next_due else ""
        await send_ephemeral(interaction, f"Schedule #{id} runs again.{due}")

    @guild_command(name="unschedule", description="Remove a prompt schedule")
    @app_commands.describe(id="The schedule's number (see /prompt schedules)")
    @require(Access.MODERATOR)
    async def unschedule(self, interaction: GuildInteraction, id: ScheduleNumber) -> None:
        await self.service.unschedule(interaction.guild_id, id, actor_id=interaction.user.id)
        await send_ephemeral(interaction, f"Schedule #{id} is removed. Its past posts stay.")

    # --- posting --------------------------------------------------------------------------------

    @guild_command(name="post", description="Post the next question of a theme now")
    @app_commands.describe(
        theme="Whose question (default: the theme that waited longest)",
        channel="Where (default: here)",
    )
    @guild_autocomplete(theme=theme_names)
    @require(Access.MODERATOR)
    async def post(
        self,
        interaction: GuildInteraction,
        theme: Theme | None = None,
        channel: discord.TextChannel | None = None,
    ) -> None:
        where = channel or interaction.channel
        if not isinstance(where, discord.TextChannel):
            raise BadInput("Questions are posted in text channels.", "Name one with `channel`.")
        check_bot_can_post(where, threads=True)
        key = await self.service.theme_to_post(interaction.guild_id, theme)
        await interaction.response.defer(ephemeral=True, thinking=True)
        async with self.service.posting(interaction.guild_id, key):
            choice = await self.service.choose(interaction.guild_id, key)
            if choice is None:  # its last approved question was retired a moment ago
                raise NotFound(
                    "That theme has no approved question any more.", "Approve one, then post."
                )
            posted = await self.poster.post(
                where,
                choice,
                make_thread=True,
                prompt_schedule=None,
                scheduled_for=None,
                posted_by=interaction.user.id,
            )
        assert posted is not None  # only a schedule's firing can be begun elsewhere
        message = posted[0]
        await interaction.followup.send(
            f"Posted question #{choice.question.id} ({choice.question.theme}): {message.jump_url}",
            ephemeral=True,
        )

    # --- start-up recovery ----------------------------------------------------------------------

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        if self._recovered:
            return
        self._recovered = True
        self.bot.run_in_background(self.poster.recover(), "prompt post recovery")
