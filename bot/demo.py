"""``copbot demo``: the real bot against the sandbox, a scripted session, a readable transcript.

Each feature adds a scene to :data:`SCENES`. A scene plays members typing commands and prints
what they typed and what the bot answered.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import dataclasses
import io
import logging
import re
import tempfile
import textwrap
import zipfile
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.cafe.text import format_seat_summary
from bot.client import CopBot, start_until_ready
from bot.config import Settings, configure_logging
from bot.sandbox import Channel, Guild, Member, Message, Sandbox, SandboxInteraction
from bot.sandbox.errors import SandboxTimeout
from bot.sandbox.interactions import message_text
from bot.sandbox.models import walk_components
from bot.sandbox.sample import SampleCommunity, build_alliance
from cogs.privacy import KEEP_TEXTS_LABEL
from storage import cafes as cafe_queries
from storage import contributions as log_queries
from storage import prompts as prompt_queries
from storage.db import Database

WIDTH = 96
DATABASE_NAME = "demo.sqlite3"
SQLITE_SIDE = ("-wal", "-shm", "-journal")  # files SQLite keeps next to a database
ANSWER_WAIT = 15.0  # seconds: a café round opens several threads before the bot answers


MENTION = re.compile(r"<@(&?)(\d+)>")
TIMESTAMP = re.compile(r"<t:(\d+)(?::([tTdDfFR]))?>")
CHANNEL_MENTION = re.compile(r"<#(\d+)>")


class Transcript:
    """Prints who typed what and what the bot answered, as a reader would want to see it."""

    def __init__(self, write: Callable[[str], None] = print) -> None:
        self.write = write
        self.guild: Guild | None = None  # the demo's community: to show mentions as names
        # The other servers of the alliance scene: mentions there too, and places by server.
        self.other_guilds: list[Guild] = []

    def _guilds(self) -> list[Guild]:
        return ([self.guild] if self.guild is not None else []) + self.other_guilds

    def readable(self, text: str) -> str:
        guilds = self._guilds()

        def name(match: re.Match[str]) -> str:
            target_id = int(match.group(2))
            for guild in guilds:
                if match.group(1):
                    role = guild.get_role(target_id)
                    if role is not None:
                        return f"@{role.name}"
                    continue
                member = guild.get_member(target_id)
                if member is not None:
                    return f"@{member.display_name}"
            return match.group(0)

        def moment(match: re.Match[str]) -> str:
            when = datetime.fromtimestamp(int(match.group(1)), UTC)
            if match.group(2) == "R":  # Discord shows "in 3 days" to the reader
                return _relative(when - datetime.now(UTC))
            return when.strftime("%d %b %Y")

        def channel(match: re.Match[str]) -> str:
            for guild in guilds:
                found = guild.get_channel(int(match.group(1)))
                if found is not None:
                    return f"#{_short(found.name or '')}"
            return match.group(0)

        return CHANNEL_MENTION.sub(channel, TIMESTAMP.sub(moment, MENTION.sub(name, text)))

    def place(self, channel: Channel) -> str:
        """Where something happened: the channel, with its server when it is not the
        community's own (the alliance scene has three)."""
        where = _place(channel)
        guild = channel.guild
        if guild is None or self.guild is None or guild.id == self.guild.id:
            return where
        return f"[{_short(guild.name)}] {where}"

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
        self.write(f"\n{self.place(channel)}  {member.display_name}: /{command} {shown}".rstrip())

    def said(self, member: Member, channel: Channel, content: str, reply_to: Member | None) -> None:
        to = f" (replying to {reply_to.display_name})" if reply_to is not None else ""
        self.write(f"\n{self.place(channel)}  {member.display_name}{to}: {content}")

    def clicked(self, member: Member, channel: Channel, label: str) -> None:
        self.write(f"\n{self.place(channel)}  {member.display_name} clicks [{label}]")

    def used_app(self, member: Member, message: Message, name: str) -> None:
        self.write(
            f"\n{self.place(message.channel)}  {member.display_name}: Apps › {name} "
            f"(on {message.author.display_name}'s message)"
        )

    def filled_in(self, member: Member, form: str, values: dict[str, str]) -> None:
        shown = " ".join(f'{name}:"{value}"' for name, value in values.items())
        self.write(f"  {member.display_name} fills in “{form}”: {shown}")

    def posted(self, message: Message, *, lines: int | None = None) -> None:
        """A message the bot posted in a channel, cut after ``lines`` lines if given."""
        self.write(f"\n{self.place(message.channel)}  copbot posted:")
        self._block(message_text(message), lines)
        buttons = [
            f"[{c['label']}]"
            for c in walk_components(message.components)
            if c.get("type") == 2 and c.get("label")
        ]
        if buttons:
            self.write("      " + " ".join(buttons))
        for attachment in message.attachments:
            self.write(f"      📎 {attachment.filename}")

    def _block(self, text: str, lines: int | None = None) -> None:
        wrapped = [
            line
            for paragraph in self.readable(text).splitlines()
            for line in textwrap.wrap(paragraph, WIDTH - 6) or [""]
        ]
        kept = wrapped if lines is None else wrapped[:lines]
        for line in kept:
            self.write(f"      {line}")
        if len(kept) < len(wrapped):
            self.write(f"      … ({len(wrapped) - len(kept)} more lines)")

    def direct_message(
        self, recipient: Member, message: Message, *, lines: int | None = None
    ) -> None:
        """A direct message the bot sent, cut after ``lines`` lines if given."""
        self.write(f"\n✉ copbot to {recipient.display_name}, by direct message:")
        self._block(message_text(message), lines)

    def table(self, header: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> None:
        widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
        for row in [header, *rows]:
            cells = [
                str(cell).ljust(w) if i == 0 else str(cell).rjust(w)
                for i, (cell, w) in enumerate(zip(row, widths, strict=True))
            ]
            self.write("  " + "  ".join(cells))

    def answered(self, itx: SandboxInteraction) -> None:
        if itx.modal is not None:
            self.write(f"  ↳ copbot opens a form: “{itx.modal.get('title', '')}”")
            return
        who = "copbot (only you can see this)" if itx.ephemeral else "copbot"
        self.write(f"  ↳ {who}:")
        self._block(itx.text())
        for message in itx.messages():
            for attachment in message.attachments:
                self.write(f"      📎 {attachment.filename}")


def _short(name: str) -> str:
    return textwrap.shorten(name, 30, placeholder="…")


def _place(channel: Channel) -> str:
    """``#general``, or ``#cafe › R1 · Table 2 · What…`` for a thread (its name cut short)."""
    if channel.is_thread and channel.parent is not None:
        return f"#{channel.parent.name} › {_short(channel.name or '')}"
    return f"#{channel.name}"


def _relative(delta: timedelta) -> str:
    """As Discord shows a relative time: "in 5 days", "20 minutes ago"."""
    seconds = abs(delta.total_seconds())
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = round(seconds / size)
            amount = f"{count} {unit}{'' if count == 1 else 's'}"
            break
    else:
        return "now"
    return f"in {amount}" if delta.total_seconds() > 0 else f"{amount} ago"


def _option_text(value: Any) -> str:
    if isinstance(value, tuple):  # an attached file: (filename, bytes)
        return f"📎{value[0]}"
    if isinstance(value, Channel):
        return f"#{value.name}"
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
    files: Path
    """The demo's folder: every file it makes is saved under it, in a folder per scene."""
    saved: list[Path] = dataclasses.field(default_factory=list)
    """Every file saved so far, in order, for the list at the end."""
    others: tuple[SampleCommunity, ...] = ()
    """The other servers of the alliance scene (Kisumu's and Nakuru's district platforms)."""

    def keep(self, folder: str, name: str, data: bytes) -> Path:
        """Save ``data`` as ``folder/name`` in the demo's folder."""
        path = self.files / folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        self.saved.append(path)
        return path

    def where(self, channel: str | Channel) -> Channel:
        return self.community.channels[channel] if isinstance(channel, str) else channel

    async def say(
        self,
        actor: Member,
        content: str,
        channel: str | Channel = "general",
        reply_to: Message | None = None,
    ) -> Message:
        where = self.where(channel)
        replied = self.community.guild.get_member(reply_to.author.id) if reply_to else None
        self.transcript.said(actor, where, content, replied)
        return await self.sandbox.send_message(actor, where, content, reply_to=reply_to)

    async def logged(self, **expected: int) -> list[tuple[str | None, dict[str, int]]]:
        """The log's totals by organisation once they add up to ``expected`` for each kind
        ("messages", "answer", "reactions" ...): the gateway delivers what was said a moment
        later. With nothing expected, the totals as they are."""
        totals: list[tuple[str | None, dict[str, int]]] = []
        for _ in range(100):
            await self.bot.contribution_writer.flush()
            async with self.bot.db.session() as session:
                totals = await log_queries.totals_by_organisation(session, self.community.guild.id)
            held = {kind: sum(counts.get(kind, 0) for _, counts in totals) for kind in expected}
            if held == expected:
                break
            await asyncio.sleep(0.05)
        return totals

    async def slash(
        self,
        actor: Member,
        command: str,
        /,
        channel: str | Channel = "general",
        _options: dict[str, Any] | None = None,
        **options: Any,
    ) -> SandboxInteraction:
        """Type ``/command`` in ``channel``; a command's own ``channel`` option goes in
        ``_options``, as with the sandbox's slash."""
        where = self.where(channel)
        options = {**(_options or {}), **options}
        self.transcript.typed(actor, where, command, options)
        itx = await self.sandbox.slash(actor, where, command, timeout=ANSWER_WAIT, **options)
        return await self._answered(itx)

    async def click(
        self, actor: Member, message: Message, label: str, *, quietly: bool = False
    ) -> SandboxInteraction:
        """Click the button labelled ``label``; ``quietly`` leaves it out of the transcript."""
        if not quietly:
            self.transcript.clicked(actor, message.channel, label)
        itx = await self.sandbox.click(actor, message, _button(message, label), timeout=ANSWER_WAIT)
        return itx if quietly else await self._answered(itx)

    async def fill_in(
        self, actor: Member, opened: SandboxInteraction, values: dict[str, str]
    ) -> SandboxInteraction:
        assert opened.modal is not None, opened.text()
        self.transcript.filled_in(actor, opened.modal.get("title", ""), values)
        itx = await self.sandbox.submit_modal(actor, opened, values, timeout=ANSWER_WAIT)
        return await self._answered(itx)

    async def app(self, actor: Member, message: Message, name: str) -> SandboxInteraction:
        """A message command from the message's Apps menu."""
        self.transcript.used_app(actor, message, name)
        itx = await self.sandbox.context_menu(actor, message, name, timeout=ANSWER_WAIT)
        return await self._answered(itx)

    async def _answered(self, itx: SandboxInteraction) -> SandboxInteraction:
        if itx.deferred:  # the bot said "thinking…": a follow-up, or the answer edited in
            await itx.final_text(timeout=ANSWER_WAIT)
        self.transcript.answered(itx)
        return itx


def _button(message: Message, label: str) -> str:
    for component in walk_components(message.components):
        if component.get("type") == 2 and component.get("label") == label:
            return str(component["custom_id"])
    raise LookupError(f"no button {label!r} on message {message.id}")


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
    sheet = ORGANISATIONS_CSV.encode()
    scene.keep("spreadsheets", "organisations.csv", sheet)
    await scene.slash(priya, "org import", file=("organisations.csv", sheet))
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
        "The bot's log keeps who said something, where, when and what kind of contribution it "
        "was, never the words. Counted so far, by the organisation each person belonged to at "
        "the time (a message with a link or a file counts as a resource shared):"
    )
    kinds = ("messages", "reply", "answer", "question", "resource", "reactions")
    shown = ("messages", "replies", "answers", "questions", "resources", "reactions")
    scene.transcript.table(
        ("organisation", *shown),
        [
            (name or "(no organisation)", *(str(counts.get(k, 0)) for k in kinds))
            for name, counts in totals
        ],
    )
    scene.transcript.note(f"{kwame.display_name} checks what is kept about him.")
    await scene.slash(kwame, "privacy show")


