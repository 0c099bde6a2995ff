"""A fleet kept busy for the kill drills: World Cafés run through real slash commands, prompt
schedules due as a process starts, members posting in servers of every shard; and the checks
that, after a process was killed and started again, nothing was lost or done twice."""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import shutil
import signal
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlmodel import select

from bot.cafe.values import Cafe, CafeState, CafeTable
from bot.prompts.bank import QuestionBank
from bot.prompts.schedules import PromptService
from bot.prompts.values import PromptPost
from bot.sandbox import Channel, Member, Sandbox, SandboxError
from bot.sandbox.gateway import shard_of
from bot.sandbox.holds import Hold
from bot.sandbox.models import Message
from bot.sandbox.sample import SampleCommunity
from bot.scheduling.scheduler import Scheduler
from bot.scheduling.values import FiringRecord, FiringStatus
from storage import cafes
from storage import prompts as prompt_queries
from storage.db import Database
from storage.models import Contribution
from storage.schedules import firings_of
from storage.types import utc_now
from tests.e2e.fleet import BotProcess, Fleet
from tests.e2e.helpers import custom_ids, eventually

ANSWER_WITHIN = 30.0  # seconds for an answer, on a loaded machine running two bot processes
RECOVER_WITHIN = 60.0
# Discord's routes the drills hold a request on.
TABLE_THREAD_ROUTE = "/channels/{channel_id}/threads"  # a café table (a thread of no message)
PROMPT_THREAD_ROUTE = "/channels/{channel_id}/messages/{message_id}/threads"  # a question's
PROMPT_QUESTIONS = ("Who pays for knowledge management?", "Which donor funds learning?")
CAFE_QUESTIONS = "What works? | What does not? | What will we do next?"


# --- members posting -------------------------------------------------------------------------


@dataclass
class Traffic:
    """Members posting round the given servers' channels, a message every ``pause`` seconds,
    some replying to an earlier one, until stopped."""

    sandbox: Sandbox
    servers: Sequence[SampleCommunity]
    shard_count: int
    pause: float = 0.04
    sent: list[tuple[float, Message]] = field(default_factory=list)  # (monotonic time, message)
    _task: asyncio.Task[None] | None = None
    _rng: random.Random = field(default_factory=lambda: random.Random(18))

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._post())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def sent_on(self, shard: int, *, since: float = 0.0) -> list[Message]:
        return [
            message
            for at, message in self.sent
            if at >= since and shard_of(_guild_id(message), self.shard_count) == shard
        ]

    async def _post(self) -> None:
        index = 0
        while True:
            places = self._places()
            server, channel = places[index % len(places)]
            index += 1
            people = [m for m in server.members if not m.user.bot]
            earlier = [m for _, m in self.sent[-30:] if m.channel is channel]
            reply_to = self._rng.choice(earlier) if earlier and self._rng.random() < 0.3 else None
            text = self._rng.choice(
                ["I agree", "Has anyone tried this?", "See https://example.org/guide"]
            )
            try:
                message = await self.sandbox.send_message(
                    self._rng.choice(people), channel, f"{text} ({index})", reply_to=reply_to
                )
            except SandboxError:  # the table closed meanwhile: Discord refuses, nothing sent
                continue
            self.sent.append((time.monotonic(), message))
            await asyncio.sleep(self.pause)

    def _places(self) -> list[tuple[SampleCommunity, Channel]]:
        """#general, #cafe, and the café tables open now."""
        return [
            (server, channel)
            for server in self.servers
            for channel in [
                server.channels["general"],
                server.channels["cafe"],
                *(
                    t
                    for t in server.guild.threads
                    if (t.name or "").startswith("R") and not (t.locked or t.archived)
                ),
            ]
        ]


def _guild_id(message: Message) -> int:
    guild = message.channel.guild
    assert guild is not None
    return guild.id


def member_messages(servers: Sequence[SampleCommunity]) -> set[int]:
    """Every message by a person the sandbox holds, in every channel and thread."""
    return {
        message.id
        for server in servers
        for channel in [*server.guild.channels, *server.guild.threads]
        for message in channel.messages
        if not message.author.bot and message.type in (0, 19)
    }


async def logged_ids(db: Database) -> list[int]:
    async with db.session() as session:
        return list((await session.execute(select(Contribution.message_id))).scalars())


