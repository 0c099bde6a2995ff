"""``copbot demo``: the real bot against the sandbox, a scripted session, a readable transcript.

Each feature adds a scene to :data:`SCENES`. A scene plays members typing commands and prints
what they typed and what the bot answered.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import re
import tempfile
import textwrap
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.client import CopBot, start_until_ready
from bot.config import Settings, configure_logging
from bot.sandbox import Channel, Guild, Member, Message, Sandbox, SandboxInteraction
from bot.sandbox.sample import SampleCommunity, build_sample_community
from storage import contributions as log_queries
from storage.db import Database

WIDTH = 96


MENTION = re.compile(r"<@(&?)(\d+)>")
TIMESTAMP = re.compile(r"<t:(\d+)(?::[tTdDfFR])?>")


class Transcript:
    """Prints who typed what and what the bot answered, as a reader would want to see it."""

    def __init__(self, write: Callable[[str], None] = print) -> None:
        self.write = write
        self.guild: Guild | None = None  # to show mentions as names

    def readable(self, text: str) -> str:
        guild = self.guild

        def name(match: re.Match[str]) -> str:
            target_id = int(match.group(2))
            if guild is not None and match.group(1):
                role = guild.get_role(target_id)
                return f"@{role.name}" if role else match.group(0)
            member = guild.get_member(target_id) if guild is not None else None
            return f"@{member.display_name}" if member else match.group(0)

        def moment(match: re.Match[str]) -> str:
            return datetime.fromtimestamp(int(match.group(1)), UTC).strftime("%d %b %Y")

        return TIMESTAMP.sub(moment, MENTION.sub(name, text))

    def heading(self, title: str) -> None:
        self.write("")
        self.write(f"── {title} " + "─" * max(0, WIDTH - len(title) - 4))

    def note(self, text: str) -> None:
        for line in textwrap.wrap(text, WIDTH - 2):
            self.write(f"  {line}")

    def typed(
        self, member: Member, channel: Channel, command: str, options: dict[str, Any]
    ) -> None:
        shown = " ".join(f"{name}:{_option_text(value)}" for name, value in options.items())
        self.write(f"\n#{channel.name}  {member.display_name}: /{command} {shown}".rstrip())

    def said(self, member: Member, channel: Channel, content: str, reply_to: Member | None) -> None:
        to = f" (replying to {reply_to.display_name})" if reply_to is not None else ""
        self.write(f"\n#{channel.name}  {member.display_name}{to}: {content}")

    def table(self, header: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
        widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
        for row in [header, *rows]:
            cells = [
                str(cell).ljust(w) if i == 0 else str(cell).rjust(w)
                for i, (cell, w) in enumerate(zip(row, widths, strict=True))
            ]
            self.write("  " + "  ".join(cells))

    def answered(self, itx: SandboxInteraction) -> None:
        who = "copbot (only you can see this)" if itx.ephemeral else "copbot"
        self.write(f"  ↳ {who}:")
        for paragraph in self.readable(itx.text()).splitlines():
            for line in textwrap.wrap(paragraph, WIDTH - 6) or [""]:
                self.write(f"      {line}")


def _option_text(value: Any) -> str:
    if isinstance(value, tuple):  # an attached file: (filename, bytes)
        return f"📎{value[0]}"
    if hasattr(value, "display_name"):
        return f"@{value.display_name}"
    if hasattr(value, "name") and hasattr(value, "id"):
        return f"@{value.name}"
    if isinstance(value, str) and " " in value:
        return f'"{value}"'
    return str(value)


@dataclasses.dataclass
class Scene:
    sandbox: Sandbox
    community: SampleCommunity
    transcript: Transcript
    bot: CopBot

    async def say(
        self, actor: Member, content: str, channel: str = "general", reply_to: Message | None = None
    ) -> Message:
        where = self.community.channels[channel]
        replied = self.community.guild.get_member(reply_to.author.id) if reply_to else None
        self.transcript.said(actor, where, content, replied)
        return await self.sandbox.send_message(actor, where, content, reply_to=reply_to)

    async def logged(
        self, *, messages: int, reactions: int
    ) -> list[tuple[str | None, dict[str, int]]]:
        """The log's totals once it holds what was said (the gateway delivers it a moment later)."""
        totals: list[tuple[str | None, dict[str, int]]] = []
        for _ in range(100):
            await self.bot.contribution_writer.flush()
            async with self.bot.db.session() as session:
                totals = await log_queries.totals_by_organisation(session, self.community.guild.id)
            held = [sum(counts[key] for _, counts in totals) for key in ("messages", "reactions")]
            if held == [messages, reactions]:
                break
            await asyncio.sleep(0.05)
        return totals

    async def slash(
        self, actor: Member, command: str, /, channel: str = "general", **options: Any
    ) -> SandboxInteraction:
        where = self.community.channels[channel]
        self.transcript.typed(actor, where, command, options)
        itx = await self.sandbox.slash(actor, where, command, **options)
        if itx.deferred:  # the bot said "thinking…": its answer comes as a follow-up
            await itx.wait_for_followup()
        self.transcript.answered(itx)
        return itx