# The organisations the register still lacks, as the coordinators' spreadsheet lists them.
MORE_ORGANISATIONS_CSV = """name,stakeholder,level,country,website,cop_status
Agua para Todos,civil society,national,Bolivia,,
UNICEF WASH,donor,international,,unicef.org,member
Water.org,civil society,international,United States,water.org,
JICA,donor,international,Japan,jica.go.jp,
"Ministry of Water and Sanitation, Malawi",government,national,Malawi,,member
"Ministry of Water Resources, Sierra Leone",government,national,Sierra Leone,,
"""

CAFE_TITLE = "Sharing what we learn across the learning alliance"
CAFE_QUESTIONS = (
    "What stops knowledge from flowing between district and national level in our alliance?",
    "What could a resource centre do as the 'spider' that links the alliance's platforms?",
    "What will your organisation do in the next six months to share what it learns?",
)
CAFE_HOSTS = ("sofia.rossi", "samuel.okello", "daniel.kimani", "ana.pereira")
CAFE_TRAVELLERS = (
    "kwame.mensah",
    "lena.vogel",
    "tendai.moyo",
    "maria.lopez",
    "ahmed.hassan",
    "aisha.bello",
    "tom.becker",
    "ngozi.eze",
    "rahul.sharma",
    "claire.dubois",
    "emma.jansen",
    "hiroshi.tanaka",
    "grace.banda",
    "miriam.tesfaye",
    "yaw.boateng",
    "peter.njoroge",
    "moussa.traore",
    "zainab.sesay",
    "fatima.ouedraogo",
    "erik.larsen",
)
# What people say at the tables, by round and by the speaker's stakeholder group. The seating is
# planned afresh each run, so a line goes to whoever of that group sits at the table.
TABLE_TALK: dict[int, dict[str, str]] = {
    1: {
        "government": "Our district water officers send reports up every quarter; no analysis "
        "ever comes back down to them.",
        "civil society": "We run learning events, but different people come each time, so "
        "nothing builds up.",
        "research": "Our studies end up as PDFs on a website; district staff tell us they never "
        "see them.",
        "private sector": "When a project closes, its monitoring data leaves with the "
        "consultants' laptops.",
        "donor": "We pay for documentation, but rarely for the time it takes to read and use it.",
    },
    2: {
        "government": "If a resource centre turned our district data into a one-page brief each "
        "quarter, we would send better data.",
        "civil society": "It could keep one calendar of every platform's meetings, so districts "
        "and ministries stop meeting in parallel.",
        "research": "It could hold the alliance's documents and data so they outlive each project.",
        "private sector": "It could broker exchange visits between districts: they learn more "
        "from each other than from us.",
        "donor": "Five years of a resource centre cost less than the duplicated studies we fund.",
    },
    3: {
        "government": "We will put a knowledge-sharing line into next year's district budgets.",
        "civil society": "We will publish our monitoring data openly and bring district staff to "
        "the national learning days.",
        "research": "Every study we finish gets a two-page summary written for district staff.",
        "private sector": "At the end of every contract we hand over the project data in an open "
        "format.",
        "donor": "Our next call for proposals will fund facilitation time, not only reports.",
    },
}
CARRIED_IDEA = (
    "At my last table we found that reports go up and nothing comes back down. A resource "
    "centre could close that loop."
)
ROUND_ONE_NOTE = (
    "Knowledge leaves with projects and people, and nothing comes back down to the districts: "
    "we need a feedback loop, not more reports."
)
ROUND_TWO_NOTE = "A resource centre as broker: one calendar, district briefs, exchange visits."
ROUND_THREE_NOTE = (
    "Commitments: KM budget lines, open data at contract end, summaries for districts."
)