async def all_logged(
    db: Database,
    wanted: set[int],
    servers: Sequence[SampleCommunity],
    timeout: float = RECOVER_WITHIN,  # noqa: ASYNC109
) -> None:
    """Until every message of ``wanted`` is in the log; which ones are not, if some never are."""

    async def logged() -> bool:
        return set(await logged_ids(db)) >= wanted

    try:
        await eventually(logged, timeout, interval=0.2)
    except AssertionError:
        missing = wanted - set(await logged_ids(db))
        where: dict[str, int] = {}
        for server in servers:
            for channel in [*server.guild.channels, *server.guild.threads]:
                for message in channel.messages:
                    if message.id in missing:
                        place = f"{server.guild.name} #{channel.name}"
                        if channel.is_thread:
                            place += f" (locked={channel.locked}, archived={channel.archived})"
                        where[place] = where.get(place, 0) + 1
        raise AssertionError(
            f"{len(missing)} of {len(wanted)} messages never logged: {where}"
        ) from None


# --- cafés -----------------------------------------------------------------------------------


async def answer(
    sandbox: Sandbox, member: Member, channel: Channel, command: str, **options: Any
) -> str:
    itx = await sandbox.slash(member, channel, command, timeout=ANSWER_WITHIN, **options)
    return await itx.final_text(ANSWER_WITHIN)


def participants(server: SampleCommunity) -> list[Member]:
    return [m for m in server.members if not m.user.bot and m.user.id != server.owner.id]


async def set_staff_roles(sandbox: Sandbox, server: SampleCommunity) -> None:
    """As the server's owner: its Moderators and Coordinators roles become the staff roles."""
    roles = await answer(
        sandbox, server.owner_member, server.channels["general"], "settings roles",
        moderator=server.moderators_role, coordinator=server.coordinators_role,
    )  # fmt: skip
    assert "Roles saved" in roles, roles


async def running_cafe(sandbox: Sandbox, db: Database, server: SampleCommunity) -> Cafe:
    """A café of three rounds at two tables, everyone signed up, its first round open; set up
    as a moderator does it, through the commands and the sign-up buttons."""
    await set_staff_roles(sandbox, server)
    cafe_channel = server.channels["cafe"]
    created = await answer(
        sandbox, server.moderator, cafe_channel, "cafe create", title="Funding our learning",
        questions=CAFE_QUESTIONS, rounds=3, round_minutes=30, tables=2,
    )  # fmt: skip
    assert "is open for sign-up" in created, created
    [signup] = signup_messages(server)
    for member in participants(server):
        itx = await sandbox.click(member, signup, custom_ids(signup)["Join"], timeout=ANSWER_WITHIN)
        assert "signed up" in await itx.final_text(ANSWER_WITHIN)
    started = await answer(sandbox, server.moderator, cafe_channel, "cafe start")
    assert "has started" in started, started
    return await cafe_of(db, server)


async def next_round(sandbox: Sandbox, server: SampleCommunity) -> str:
    return await answer(sandbox, server.moderator, server.channels["cafe"], "cafe next")


async def cafe_of(db: Database, server: SampleCommunity) -> Cafe:
    async with db.session() as session:
        [cafe] = await cafes.list_cafes(session, server.guild.id)
    return cafe


async def tables_of(db: Database, cafe: Cafe, round_number: int) -> list[CafeTable]:
    async with db.session() as session:
        return await cafes.tables_of(session, cafe.id, round_number)


def signup_messages(server: SampleCommunity) -> list[Message]:
    return [
        m
        for m in server.channels["cafe"].messages
        if m.author.bot and m.embeds and m.embeds[0].get("title", "").startswith("World Café")
    ]


def table_threads(server: SampleCommunity, round_number: int) -> list[Channel]:
    return [t for t in server.guild.threads if (t.name or "").startswith(f"R{round_number} · ")]


def briefings(thread: Channel) -> list[Message]:
    return [m for m in thread.messages if m.author.bot and "At this table:" in m.content]


async def round_open(db: Database, server: SampleCommunity, round_number: int) -> bool:
    """The café runs ``round_number`` with every table open, in a thread of its own."""
    cafe = await cafe_of(db, server)
    tables = await tables_of(db, cafe, round_number)
    threads = table_threads(server, round_number)
    return (
        cafe.state == CafeState.RUNNING
        and cafe.current_round == round_number
        and bool(tables)
        and all(t.opened and t.thread_id is not None for t in tables)
        and len(threads) == len(tables)
        and all(briefings(t) for t in threads)
    )