async def scene_foundation(scene: Scene) -> None:
    community = scene.community
    owner = community.guild.get_member(community.owner.id)
    assert owner is not None
    people = [m for m in community.members if not m.roles and m.id != community.owner.id]
    newcomer, curious = people[0], people[1]
    moderator = next(m for m in community.members if community.moderators_role in m.roles)

    scene.transcript.heading("Setting up the community")
    scene.transcript.note(
        f"{newcomer.display_name} is new and wants to know what the bot keeps about people."
    )
    await scene.slash(newcomer, "about")
    scene.transcript.note(
        f"{curious.display_name} tries to make themself a moderator. The bot says no, and why."
    )
    await scene.slash(curious, "settings roles", moderator=community.moderators_role)
    scene.transcript.note(f"{owner.display_name}, who owns the server, names the staff roles.")
    await scene.slash(
        owner,
        "settings roles",
        moderator=community.moderators_role,
        coordinator=community.coordinators_role,
    )
    scene.transcript.note(f"{moderator.display_name}, a moderator, sets the community's time zone.")
    await scene.slash(moderator, "settings timezone", name="Europe/Amsterdm")
    await scene.slash(moderator, "settings timezone", name="Europe/Amsterdam")
    await scene.slash(newcomer, "settings show")


# The organisations of the sample community, as a coordinator's spreadsheet would list them.
ORGANISATIONS_CSV = """name,stakeholder,level,country,website,cop_status
IRC WASH,civil society,international,Netherlands,ircwash.org,member
WaterAid,civil society,international,United Kingdom,wateraid.org,member
Aguaconsult,private sector,international,United Kingdom,aguaconsult.co.uk,applicant
"Ministry of Water, Burkina Faso",government,national,Burkina Faso,,
"Ministry of Water and Environment, Uganda",government,national,Uganda,,member
SNV,civil society,international,Netherlands,snv.org,
"Community Water and Sanitation Agency, Ghana",government,intermediate,Ghana,cwsa.gov.gh,member
Kenya Water Institute,research,national,Kenya,,
Akvo,private sector,international,Netherlands,akvo.org,
"""


async def scene_register(scene: Scene) -> None:
    community = scene.community
    priya = community.member("priya.raman")  # a moderator, from IRC WASH
    sofia = community.member("sofia.rossi")
    kwame = community.member("kwame.mensah")
    lena = community.member("lena.vogel")

    scene.transcript.heading("The member register: organisations and people")
    scene.transcript.note(
        f"{priya.display_name} imports the organisations from the coordinators' spreadsheet. "
        "Every row is checked before anything is saved."
    )
    await scene.slash(priya, "org import", file=("organisations.csv", ORGANISATIONS_CSV.encode()))
    scene.transcript.note(
        "She adds one more by hand, then types it again as if it were new: the bot sees they "
        "are the same."
    )
    await scene.slash(
        priya,
        "org create",
        name="Eau Vive",
        stakeholder="civil society",
        level="national",
        country="Burkina Faso",
    )
    await scene.slash(
        priya, "org create", name=" eau  vive", stakeholder="civil society", level="national"
    )
    scene.transcript.note(
        "Members say who they work for, at which level and on what, in one go or step by step."
    )
    await scene.slash(
        sofia,
        "profile set",
        organisation="IRC WASH",
        stakeholder="civil society",
        level="international",
        country="Italy",
        expertise="learning alliances, monitoring, sanitation",
    )
    await scene.slash(kwame, "profile set", organisation="Community Water and Sanitation Agency")
    await scene.slash(
        kwame, "profile set", organisation="Community Water and Sanitation Agency, Ghana"
    )
    await scene.slash(kwame, "profile set", stakeholder="government", level="intermediate")
    await scene.slash(lena, "org join", name="snv")
    scene.transcript.note(
        f"{lena.display_name} moves to another organisation: the old membership ends, it is not "
        "overwritten, so later figures credit each organisation for its own time."
    )
    await scene.slash(lena, "org join", name="Akvo")
    scene.transcript.note("IRC WASH names who speaks for it in the CoP; a moderator records it.")
    await scene.slash(priya, "org representative", name="IRC WASH", member=sofia, primary=True)
    await scene.slash(priya, "org admit", name="Kenya Water Institute")
    await scene.slash(kwame, "org show", name="IRC WASH")
    await scene.slash(kwame, "profile show", member=sofia)
    await scene.slash(kwame, "org list", level="international")