# People who named their organisation themselves in the register scene: the spreadsheet is older.
SET_THEIR_OWN = ("sofia.rossi", "kwame.mensah", "lena.vogel")


def _members_csv(community: SampleCommunity) -> bytes:
    """Who works where, for the members whose organisation is in the register by now."""
    registered = {"Eau Vive"} | {
        row["name"]
        for sheet in (ORGANISATIONS_CSV, MORE_ORGANISATIONS_CSV)
        for row in csv.DictReader(io.StringIO(sheet))
    }
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(("user_id", "display_name", "organisation"))
    for organisation, people in community.organisations.items():
        if organisation in registered:
            writer.writerows(
                (m.id, m.display_name, organisation)
                for m in people
                if m.user.name not in SET_THEIR_OWN
            )
    return out.getvalue().encode()


@dataclasses.dataclass
class CafeTables:
    """The café as members see it in the sandbox: its channel, threads and who sits where."""

    scene: Scene
    hosts: list[Member]
    # What the planner mixes, as the register holds it: user id -> (organisation, group, level)
    facts: dict[int, tuple[str | None, str | None, str | None]] = dataclasses.field(
        default_factory=dict
    )

    async def read_register(self, people: list[Member]) -> None:
        async with self.scene.bot.db.session() as session:
            self.facts = await cafe_queries.seating_facts(
                session, self.scene.community.guild.id, [m.id for m in people]
            )

    def organisation(self, member: Member) -> str | None:
        return self.facts.get(member.id, (None, None, None))[0]

    def group(self, member: Member) -> str | None:
        return self.facts.get(member.id, (None, None, None))[1]

    @property
    def channel(self) -> Channel:
        return self.scene.community.channels["cafe"]

    def signup(self) -> Message:
        return next(
            m
            for m in reversed(self.channel.messages)
            if m.embeds and m.embeds[0].get("title", "").startswith("World Café")
        )

    def listing(self, round_number: int) -> Message:
        return next(
            m
            for m in reversed(self.channel.messages)
            if m.embeds and f"round {round_number} of" in m.embeds[0].get("title", "")
        )

    def threads(self, round_number: int) -> list[Channel]:
        found = [
            t for t in self.channel.threads if (t.name or "").startswith(f"R{round_number} · ")
        ]
        return sorted(
            found, key=lambda t: int((t.name or "").split(" · ")[1].removeprefix("Table "))
        )

    def seated(self, thread: Channel) -> list[Member]:
        guild = self.scene.community.guild
        people = [guild.get_member(user.id) for user in thread.messages[0].mentions]
        return [m for m in people if m is not None]

    def host_of(self, thread: Channel) -> Member:
        return next(m for m in self.seated(thread) if m in self.hosts)

    def describe(self, round_number: int, previous: dict[int, int] | None = None) -> None:
        """One line per table: who sits there, and how mixed the table is."""
        for number, thread in enumerate(self.threads(round_number), start=1):
            people = self.seated(thread)
            host = self.host_of(thread)
            travellers = [m for m in people if m is not host]
            organisations = {self.organisation(m) for m in people}
            groups = {self.group(m) for m in people}
            if previous is None:
                who = f"host {host.display_name}; " + ", ".join(m.display_name for m in travellers)
            else:
                host_moved = "stays" if previous.get(host.id) == number else "moved (!)"
                came_from = sorted({previous[m.id] for m in travellers if m.id in previous})
                sat_here = sum(1 for m in travellers if previous.get(m.id) == number)
                who = (
                    f"host {host.display_name} {host_moved}; {len(travellers)} travellers from "
                    f"tables {', '.join(map(str, came_from))}"
                    + (f" ({sat_here} stayed)" if sat_here else "")
                )
            self.scene.transcript.note(
                f"Table {number}: {who} · {len(organisations)} organisations, "
                f"{len(groups)} stakeholder groups"
            )

    def tables_of(self, round_number: int) -> dict[int, int]:
        return {
            m.id: number
            for number, thread in enumerate(self.threads(round_number), start=1)
            for m in self.seated(thread)
        }

    async def talk(
        self, round_number: int, thread: Channel, lines: int, *, besides: Member | None = None
    ) -> list[tuple[Member, Message]]:
        """Travellers of different stakeholder groups (``besides`` not) say their round's line."""
        said: list[tuple[Member, Message]] = []
        travellers = [m for m in self.seated(thread) if m not in (*self.hosts, besides)]
        for group, line in TABLE_TALK[round_number].items():
            speaker = next((m for m in travellers if self.group(m) == group), None)
            if speaker is not None and len(said) < lines:
                said.append((speaker, await self.scene.say(speaker, line, channel=thread)))
        return said


