"""/prompt: the question bank, its review, schedules and posts. Thin: options in, a call to
bot/prompts/, a message out. Scheduled posts come from the scheduler (kind ``prompt.post``)."""

from __future__ import annotations

import logging
from collections.abc import Coroutine
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import CopBot
from bot.communities import community_settings, suggest_timezones, validate_timezone
from bot.contributions.classifier import ThreadKind
from bot.contributions.service import SpecialThread
from bot.embeds import Tone, make_embed
from bot.errors import BadInput, NotAllowed, NotFound, new_error_id
from bot.pagination import PageWindow, page_buttons
from bot.permissions import (
    THREAD_LIMIT_FIX,
    Access,
    AccessDenied,
    check_access,
    check_bot_can_post,
    is_thread_limit,
    require,
)
from bot.prompts import bank
from bot.prompts.rules import MAX_QUESTION, MAX_REASON, MAX_THEME, theme_key
from bot.prompts.schedules import (
    PROMPT_POST,
    Choice,
    PromptService,
    ScheduleView,
    UnfinishedPost,
    post_nonce,
)
from bot.scheduling.scheduler import Firing, tolerance
from bot.scheduling.when import MAX_TEXT_LENGTH as MAX_WHEN
from bot.scheduling.when import MAX_TIMEZONE_NAME
from bot.text import collapse_spaces, neutralise_mentions, shorten
from bot.tree import send_ephemeral
from cogs.csv_upload import import_attachment
from cogs.options import FreeText, RowNumber
from cogs.prompt_views import QuestionPageButton, ReviewButton, review_embed, review_view
from storage.models import FiringStatus, PromptPost, PromptSchedule, Question, QuestionStatus

log = logging.getLogger(__name__)

PAGE_SIZE = 10
THREAD_ARCHIVE_MINUTES = 10080  # answers come over days: a week before the thread archives
STATUS_CHOICES = [app_commands.Choice(name=s.value, value=s.value) for s in QuestionStatus]
MISFIRE_CHOICES = [
    app_commands.Choice(name="late: post late, within an hour (default)", value="late"),
    app_commands.Choice(name="skip: never post late; record the skip", value="skip"),
]
NO_PINGS = discord.AllowedMentions.none()
ANSWER_IN_THREAD = "Answer in the thread below."
ANSWER_IN_CHANNEL = "Answer here in the channel: Discord refused a thread for this question."
THREAD_EXISTS = 160004  # Discord: "A thread has already been created for this message"
# How many messages after a post was begun are read to find it after a crash: it is the bot's
# own message, sent right after, so it is among the first ones.
SEARCH_LIMIT = 100
NOT_SENT_IN_TIME = (
    "not posted: the bot stopped before posting it, and it is now too late by the misfire policy"
)
QuestionText = app_commands.Transform[str, FreeText("text", MAX_QUESTION)]
Theme = app_commands.Transform[str, FreeText("theme", MAX_THEME)]
QuestionNumber = app_commands.Transform[int, RowNumber("question", "/prompt list")]
ScheduleNumber = app_commands.Transform[int, RowNumber("schedule", "/prompt schedules")]


async def theme_names(
    interaction: discord.Interaction[CopBot], current: str
) -> list[app_commands.Choice[str]]:
    if interaction.guild_id is None:
        return []
    names = await bank.suggest_themes(interaction.client.db, interaction.guild_id, current)
    return [app_commands.Choice(name=name, value=name) for name in names]


def _when(moment: datetime, timezone: str) -> str:
    local = moment.astimezone(ZoneInfo(timezone))
    return f"{local:%a %d %b %Y, %H:%M} ({discord.utils.format_dt(moment, 'R')})"


