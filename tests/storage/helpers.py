"""What more than one storage test uses: contribution and reaction rows, the CLI's settings,
searches of every table for a person, a relay in front of PostgreSQL that can be cut, a clock
set by hand, and a message shared over platform links."""

from __future__ import annotations

import asyncio
import contextlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, BigInteger, String, Text, select
from sqlalchemy.engine import make_url

from bot.communities import Communities
from bot.contributions.values import ContributionRow, ReactionRow
from bot.exports.service import Exports
from bot.platforms.service import Platforms, Shared
from bot.platforms.values import Platform, ShareKind, ShareTarget
from storage import contributions as log_queries
from storage.communities import ensure_community, set_timezone
from storage.db import Database
from storage.members import ensure_member, set_name_visible, set_opted_out
from storage.models import metadata

GUILD = 900_000_000_000_000_001
CHANNEL, THREAD = 910_000_000_000_000_001, 910_000_000_000_000_002
ALICE, BOB = 920_000_000_000_000_001, 920_000_000_000_000_002
T0 = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)


def contribution(message_id: int, author: int = ALICE, **fields: Any) -> ContributionRow:
    """A message for the log, as the listeners describe one; ``fields`` override."""
    values: dict[str, Any] = {
        "message_id": message_id,
        "community_id": GUILD,
        "channel_id": CHANNEL,
        "author_id": author,
        "created_at": T0 + timedelta(seconds=message_id % 1000),
        "characters": 5,
        "words": 1,
    }
    return ContributionRow(**{**values, **fields})


def reaction(message_id: int, user: int = BOB, emoji: str = "👍") -> ReactionRow:
    return ReactionRow(
        community_id=GUILD,
        channel_id=CHANNEL,
        message_id=message_id,
        user_id=user,
        target_author_id=ALICE,
        emoji=emoji,
        created_at=T0,
    )


ROOT = Path(__file__).resolve().parents[2]
SETTINGS = (
    "DISCORD_TOKEN",
    "DATABASE_URL",
    "DISCORD_API_BASE",
    "DISCORD_GATEWAY_URL",
    "DEV_GUILD_ID",
    "LOG_LEVEL",
    "SHARD_COUNT",
    "SHARD_IDS",
)


def write(path: Path, text: str) -> str:
    path.write_text(text, encoding="utf-8")
    return str(path)


def mentions(column: Any, value: Any, user_id: int) -> bool:
    if isinstance(column.type, BigInteger):
        return bool(value == user_id)
    if isinstance(column.type, JSON):
        return str(user_id) in json.dumps(value)
    return isinstance(column.type, String | Text) and str(user_id) in str(value)


async def rows_mentioning(db: Database, user_id: int) -> list[str]:
    """Every place in the database where the user id still appears."""
    found: list[str] = []
    async with db.session() as session:
        for table in metadata.sorted_tables:
            for row in (await session.execute(select(table))).mappings():
                found += [
                    f"{table.name}.{column.name}"
                    for column in table.columns
                    if row[column.name] is not None and mentions(column, row[column.name], user_id)
                ]
    return found


async def rows_naming(db: Database, names: tuple[str, ...]) -> list[str]:
    """Every text or JSON column where one of the person's names still appears."""
    found: list[str] = []
    async with db.session() as session:
        for table in metadata.sorted_tables:
            for row in (await session.execute(select(table))).mappings():
                for column in table.columns:
                    value = row[column.name]
                    if isinstance(column.type, JSON):
                        text = json.dumps(value, ensure_ascii=False)
                    elif isinstance(value, str):
                        text = value
                    else:
                        continue
                    if any(name.casefold() in text.casefold() for name in names):
                        found.append(f"{table.name}.{column.name}")
    return found