async def scene_cafe(scene: Scene) -> None:
    community = scene.community
    transcript = scene.transcript
    nkosi = community.member("nkosi.dlamini")  # a moderator
    priya = community.member("priya.raman")
    cafe = CafeTables(scene, [community.member(name) for name in CAFE_HOSTS])
    travellers = [community.member(name) for name in CAFE_TRAVELLERS]
    everyone = [*cafe.hosts, *travellers]

    transcript.heading("A World Café: 24 members, 4 tables, 3 rounds, and the harvest")
    transcript.note(
        f"{priya.display_name} completes the register from the spreadsheets first, so that the "
        "seating can mix organisations and stakeholder groups."
    )
    more = MORE_ORGANISATIONS_CSV.encode()
    scene.keep("spreadsheets", "more-organisations.csv", more)
    await scene.slash(priya, "org import", file=("more-organisations.csv", more))
    people = _members_csv(community)
    scene.keep("spreadsheets", "members.csv", people)
    await scene.slash(priya, "profile import", file=("members.csv", people))
    transcript.note(
        f"{nkosi.display_name}, a moderator, plans a café in #cafe: three rounds of 20 minutes at "
        "four tables, one question per round."
    )
    await scene.slash(
        nkosi,
        "cafe create",
        channel="cafe",
        title=CAFE_TITLE,
        questions=" | ".join(CAFE_QUESTIONS),
        rounds=3,
        round_minutes=20,
        tables=4,
    )
    transcript.posted(cafe.signup(), lines=13)

    await cafe.read_register(everyone)
    organisations = {cafe.organisation(m) for m in everyone}
    transcript.note(
        f"{len(everyone)} members from {len(organisations)} organisations sign up with the "
        "buttons. The first:"
    )
    await scene.click(travellers[0], cafe.signup(), "Join")
    for member in travellers[1:]:
        itx = await scene.click(member, cafe.signup(), "Join", quietly=True)
        if "signed up" not in itx.text():
            transcript.answered(itx)
    transcript.note(
        f"… {len(travellers) - 1} more click Join. {len(cafe.hosts)} offer to host a table:"
    )
    await scene.click(cafe.hosts[0], cafe.signup(), "Host a table")
    for member in cafe.hosts[1:]:
        itx = await scene.click(member, cafe.signup(), "Host a table", quietly=True)
        if "You host table" not in itx.text():
            transcript.answered(itx)
    # The bot answers each click first and updates the sign-up message after.
    signed_up = format_seat_summary(len(travellers) + len(cafe.hosts), len(cafe.hosts))
    await scene.sandbox.wait_until(
        lambda: signed_up in cafe.signup().embeds[0]["description"], timeout=ANSWER_WAIT
    )
    transcript.note(f"The sign-up message now says **{signed_up}**.")

    transcript.note(
        f"{nkosi.display_name} previews the seating. Next to each number the bot says how low "
        "it could possibly go with these people, so a moderator can see the plan is as good as "
        "it gets."
    )
    _save(scene, await scene.slash(nkosi, "cafe plan", channel="cafe"), "cafe")
    transcript.note(
        "Why must some people meet twice? The hosts stay at their tables, so the five travellers "
        "who arrive at a table come from only four other tables: some of them sat together "
        "before. “Cannot go below” is how many such meetings no seating could avoid."
    )
    await scene.slash(nkosi, "cafe start", channel="cafe")
    transcript.posted(cafe.listing(1))
    transcript.note(
        "Each table gets its own thread. The bot seated people so that every table mixes "
        "organisations and stakeholder groups:"
    )
    cafe.describe(1)
    traveller = travellers[0]
    transcript.note(f"{traveller.display_name} asks where to go.")
    await scene.slash(traveller, "cafe status", channel="cafe")

    first, second = cafe.threads(1)[:2]
    transcript.note("At table 1 the travellers introduce themselves and answer the question.")
    said = await cafe.talk(1, first, lines=3)
    host = cafe.host_of(first)
    await scene.slash(host, "cafe note", channel=first, text=ROUND_ONE_NOTE)
    transcript.note(f"{host.display_name} marks a line for the harvest.")
    await scene.app(host, said[0][1], "Add to harvest")
    await cafe.talk(1, second, lines=2)

    before = cafe.tables_of(1)
    await scene.slash(nkosi, "cafe next", channel="cafe")
    closed = [t for t in cafe.threads(1) if t.locked and t.archived]
    transcript.note(
        f"The {len(closed)} threads of round 1 are locked and archived: still there to read, "
        "closed to new messages. In round 2 the hosts stay and the travellers move on:"
    )
    cafe.describe(2, before)
    table_one = cafe.threads(2)[0]
    tablecloth = next(m for m in table_one.messages if ROUND_ONE_NOTE in m.content)
    transcript.note("Table 1's new travellers find the tablecloth of round 1 in their thread:")
    transcript.posted(tablecloth)

    seats = cafe.tables_of(2)
    carrier = next(m for m in cafe.seated(first) if m not in cafe.hosts and seats[m.id] != 1)
    now_at = seats[carrier.id]
    there = cafe.threads(2)[now_at - 1]
    transcript.note(f"{carrier.display_name} carries the idea from table 1 to table {now_at}.")
    await scene.say(carrier, CARRIED_IDEA, channel=there)
    await cafe.talk(2, there, lines=2, besides=carrier)
    table_two = cafe.threads(2)[1]
    host = cafe.host_of(table_two)
    transcript.note(
        f"{host.display_name} writes table 2's note with the button under the briefing."
    )
    opened = await scene.click(host, table_two.messages[0], "Add to tablecloth")
    await scene.fill_in(host, opened, {"note": ROUND_TWO_NOTE})

    before = cafe.tables_of(2)
    await scene.slash(nkosi, "cafe next", channel="cafe")
    transcript.note("Round 3 opens the same way:")
    cafe.describe(3, before)
    third = cafe.threads(3)[2]
    said = await cafe.talk(3, third, lines=2)
    await scene.slash(said[-1][0], "cafe note", channel=third, text=ROUND_THREE_NOTE)
    caller = said[0][0]
    transcript.note(f"Table 3 would like the facilitator to join: {caller.display_name} asks.")
    await scene.click(caller, third.messages[0], "Call the facilitator")
    call = next(
        m for m in reversed(cafe.channel.messages) if "asks for the facilitator" in m.content
    )
    transcript.posted(call)

    already = len(cafe.channel.messages)
    transcript.note("The third /cafe next ends the last round: the harvest.")
    await scene.slash(nkosi, "cafe next", channel="cafe")
    harvest = [
        m for m in cafe.channel.messages[already:] if m.author.bot and m.type == 0 and m.content
    ]
    files = [a.filename for m in harvest for a in m.attachments]
    for message in harvest:
        for attachment in message.attachments:
            scene.keep("cafe", attachment.filename, attachment.data)
    transcript.note(
        f"The harvest is posted in #cafe as {len(harvest)} messages, the last with the whole "
        f"harvest as a file, {', '.join(files) or '(none!)'}, that any text editor opens. "
        "Its first message:"
    )
    if harvest:
        transcript.posted(harvest[0], lines=24)
    reflection = [t.name for t in cafe.channel.threads if (t.name or "").startswith("Reflection")]
    transcript.note(
        "A thread for the closing reflection is open: "
        + (", ".join(f"“{name}”" for name in reflection) or "(none!)")
        + "."
    )