@app_commands.guild_only()
class Prompts(commands.GroupCog, group_name="prompt", group_description="Themed questions"):
    def __init__(self, bot: CopBot) -> None:
        self.bot = bot
        self.service = PromptService(bot.db, bot.scheduler)
        self.thread_authors: dict[int, int | None] = {}  # prompt thread -> question's author
        self._making: set[int] = set()  # posts this process is making (the recovery leaves them)
        self._recovered = False

    dynamic_items = (ReviewButton, QuestionPageButton)

    async def cog_load(self) -> None:
        self.thread_authors.update(await self.service.prompt_threads())
        # Answers in prompt threads are always logged, as answers (cogs/contributions.py).
        special_threads = getattr(self.bot.get_cog("Contributions"), "special_threads", None)
        if special_threads is not None:
            special_threads.add_lookup(self._special_thread)
        self.bot.scheduler.handle(PROMPT_POST, self._on_firing)

    def _special_thread(self, thread_id: int) -> SpecialThread | None:
        if thread_id not in self.thread_authors:
            return None
        return SpecialThread(ThreadKind.PROMPT, self.thread_authors[thread_id])

    # --- the bank -------------------------------------------------------------------------------

    @app_commands.command(name="add", description="Add a question to the bank (approved at once)")
    @app_commands.describe(
        text="The question",
        theme="Its theme (offered as you type)",
        credit="Show your name when it is posted",
    )
    @app_commands.autocomplete(theme=theme_names)
    @require(Access.MODERATOR)
    async def add(
        self,
        interaction: discord.Interaction[CopBot],
        text: QuestionText,
        theme: Theme,
        credit: bool = False,
    ) -> None:
        question = await self._add_question(interaction, text, theme, credit, approved=True)
        await send_ephemeral(
            interaction,
            f"Added question #{question.id} to **{question.theme}**: it is in the rotation.",
        )

    @app_commands.command(name="submit", description="Suggest a question; a moderator reviews it")
    @app_commands.describe(
        text="The question you would like the community to answer",
        theme="Its theme (offered as you type)",
        credit="Show your name when it is posted (default: no)",
    )
    @app_commands.autocomplete(theme=theme_names)
    @require(Access.MEMBER)
    async def submit(
        self,
        interaction: discord.Interaction[CopBot],
        text: QuestionText,
        theme: Theme,
        credit: bool = False,
    ) -> None:
        assert interaction.guild is not None
        question = await self._add_question(interaction, text, theme, credit, approved=False)
        await send_ephemeral(
            interaction,
            f"Thank you: question #{question.id} waits for a moderator's review. You will be told "
            "when it is decided, by direct message if you accept them.",
        )
        await self._ask_for_review(interaction.guild, question)

    async def _add_question(
        self,
        interaction: discord.Interaction[CopBot],
        text: str,
        theme: str,
        credit: bool,
        *,
        approved: bool,
    ) -> Question:
        assert interaction.guild is not None
        return await bank.add(
            self.bot.db,
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
        community = await community_settings(self.bot.db, guild.id, guild.name)
        channel = guild.get_channel(community.review_channel_id or 0)
        if not isinstance(channel, discord.TextChannel):
            return
        try:
            message = await channel.send(
                embed=review_embed(question, self._name(guild, question.author_id)),
                view=review_view(question.id or 0),
                allowed_mentions=NO_PINGS,
            )
        except discord.HTTPException:
            log.warning("could not post question %s for review in %s", question.id, channel.id)
            return
        await bank.set_review_message(
            self.bot.db, guild.id, question.id or 0, channel_id=channel.id, message_id=message.id
        )

    @app_commands.command(name="approve", description="Approve a submitted question")
    @app_commands.describe(id="The question's number")
    @require(Access.MODERATOR)
    async def approve(
        self, interaction: discord.Interaction[CopBot], id: QuestionNumber
    ) -> None:
        question = await self._review(interaction, id, approve=True, reason=None)
        await send_ephemeral(
            interaction, f"Question #{question.id} is approved: it joins the rotation."
        )
        await self._announce_review(interaction, question)

    @app_commands.command(name="reject", description="Reject a submitted question")
    @app_commands.describe(id="The question's number", reason="Why (the submitter is told)")
    @require(Access.MODERATOR)
    async def reject(
        self,
        interaction: discord.Interaction[CopBot],
        id: QuestionNumber,
        reason: app_commands.Transform[str, FreeText("reason", MAX_REASON)] | None = None,
    ) -> None:
        question = await self._review(interaction, id, approve=False, reason=reason)
        await send_ephemeral(interaction, f"Question #{question.id} is rejected.")
        await self._announce_review(interaction, question)

    async def check_reviewer(self, interaction: discord.Interaction[CopBot]) -> None:
        await check_access(interaction, Access.MODERATOR)

    async def review_by_button(
        self,
        interaction: discord.Interaction[CopBot],
        question_id: int,
        *,
        approve: bool,
        reason: str | None = None,
    ) -> None:
        await check_access(interaction, Access.MODERATOR)
        question = await self._review(interaction, question_id, approve=approve, reason=reason)
        await send_ephemeral(
            interaction,
            f"Question #{question.id} is {'approved' if approve else 'rejected'}.",
        )
        await self._announce_review(interaction, question)

    async def _review(
        self,
        interaction: discord.Interaction[CopBot],
        question_id: int,
        *,
        approve: bool,
        reason: str | None,
    ) -> Question:
        """Record the decision. The caller answers, then :meth:`_announce_review`: the review
        card and the submitter's message wait on Discord's rate limits, the answer may not."""
        assert interaction.guild is not None
        return await bank.review(
            self.bot.db,
            interaction.guild.id,
            question_id,
            reviewer_id=interaction.user.id,
            approve=approve,
            reason=reason,
        )

    async def _announce_review(
        self, interaction: discord.Interaction[CopBot], question: Question
    ) -> None:
        """The decision on the review card, and to the submitter."""
        assert interaction.guild is not None
        await self._update_review_message(interaction.guild, question)
        await self._tell_submitter(interaction.guild, question)

    async def _update_review_message(self, guild: discord.Guild, question: Question) -> None:
        if question.review_channel_id is None or question.review_message_id is None:
            return
        channel = guild.get_channel(question.review_channel_id)
        if not isinstance(channel, discord.TextChannel):
            return
        try:
            pending = question.status == QuestionStatus.PENDING
            await channel.get_partial_message(question.review_message_id).edit(
                embed=review_embed(question, self._name(guild, question.author_id)),
                view=review_view(question.id or 0) if pending else None,
            )
        except discord.HTTPException:
            log.info("review message of question %s is gone", question.id)

    async def _tell_submitter(self, guild: discord.Guild, question: Question) -> None:
        """A direct message to the submitter, when they accept them (a closed DM is fine)."""
        if question.author_id is None or question.author_id == question.reviewed_by:
            return
        if question.status == QuestionStatus.APPROVED:
            text = (
                f"Your question for {guild.name} was approved and joins the rotation of "
                f"**{question.theme}**:\n> {neutralise_mentions(question.text)}"
            )
        else:
            why = f"\nReason: {question.reject_reason}" if question.reject_reason else ""
            text = (
                f"Your question for {guild.name} was not taken up:\n"
                f"> {neutralise_mentions(question.text)}{why}"
            )
        await self._send_to(question.author_id, text, about=f"question {question.id}")

    async def _tell_submitter_posted(
        self,
        guild: discord.Guild,
        question: Question,
        message: discord.Message,
        posted_by: int | None,
    ) -> None:
        """A member whose question goes out hears of it (not a moderator posting their own)."""
        if question.author_id is None or question.author_id in (posted_by, question.reviewed_by):
            return
        await self._send_to(
            question.author_id,
            f"Your question for {guild.name} is posted: {message.jump_url}\n"
            f"> {neutralise_mentions(question.text)}",
            about=f"the post of question {question.id}",
        )

    async def _send_to(self, user_id: int, text: str, *, about: str) -> None:
        """A direct message; people who do not accept them are simply not told."""
        try:
            user = self.bot.get_user(user_id) or await self.bot.fetch_user(user_id)
            await user.send(text, allowed_mentions=NO_PINGS)
        except discord.HTTPException:
            log.info("could not tell user %s about %s", user_id, about)

    @app_commands.command(name="list", description="The question bank, page by page")
    @app_commands.describe(theme="Only this theme", status="Only questions in this state")
    @app_commands.autocomplete(theme=theme_names)
    @app_commands.choices(status=STATUS_CHOICES)
    @require(Access.MEMBER)
    async def list_questions(
        self,
        interaction: discord.Interaction[CopBot],
        theme: Theme | None = None,
        status: app_commands.Choice[str] | None = None,
    ) -> None:
        assert interaction.guild_id is not None
        wanted = QuestionStatus(status.value) if status else None
        if wanted in (QuestionStatus.PENDING, QuestionStatus.REJECTED):
            await check_access(interaction, Access.MODERATOR)
        elif wanted is None and not await self._is_moderator(interaction):
            # Members see the rotation: others' submissions and rejections are for moderators.
            wanted = QuestionStatus.APPROVED
        # Tidied as themes are: the page buttons carry it, within Discord's custom_id length.
        wanted_theme = collapse_spaces(theme or "") or None
        embed, view = await self.question_listing(interaction.guild_id, wanted_theme, wanted, 1)
        if view is None:
            await interaction.response.send_message(embed=embed, ephemeral=True)
        else:
            await interaction.response.send_message(embed=embed, view=view, ephemeral=True)

    async def question_listing(
        self,
        guild_id: int,
        theme: str | None,
        status: QuestionStatus | None,
        page: int,
    ) -> tuple[discord.Embed, discord.ui.View | None]:
        requested = max(page, 1)
        listing = await bank.list_questions(
            self.bot.db,
            guild_id,
            theme=theme,
            status=status,
            offset=(requested - 1) * PAGE_SIZE,
            limit=PAGE_SIZE,
        )
        window = PageWindow.of(requested, size=PAGE_SIZE, total=listing.total)
        if window.number != requested:
            listing = await bank.list_questions(
                self.bot.db,
                guild_id,
                theme=theme,
                status=status,
                offset=window.offset,
                limit=PAGE_SIZE,
            )
        lines = [
            f"**#{q.id}** [{q.theme}] {shorten(discord.utils.escape_markdown(q.text), 180)}"
            + ("" if q.status == QuestionStatus.APPROVED else f" · *{q.status}*")
            for q in listing.questions
        ]
        shown_theme = theme
        if theme is not None:  # as the bank spells it, not as typed
            key = theme_key(theme)
            known = {t.key: t.name for t in await bank.themes(self.bot.db, guild_id)}
            shown_theme = known.get(key, theme)
        filters = [f for f in (shown_theme, status.value if status else None) if f]
        title = "Question bank" + (f" ({', '.join(filters)})" if filters else "")
        description = "\n".join(lines) or (
            "No question matches."
            if filters
            else "The bank is empty: `/prompt add` or `/prompt submit`."
        )
        embed = make_embed(
            title,
            description,
            footer=f"{window.label} · {listing.total} question{'' if listing.total == 1 else 's'}",
        )
        view = page_buttons(
            window,
            lambda target, direction, disabled: QuestionPageButton.leading_to(
                target, direction, disabled, status=status, theme=theme
            ),
        )
        return embed, view

    @app_commands.command(name="edit", description="Change the text of a question")
    @app_commands.describe(id="The question's number", text="The new text")
    @require(Access.MEMBER)
    async def edit(
        self, interaction: discord.Interaction[CopBot], id: QuestionNumber, text: QuestionText
    ) -> None:
        assert interaction.guild is not None
        question, back_to_review = await bank.edit(
            self.bot.db,
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
            await self._update_review_message(interaction.guild, question)  # a pending card

    async def _is_moderator(self, interaction: discord.Interaction[CopBot]) -> bool:
        try:
            await check_access(interaction, Access.MODERATOR)
        except AccessDenied:
            return False
        return True

    @app_commands.command(name="retire", description="Take a question out of the rotation")
    @app_commands.describe(id="The question's number")
    @require(Access.MODERATOR)
    async def retire(
        self, interaction: discord.Interaction[CopBot], id: QuestionNumber
    ) -> None:
        assert interaction.guild_id is not None
        question = await bank.retire(
            self.bot.db, interaction.guild_id, id, actor_id=interaction.user.id
        )
        await send_ephemeral(
            interaction, f"Question #{question.id} is retired: it will not be posted again."
        )

    @app_commands.command(name="import", description="Add questions from a CSV file (text, theme)")
    @app_commands.describe(file="A CSV with the columns text and theme")
    @require(Access.MODERATOR)
    async def import_csv(
        self, interaction: discord.Interaction[CopBot], file: discord.Attachment
    ) -> None:
        await import_attachment(
            interaction,
            file,
            bank.import_questions,
            title="Questions imported",
            what="questions",
            footer="They are approved and in the rotation. See them with /prompt list.",
        )

    # --- schedules ------------------------------------------------------------------------------

    @app_commands.command(name="schedule", description="Post a theme's questions on a schedule")
    @app_commands.describe(
        channel="Where the questions are posted",
        when="e.g. daily 09:00, weekly mon,wed 09:00, every 2 weeks tue 14:00, "
        "monthly first tue 10:00, or cron",
        theme="Whose questions (offered as you type)",
        timezone="Read the time in this zone (default: the server's)",
        thread="Open a thread for the answers (default: yes)",
        misfire="If the bot was down at the time: post late (within an hour) or skip",
    )
    @app_commands.autocomplete(theme=theme_names)
    @app_commands.choices(misfire=MISFIRE_CHOICES)
    @require(Access.MODERATOR)
    async def schedule(
        self,
        interaction: discord.Interaction[CopBot],
        channel: discord.TextChannel,
        when: app_commands.Transform[str, FreeText("when", MAX_WHEN)],
        theme: Theme,
        timezone: app_commands.Transform[str, FreeText("timezone", MAX_TIMEZONE_NAME)]
        | None = None,
        thread: bool = True,
        misfire: app_commands.Choice[str] | None = None,
    ) -> None:
        assert interaction.guild is not None
        check_bot_can_post(channel, threads=thread, threads_or_else=", or set `thread:False`")
        community = await community_settings(
            self.bot.db, interaction.guild.id, interaction.guild.name
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
            footer=f"Misfire: {view.schedule.misfire_policy} · pause, resume or remove it with "
            f"/prompt pause|resume|unschedule id:{view.id}",
        )
        await send_ephemeral(interaction, embed=embed)

    @schedule.autocomplete("timezone")
    async def timezone_autocomplete(
        self, interaction: discord.Interaction[CopBot], current: str
    ) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=zone, value=zone) for zone in suggest_timezones(current)]

    @app_commands.command(name="schedules", description="The prompt schedules and their next dates")
    @require(Access.MODERATOR)
    async def schedules(self, interaction: discord.Interaction[CopBot]) -> None:
        assert interaction.guild_id is not None
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
            f": `{schedule.when_text}` ({schedule.timezone}), misfire {schedule.misfire_policy}"
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

    @app_commands.command(name="pause", description="Pause a prompt schedule")
    @app_commands.describe(id="The schedule's number (see /prompt schedules)")
    @require(Access.MODERATOR)
    async def pause(
        self, interaction: discord.Interaction[CopBot], id: ScheduleNumber
    ) -> None:
        assert interaction.guild_id is not None
        await self.service.set_paused(
            interaction.guild_id, id, paused=True, actor_id=interaction.user.id
        )
        await send_ephemeral(
            interaction, f"Schedule #{id} is paused. `/prompt resume id:{id}` starts it again."
        )

    @app_commands.command(name="resume", description="Resume a paused prompt schedule")
    @app_commands.describe(id="The schedule's number (see /prompt schedules)")
    @require(Access.MODERATOR)
    async def resume(
        self, interaction: discord.Interaction[CopBot], id: ScheduleNumber
    ) -> None:
        assert interaction.guild_id is not None
        view = await self.service.set_paused(
            interaction.guild_id, id, paused=False, actor_id=interaction.user.id
        )
        due = f" Next: {_when(view.next_due, view.schedule.timezone)}." if view.next_due else ""
        await send_ephemeral(interaction, f"Schedule #{id} runs again.{due}")

    @app_commands.command(name="unschedule", description="Remove a prompt schedule")
    @app_commands.describe(id="The schedule's number (see /prompt schedules)")
    @require(Access.MODERATOR)
    async def unschedule(
        self, interaction: discord.Interaction[CopBot], id: ScheduleNumber
    ) -> None:
        assert interaction.guild_id is not None
        await self.service.unschedule(interaction.guild_id, id, actor_id=interaction.user.id)
        await send_ephemeral(interaction, f"Schedule #{id} is removed. Its past posts stay.")

    # --- posting --------------------------------------------------------------------------------

    @app_commands.command(name="post", description="Post the next question of a theme now")
    @app_commands.describe(
        theme="Whose question (default: the theme that waited longest)",
        channel="Where (default: here)",
    )
    @app_commands.autocomplete(theme=theme_names)
    @require(Access.MODERATOR)
    async def post(
        self,
        interaction: discord.Interaction[CopBot],
        theme: Theme | None = None,
        channel: discord.TextChannel | None = None,
    ) -> None:
        assert interaction.guild_id is not None
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
            posted = await self._post(
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

    async def _post(
        self,
        channel: discord.TextChannel,
        choice: Choice,
        *,
        make_thread: bool,
        prompt_schedule: PromptSchedule | None,
        scheduled_for: datetime | None,
        posted_by: int | None,
    ) -> tuple[discord.Message, discord.Thread | None] | None:
        """Post a question step by step (bot/prompts/schedules.py says why). None: this
        firing's post was begun elsewhere (another process, or the start-up recovery)."""
        post = await self.service.begin_post(
            channel.guild.id,
            choice,
            channel_id=channel.id,
            make_thread=make_thread,
            prompt_schedule_id=prompt_schedule.id if prompt_schedule else None,
            scheduled_for=scheduled_for,
            posted_by=posted_by,
        )
        if post is None:
            return None
        assert post.id is not None
        self._making.add(post.id)
        try:
            message = await self._send(channel, post.id, choice.question, make_thread)
            thread = await self._finish(
                channel, post.id, choice.question, message, make_thread, posted_by
            )
        finally:
            self._making.discard(post.id)
        return message, thread

    def _question_embed(
        self, guild: discord.Guild, question: Question, *, answer_in: str | None
    ) -> discord.Embed:
        credit = self._name(guild, question.author_id) if question.show_author else None
        return make_embed(
            f"💬 {question.theme}",
            f"**{neutralise_mentions(question.text)}**" + (f"\n\n{answer_in}" if answer_in else ""),
            footer=(f"Suggested by {credit} · " if credit else "") + f"Question #{question.id}",
        )

    async def _send(
        self, channel: discord.TextChannel, post_id: int, question: Question, make_thread: bool
    ) -> discord.Message:
        """Step 2: the message, with the post's nonce; then its id in the record."""
        embed = self._question_embed(
            channel.guild, question, answer_in=ANSWER_IN_THREAD if make_thread else None
        )
        try:
            message = await channel.send(
                embed=embed, nonce=post_nonce(post_id), allowed_mentions=NO_PINGS
            )
        except discord.HTTPException as error:
            if error.status < 500:  # refused (or five 429s): nothing was sent
                await self.service.drop_post(post_id)
                raise
            found = await self._look_for_sent(channel, post_id, question, error)
            if found is None:
                raise
            message = found
        except Exception as error:  # the connection died: it may have gone out
            found = await self._look_for_sent(channel, post_id, question, error)
            if found is None:
                raise
            message = found
        await self.service.post_sent(post_id, message.id)
        return message

    async def _look_for_sent(
        self,
        channel: discord.TextChannel,
        post_id: int,
        question: Question,
        error: Exception,
    ) -> discord.Message | None:
        """After a send that failed without a clear refusal: the message if it went out after
        all. Not found, the post is dropped; if the channel cannot be read either, the post is
        left for the start-up recovery."""
        post = await self.service.get_post(post_id)
        if post is None:
            return None
        try:
            found = await self._find_sent(channel, post, question)
        except (discord.HTTPException, OSError, TimeoutError):
            log.warning(
                "post %s: sending failed (%s); its channel cannot be read", post_id, error
            )
            return None
        if found is None:
            await self.service.drop_post(post_id)
        return found

    async def _find_sent(
        self, channel: discord.TextChannel, post: PromptPost, question: Question
    ) -> discord.Message | None:
        """The message of a post whose id was never recorded, if it went out: the bot's first
        message with that question after the post was begun that is no other post's. (Reading
        history does not show a message's nonce.)"""
        # A minute's margin for a clock that differs from Discord's.
        after = discord.Object(discord.utils.time_snowflake(post.posted_at - timedelta(minutes=1)))
        footer = f"Question #{question.id}"
        assert self.bot.user is not None
        async for message in channel.history(after=after, limit=SEARCH_LIMIT, oldest_first=True):
            if message.author.id != self.bot.user.id or not message.embeds:
                continue
            if not (message.embeds[0].footer.text or "").endswith(footer):
                continue
            if await self.service.is_recorded(message.id):
                continue
            return message
        return None

    async def _finish(
        self,
        channel: discord.TextChannel,
        post_id: int,
        question: Question,
        message: discord.Message,
        make_thread: bool,
        posted_by: int | None,
    ) -> discord.Thread | None:
        """Step 3: the thread for answers, then the post is finished. Raises ThreadRefused
        (after recording the post) when Discord refuses the thread."""
        thread, refused = None, None
        if make_thread:
            try:
                thread = await self._thread_of(message, question)
                self.thread_authors[thread.id] = question.author_id
            except discord.HTTPException as error:
                refused = error  # the question is out: it is recorded all the same
        await self.service.finish_post(post_id, thread.id if thread else None)
        if refused is not None:
            try:  # the post promised a thread: say where to answer instead
                await message.edit(
                    embed=self._question_embed(
                        channel.guild, question, answer_in=ANSWER_IN_CHANNEL
                    )
                )
            except discord.HTTPException:
                log.info("could not edit post %s to say where to answer", message.id)
        await self._tell_submitter_posted(channel.guild, question, message, posted_by)
        if refused is not None:
            raise ThreadRefused(message, refused)
        return thread

    async def _thread_of(self, message: discord.Message, question: Question) -> discord.Thread:
        """The message's thread, opened now unless it is open already."""
        if message.thread is not None:
            return message.thread
        try:
            return await message.create_thread(
                name=shorten(question.text, 100), auto_archive_duration=THREAD_ARCHIVE_MINUTES
            )
        except discord.HTTPException as error:
            if error.code != THREAD_EXISTS:
                raise
        # Opened by a process that stopped before recording it: a message's thread has its id.
        thread = await self.bot.fetch_channel(message.id)
        assert isinstance(thread, discord.Thread)
        return thread

    async def _on_firing(self, firing: Firing) -> str | None:
        """A schedule's time has come: post its theme's next question, or pause and say why."""
        schedule = firing.schedule
        assert schedule.id is not None
        prompt_schedule = await self.service.prompt_schedule_of(schedule.id)
        if prompt_schedule is None:
            return "no prompt schedule for this schedule"
        # An alarm due while the bot was down rings during start-up, before the gateway has
        # told the bot about any channel.
        await self.bot.wait_until_ready()
        async with self.service.posting(prompt_schedule.community_id, prompt_schedule.theme_key):
            return await self._post_on_time(firing, prompt_schedule)

    async def _post_on_time(self, firing: Firing, prompt_schedule: PromptSchedule) -> str:
        choice = await self.service.choose(prompt_schedule.community_id, prompt_schedule.theme_key)
        if choice is None:
            return await self._pause(
                prompt_schedule,
                f"the theme {prompt_schedule.theme} has no approved question",
                f"Approve or add questions in {prompt_schedule.theme}, then `/prompt resume "
                f"id:{prompt_schedule.id}`.",
            )
        channel = self.bot.get_channel(prompt_schedule.channel_id)
        if not isinstance(channel, discord.TextChannel):
            return await self._pause(
                prompt_schedule,
                "its channel no longer exists",
                "Make a new schedule in another channel and remove this one.",
            )

        async def post() -> discord.Message | None:
            check_bot_can_post(channel, threads=prompt_schedule.make_thread)
            posted = await self._post(
                channel,
                choice,
                make_thread=prompt_schedule.make_thread,
                prompt_schedule=prompt_schedule,
                scheduled_for=firing.scheduled_for,
                posted_by=None,
            )
            return None if posted is None else posted[0]

        return await self._scheduled_outcome(
            firing, prompt_schedule, channel, choice.question, post()
        )

    async def _scheduled_outcome(
        self,
        firing: Firing,
        prompt_schedule: PromptSchedule,
        channel: discord.TextChannel,
        question: Question,
        posting: Coroutine[Any, Any, discord.Message | None],
    ) -> str:
        """Run a scheduled post and say how it went (the firing's note); the schedule pauses,
        and the moderators are told, when it cannot go on."""
        try:
            message = await posting
        except ThreadRefused as refused:
            return await self._pause_thread_refused(prompt_schedule, question, channel, refused)
        except (NotAllowed, discord.Forbidden, discord.NotFound):
            return await self._pause_cannot_post(prompt_schedule, f"#{channel.name}")
        if message is None:
            return "posted by another process"
        late = (
            f", {int(firing.late_by.total_seconds() // 60)} min late"
            if firing.late_by.total_seconds() >= 60
            else ""
        )
        return f"posted question #{question.id} (message {message.id}{late})"

    async def _pause_thread_refused(
        self,
        prompt_schedule: PromptSchedule,
        question: Question,
        channel: discord.TextChannel,
        refused: ThreadRefused,
    ) -> str:
        return await self._pause(
            prompt_schedule,
            f"question #{question.id} is posted in #{channel.name} "
            f"({refused.message.jump_url}), but I could not open its thread for answers: "
            f"{refused.reason}",
            f"{refused.remedy} Then `/prompt resume id:{prompt_schedule.id}`.",
        )

    async def _pause_cannot_post(self, prompt_schedule: PromptSchedule, where: str) -> str:
        return await self._pause(
            prompt_schedule,
            f"I can no longer post in {where}",
            f"Give my role the permissions to post and open threads there, then "
            f"`/prompt resume id:{prompt_schedule.id}`.",
        )

    # --- start-up recovery ----------------------------------------------------------------------

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        if self._recovered:
            return
        self._recovered = True
        self.bot.run_in_background(self.recover(), "prompt post recovery")

    async def recover(self) -> None:
        """Finish the posts and firings that a process which stopped left half done (the steps
        and the rules are in bot/prompts/schedules.py)."""
        for pending in await self.service.unfinished_posts():
            if pending.id in self._making:
                continue  # this process is making it right now
            try:
                await self._recover_post(pending)
            except Exception:
                log.exception("prompt post %s: recovery failed", pending.id)
        for firing in await self.bot.scheduler.stale_claims(PROMPT_POST):
            try:
                await self._recover_firing(firing)
            except Exception:
                log.exception("schedule %s: recovering a firing failed", firing.schedule.id)

    async def _recover_post(self, pending: UnfinishedPost) -> None:
        post, question, prompt_schedule = pending.post, pending.question, pending.prompt_schedule
        channel = self.bot.get_channel(post.channel_id)
        status, note = FiringStatus.DONE, ""
        try:
            if not isinstance(channel, discord.TextChannel):
                raise NotAllowed("The channel of the post no longer exists.")
            message = await self._message_of(channel, pending)
            if message is None:
                await self.service.drop_post(pending.id)
                status, note = FiringStatus.SKIPPED, NOT_SENT_IN_TIME
            else:
                await self._finish(
                    channel, pending.id, question, message, post.make_thread, post.posted_by
                )
                note = (
                    f"posted question #{question.id} (message {message.id}), "
                    "finished at start-up"
                )
        except ThreadRefused as refused:  # the post is recorded, without a thread
            note = f"posted question #{question.id}; Discord refused its thread"
            if prompt_schedule is not None and isinstance(channel, discord.TextChannel):
                note = await self._pause_thread_refused(prompt_schedule, question, channel, refused)
        except (NotAllowed, discord.Forbidden, discord.NotFound) as error:
            await self.service.abandon_post(pending.id)
            if isinstance(error, discord.NotFound) and isinstance(channel, discord.TextChannel):
                note = f"question #{question.id} was posted, but its message is deleted"
            else:
                status, note = FiringStatus.FAILED, f"I can no longer post in <#{post.channel_id}>"
                if prompt_schedule is not None:
                    note = await self._pause_cannot_post(prompt_schedule, f"<#{post.channel_id}>")
        log.info("prompt post %s, after a restart: %s", pending.id, note)
        if pending.schedule is not None and post.scheduled_for is not None:
            await self.bot.scheduler.finish_claim(
                pending.schedule.id or 0, post.scheduled_for, status=status, note=note
            )

    async def _message_of(
        self, channel: discord.TextChannel, pending: UnfinishedPost
    ) -> discord.Message | None:
        """The message of a post a process left unfinished: found, or sent now if it never went
        out and still may; None when it never went out and it is too late now."""
        post = pending.post
        if post.message_id is not None:
            return await channel.fetch_message(post.message_id)
        found = await self._find_sent(channel, post, pending.question)
        if found is not None:
            await self.service.post_sent(pending.id, found.id)
            return found
        if not pending.may_still_send(self.service.scheduler.clock()):
            return None
        check_bot_can_post(channel, threads=post.make_thread)
        return await self._send(channel, pending.id, pending.question, post.make_thread)

    async def _recover_firing(self, firing: Firing) -> None:
        """A firing still claimed by a process that stopped: finished if its post is, posted
        now if still in time and never begun, else recorded as skipped."""
        schedule = firing.schedule
        assert schedule.id is not None
        prompt_schedule = await self.service.prompt_schedule_of(schedule.id)
        post = None
        if prompt_schedule is not None and prompt_schedule.id is not None:
            post = await self.service.post_for_firing(prompt_schedule.id, firing.scheduled_for)
        status = FiringStatus.DONE
        if post is not None:
            if post.finished_at is None:
                return  # still being made (by this process, or by another one still running)
            note = (
                f"posted question #{post.question_id} (message {post.message_id}), "
                "finished at start-up"
            )
        elif firing.late_by <= tolerance(schedule):
            try:
                note = await self._on_firing(firing) or ""
            except Exception:
                error_id = new_error_id()
                log.exception("schedule %s failed [error %s]", schedule.id, error_id)
                status, note = FiringStatus.FAILED, f"error {error_id}"
        else:
            status, note = FiringStatus.SKIPPED, NOT_SENT_IN_TIME
        await self.bot.scheduler.finish_claim(
            schedule.id, firing.scheduled_for, status=status, note=note
        )

    async def _pause(self, prompt_schedule: PromptSchedule, reason: str, fix: str) -> str:
        await self.service.pause_for(prompt_schedule.schedule_id, reason)
        await self._tell_moderators(
            prompt_schedule,
            f"⏸ Prompt schedule #{prompt_schedule.id} is paused: {reason}. {fix}",
        )
        return f"paused: {reason}"

    async def _tell_moderators(self, prompt_schedule: PromptSchedule, text: str) -> None:
        """In the review channel; without one, by direct message to whoever made the schedule.
        The reason also stays on the schedule, shown by ``/prompt schedules``."""
        guild = self.bot.get_guild(prompt_schedule.community_id)
        if guild is None:
            return
        community = await community_settings(self.bot.db, guild.id, guild.name)
        channel = guild.get_channel(community.review_channel_id or 0)
        try:
            if isinstance(channel, discord.TextChannel):
                await channel.send(text, allowed_mentions=NO_PINGS)
                return
            creator = guild.get_member(prompt_schedule.created_by or 0)
            if creator is not None:
                await creator.send(f"{guild.name}: {text}", allowed_mentions=NO_PINGS)
                return
        except discord.HTTPException:
            pass
        log.warning("could not tell the moderators of %s: %s", guild.id, text)

    @staticmethod
    def _name(guild: discord.Guild, user_id: int | None) -> str | None:
        member = guild.get_member(user_id) if user_id is not None else None
        return None if member is None else member.display_name


class ThreadRefused(NotAllowed):
    """A question went out but Discord refused its thread for answers."""

    def __init__(self, message: discord.Message, error: discord.HTTPException) -> None:
        self.message = message
        if is_thread_limit(error):
            self.reason = "the server has as many active threads as Discord allows"
            self.remedy = f"{THREAD_LIMIT_FIX}."
        elif isinstance(error, discord.Forbidden):
            self.reason = "I am not allowed to open threads there"
            self.remedy = "Give my role Create Public Threads in that channel."
        else:
            self.reason = f"Discord said: {error.text or error.status}"
            self.remedy = "Try again later."
        super().__init__(
            f"The question is posted ({message.jump_url}), but I could not open its thread for "
            f"answers: {self.reason}.",
            f"{self.remedy} Members can answer in the channel meanwhile.",
        )


async def setup(bot: CopBot) -> None:
    await bot.add_cog(Prompts(bot))
