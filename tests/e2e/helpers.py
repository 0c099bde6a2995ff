"""What more than one e2e test module uses: waiting for the bot, café and question-bank set-ups,
buttons and confirmations, the register, the audit log and the database as the bot left them,
and the settings of `copbot run` against the sandbox."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.cafe.values import Cafe, CafeNote
from bot.client import CopBot
from bot.membership.names import name_key
from bot.prompts.values import Question
from bot.sandbox import Channel, Member, Sandbox
from bot.sandbox.interactions import SandboxInteraction, message_text
from bot.sandbox.models import Message, walk_components
from bot.sandbox.sample import SampleCommunity
from storage import cafes, members, organisations
from storage import prompts as queries
from storage.audit import recent_audit
from storage.communities import ensure_community
from storage.models import metadata
from tests.databases import sqlite_url
from tests.e2e.harness import Harness, member_with_roles
from tests.e2e.processes import clean_environment

WAIT = 15.0


# --- waiting for the bot --------------------------------------------------------------------------


async def eventually(
    check: Callable[[], Awaitable[bool]],
    timeout: float = WAIT,  # noqa: ASYNC109
    *,
    interval: float = 0.05,
    attempts: int | None = None,
    before_each_check: Callable[[], Awaitable[object]] | None = None,
) -> None:
    """Wait until ``check`` holds: the bot answers, listens and writes in the background.

    Gives up after ``timeout`` seconds or, given ``attempts``, after that many checks
    ``interval`` apart (a budget that stretches with the checks' own time on a busy machine).
    ``before_each_check`` runs before every check (e.g. a flush of the contribution writer)."""
    deadline = asyncio.get_running_loop().time() + timeout
    checks = 0
    while True:
        if before_each_check is not None:
            await before_each_check()
        if await check():
            return
        checks += 1
        if attempts is not None and checks >= attempts:
            raise AssertionError(f"the expected state was not reached in {attempts} checks")
        if attempts is None and asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"the expected state was not reached within {timeout:g} s")
        await asyncio.sleep(interval)


# --- cafés ----------------------------------------------------------------------------------------


def cafe_channel(harness: Harness) -> Channel:
    return harness.community.channels["cafe"]


async def cafe_cmd(
    harness: Harness, actor: Member, command: str, /, channel: Channel | None = None, **options: Any
) -> SandboxInteraction:
    return await harness.sandbox.slash(
        actor, channel or cafe_channel(harness), f"cafe {command}", timeout=WAIT, **options
    )


async def answered(itx: SandboxInteraction) -> str:
    """The text of the answer, waiting for the follow-up when the bot deferred."""
    if itx.deferred:
        message = await itx.wait_for_followup(timeout=WAIT)
        return message_text(message)
    return itx.text()


def people(harness: Harness, count: int) -> list[Member]:
    found = [
        m
        for m in harness.community.guild.members.values()
        if not m.user.bot and m.id != harness.community.owner.id
    ]
    found.sort(key=lambda m: m.id)
    assert len(found) >= count
    return found[:count]


def signup_message(harness: Harness) -> Message:
    for message in reversed(cafe_channel(harness).messages):
        if message.embeds and message.embeds[0].get("title", "").startswith("World Café"):
            return message
    raise AssertionError("no sign-up message in #cafe")


def custom_ids(message: Message) -> dict[str, str]:
    return {
        c["label"]: c["custom_id"]
        for c in walk_components(message.components)
        if c.get("type") == 2 and "custom_id" in c
    }


def table_threads(harness: Harness, round_number: int) -> list[Channel]:
    threads = [
        t
        for t in harness.community.guild.threads
        if (t.name or "").startswith(f"R{round_number} · ")
    ]
    return sorted(threads, key=lambda t: int((t.name or "").split(" · ")[1].removeprefix("Table ")))


async def stored_cafe(harness: Harness, cafe_id: int) -> Cafe:
    async with harness.db.session() as session:
        found = await cafes.get_cafe_by_id(session, cafe_id)
    assert found is not None
    return found


async def only_cafe(harness: Harness) -> Cafe:
    async with harness.db.session() as session:
        found = await cafes.list_cafes(session, harness.community.guild.id)
    assert len(found) == 1
    return found[0]


async def notes(harness: Harness, cafe_id: int) -> list[CafeNote]:
    async with harness.db.session() as session:
        return await cafes.notes_of(session, cafe_id)


async def create_cafe(harness: Harness, **options: Any) -> Cafe:
    options = {
        "title": "Funding knowledge management",
        "questions": "How do we fund KM? | Who pays for sharing? | What will we do next?",
        "rounds": 3,
        "round_minutes": 20,
        **options,
    }
    itx = await cafe_cmd(harness, harness.moderator, "create", **options)
    text = await answered(itx)
    assert "is open for sign-up" in text, text
    return await only_cafe(harness)


async def sign_up(harness: Harness, members: list[Member], *, hosts: int = 0) -> None:
    message = signup_message(harness)
    ids = custom_ids(message)
    for index, member in enumerate(members):
        label = "Host a table" if index < hosts else "Join"
        itx = await harness.sandbox.click(member, message, ids[label], timeout=WAIT)
        assert itx.ephemeral, itx.text()
        assert "signed up" in itx.text() or "You host table" in itx.text(), itx.text()


async def cafe_with_room_for_one_thread(harness: Harness, questions: str) -> Cafe:
    """A café of two tables, eight people signed up, in a server where Discord allows only one
    more active thread."""
    await harness.set_staff_roles()
    cafe = await create_cafe(harness, questions=questions, rounds=2, tables=2)
    await sign_up(harness, people(harness, 8))
    guild = harness.community.guild
    guild.max_active_threads = sum(1 for t in guild.threads if not t.archived) + 1
    return cafe


# --- the question bank ----------------------------------------------------------------------------


async def prompt(
    harness: Harness, actor: Member, command: str, /, channel: Channel | None = None, **options: Any
) -> SandboxInteraction:
    itx = await harness.sandbox.slash(
        actor, channel or harness.general, f"prompt {command}", timeout=WAIT, **options
    )
    await harness.handled()  # a review card or a direct message may follow the answer
    return itx


def number_in(text: str) -> int:
    """The first ``#N`` of an answer."""
    return int(text.split("#", 1)[1].split()[0].rstrip(":.,)"))


async def stored_question(harness: Harness, question_id: int) -> Question:
    async with harness.db.session() as session:
        question = await queries.get_question(session, harness.community.guild.id, question_id)
    assert question is not None
    return question


async def ready(harness: Harness, *, review_channel: Channel | None = None) -> None:
    await harness.set_staff_roles()
    if review_channel is not None:
        saved = await harness.sandbox.slash(
            harness.moderator, harness.general, "settings review-channel", channel=review_channel
        )
        assert "Review channel saved" in saved.text(), saved.text()


def review_channel(harness: Harness) -> Channel:
    return harness.community.channels["cafe"]


def questions_channel(harness: Harness) -> Channel:
    return harness.community.channels["questions"]


async def add(harness: Harness, text: str, theme: str = "Funding") -> int:
    itx = await prompt(harness, harness.moderator, "add", text=text, theme=theme)
    assert "Added question #" in itx.text(), itx.text()
    return number_in(itx.text())


async def submit(harness: Harness, member: Member, text: str, theme: str = "Funding") -> int:
    itx = await prompt(harness, member, "submit", text=text, theme=theme)
    assert "waits for a moderator's review" in itx.text(), itx.text()
    assert itx.ephemeral
    return number_in(itx.text())


def card_of(channel: Channel, question_id: int) -> Message:
    """The review card of a question in the review channel (the latest, after an edit)."""
    cards = [m for m in channel.messages if f"Question #{question_id} ·" in message_text(m)]
    assert cards, f"no review card for #{question_id}"
    return cards[-1]


# --- buttons and confirmations --------------------------------------------------------------------


def buttons(message: Message) -> dict[str, dict[str, Any]]:
    return {c["label"]: c for c in walk_components(message.components) if c.get("type") == 2}


async def click(harness: Harness, member: Member, message: Message, label: str) -> Any:
    return await harness.sandbox.click(member, message, buttons(message)[label]["custom_id"])


async def confirm(
    harness: Harness, member: Member, message: Message, label: str = "Confirm"
) -> str:
    """Click Confirm (or the button ``label``) and wait for the outcome: the click is deferred,
    the message edited later."""
    await click(harness, member, message, label)
    await eventually(lambda: _answered(message), interval=0.02, attempts=250)
    return str(message.embeds[0]["title"])


async def _answered(message: Message) -> bool:
    return buttons(message) == {}


# --- the register and organisations ---------------------------------------------------------------


async def add_organisations(harness: Harness, *names: str) -> None:
    """Organisations as /org create would leave them (built by another cog; not needed here)."""
    guild = harness.community.guild
    async with harness.db.session() as session:
        await ensure_community(session, guild.id, guild.name)
        for name in names:
            await organisations.create_organisation(
                session,
                community_id=guild.id,
                name=name,
                name_key=name_key(name),
                stakeholder="civil society",
                level="national",
            )
        await session.commit()


async def stored_member(harness: Harness, user_id: int) -> Any:
    async with harness.db.session() as session:
        return await members.get_member(session, harness.community.guild.id, user_id)


async def history_of(harness: Harness, user_id: int) -> list[tuple[str, bool]]:
    member = await stored_member(harness, user_id)
    async with harness.db.session() as session:
        rows = await members.membership_history(session, member.id)
    return [(organisation.name, membership.ended_at is None) for membership, organisation in rows]


# --- the database as the bot left it --------------------------------------------------------------


# The bot's own bookkeeping (the command tree's hash, how far the contribution log has read,
# which process handles an interaction or a café's work), written whatever anyone types.
BOOKKEEPING = frozenset({"app_state", "interaction_claim", "work_lease"})


async def database_rows(harness: Harness) -> dict[str, list[str]]:
    """Every row of every table but the bookkeeping, to compare before and after."""
    async with harness.db.session() as session:
        return {
            table.name: sorted(repr(tuple(row)) for row in await session.execute(select(table)))
            for table in metadata.sorted_tables
            if table.name not in BOOKKEEPING
        }


async def audit_actions(harness: Harness) -> list[str]:
    async with harness.db.session() as session:
        return [e.action for e in await recent_audit(session, harness.community.guild.id)]


async def register_caught_up(harness: Harness) -> None:
    """Until the register holds every person of the server: the bot catches up with the
    server's members in the background after it starts."""
    people = sum(not member.user.bot for member in harness.community.guild.members.values())
    for _ in range(300):
        if len((await database_rows(harness))["member"]) >= people:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the register did not catch up with the server's members")


# --- `copbot run` as its own process --------------------------------------------------------------


def sandbox_settings(
    sandbox: Sandbox, community: SampleCommunity, tmp_path: Path
) -> dict[str, str]:
    """The environment of `copbot run` pointed at the sandbox, on a fresh SQLite file."""
    return clean_environment(
        DISCORD_TOKEN=community.bot.token,
        DISCORD_API_BASE=sandbox.api_base,
        DISCORD_GATEWAY_URL=sandbox.gateway_url,
        DATABASE_URL=sqlite_url(tmp_path),
    )


def coordinator(harness: Harness) -> Member:
    return member_with_roles(harness.community, [harness.community.coordinators_role])


async def attached(itx: SandboxInteraction) -> tuple[str, bytes]:
    """The file the deferred answer ends up carrying."""

    async def has_file() -> bool:
        return itx.original is not None and bool(itx.original.attachments)

    await eventually(has_file)
    assert itx.original is not None
    attachment = itx.original.attachments[0]
    return attachment.filename, attachment.data


def told_database_is_out_of_reach(itx: SandboxInteraction) -> None:
    """The answer to a command while the database is out of reach: private, plain, no apology."""
    assert itx.ephemeral
    text = itx.text()
    assert "The bot cannot reach its database right now" in text, text
    assert "Nothing was changed" in text and "Try again in a minute" in text, text
    assert "went wrong on our side" not in text and "Traceback" not in text


async def no_identify_delay(shard_id: int | None, *, initial: bool = False) -> None:
    """discord.py's before_identify_hook without its 5 s wait between identifies: the sandbox
    does not rate identify unless asked, and tests need not wait."""
    return None


# The drills that go beyond the suite's own (a second layout, a second cut, an e2e of what a
# faster test already shows): run with the benchmarks (README: Development), not in CI's minutes.
long_drill = pytest.mark.skipif(
    os.environ.get("COPBOT_LONG_DRILLS") != "1",
    reason="a longer drill: run with COPBOT_LONG_DRILLS=1 (README: Development, benchmarks)",
)


def gap_repairs_done(bot: CopBot) -> int:
    """How many start-up catch-ups (gap repairs) of the contribution log have ended."""
    # Not isinstance: discord.py loads an extension as a module object of its own.
    return int(getattr(bot.get_cog("Contributions"), "gap_repairs_done", 0))
