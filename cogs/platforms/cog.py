"""/platform: this server (or a category of it) as a learning platform at a level, its links to
other platforms made with consent on both sides, and items shared across them on purpose.

Thin: options in, ``bot.platforms`` does the work, a message out. Copies are delivered by the
worker in ``cogs/platforms/deliveries.py`` (woken with ``bot.deliveries.notify()``). Invite codes
are shown only to the moderator who asked (ephemeral) and never logged.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import Any, Final

import discord
from discord import app_commands
from discord.app_commands import Choice
from discord.ext import commands

from bot.client import CopBot
from bot.errors import BadInput, CopbotError, NotAllowed, NotFound
from bot.membership.vocabulary import Level
from bot.permissions import Access, access_of, check_access, check_bot_can_post, require
from bot.platforms import codes
from bot.platforms.service import Shared, Unlinked, label_of
from bot.platforms.values import LinkedPlatform, Platform, Relation, ShareKind, ShareTarget
from cogs._ui.confirm import Confirmations, ConfirmChoice, expiry_footer
from cogs._ui.embeds import Tone, make_embed
from cogs._ui.interaction import GuildInteraction, guild_autocomplete, guild_command
from cogs.options import FreeText
from cogs.platforms.digest import PlatformDigestCommands
from cogs.platforms.inbox import inbox_of, tell_inbox
from cogs.platforms.options import (
    PLATFORM_HELP,
    PlatformChoice,
    PlatformName,
    category_of,
    platform_names,
)
from cogs.platforms.views import (
    CONFIRM_TIMEOUT_SECONDS,
    CUSTOM_ID_PREFIX,
    join_preview_embed,
    joined_lines,
    platform_embed,
)

log = logging.getLogger(__name__)

LinkCode = app_commands.Transform[str, FreeText("code", 100)]
LinkedName = app_commands.Transform[str, FreeText("name", 200)]
MessageLink = app_commands.Transform[str, FreeText("message_link", 200)]

LEVEL_CHOICES = [Choice(name=level.label, value=level.value) for level in Level]
RELATION_CHOICES = [
    Choice(name="parent: the other platform sits above this one", value=Relation.PARENT.value),
    Choice(name="child: the other platform sits below this one", value=Relation.CHILD.value),
    Choice(name="peer: the other platform sits beside this one", value=Relation.PEER.value),
]
TARGET_CHOICES = [
    Choice(name="all linked platforms (default)", value=ShareTarget.ALL.value),
    Choice(name="up: parent platforms", value=ShareTarget.UP.value),
    Choice(name="down: child platforms", value=ShareTarget.DOWN.value),
    Choice(name="peers: platforms beside this one", value=ShareTarget.PEERS.value),
]
ON_OFF = [Choice(name="on", value="on"), Choice(name="off", value="off")]
MESSAGE_LINK: Final = re.compile(
    r"^<?https://(?:(?:ptb|canary)\.)?discord(?:app)?\.com/channels/"
    r"(?P<guild>\d{1,20})/(?P<channel>\d{1,20})/(?P<message>\d{1,20})>?$"
)
SHARE_MENU_NAME: Final = "Share with linked platforms"


# --- where a platform's copies and notices arrive -------------------------------------------------


def ended_notice(ended: Unlinked, this_server: str, why: str) -> str:
    return (
        f"The link between **{ended.other.platform.name}** and **{ended.this.name}** "
        f"({this_server}) has ended: {why}. Nothing more is shared over it; its history stays "
        "in `/platform show`."
    )


# --- suggestions ----------------------------------------------------------------------------------


async def linked_names(interaction: GuildInteraction, current: str) -> list[Choice[str]]:
    chosen = getattr(interaction.namespace, "platform", None)
    try:
        platform = await interaction.client.platforms.resolve(
            interaction.guild_id, chosen, category_id=category_of(interaction.channel)
        )
    except CopbotError:
        return []
    typed = current.strip().lower()
    labels = [label_of(item) for item in await interaction.client.platforms.links(platform)]
    return [
        Choice(name=label[:100], value=label[:100]) for label in labels if typed in label.lower()
    ][:25]


@app_commands.guild_only()
class PlatformCommands(
    PlatformDigestCommands,
    commands.GroupCog,
    group_name="platform",
    group_description="Learning platforms and their links to other servers",
):
    def __init__(self, bot: CopBot) -> None:
        self.bot = bot
        # Every confirmation this process showed (see cogs/_ui/confirm.py).
        self.confirmations = Confirmations(
            prefix=CUSTOM_ID_PREFIX, group="platform", others="another moderator"
        )
        self.confirm_timeout = CONFIRM_TIMEOUT_SECONDS
        self.share_menu = app_commands.ContextMenu(
            name=SHARE_MENU_NAME, callback=self.share_message
        )
        self.share_menu.guild_only = True

    async def cog_load(self) -> None:
        self.bot.tree.add_command(self.share_menu)
        self.start_platform_digests()

    async def cog_unload(self) -> None:
        self.bot.tree.remove_command(self.share_menu.name, type=self.share_menu.type)

    @commands.Cog.listener()
    async def on_interaction(self, interaction: discord.Interaction[CopBot]) -> None:
        """Answer a click on a confirmation that is gone (expired, or shown before a restart)."""
        await self.confirmations.answer_gone(interaction)

    async def _platform(self, interaction: GuildInteraction, name: str | None) -> Platform:
        return await self.bot.platforms.resolve(
            interaction.guild_id, name, category_id=category_of(interaction.channel)
        )

    async def _answer(
        self, interaction: GuildInteraction, embed: discord.Embed, **kwargs: Any
    ) -> None:
        if interaction.response.is_done():
            await interaction.followup.send(embed=embed, ephemeral=True, **kwargs)
        else:
            await interaction.response.send_message(embed=embed, ephemeral=True, **kwargs)

    def _inbox_text(self, guild: discord.Guild, platform: Platform) -> str:
        channel, default = inbox_of(guild, platform)
        if platform.inbox_channel_id is not None and not default:
            text = f"<#{platform.inbox_channel_id}>"
        elif platform.inbox_channel_id is not None:
            text = f"<#{platform.inbox_channel_id}> is gone"
            if channel is not None:
                text += f"; for now {channel.mention} (default)"
        elif channel is not None:
            text = f"{channel.mention} (default)"
        else:
            text = (
                "none: I can post in none of its text channels. Choose one with `/platform inbox`."
            )
        if platform.inbox_paused:
            text += (
                f"\n**Paused**: {platform.inbox_paused}. Copies wait; `/platform inbox` sets it "
                "again and sends them."
            )
        return text

    # --- platforms ------------------------------------------------------------------------------

    @guild_command(
        name="create", description="Make this server, or a category, a learning platform"
    )
    @app_commands.describe(
        name="The platform's name, as other platforms will see it",
        level="Its institutional level",
        category="Only this category is the platform (default: the whole server)",
    )
    @app_commands.choices(level=LEVEL_CHOICES)
    @require(Access.MODERATOR)
    async def create(
        self,
        interaction: GuildInteraction,
        name: PlatformName,
        level: str,
        category: discord.CategoryChannel | None = None,
    ) -> None:
        made = await self.bot.platforms.create(
            interaction.guild_id,
            interaction.guild.name,
            name=name,
            level=Level(level),
            category_id=category.id if category else None,
            actor_id=interaction.user.id,
        )
        inbox, _ = inbox_of(interaction.guild, made)
        arrives = (
            f"Until you do, they arrive in {inbox.mention}."
            if inbox is not None
            else "I can post in none of its text channels yet, so choose one."
        )
        await self._answer(
            interaction,
            make_embed(
                "Platform created",
                f"**{made.name}** is now a {made.level.label.lower()} learning platform: "
                f"{made.where}.",
                fields=[
                    (
                        "1. Choose its inbox",
                        "Where items from linked platforms arrive: `/platform inbox channel:`. "
                        + arrives,
                    ),
                    (
                        "2. Link it",
                        "`/platform invite relation:` gives a one-time code; a moderator of the "
                        "other platform uses it with `/platform join` in their own server.",
                    ),
                ],
                tone=Tone.SUCCESS,
            ),
        )

    @guild_command(name="show", description="A platform, its inbox and its links")
    @app_commands.describe(platform=PLATFORM_HELP)
    @guild_autocomplete(platform=platform_names)
    @require(Access.MEMBER)
    async def show(
        self, interaction: GuildInteraction, platform: PlatformChoice | None = None
    ) -> None:
        found = await self._platform(interaction, platform)
        links = await self.bot.platforms.links(found, live_only=False)
        await self._answer(
            interaction,
            platform_embed(
                found,
                interaction.guild.name,
                inbox=self._inbox_text(interaction.guild, found),
                links=links,
            ),
        )

    @guild_command(name="list", description="This server's platforms and their links")
    @require(Access.MEMBER)
    async def list_platforms(self, interaction: GuildInteraction) -> None:
        found = await self.bot.platforms.of_server(interaction.guild_id)
        if not found:
            raise NotFound(
                "This server is not a learning platform yet.",
                "A moderator can make it one with `/platform create`.",
            )
        fields = []
        for platform in found[:25]:
            links = await self.bot.platforms.links(platform)
            lines = [_live_line(item) for item in links]
            fields.append(
                (
                    f"{platform.name} · {platform.level.label}"[:256],
                    f"{platform.where}\n" + (joined_lines(lines, 900) if lines else "No links yet"),
                )
            )
        await self._answer(
            interaction,
            make_embed(
                f"Learning platforms of {interaction.guild.name}"[:256],
                "`/platform show platform:` tells more about one.",
                fields=fields,
            ),
        )

    @guild_command(name="inbox", description="Where items from linked platforms arrive")
    @app_commands.describe(
        channel="A text channel where I can post and open threads", platform=PLATFORM_HELP
    )
    @guild_autocomplete(platform=platform_names)
    @require(Access.MODERATOR)
    async def inbox(
        self,
        interaction: GuildInteraction,
        channel: discord.TextChannel,
        platform: PlatformChoice | None = None,
    ) -> None:
        found = await self._platform(interaction, platform)
        check_bot_can_post(
            channel,
            threads=True,
            or_else=", or choose another channel",
            threads_or_else=" (copies get a thread for responses), or choose another channel",
        )
        waiting = await self.bot.platforms.set_inbox(
            found, channel.id, actor_id=interaction.user.id
        )
        self.bot.deliveries.notify()
        text = f"Items shared with **{found.name}** arrive in {channel.mention}."
        if found.inbox_paused:
            text += " Deliveries resume"
            text += (
                f": {waiting} cop{'y waits' if waiting == 1 else 'ies wait'}." if waiting else "."
            )
        elif waiting:
            text += f" {waiting} cop{'y is' if waiting == 1 else 'ies are'} on the way."
        await self._answer(interaction, make_embed("Inbox set", text, tone=Tone.SUCCESS))

    @guild_command(name="edit", description="Change a platform's name or level")
    @app_commands.describe(platform=PLATFORM_HELP, name="Its new name", level="Its new level")
    @app_commands.choices(level=LEVEL_CHOICES)
    @guild_autocomplete(platform=platform_names)
    @require(Access.MODERATOR)
    async def edit(
        self,
        interaction: GuildInteraction,
        platform: PlatformChoice | None = None,
        name: PlatformName | None = None,
        level: str | None = None,
    ) -> None:
        found = await self._platform(interaction, platform)
        changed = await self.bot.platforms.edit(
            found,
            name=name,
            level=Level(level) if level else None,
            actor_id=interaction.user.id,
        )
        await self._answer(
            interaction,
            make_embed(
                "Platform changed",
                f"**{changed.name}** is a {changed.level.label.lower()} platform: {changed.where}.",
                tone=Tone.SUCCESS,
            ),
        )

    @guild_command(name="remove", description="Stop being a platform: its links end")
    @app_commands.describe(platform="The platform to remove")
    @guild_autocomplete(platform=platform_names)
    @require(Access.MODERATOR)
    async def remove(self, interaction: GuildInteraction, platform: PlatformChoice) -> None:
        found = await self._platform(interaction, platform)
        links = await self.bot.platforms.links(found)
        server_name = interaction.guild.name

        async def act(pressed: discord.Interaction[Any]) -> discord.Embed:
            await check_access(pressed, Access.MODERATOR)
            ended = await self.bot.platforms.remove(found, actor_id=pressed.user.id)
            for item in ended:
                await tell_inbox(
                    self.bot,
                    item.other.platform,
                    ended_notice(item, server_name, f"**{found.name}** was removed as a platform"),
                )
            return make_embed(
                "Platform removed",
                f"**{found.name}** is no longer a platform."
                + (f" Its {len(ended)} link(s) ended; their history stays." if ended else ""),
                tone=Tone.SUCCESS,
            )

        linked = ", ".join(f"**{label_of(item)}**" for item in links)
        view = self.confirmations.view(
            interaction,
            command="remove",
            choices=[ConfirmChoice("Remove", act)],
            timeout=self.confirm_timeout,
        )
        await self._answer(
            interaction,
            make_embed(
                f"Remove {found.name}?",
                "It stops being a learning platform"
                + (
                    f"; its links to {linked} end at once and their inboxes are told."
                    if links
                    else "."
                )
                + " Copies still on their way to it are dropped.",
                tone=Tone.WARNING,
                footer=expiry_footer(self.confirm_timeout),
            ),
            view=view,
        )

    # --- links ----------------------------------------------------------------------------------

    @guild_command(
        name="invite", description="A one-time code for another platform to link to this one"
    )
    @app_commands.describe(
        relation="parent: the other platform sits above this one; child: below; peer: beside",
        platform=PLATFORM_HELP,
    )
    @app_commands.choices(relation=RELATION_CHOICES)
    @guild_autocomplete(platform=platform_names)
    @require(Access.MODERATOR)
    async def invite(
        self, interaction: GuildInteraction, relation: str, platform: PlatformChoice | None = None
    ) -> None:
        found = await self._platform(interaction, platform)
        chosen = Relation(relation)
        code, expires = await self.bot.platforms.invite(found, chosen, actor_id=interaction.user.id)
        # Ephemeral, and only here: the code is never posted publicly nor logged.
        await self._answer(
            interaction,
            make_embed(
                f"A link code for {found.name}",
                f"```\n{code}\n```",
                fields=[
                    (
                        "What it does",
                        f"The platform that uses it becomes **{found.name}**'s {chosen.value}.",
                    ),
                    (
                        "How to use it",
                        "Give it privately to a moderator of the other platform. In their own "
                        f"server they run `/platform join code:{code}` and confirm.",
                    ),
                    (
                        "It expires",
                        f"{discord.utils.format_dt(expires, 'f')} "
                        f"({discord.utils.format_dt(expires, 'R')}), and works once.",
                    ),
                ],
                footer="Only you see this code.",
            ),
        )

    @guild_command(name="join", description="Link a platform of this server with another's code")
    @app_commands.describe(
        code="The code a moderator of the other platform gave you", platform=PLATFORM_HELP
    )
    @guild_autocomplete(platform=platform_names)
    @require(Access.MODERATOR)
    async def join(
        self,
        interaction: GuildInteraction,
        code: LinkCode,
        platform: PlatformChoice | None = None,
    ) -> None:
        joining = await self._platform(interaction, platform)
        if not codes.looks_like_code(code):
            raise BadInput(
                "That is not a link code: codes start with "
                f"`{codes.PREFIX}` and come from `/platform invite`.",
                "Nothing was changed. Check that it was copied whole.",
            )
        preview = await self.bot.platforms.preview(code, joining)
        server_name = interaction.guild.name

        async def act(pressed: discord.Interaction[Any]) -> discord.Embed:
            await check_access(pressed, Access.MODERATOR)
            linked = await self.bot.platforms.join(code, joining, actor_id=pressed.user.id)
            await tell_inbox(
                self.bot,
                joining,
                f"**{linked.platform.name}** ({linked.server_name}) is now linked as "
                f"{linked.relation.value} of **{joining.name}**.",
            )
            await tell_inbox(
                self.bot,
                linked.platform,
                f"**{joining.name}** ({server_name}) is now linked as "
                f"{linked.relation.seen_from_the_other_side.value} of **{linked.platform.name}**.",
            )
            return make_embed(
                "Linked",
                f"**{linked.platform.name}** ({linked.server_name}) is now linked as "
                f"{linked.relation.value} of **{joining.name}**. Both inboxes were told.",
                tone=Tone.SUCCESS,
            )

        view = self.confirmations.view(
            interaction,
            command="join",
            choices=[ConfirmChoice("Confirm", act)],
            timeout=self.confirm_timeout,
        )
        footer = expiry_footer(self.confirm_timeout)
        await self._answer(
            interaction, join_preview_embed(preview, joining, footer=footer), view=view
        )

    @guild_command(name="unlink", description="End a link at once (its history stays)")
    @app_commands.describe(
        name="The linked platform, as /platform show names it", platform=PLATFORM_HELP
    )
    @guild_autocomplete(name=linked_names, platform=platform_names)
    @require(Access.MODERATOR)
    async def unlink(
        self,
        interaction: GuildInteraction,
        name: LinkedName,
        platform: PlatformChoice | None = None,
    ) -> None:
        found = await self._platform(interaction, platform)
        ended = await self.bot.platforms.unlink(found, name, actor_id=interaction.user.id)
        why = f"a moderator of **{found.name}** unlinked it"
        server_name = interaction.guild.name
        await tell_inbox(self.bot, found, ended_notice(ended, server_name, why))
        await tell_inbox(self.bot, ended.other.platform, ended_notice(ended, server_name, why))
        await self._answer(
            interaction,
            make_embed(
                "Unlinked",
                f"**{found.name}** and **{label_of(ended.other)}** are no longer linked; both "
                "inboxes were told. Copies not yet delivered over the link are dropped.",
                tone=Tone.SUCCESS,
            ),
        )

    # --- sharing on purpose ---------------------------------------------------------------------

    @guild_command(name="share", description="Share a message of this server with linked platforms")
    @app_commands.describe(
        message_link="The message's link (its menu: Copy Message Link)",
        to="Which linked platforms (default: all)",
        platform=PLATFORM_HELP,
    )
    @app_commands.choices(to=TARGET_CHOICES)
    @guild_autocomplete(platform=platform_names)
    @require(Access.MEMBER)
    async def share(
        self,
        interaction: GuildInteraction,
        message_link: MessageLink,
        to: str = ShareTarget.ALL.value,
        platform: PlatformChoice | None = None,
    ) -> None:
        message = await self._linked_message(interaction, message_link)
        await self._share(interaction, message, ShareTarget(to), platform)

    async def share_message(
        self, interaction: discord.Interaction[CopBot], message: discord.Message
    ) -> None:
        """The message menu's **Share with linked platforms**: to every linked platform."""
        await check_access(interaction, Access.MEMBER)
        guild_interaction: GuildInteraction = interaction  # type: ignore[assignment]
        await self._share(guild_interaction, message, ShareTarget.ALL, None)

    async def _linked_message(self, interaction: GuildInteraction, link: str) -> discord.Message:
        match = MESSAGE_LINK.match(link.strip())
        if match is None:
            raise BadInput(
                "That is not a message link.",
                "Nothing was shared. In the message's menu, choose Copy Message Link and paste it.",
            )
        if int(match["guild"]) != interaction.guild_id:
            raise BadInput(
                "That message is in another server: only this server's messages can be shared "
                "from here.",
                "Nothing was shared.",
            )
        channel = interaction.guild.get_channel_or_thread(int(match["channel"]))
        member = interaction.user
        # A member cannot see through the bot what they cannot read themselves.
        if (
            not isinstance(channel, discord.TextChannel | discord.Thread | discord.VoiceChannel)
            or not channel.permissions_for(member).read_message_history
            or not channel.permissions_for(member).view_channel
        ):
            raise NotFound("I find no such message in this server.", "Nothing was shared.")
        try:
            return await channel.fetch_message(int(match["message"]))
        except discord.NotFound:
            raise NotFound(
                "I find no such message in this server: was it deleted?", "Nothing was shared."
            ) from None
        except discord.Forbidden:
            raise NotAllowed(
                f"I can't read the messages of {channel.mention}.",
                "Nothing was shared. Let my role read the message history there.",
            ) from None

    async def _share(
        self,
        interaction: GuildInteraction,
        message: discord.Message,
        target: ShareTarget,
        platform_name: str | None,
    ) -> None:
        if message.guild is None or message.guild.id != interaction.guild_id:
            raise BadInput(
                "Only this server's messages can be shared from here.", "Nothing was shared."
            )
        if await self.bot.platforms.is_copy(message.id):
            raise BadInput(
                "That is a copy of an item another platform shared.",
                "Nothing was shared. Share the original from its own server, or answer in the "
                "copy's thread.",
            )
        if message.is_system():
            raise BadInput("That is a message of Discord itself.", "Nothing was shared.")
        if message.author.bot:
            raise BadInput(
                "That is a message of a bot.", "Nothing was shared. Share what a person said."
            )
        if not message.content.strip() and not message.attachments:
            if not self.bot.intents.message_content:
                # Without the intent Discord gives the bot no text of messages it fetches.
                raise BadInput(
                    "I cannot read that message's text: this copbot runs without Discord's "
                    "Message Content intent.",
                    "Nothing was shared. Use Apps › Share with linked platforms on the message "
                    "instead (Discord gives its text to that menu), or ask whoever runs the bot "
                    "to turn the intent on.",
                )
            raise BadInput("That message has no text and no files to share.", "Nothing was shared.")
        author = message.author
        if author.id != interaction.user.id and Access.MODERATOR not in await access_of(
            interaction
        ):
            raise NotAllowed(
                "Only moderators can share someone else's message.",
                "Nothing was shared. Ask the author to share it, or a moderator.",
            )
        if self.bot.optouts.is_opted_out(interaction.guild_id, author.id):
            raise NotAllowed(
                "Its author asked not to be logged, so their words are not shared.",
                "Nothing was shared. Share the idea in your own words.",
            )
        origin = await self.bot.platforms.resolve(
            interaction.guild_id, platform_name, category_id=category_of(message.channel)
        )
        credit = await self.bot.platforms.credit(
            interaction.guild_id, author.id, author.display_name
        )
        done = await self.bot.platforms.share(
            origin,
            target,
            kind=ShareKind.MESSAGE,
            source_key=f"message:{message.id}",
            title=None,
            text=message.content or None,
            attachment_urls=[attachment.url for attachment in message.attachments],
            credit=credit,
            author_id=author.id,
            source_channel_id=message.channel.id,
            source_message_id=message.id,
            jump_url=message.jump_url,
            shared_by=interaction.user.id,
        )
        self.bot.deliveries.notify()
        await self._answer(interaction, shared_embed(origin, done))

    # --- automatic sharing ----------------------------------------------------------------------

    autoshare = app_commands.Group(
        name="autoshare", description="What this platform shares with linked ones by itself"
    )

    @guild_command(
        name="harvests",
        description="Share every café harvest with all linked platforms",
        group=autoshare,
    )
    @app_commands.describe(
        setting="on: each harvest is shared; off: only when asked", platform=PLATFORM_HELP
    )
    @app_commands.choices(setting=ON_OFF)
    @guild_autocomplete(platform=platform_names)
    @require(Access.MODERATOR)
    async def autoshare_harvests(
        self, interaction: GuildInteraction, setting: str, platform: PlatformChoice | None = None
    ) -> None:
        found = await self._platform(interaction, platform)
        on = setting == "on"
        if not await self.bot.platforms.set_autoshare(found, on, actor_id=interaction.user.id):
            raise BadInput(
                f"Harvests of **{found.name}** are {'shared' if on else 'not shared'} "
                "automatically already.",
                "Nothing was changed.",
            )
        text = (
            f"Every café harvest of **{found.name}** is now shared with all its linked platforms."
            if on
            else f"Café harvests of **{found.name}** are now shared only when someone asks."
        )
        await self._answer(interaction, make_embed("Autoshare saved", text, tone=Tone.SUCCESS))


def _live_line(item: LinkedPlatform) -> str:
    return (
        f"**{label_of(item)}** — {item.relation.value} since "
        f"{discord.utils.format_dt(item.link.started_at, 'D')}"
    )


def _sent_line(item: LinkedPlatform, origin: Platform) -> str:
    return f"**{label_of(item)}** ({item.link.direction_from(origin.id).label})"


def shared_embed(origin: Platform, done: Shared) -> discord.Embed:
    fields: Sequence[tuple[str, str]] = [
        ("A copy goes to", joined_lines(_sent_line(item, origin) for item in done.sent_to)),
    ]
    if done.already_there:
        fields = [
            *fields,
            ("Had a copy already", joined_lines(label_of(item) for item in done.already_there)),
        ]
    return make_embed(
        "Shared with linked platforms",
        f"From **{origin.name}**. Each copy arrives in the platform's inbox with a thread for "
        "responses; the author is named only if they chose `/privacy visible`.",
        fields=fields,
        tone=Tone.SUCCESS,
    )