async def scene_conversation(scene: Scene) -> None:
    community = scene.community
    kwame = community.member("kwame.mensah")
    sofia = community.member("sofia.rossi")
    lena = community.member("lena.vogel")
    tendai = community.member("tendai.moyo")

    scene.transcript.heading("A conversation, and what the log keeps of it")
    question = await scene.say(
        kwame,
        "How do your district teams fund knowledge management when projects only pay for "
        "implementation?",
    )
    answer = await scene.say(
        sofia,
        "In Uganda the learning alliance wrote it into the district budget lines; the guideline "
        "is here: https://www.ircwash.org/resources/learning-alliances",
        reply_to=question,
    )
    await scene.say(lena, "Same at Akvo: we budget 5% of every project for it.", reply_to=question)
    await scene.sandbox.add_reaction(tendai, answer, "👍")
    scene.transcript.note(f"{tendai.display_name} reacts 👍 to {sofia.display_name}'s answer.")
    totals = await scene.logged(messages=3, reactions=1)
    scene.transcript.note(
        "The log keeps who, where, when and what kind, never the text. Counted so far, by the "
        "organisation each author belonged to at the time:"
    )
    kinds = ("messages", "reply", "answer", "question", "resource", "reactions")
    scene.transcript.table(
        ("organisation", *kinds),
        [
            (name or "(no organisation)", *(str(counts.get(k, 0)) for k in kinds))
            for name, counts in totals
        ],
    )
    scene.transcript.note(f"{kwame.display_name} checks what is kept about him.")
    await scene.slash(kwame, "privacy show")


SCENES: tuple[Callable[[Scene], Awaitable[None]], ...] = (
    scene_foundation,
    scene_register,
    scene_conversation,
)


async def run_demo(
    settings: Settings,
    *,
    keep_dir: str | None = None,
    transcript: Transcript | None = None,
) -> int:
    transcript = transcript or Transcript()
    # The transcript is the demo's output; log only what goes wrong.
    configure_logging("WARNING" if settings.log_level != "DEBUG" else "DEBUG")
    logging.getLogger().setLevel(
        logging.WARNING if settings.log_level != "DEBUG" else logging.DEBUG
    )
    with tempfile.TemporaryDirectory(prefix="copbot-demo-") as temporary:
        directory = Path(keep_dir) if keep_dir else Path(temporary)
        directory.mkdir(parents=True, exist_ok=True)
        database_url = f"sqlite+aiosqlite:///{directory / 'demo.sqlite3'}"
        async with Sandbox() as sandbox:
            community = build_sample_community(sandbox)
            transcript.guild = community.guild
            demo_settings = dataclasses.replace(
                settings,
                discord_token=community.bot.token,
                database_url=database_url,
                discord_api_base=sandbox.api_base,
                discord_gateway_url=sandbox.gateway_url,
                dev_guild_id=None,
            )
            transcript.heading("copbot demo")
            transcript.note(
                f"A local Discord is running at {sandbox.api_base}. It holds the server "
                f"“{community.guild.name}” with {len(community.members)} members from "
                f"{len(community.organisations)} organisations. The real bot connects to it "
                f"with a fresh SQLite database ({database_url})."
            )
            db = Database.connect(database_url)
            bot = CopBot(demo_settings, db, guild_ready_timeout=0.05)
            runner = await start_until_ready(bot, community.bot.token)
            try:
                commands = sorted(c["name"] for c in sandbox.commands())
                transcript.note(
                    f"copbot logged in as {bot.user} and registered its commands: "
                    + ", ".join(f"/{name}" for name in commands)
                    + "."
                )
                scene = Scene(sandbox, community, transcript, bot)
                for play in SCENES:
                    await play(scene)
            finally:
                await bot.close()
                await runner
                await db.dispose()
        transcript.heading("The end")
        transcript.note(
            "That was the real bot, unmodified, talking to a local Discord. Run it for real with "
            "`copbot run` (see the README)."
            + (f" The demo's database is kept in {directory}." if keep_dir else "")
        )
    return 0