class Outage:
    """A TCP relay in front of PostgreSQL that can be cut (connections refused and the open
    ones dropped) and restored on the same port, or fall silent (connections stay open and no
    byte passes, as behind a dead router) and flow again."""

    def __init__(self, target_port: int = 5432) -> None:
        self.target_port = target_port
        self.port = 0
        self._server: asyncio.Server | None = None
        self._links: set[asyncio.StreamWriter] = set()
        self._flowing = asyncio.Event()
        self._flowing.set()

    def url_through(self, url: str) -> str:
        """``url`` with this relay in place of the server: the database behind it."""
        return (
            make_url(url)
            .set(host="127.0.0.1", port=self.port)
            .render_as_string(hide_password=False)
        )

    async def close(self) -> None:
        """Stop relaying, whatever state a test left it in."""
        self.flow()
        if self._server is not None:
            await self.down()

    def fall_silent(self) -> None:
        self._flowing.clear()

    def flow(self) -> None:
        self._flowing.set()

    async def up(self) -> None:
        self._server = await asyncio.start_server(
            self._relay, "127.0.0.1", self.port, reuse_address=True
        )
        self.port = self._server.sockets[0].getsockname()[1]

    async def down(self) -> None:
        assert self._server is not None
        self._server.close()
        for link in list(self._links):
            link.close()
        await self._server.wait_closed()
        self._server = None

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            writer.close()
            return
        self._links |= {writer, up_writer}

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(OSError, asyncio.CancelledError):
                while data := await src.read(65536):
                    await self._flowing.wait()
                    dst.write(data)
                    await dst.drain()
            dst.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
        self._links -= {writer, up_writer}


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


# --- the export tests' community ----------------------------------------------------------------

CAROL = 920_000_000_000_000_003
OTHER_GUILD = 900_000_000_000_000_002
# 09:00 UTC on 1 May 2024 and the next days: 11:00 in Amsterdam (summer time).
DAY = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)


def message(guild_id: int, number: int) -> int:
    """The id of the ``number``-th message of ``seed`` (apart for the two communities)."""
    return guild_id + 1_000 * number


async def seed_export_log(db: Database, guild_id: int = GUILD) -> None:
    """A community's log for the export tests: Alice (who chose to be named) posts, Bob replies
    to her and to Carol, who opted out."""
    async with db.transaction() as session:
        community = await ensure_community(session, guild_id, "Water CoP")
        await set_timezone(session, community, "Europe/Amsterdam")
        alice = await ensure_member(session, guild_id, ALICE, "Alice Mwangi")
        await ensure_member(session, guild_id, BOB, "Bob Otieno")
        carol = await ensure_member(session, guild_id, CAROL, "Carol Njeri")
        await set_name_visible(session, alice.id, True)
        await set_opted_out(session, carol.id, DAY)
        await log_queries.store_contributions(
            session,
            [
                contribution(
                    message(guild_id, 1),
                    ALICE,
                    community_id=guild_id,
                    created_at=DAY,
                    characters=40,
                    links=1,
                ),
                contribution(
                    message(guild_id, 2),
                    BOB,
                    community_id=guild_id,
                    created_at=DAY + timedelta(days=1),
                    is_reply=True,
                    reply_to_author_id=ALICE,
                    reply_to_message_id=message(guild_id, 1),
                ),
                contribution(
                    message(guild_id, 3),
                    CAROL,
                    community_id=guild_id,
                    created_at=DAY + timedelta(days=1),
                ),
                contribution(
                    message(guild_id, 4),
                    BOB,
                    community_id=guild_id,
                    created_at=DAY + timedelta(days=2),
                    is_reply=True,
                    reply_to_author_id=CAROL,
                    reply_to_message_id=message(guild_id, 3),
                ),
            ],
        )


def exports_of(db: Database) -> Exports:
    return Exports(db, Communities(db))


async def share_message(
    service: Platforms,
    origin: Platform,
    target: ShareTarget,
    message_id: int,
    *,
    text: str,
    shared_by: int,
    author_id: int | None = None,
    source_channel_id: int | None = None,
) -> Shared:
    """A message shared on purpose from ``origin`` (its key names the message), credited to
    "a participant", with no title, attachments or jump link."""
    return await service.share(
        origin,
        target,
        kind=ShareKind.MESSAGE,
        source_key=f"message:{message_id}",
        title=None,
        text=text,
        credit="a participant",
        author_id=author_id,
        source_channel_id=source_channel_id,
        source_message_id=message_id,
        jump_url=None,
        shared_by=shared_by,
    )