async def cafe_made_nothing_twice(db: Database, server: SampleCommunity) -> None:
    """One sign-up message; every round's tables in one thread each, briefed once, closed once
    (when the round is over), each thread the one recorded for its table."""
    cafe = await cafe_of(db, server)
    assert len(signup_messages(server)) == 1
    for number in range(1, cafe.current_round + 1):
        tables = await tables_of(db, cafe, number)
        threads = table_threads(server, number)
        names = [t.name for t in threads]
        assert len(names) == len(set(names)) == len(tables) == 2, names
        assert {t.id for t in threads} == {t.thread_id for t in tables}
        for thread in threads:
            assert len(briefings(thread)) == 1, [m.content[:40] for m in thread.messages]
            closings = [m for m in thread.messages if "round has ended" in m.content]
            over = number < cafe.current_round or cafe.state != CafeState.RUNNING
            assert len(closings) == (1 if over else 0), thread.name


# --- prompt schedules ------------------------------------------------------------------------


async def seed_prompt_schedules(db: Database, servers: Sequence[SampleCommunity]) -> DueQuestions:
    """A schedule in each server, all due a minute or two ago: late, but within the default
    misfire grace."""
    due = (utc_now() - timedelta(minutes=1)).replace(second=0, microsecond=0)
    ids = {server.guild.id: await seed_prompt_schedule(db, server, due) for server in servers}
    return DueQuestions(due, ids)


async def seed_prompt_schedule(db: Database, server: SampleCommunity, due: datetime) -> int:
    """Two Funding questions and a daily schedule posting in #general at ``due`` (a time just
    passed, within the misfire grace: the process of the server's shard posts as it starts)."""
    guild = server.guild
    for text in PROMPT_QUESTIONS:
        await QuestionBank(db).add(
            guild.id, guild.name, actor_id=server.owner.id, text=text, theme="Funding",
            approved=True,
        )  # fmt: skip
    seeding = PromptService(db, Scheduler(db, process_id="seeding"))
    view, _ = await seeding.create_schedule(
        guild.id, guild.name, channel_id=server.channels["general"].id,
        when_text=f"daily {due:%H:%M}", theme="Funding", timezone="UTC", make_thread=True,
        misfire=None, actor_id=server.owner.id, now=due - timedelta(minutes=3),
    )  # fmt: skip
    assert view.schedule.id is not None
    return view.schedule.id


async def prompt_posts(
    db: Database, server: SampleCommunity, *, by_hand_only: bool = False
) -> list[PromptPost]:
    async with db.session() as session:
        posts = await prompt_queries.posts_of(session, server.guild.id)
    return [p for p in posts if p.scheduled_for is None] if by_hand_only else posts


async def firings(db: Database, schedule_id: int) -> list[FiringRecord]:
    async with db.session() as session:
        return await firings_of(session, schedule_id)


def questions_posted(server: SampleCommunity) -> list[Message]:
    return [m for m in server.channels["general"].messages if m.author.bot and m.embeds]


@dataclass(frozen=True)
class DueQuestions:
    """Prompt schedules seeded in some servers, all due at ``due``; ``schedule_ids`` by guild."""

    due: datetime
    schedule_ids: dict[int, int]

    async def finished(self, db: Database, servers: Sequence[SampleCommunity]) -> bool:
        """Every server's firing posted and recorded, its claim settled."""
        for server in servers:
            post = await self._post(db, server)
            fired = await firings(db, self.schedule_ids[server.guild.id])
            if post is None or post.finished_at is None:
                return False
            if len(fired) != 1 or fired[0].status == FiringStatus.CLAIMED:
                return False
        return True

    async def claimed(self, db: Database, servers: Sequence[SampleCommunity]) -> bool:
        """Every server's firing claimed, none of their posts begun."""
        for server in servers:
            fired = await firings(db, self.schedule_ids[server.guild.id])
            if [f.status for f in fired] != [FiringStatus.CLAIMED]:
                return False
            assert await self._post(db, server) is None
        return True

    async def posted_once(self, db: Database, server: SampleCommunity) -> None:
        """The firing posted once, recorded with its message and its one thread, and done; and
        every question in #general (a posted by hand one too) has one thread, recorded."""
        post = await self._post(db, server)
        assert post is not None
        posts = await prompt_posts(db, server)
        messages = questions_posted(server)
        assert sorted(p.message_id or 0 for p in posts) == sorted(m.id for m in messages)
        for message in messages:
            [recorded] = [p for p in posts if p.message_id == message.id]
            assert message.thread is not None and recorded.thread_id == message.thread.id
            assert recorded.finished_at is not None
        general = server.channels["general"]
        threads = [t for t in server.guild.threads if t.parent is general]
        assert sorted(t.id for t in threads) == sorted(m.thread.id for m in messages if m.thread)
        [firing] = await firings(db, self.schedule_ids[server.guild.id])
        assert firing.status == FiringStatus.DONE, firing

    async def _post(self, db: Database, server: SampleCommunity) -> PromptPost | None:
        found = [p for p in await prompt_posts(db, server) if p.scheduled_for == self.due]
        assert len(found) <= 1, found
        return found[0] if found else None


