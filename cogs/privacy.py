"""/privacy: what the bot keeps about me, opting out and in, being named in exports, and being
forgotten.

Opting out and forgetting delete data, so each asks first (cogs/_ui/confirm.py): an ephemeral
message with Confirm and Cancel that only the person who asked can use, and that expires.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import CopBot
from bot.contributions import privacy
from bot.errors import BadInput
from bot.permissions import Access, require
from cogs._ui.confirm import Act, Confirmations, ConfirmChoice, expiry_footer
from cogs._ui.embeds import Tone, make_embed
from cogs._ui.interaction import GuildInteraction, guild_command
from cogs._ui.tree import send_ephemeral
from cogs.profile import profile_fields

CUSTOM_ID_PREFIX = "privacy:"
KEEP_TEXTS_LABEL = "Forget me, keep my texts without my name"
DELETE_TEXTS_LABEL = "Forget me, delete my texts too"
# Long enough to read what will be deleted; short enough that an old message cannot surprise.
CONFIRM_TIMEOUT_SECONDS = 120.0
# What /privacy visible means, in its answer and in /privacy show.
VISIBLE_ON_TEXT = "Coordinators' exports show your display name instead of a pseudonym."
VISIBLE_OFF_TEXT = "Coordinators' exports show a pseudonym instead of your display name."

# Copies in other servers (learning-alliance platforms) are the one place outside this server.
SHARED_COPIES_NOTICE = (
    "What you shared on purpose with linked platforms (or a moderator shared of yours) is kept "
    "as copies in those platforms' servers, named as `/privacy visible` says. `/privacy forget` "
    "or `/privacy optout` removes its text and your name from every copy; deleting your "
    "original message deletes its copies."
)

KIND_LABELS: tuple[tuple[str, str], ...] = (
    ("messages", "messages"),
    ("reply", "replies"),
    ("answer", "answers"),
    ("question", "questions"),
    ("resource", "resources shared"),
    ("thread_start", "threads started"),
    ("reactions", "reactions"),
)


def _date(moment: datetime) -> str:
    return discord.utils.format_dt(moment, "D")


def _counts_text(counts: dict[str, int]) -> str:
    if not any(counts.values()):
        return "Nothing: no message or reaction of yours is in the log."
    return "\n".join(f"{label}: {counts.get(kind, 0)}" for kind, label in KIND_LABELS)


def _choice_text(choice: privacy.PrivacyChoice) -> str:
    if choice.forgotten:
        return (
            "You asked to be forgotten: nothing is kept about you from before, and you are not "
            "logged. `/privacy optin` starts the log again."
        )
    if choice.opted_out_since is not None:
        return (
            f"Opted out since {_date(choice.opted_out_since)}: you are not logged. "
            "`/privacy optin` starts the log again."
        )
    return "Logged (the default). `/privacy optout` stops it and deletes what it holds."


def _name_text(choice: privacy.PrivacyChoice) -> str:
    if not choice.logged:
        return "You are in no export: they leave out people who are not logged."
    if choice.name_visible:
        return f"Visible: {VISIBLE_ON_TEXT} `/privacy visible choice:off` hides it again."
    return (
        "A pseudonym (the default): coordinators' exports do not show your name. "
        "`/privacy visible choice:on` lets them."
    )


def _texts_text(texts: privacy.WrittenTexts, choice: privacy.PrivacyChoice) -> str:
    if choice.forgotten and texts.total == 0:
        return (
            "Nothing that names you. If you chose to keep them when you asked to be forgotten, "
            "the text of your tablecloth notes, harvest items and questions stays without any "
            "name: nothing links it to you any more."
        )
    if texts.total == 0:
        return "None: no tablecloth note, harvest item or question of yours is kept."
    return f"{texts.describe()}, kept word for word with your name. {privacy.KEPT_TEXTS_WHY}"


def _report_embed(report: privacy.PrivacyReport, name: str) -> discord.Embed:
    fields: list[tuple[str, str]] = [("In the contribution log", _counts_text(report.counts))]
    if report.profile is None:
        fields.append(("Your profile", "None: you have no profile or register entry here."))
    elif report.profile.is_set:
        fields += [(f"Profile: {label}", value) for label, value in profile_fields(report.profile)]
    else:
        fields.append(("Your profile", "Not set; the register knows only your display name."))
    fields += [
        ("Your words kept as text", _texts_text(report.texts, report.choice)),
        ("Your choice", _choice_text(report.choice)),
        ("Your name in exports", _name_text(report.choice)),
        ("Shared with linked platforms", SHARED_COPIES_NOTICE),
        ("What this community logs", privacy.LOGGING_NOTICE),
        ("What is computed about you", privacy.COMPUTED_NOTICE),
    ]
    return make_embed(f"What the bot keeps about {name}", fields=fields)


def _forgotten_text(done: privacy.Forgotten) -> str:
    deleted = (
        f"Deleted: {done.deleted.messages} messages, {done.deleted.reactions} reactions"
        + (", your profile and organisation history" if done.had_profile else "")
        + ", and your name in the audit trail."
    )
    if done.texts.total == 0:
        texts = ""
    elif done.texts_kept:
        texts = f" Kept without your name: {done.texts.describe()}."
    else:
        texts = f" Deleted too: {done.texts.describe()}."
    return (
        deleted + texts + " You are not logged from now on; `/privacy optin` starts the log again."
    )


@app_commands.guild_only()
class Privacy(commands.GroupCog, group_name="privacy", group_description="What is kept about you"):
    def __init__(self, bot: CopBot) -> None:
        self.bot = bot
        self.confirm_timeout = CONFIRM_TIMEOUT_SECONDS
        # Every confirmation this process showed; a click on one it never showed (shown before
        # a restart) or on an expired one is answered by on_interaction.
        self.confirmations = Confirmations(
            prefix=CUSTOM_ID_PREFIX, group="privacy", others="someone else"
        )

    @commands.Cog.listener()
    async def on_interaction(self, interaction: discord.Interaction[CopBot]) -> None:
        await self.confirmations.answer_gone(interaction)

    # --- commands ------------------------------------------------------------------------------

    @guild_command(name="show", description="What the bot keeps about you, and your choices")
    @require(Access.MEMBER)
    async def show(self, interaction: GuildInteraction) -> None:
        report = await self.bot.privacy.report(interaction.guild.id, interaction.user.id)
        await send_ephemeral(
            interaction, embed=_report_embed(report, interaction.user.display_name)
        )

    @guild_command(
        name="optout", description="Stop logging your contributions, and delete what was logged"
    )
    @require(Access.MEMBER)
    async def optout(self, interaction: GuildInteraction) -> None:
        guild, user = interaction.guild, interaction.user
        await self.bot.privacy.check_can_opt_out(guild.id, user.id)

        async def act(_pressed: discord.Interaction[Any]) -> discord.Embed:
            deleted = await self.bot.privacy.opt_out(
                guild.id, guild.name, user_id=user.id, display_name=user.display_name
            )
            self._copies_changed()
            return make_embed(
                "You are opted out",
                f"Deleted from the log: {deleted.messages} messages and {deleted.reactions} "
                "reactions. From now on your messages and reactions are not logged. Your "
                "profile stays (`/profile show`); `/privacy forget` deletes that too.\n"
                "`/privacy optin` starts the log again, from then on.",
                tone=Tone.SUCCESS,
            )

        await self._ask(
            interaction,
            command="optout",
            title="Stop logging you?",
            text=(
                "I will stop logging your messages and reactions here, and delete what the log "
                "holds about you: your contributions, your reactions, and the links from "
                "others' replies and reactions to you. Your profile stays.\n"
                "This cannot be undone: `/privacy optin` starts the log again from then on, but "
                "nothing deleted comes back."
            ),
            choices=[ConfirmChoice("Confirm", act)],
        )

    @guild_command(name="optin", description="Log your contributions again, from now on")
    @require(Access.MEMBER)
    async def optin(self, interaction: GuildInteraction) -> None:
        await self.bot.privacy.opt_in(interaction.guild.id, user_id=interaction.user.id)
        embed = make_embed(
            "You are logged again",
            "From now on your contributions are logged (metadata only). Nothing from before "
            "comes back. `/privacy show` shows what is kept.",
            tone=Tone.SUCCESS,
        )
        await send_ephemeral(interaction, embed=embed)

    @guild_command(
        name="visible", description="Whether coordinators' exports show your name or a pseudonym"
    )
    @app_commands.describe(
        choice="on: exports show your display name; off: a pseudonym (the default)"
    )
    @app_commands.choices(
        choice=[
            app_commands.Choice(name="on", value="on"),
            app_commands.Choice(name="off", value="off"),
        ]
    )
    @require(Access.MEMBER)
    async def visible(self, interaction: GuildInteraction, choice: str) -> None:
        if choice not in ("on", "off"):
            raise BadInput(f"`{choice[:20]}` is not a choice.", "Choose `on` or `off`.")
        guild, user = interaction.guild, interaction.user
        member = await self.bot.privacy.set_visible(
            guild.id,
            guild.name,
            user_id=user.id,
            display_name=user.display_name,
            visible=choice == "on",
        )
        if member.name_visible:
            embed = make_embed(
                "Your name is visible in exports",
                f"{VISIBLE_ON_TEXT} `/privacy visible choice:off` hides it again.",
                tone=Tone.SUCCESS,
            )
        else:
            embed = make_embed(
                "Your name is hidden in exports",
                f"{VISIBLE_OFF_TEXT} Copies of what you shared with linked platforms no longer "
                "name you either. `/privacy visible choice:on` shows it.",
                tone=Tone.SUCCESS,
            )
            self._copies_changed()
        await send_ephemeral(interaction, embed=embed)

    @guild_command(name="forget", description="Delete everything the bot keeps about you")
    @require(Access.MEMBER)
    async def forget(self, interaction: GuildInteraction) -> None:
        guild_id, user_id = interaction.guild.id, interaction.user.id
        texts = await self.bot.privacy.check_can_forget(guild_id, user_id)

        def act(keep_texts: bool) -> Act:
            async def forget_now(_pressed: discord.Interaction[Any]) -> discord.Embed:
                done = await self.bot.privacy.forget(
                    guild_id, user_id=user_id, keep_texts=keep_texts
                )
                self._copies_changed()
                return make_embed("You are forgotten", _forgotten_text(done), tone=Tone.SUCCESS)

            return forget_now

        if texts.total:
            yours = f"You wrote {texts.describe()}. {privacy.KEPT_TEXTS_WHY}"
        else:
            yours = (
                "You have no tablecloth note, harvest item or question here; either choice "
                "does the same."
            )
        await self._ask(
            interaction,
            command="forget",
            title="Forget you?",
            text=(
                "I will delete everything that names you in this community: your profile, your "
                "organisation history, the organisations you represent, your messages and "
                "reactions in the log, and every mention of your account in others' records "
                "and in the record of who changed what. From then on you are not logged (I keep "
                "only an unreadable marker for that; `/privacy optin` removes it).\n"
                f"**Your texts.** {yours}\n"
                "**Keep them without my name**: their words stay in the harvests and the "
                'question bank, by "a participant". **Delete them too**: they go as well.\n'
                "This cannot be undone."
            ),
            choices=[
                ConfirmChoice(KEEP_TEXTS_LABEL, act(keep_texts=True)),
                ConfirmChoice(DELETE_TEXTS_LABEL, act(keep_texts=False)),
            ],
        )

    def _copies_changed(self) -> None:
        """What they shared with linked platforms changed with the rest (its text or their
        name went): the delivery worker edits the copies posted in other servers to match."""
        self.bot.deliveries.notify()

    async def _ask(
        self,
        interaction: discord.Interaction[CopBot],
        *,
        command: str,
        title: str,
        text: str,
        choices: Sequence[ConfirmChoice],
    ) -> None:
        view = self.confirmations.view(
            interaction, command=command, choices=choices, timeout=self.confirm_timeout
        )
        embed = make_embed(
            title, text, tone=Tone.WARNING, footer=expiry_footer(self.confirm_timeout)
        )
        await interaction.response.send_message(embed=embed, view=view, ephemeral=True)


async def setup(bot: CopBot) -> None:
    await bot.add_cog(Privacy(bot))