PROMPT_THEME = "Learning together"
# The moderators' questions, the member's suggestion, and how people from different
# organisations answer each: the rotation's order is shuffled per community, so any may come first.
ADDED_QUESTIONS = (
    "People hold on to what they know because knowledge is power. What made someone in your "
    "learning alliance share anyway?",
    "Projects pay for implementation, not for learning. How does your organisation pay for "
    "knowledge management?",
)
SUBMITTED_QUESTION = (
    "Should we set up new resource centres, or strengthen the ones already in universities and "
    "ministries? What has worked where you are?"
)
PROMPT_ANSWERS: dict[str, tuple[tuple[str, str], ...]] = {
    ADDED_QUESTIONS[0]: (
        (
            "grace.banda",
            "Our district officers started sharing once the national platform sent "
            "a summary back each quarter: something came back for what they gave.",
        ),
        (
            "hiroshi.tanaka",
            "Credit. We name every contributor in the alliance's report, and "
            "suddenly people want to be in it.",
        ),
        (
            "maria.lopez",
            "A shared failure: the same pumps broke in three municipalities, and "
            "nobody could afford to keep their notes to themselves.",
        ),
    ),
    ADDED_QUESTIONS[1]: (
        (
            "samuel.okello",
            "A small learning line in every district budget. It survives when the projects end.",
        ),
        (
            "ahmed.hassan",
            "We ask for 5–10% of each grant for documentation and reflection, and "
            "we check that it is spent.",
        ),
        (
            "emma.jansen",
            "Three projects co-fund our learning events, so no single project "
            "carries them and none can drop them.",
        ),
    ),
    SUBMITTED_QUESTION: (
        (
            "yaw.boateng",
            "Strengthen. Ours grew inside a university department and has outlived three projects.",
        ),
        (
            "claire.dubois",
            "A new centre spends its first two years finding an office and staff. "
            "Build on what exists.",
        ),
        (
            "rahul.sharma",
            "Link them: our partners use one centre for data and another for "
            "training, and the two never talk.",
        ),
    ),
}


async def scene_prompts(scene: Scene) -> None:
    community = scene.community
    transcript = scene.transcript
    priya = community.member("priya.raman")  # a moderator
    nkosi = community.member("nkosi.dlamini")  # a moderator
    daniel = community.member("daniel.kimani")  # Kenya Water Institute
    questions = community.channels["questions"]

    transcript.heading("Themed questions: a bank, a review, a schedule and a thread of answers")
    review = community.guild.create_text_channel("moderation", topic="For the moderators")
    await scene.sandbox.wait_until(lambda: scene.bot.get_channel(review.id) is not None)
    transcript.note(
        f"{priya.display_name} names the channel where members' questions wait for review, "
        f"then adds questions to the theme “{PROMPT_THEME}”."
    )
    await scene.slash(priya, "settings review-channel", _options={"channel": review})
    for text in ADDED_QUESTIONS:
        await scene.slash(priya, "prompt add", text=text, theme=PROMPT_THEME)
    transcript.note(f"{daniel.display_name} suggests one, and would like his name on it.")
    await scene.slash(
        daniel, "prompt submit", text=SUBMITTED_QUESTION, theme=PROMPT_THEME, credit=True
    )
    # The bot answers Daniel first, then posts the card for review.
    await scene.sandbox.wait_until(lambda: bool(review.messages), timeout=ANSWER_WAIT)
    card = review.messages[-1]
    transcript.posted(card)
    await scene.click(nkosi, card, "Approve")
    dm = scene.sandbox.dm_channel(community.bot, daniel.user)
    await scene.sandbox.wait_until(lambda: bool(dm.messages), timeout=ANSWER_WAIT)
    transcript.direct_message(daniel, dm.messages[-1])
    # The bot edits the card after it has answered the click: under load, after the message.
    with contextlib.suppress(SandboxTimeout):
        await scene.sandbox.wait_until(
            lambda: not walk_components(card.components), timeout=ANSWER_WAIT
        )
    title = card.embeds[0].get("title", "") if card.embeds else ""
    left = "buttons gone" if not walk_components(card.components) else "buttons still there (!)"
    transcript.note(f"The card in #{review.name} now reads “{title}”, its {left}.")

    transcript.note(
        f"{nkosi.display_name} schedules the theme for Monday mornings, in the community's time "
        "zone, and gets the next five dates to check."
    )
    schedule = await scene.slash(
        nkosi,
        "prompt schedule",
        _options={"channel": questions},
        when="weekly mon 09:00",
        theme=PROMPT_THEME,
    )
    await scene.slash(nkosi, "prompt schedules")

    saved = schedule.embeds[0].get("title", "") if schedule.embeds else ""
    number = int(match.group(1)) if (match := re.search(r"#(\d+)", saved)) else 0
    async with scene.bot.db.session() as session:
        found = await prompt_queries.get_prompt_schedule(session, community.guild.id, number)
    if found is None:
        transcript.note(f"(!) Schedule #{number} is not in the database.")
        return
    schedule_row = found[1].id
    now = scene.bot.scheduler.clock().replace(microsecond=0)
    zone = ZoneInfo(found[1].timezone)
    transcript.note(
        f"The demo cannot wait until Monday, so it has the bot post schedule #{number}'s "
        f"question now ({now.astimezone(zone):%H:%M} in {zone.key}), exactly as it will on "
        "Monday at 09:00:"
    )
    already = {m.id for m in questions.messages}
    await scene.bot.scheduler.fire(schedule_row, now)
    posted = [m for m in questions.messages if m.id not in already and m.embeds]
    if not posted:
        transcript.note("(!) Nothing was posted in #questions.")
        return
    transcript.posted(posted[0])
    alarm = scene.bot.scheduler.next_alarm(schedule_row)
    transcript.note(
        "Posting early does not move the schedule: its next question goes out on "
        + (f"{alarm.astimezone(zone):%a %d %b %Y, %H:%M}." if alarm else "no date (!).")
    )
    thread = posted[0].thread
    asked = next((q for q in PROMPT_ANSWERS if q in message_text(posted[0])), None)
    if thread is None or asked is None:
        transcript.note("(!) The question came without its answer thread.")
        return

    before = await scene.logged()
    answers_before = sum(counts.get("answer", 0) for _, counts in before)
    answers = PROMPT_ANSWERS[asked]
    transcript.note("Members from three organisations answer in its thread.")
    for username, text in answers:
        await scene.say(community.member(username), text, channel=thread)
    after = await scene.logged(answer=answers_before + len(answers))
    counted = dict(before)
    new = [
        (
            name or "(no organisation)",
            counts.get("answer", 0) - counted.get(name, {}).get("answer", 0),
        )
        for name, counts in after
    ]
    rows = [(name, str(count)) for name, count in new if count]
    transcript.note(
        f"The bot logs them as answers, without their words: "
        f"{sum(count for _, count in new)} new answers, by organisation:"
    )
    transcript.table(("organisation", "answers"), rows)