# --- processes as containers run them ----------------------------------------------------------

# A process of its own PID namespace is its PID 1, as the bot is in a container (Dockerfile's
# CMD): started again (`restart: unless-stopped`), it has the same host name and process id as
# the process killed. SIGKILL to `unshare` kills the process too; `unshare` ignores SIGTERM,
# which is sent to the process itself to stop it.
PID_NAMESPACE = ("unshare", "--pid", "--fork", "--kill-child")
PID_NAMESPACE_UNPRIVILEGED = ("unshare", "--user", "--map-root-user", *PID_NAMESPACE[1:])


@dataclass
class Containers:
    """Starts processes of a fleet each as PID 1 of a namespace of its own where this machine
    allows it (``launcher``), else plainly; stops those still running at the end."""

    fleet: Fleet
    launcher: tuple[str, ...]
    started: list[BotProcess] = field(default_factory=list)

    async def start(
        self, shard_ids: Sequence[int], *, wait: bool = True, **options: Any
    ) -> BotProcess:
        process = await self.fleet.start(shard_ids, launcher=self.launcher, wait=False, **options)
        self.started.append(process)  # stopped at the end, ready or not
        if wait:
            await process.wait_ready()
        return process

    async def stop_all(self) -> None:
        for process in self.started:
            if process.running and self.launcher:
                for child in _children_of(process.process.pid):
                    os.kill(child, signal.SIGTERM)
                try:
                    async with asyncio.timeout(30):
                        await process.process.wait()
                except TimeoutError:
                    await process.kill()
            await process.stop()  # reads the rest of its output


@asynccontextmanager
async def containers(fleet: Fleet) -> AsyncIterator[Containers]:
    started = Containers(fleet, await _pid_namespace_launcher())
    try:
        yield started
    finally:
        await started.stop_all()


def _children_of(pid: int) -> list[int]:
    """The processes ``pid`` started (/proc is in memory: reading it does not block)."""
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


async def _pid_namespace_launcher() -> tuple[str, ...]:
    if shutil.which("unshare") is None:
        return ()
    for launcher in (PID_NAMESPACE, PID_NAMESPACE_UNPRIVILEGED):
        probe = await asyncio.create_subprocess_exec(
            *launcher, sys.executable, "-c", "import os, sys; sys.exit(os.getpid() != 1)",
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
        )  # fmt: skip
        if await probe.wait() == 0:
            return launcher
    return ()


async def arrives(held: Hold, what_if_not: str, timeout: float = RECOVER_WITHIN) -> None:  # noqa: ASYNC109
    """Until the held request comes; ``what_if_not`` says what went wrong if it never does."""
    try:
        await held.wait_for_arrival(timeout)
    except TimeoutError:
        raise AssertionError(f"{what_if_not} (in {timeout:g} s)") from None


# --- timing ----------------------------------------------------------------------------------


async def timed(check: Callable[[], Awaitable[bool]], timeout: float = RECOVER_WITHIN) -> float:  # noqa: ASYNC109
    """Wait until ``check`` holds; the moment it did (``time.monotonic``)."""
    await eventually(check, timeout, interval=0.1)
    return time.monotonic()


def figures(
    title: str,
    *,
    traffic: Traffic,
    expected: set[int],
    stored: list[int],
    killed_at: float,
    ready_at: float,
    recovered_at: float,
    extra: dict[str, object] | None = None,
) -> None:
    lines = {
        "events sent": len(traffic.sent),
        "of which in café table threads": sum(m.channel.is_thread for _, m in traffic.sent),
        "member messages held by the sandbox": len(expected),
        "rows stored": len(stored),
        "duplicates": len(stored) - len(set(stored)),
        "lost": len(expected - set(stored)),
        "stored but never sent": len(set(stored) - expected),
        "kill -> restarted process ready": f"{ready_at - killed_at:.1f} s",
        "kill -> everything recovered": f"{recovered_at - killed_at:.1f} s",
        **(extra or {}),
    }
    print(f"\n--- {title} ---")
    for name, value in lines.items():
        print(f"{name:>38}: {value}")


def shard_servers(fleet: Fleet, shard: int, count: int) -> list[SampleCommunity]:
    found = fleet.servers_on(shard)[:count]
    assert len(found) == count, f"only {len(found)} servers on shard {shard}"
    return found