def _attached(itx: SandboxInteraction) -> tuple[str, bytes]:
    for message in itx.messages():
        for attachment in message.attachments:
            return attachment.filename, attachment.data
    raise LookupError(f"no file in the answer: {itx.text()}")


def _csv_rows(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))


# The columns of the contributions file the demo shows (the file has more: see its codebook).
SHOWN_CONTRIBUTION_COLUMNS = ("author", "organisation", "posted_at_local", "is_reply", "words")


async def scene_exports(scene: Scene) -> None:
    community = scene.community
    transcript = scene.transcript
    joao = community.member("joao.mendes")  # a coordinator
    sofia = community.member("sofia.rossi")

    transcript.heading("Exports for coordinators: the participation log as files")
    transcript.note(
        "Coordinators take the log to the steering group, the donors or a researcher. Exports "
        "are for coordinators only."
    )
    await scene.slash(sofia, "export contributions")
    transcript.note(
        f"{sofia.display_name} agrees to be named in exports. Everyone else stays a pseudonym: "
        "the same one in every export of this community, a different one in any other."
    )
    await scene.slash(sofia, "privacy visible", choice="on")
    transcript.note(f"{joao.display_name}, a coordinator, exports the contributions as CSV.")
    itx = await scene.slash(joao, "export contributions", names="visible")
    name, data = _attached(itx)
    scene.keep("exports", name, data)
    rows = _csv_rows(data)
    transcript.note(
        f"The first rows of {name}, {len(SHOWN_CONTRIBUTION_COLUMNS)} of its "
        f"{len(rows[0]) if rows else 0} columns. It holds no message text, and nothing that "
        "leads to a person's Discord account:"
    )
    transcript.table(
        SHOWN_CONTRIBUTION_COLUMNS,
        [tuple(row[column] for column in SHOWN_CONTRIBUTION_COLUMNS) for row in rows[:5]],
    )
    transcript.note(
        "Then everything at once, as one zip file: every kind of table, a codebook that says "
        "what each column means, and a README."
    )
    itx = await scene.slash(joao, "export all")
    name, data = _attached(itx)
    scene.keep("exports", name, data)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        codebook = _csv_rows(archive.read("codebook.csv"))
        files = archive.namelist()
    transcript.note(f"{name} holds {len(files)} files: {', '.join(files)}.")
    transcript.note("The first lines of codebook.csv:")
    transcript.table(
        ("file", "column", "type", "meaning"),
        [
            (row["file"], row["column"], row["type"], textwrap.shorten(row["meaning"], 44))
            for row in codebook[:6]
        ],
    )
    await scene.slash(joao, "export history")


def _save(scene: Scene, itx: SandboxInteraction, folder: str) -> list[Path]:
    """The files attached to the answer, saved in ``folder`` of the demo's folder."""
    return [
        scene.keep(folder, attachment.filename, attachment.data)
        for message in itx.messages()
        for attachment in message.attachments
    ]


async def scene_insights(scene: Scene) -> None:
    community = scene.community
    transcript = scene.transcript
    joao = community.member("joao.mendes")  # a coordinator
    sofia = community.member("sofia.rossi")

    transcript.heading("Insights: who shares, who stays silent, where the silos are")
    transcript.note(
        f"{sofia.display_name} looks at her own figures: only she sees them, each next to the "
        "community's median (half the members have more, half less)."
    )
    await scene.slash(sofia, "insights me")
    transcript.note(
        f"{joao.display_name}, a coordinator, looks at the community. Figures about fewer than "
        "3 people read “fewer than 3”; nobody is named who did not choose it."
    )
    charts = _save(scene, await scene.slash(joao, "insights community"), "insights")
    charts += _save(scene, await scene.slash(joao, "insights network"), "insights")
    await scene.slash(joao, "insights org", name="IRC WASH")
    report = _save(scene, await scene.slash(joao, "insights report"), "insights")
    transcript.note(
        f"The demo saves the {len(charts)} charts and the report with the other files it made "
        "(listed at the end). Open the report in a browser and print it to PDF for the "
        "steering group." + ("" if report else " (!) The report was not attached.")
    )


async def _confirm(scene: Scene, actor: Member, asked: SandboxInteraction, label: str) -> None:
    """Click ``label`` under the bot's question and show the answer it edits in."""
    message = asked.original
    if message is None:
        scene.transcript.note("(!) The bot asked nothing to confirm.")
        return
    scene.transcript.clicked(actor, message.channel, label)
    await scene.click(actor, message, label, quietly=True)
    # The bot answers the click at once and edits the outcome into its question later.
    await scene.sandbox.wait_until(
        lambda: not walk_components(message.components), timeout=ANSWER_WAIT
    )
    scene.transcript.write("  ↳ copbot (only you can see this), in place of its question:")
    scene.transcript._block(message_text(message))


async def scene_privacy(scene: Scene) -> None:
    community = scene.community
    transcript = scene.transcript
    lena = community.member("lena.vogel")
    peter = community.member("peter.njoroge")

    transcript.heading("Privacy: stepping out of the log, and being forgotten")
    transcript.note(
        f"{lena.display_name} would rather not be counted for a while. The bot asks before it "
        "deletes anything."
    )
    asked = await scene.slash(lena, "privacy optout")
    await _confirm(scene, lena, asked, "Confirm")
    transcript.note(f"A month later {lena.display_name} is happy to be counted again.")
    await scene.slash(lena, "privacy optin")
    transcript.note(
        f"{peter.display_name} is leaving the community and asks the bot to forget him. He "
        "is asked what should happen to any words he wrote for a café's tablecloth or harvest."
    )
    asked = await scene.slash(peter, "privacy forget")
    await _confirm(scene, peter, asked, KEEP_TEXTS_LABEL)


async def scene_tracking(scene: Scene) -> None:
    community = scene.community
    transcript = scene.transcript
    priya = community.member("priya.raman")  # a moderator
    grace = community.member("grace.banda")
    yaw = community.member("yaw.boateng")

    transcript.heading("Which channels count: tracking, and older messages")
    transcript.note(
        f"Until now the bot logged every channel it can read. {priya.display_name} limits the "
        "log to the channels where the community works. Café tables and question threads are "
        "always counted."
    )
    await scene.slash(priya, "settings track add", target=community.channels["general"])
    resources = community.guild.create_text_channel("resources", topic="Guides and tools")
    await scene.sandbox.wait_until(lambda: scene.bot.get_channel(resources.id) is not None)
    transcript.note(
        f"Members share guides in a new channel, #{resources.name}, that is not tracked yet: "
        "these messages are not counted."
    )
    await scene.say(
        grace, "Our district guide to budgeting for learning: https://example.org/guide", resources
    )
    await scene.say(yaw, "And the university's review of resource centres, attached.", resources)
    transcript.note(
        f"{priya.display_name} adds the channel, then asks the bot to read its older messages, "
        "so they count too. Running it again never counts a message twice."
    )
    await scene.slash(priya, "settings track add", target=resources)
    done = await scene.sandbox.slash(
        priya, community.channels["general"], "contributions backfill", channel=resources
    )
    transcript.typed(
        priya, community.channels["general"], "contributions backfill", {"channel": resources}
    )
    await scene.sandbox.wait_until(lambda: "Backfill done" in done.text(), timeout=ANSWER_WAIT)
    transcript.answered(done)


async def scene_roles(scene: Scene) -> None:
    community = scene.community
    transcript = scene.transcript
    nkosi = community.member("nkosi.dlamini")  # a moderator
    kwame = community.member("kwame.mensah")

    transcript.heading("Roles that follow the profiles")
    transcript.note(
        f"{nkosi.display_name} asks the bot to give every member a Discord role for their "
        "stakeholder group and level, so that members see each other's group at a glance "
        "and channels can be opened to one group. The roles change when a profile changes."
    )
    await scene.slash(nkosi, "settings rolesync", mode="on")
    roles = sorted(role.name for role in kwame.roles if role is not community.moderators_role)
    transcript.note(
        f"{kwame.display_name} now has the roles: " + (", ".join(roles) or "none (!)") + "."
    )


async def scene_recurring(scene: Scene) -> None:
    community = scene.community
    transcript = scene.transcript
    nkosi = community.member("nkosi.dlamini")  # a moderator

    transcript.heading("A café that comes back every month")
    transcript.note(
        f"The café worked, so {nkosi.display_name} plans one for the first Tuesday of every "
        "month at 14:00, community time. Members sign up now; each month it starts by itself."
    )
    await scene.slash(
        nkosi,
        "cafe create",
        channel="cafe",
        title="Monthly learning café",
        questions="What did you learn this month that others should know?",
        rounds=2,
        round_minutes=25,
        repeat="monthly first tue 14:00",
    )


# --- a learning alliance ----------------------------------------------------------------------

NATIONAL_PLATFORM = "Kenya WASH Learning Alliance"
KISUMU_PLATFORM = "Kisumu District Platform"
NAKURU_PLATFORM = "Nakuru District Platform"
ALLIANCE_CAFE = "Keeping rural water points running"
CODE = re.compile(r"copbot-link-[A-Za-z0-9_-]+")


def _copy_in(channel: Channel, title_start: str) -> Message | None:
    """The bot's copy of a shared item in an inbox, by its title."""
    for message in reversed(channel.messages):
        if message.embeds and (message.embeds[0].get("title") or "").startswith(title_start):
            return message
    return None


async def _wait_for_copy(scene: Scene, channel: Channel, title_start: str) -> Message | None:
    try:
        await scene.sandbox.wait_until(
            lambda: _copy_in(channel, title_start) is not None, timeout=ANSWER_WAIT
        )
    except SandboxTimeout:
        scene.transcript.note(f"(!) No copy arrived in #{channel.name}.")
        return None
    return _copy_in(channel, title_start)


async def _responses_recorded(scene: Scene, count: int) -> None:
    """Until the alliance holds ``count`` responses: a response is recorded a moment after it
    is posted."""
    home = scene.community.guild.id

    async def recorded() -> bool:
        now = datetime.now(UTC)
        found = await scene.bot.platforms.alliance(home, now - timedelta(days=1), now)
        return sum(flow.response for flow in found.flows) >= count

    for _ in range(100):
        if await recorded():
            return
        await asyncio.sleep(0.05)
    scene.transcript.note("(!) The response across the link was not recorded.")


async def _link(
    scene: Scene,
    inviter: Member,
    inviter_at: Channel,
    invited: Member,
    invited_at: Channel,
    relation: str,
) -> None:
    """``inviter`` asks for a code in their server; ``invited`` joins with it in theirs."""
    asked = await scene.slash(inviter, "platform invite", channel=inviter_at, relation=relation)
    found = CODE.search(asked.text())
    if found is None:
        scene.transcript.note("(!) The bot gave no code.")
        return
    scene.transcript.note(
        f"{inviter.display_name} sends the code to {invited.display_name} (by e-mail, say). "
        f"{invited.display_name} sees what the link means before saying yes."
    )
    preview = await scene.slash(invited, "platform join", channel=invited_at, code=found.group(0))
    await _confirm(scene, invited, preview, "Confirm")


async def _district_cafe(scene: Scene, server: SampleCommunity) -> None:
    """A short café of one table in a district server, ending in its harvest."""
    moderator = server.moderator
    cafe_channel = server.channels["cafe"]
    await scene.slash(
        moderator,
        "cafe create",
        channel=cafe_channel,
        title=ALLIANCE_CAFE,
        questions="What keeps a water point working after the project leaves?",
        rounds=1,
        round_minutes=20,
        tables=1,
    )
    signup = next(
        m
        for m in reversed(cafe_channel.messages)
        if m.embeds and (m.embeds[0].get("title") or "").startswith("World Café")
    )
    seated = [
        m
        for m in server.members
        if m.id not in (server.owner.id, moderator.id) and server.coordinators_role not in m.roles
    ][:4]
    scene.transcript.note(
        ", ".join(m.display_name for m in seated) + " sign up with the Join button."
    )
    for member in seated:
        await scene.click(member, signup, "Join", quietly=True)
    await scene.slash(moderator, "cafe start", channel=cafe_channel)
    await scene.sandbox.wait_until(
        lambda: any((t.name or "").startswith("R1 · ") for t in server.guild.threads),
        timeout=ANSWER_WAIT,
    )
    table = next(t for t in server.guild.threads if (t.name or "").startswith("R1 · "))
    said = await scene.say(
        seated[0],
        "Our ward committees keep a spare-parts kit and a trained caretaker per borehole: "
        "repairs went from three weeks to four days.",
        table,
    )
    await scene.app(moderator, said, "Add to harvest")
    await scene.slash(
        seated[1],
        "cafe note",
        channel=table,
        text="Tariffs collected monthly, not when a pump breaks, keep the kit stocked.",
    )
    await scene.slash(moderator, "cafe end", channel=cafe_channel)


async def scene_alliance(scene: Scene) -> None:
    transcript = scene.transcript
    home = scene.community
    kisumu, nakuru = scene.others
    nkosi = home.member("nkosi.dlamini")  # a moderator of the national server
    joao = home.member("joao.mendes")  # a coordinator there
    brian, joseph = kisumu.moderator, nakuru.moderator
    ruth = nakuru.member("ruth.wambui")

    transcript.heading("A learning alliance: a national platform and two districts, three servers")
    transcript.note(
        "Learning alliances link multi-stakeholder platforms at several levels, so that what "
        "a district learns reaches the national platform, national guidance reaches the "
        "districts, and districts learn from each other. Here each platform is a Discord "
        f"server of its own: “{home.guild.name}” acts as the national platform, with "
        f"“{kisumu.guild.name}” and “{nakuru.guild.name}” below it. One copbot is in all "
        "three, and only what someone shares on purpose crosses from one to another."
    )
    for server in (kisumu, nakuru):
        owner = server.owner_member
        await scene.slash(
            owner,
            "settings roles",
            channel=server.channels["general"],
            moderator=server.moderators_role,
            coordinator=server.coordinators_role,
        )
    await scene.slash(nkosi, "platform create", name=NATIONAL_PLATFORM, level="national")
    await scene.slash(nkosi, "platform inbox", _options={"channel": home.channels["alliance"]})
    for moderator, server, name in (
        (brian, kisumu, KISUMU_PLATFORM),
        (joseph, nakuru, NAKURU_PLATFORM),
    ):
        general = server.channels["general"]
        await scene.slash(
            moderator, "platform create", channel=general, name=name, level="intermediate"
        )
        await scene.slash(
            moderator,
            "platform inbox",
            channel=general,
            _options={"channel": server.channels["inbox"]},
        )

    transcript.note(
        "Links are made with consent on both sides: a moderator of one platform makes a "
        "one-time code (valid 24 hours, shown only to them), a moderator of the other confirms."
    )
    national_at = home.channels["general"]
    kisumu_at, nakuru_at = kisumu.channels["general"], nakuru.channels["general"]
    await _link(scene, nkosi, national_at, brian, kisumu_at, "child")
    await _link(scene, nkosi, national_at, joseph, nakuru_at, "child")
    await _link(scene, brian, kisumu_at, joseph, nakuru_at, "peer")
    await scene.slash(brian, "platform show", channel=kisumu.channels["general"])

    transcript.heading("Kisumu holds a café; its harvest travels up and across")
    transcript.note(
        f"{brian.display_name} asks the platform to share every café harvest with its linked "
        "platforms, then runs a short café in Kisumu's server."
    )
    await scene.slash(
        brian, "platform autoshare harvests", channel=kisumu.channels["general"], setting="on"
    )
    await _district_cafe(scene, kisumu)
    national_copy = await _wait_for_copy(scene, home.channels["alliance"], "Harvest of")
    if national_copy is not None:
        transcript.posted(national_copy, lines=14)
    nakuru_copy = await _wait_for_copy(scene, nakuru.channels["inbox"], "Harvest of")
    if nakuru_copy is not None:
        transcript.note(
            "The same copy reached Nakuru's inbox, with a thread for responses. "
            f"{ruth.display_name} answers across, from the other district:"
        )
        # The copy's thread (it has the copy's id) opens a moment after the copy.
        await scene.sandbox.wait_until(
            lambda: scene.sandbox.get_channel(nakuru_copy.id) is not None, timeout=ANSWER_WAIT
        )
        thread = scene.sandbox.get_channel(nakuru_copy.id)
        if thread is not None:
            await scene.say(
                ruth,
                "In Naivasha we pay caretakers from the tariff too; a county spare-parts depot "
                "cut our stock-outs. Happy to compare notes.",
                thread,
            )

    transcript.heading("National guidance goes down to both districts")
    guidance = await scene.say(
        nkosi,
        "Guidance from the national working group: report every non-functional water point "
        "within 48 hours, with its cause, in the county form.",
    )
    link = f"https://discord.com/channels/{home.guild.id}/{guidance.channel.id}/{guidance.id}"
    await scene.slash(nkosi, "platform share", message_link=link, to="down")
    copy = await _wait_for_copy(scene, kisumu.channels["inbox"], "Shared by")
    if copy is not None:
        transcript.posted(copy, lines=10)
    await _wait_for_copy(scene, nakuru.channels["inbox"], "Shared by")
    await _responses_recorded(scene, 1)

    transcript.heading("What crossed the links")
    transcript.note(
        f"{joao.display_name}, a coordinator of the national platform, looks at the alliance: "
        "items and responses per link and direction, platforms that only send or only "
        "receive, silent links, and a picture of it all."
    )
    _save(scene, await scene.slash(joao, "insights alliance"), "insights")


SCENES: tuple[Callable[[Scene], Awaitable[None]], ...] = (
    scene_foundation,
    scene_register,
    scene_conversation,
    scene_cafe,
    scene_prompts,
    scene_exports,
    scene_insights,
    scene_privacy,
    scene_tracking,
    scene_roles,
    scene_recurring,
    scene_alliance,
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
        database = directory / DATABASE_NAME
        # The demo's story starts from an empty register: an earlier run's database would spoil it.
        replaced = database.exists()
        for leftover in (database, *(database.with_name(database.name + e) for e in SQLITE_SIDE)):
            leftover.unlink(missing_ok=True)
        database_url = f"sqlite+aiosqlite:///{database}"
        async with Sandbox() as sandbox:
            alliance = build_alliance(sandbox)
            community = alliance.home
            community.channels["alliance"] = community.guild.create_text_channel(
                "alliance", topic="What linked platforms share with us"
            )
            transcript.guild = community.guild
            transcript.other_guilds = [alliance.kisumu.guild, alliance.nakuru.guild]
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
                "A rehearsal on this computer: a pretend Discord server, "
                f"“{community.guild.name}”, with {len(community.members)} members from "
                f"{len(community.organisations)} organisations, and the real copbot taking part. "
                "Nothing is sent to the real Discord. The bot keeps its records in a new "
                + (
                    f"database file, {database}"
                    + (" (replacing the one an earlier demo left there)." if replaced else ".")
                    if keep_dir
                    else "database file, deleted at the end."
                )
            )
            db = Database.connect(database_url)
            bot = CopBot(demo_settings, db, guild_ready_timeout=0.05)
            runner = await start_until_ready(bot, community.bot.token)
            scene = Scene(
                sandbox,
                community,
                transcript,
                bot,
                directory,
                others=(alliance.kisumu, alliance.nakuru),
            )
            try:
                transcript.note(_commands_note(sandbox.commands()))
                for play in SCENES:
                    await play(scene)
            finally:
                await bot.close()
                await runner
                await db.dispose()
        transcript.heading("The end")
        transcript.note(
            "That was the real copbot, exactly as it runs on a real server, talking to a pretend "
            "one. To run it for your community, see the README."
        )
        if keep_dir:
            # The folder on a line of its own: a long path must stay whole to be copied.
            transcript.note("Everything the demo made is kept in this folder:")
            transcript.write(f"  {directory.resolve()}")
            for path in [database, *scene.saved]:
                transcript.write(f"    {path.relative_to(directory)}")
        else:
            transcript.note(
                f"The database and the {len(scene.saved)} files the demo made (spreadsheets, "
                "exports, charts, the report, the harvest) were in a temporary folder, now "
                "deleted. To keep them, run the demo as `copbot demo --keep FOLDER`."
            )
    return 0


def _commands_note(commands: Sequence[dict[str, Any]]) -> str:
    """The commands the bot offers: slash commands, and those on a message's Apps menu."""
    typed = sorted(c["name"] for c in commands if c.get("type", 1) == 1)
    on_messages = sorted(c["name"] for c in commands if c.get("type", 1) == 3)
    return (
        "copbot is online. Its commands: "
        + ", ".join(f"/{name}" for name in typed)
        + (
            "; and on a message's Apps menu: " + ", ".join(on_messages) + "."
            if on_messages
            else "."
        )
    )
