"""The batched writer: the contribution log's one way into the database.

Listeners hand it typed operations, described once at the edge (bot/contributions/values.py):
a new message as its :class:`ContributionRow`, a reaction as its :class:`ReactionRow`, an edit
as a :class:`ContributionEdit`, and deletions, reaction removals and thread starts as the small
operations below; then they go on. The writer never calls back into a listener. A background
task writes the operations in the order they came, every ``flush_interval`` seconds or as soon
as ``flush_rows`` are waiting, whichever comes first, each flush in one transaction. Every write
is idempotent (storage/contributions.py), so a flush that is retried after a failure, a gateway
RESUME replay or a backfill never counts anything twice.

When the database is unavailable the operations stay in the buffer and the flush is retried with
a growing pause. The buffer is bounded: when it is full, :meth:`ContributionWriter.put` waits for
room instead of dropping anything. :meth:`ContributionWriter.stop` writes what is left (on a
clean shutdown); what a crash loses from the buffer, gap repair reads back from Discord.

The author's organisation, stakeholder group and level at the moment of the message (the
reacting member's, for a reaction) are filled in here, per flush, from the membership history
(bot/contributions/attribution.py keeps it in memory and reads it again whenever the register
changes); so is the moment a contribution was logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.contributions.attribution import RegisterCache
from bot.contributions.values import ContributionEdit, ContributionRow, ReactionRow
from storage import contributions as log_queries
from storage.communities import ensure_community
from storage.db import Database
from storage.types import utc_now

log = logging.getLogger(__name__)


# --- operations -------------------------------------------------------------------------------


@dataclass(slots=True)
class DeleteContributions:
    message_ids: list[int]


@dataclass(slots=True)
class DeleteReaction:
    message_id: int
    user_id: int
    emoji: str


@dataclass(slots=True)
class ClearReactions:
    """Reactions removed in bulk: all of a message's (``emoji`` None), or all with one emoji."""

    message_id: int
    emoji: str | None = None


@dataclass(slots=True)
class MarkThreadStart:
    message_id: int
    author_id: int


Operation = (
    ContributionRow
    | ContributionEdit
    | DeleteContributions
    | ReactionRow
    | DeleteReaction
    | ClearReactions
    | MarkThreadStart
)


class OptOutRegistry(Protocol):
    async def catch_up(self, session: AsyncSession, people: dict[int, set[int]]) -> None: ...

    def is_opted_out(self, community_id: int, user_id: int) -> bool: ...


# --- the writer -------------------------------------------------------------------------------

TRANSIENT_ERRORS = (OperationalError, InterfaceError, OSError, ConnectionError, TimeoutError)


class ContributionWriter:
    def __init__(
        self,
        db: Database,
        *,
        optouts: OptOutRegistry | None = None,
        flush_interval: float = 0.5,
        flush_rows: int = 500,
        max_buffer: int = 50_000,
        max_batch: int = 5_000,
        max_backoff: float = 10.0,
    ) -> None:
        self.db = db
        self.optouts = optouts
        self.flush_interval = flush_interval
        self.flush_rows = flush_rows
        self.max_buffer = max_buffer
        self._write_at = min(flush_rows, max_buffer)  # a full buffer is written at once
        self.max_batch = max_batch
        self.max_backoff = max_backoff
        self._buffer: deque[Operation] = deque()
        self._accepted = 0  # operations ever put
        self._written = 0  # operations ever written (or given up on)
        self._flush_requested = 0  # flush() waits until _written reaches this
        self._wake = asyncio.Event()
        self._progress = asyncio.Condition()
        self._waiting_for_room = 0
        self._adding: set[asyncio.Task[None]] = set()  # add() calls waiting for room, in order
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._community_names: dict[int, str] = {}
        self._known_communities: set[int] = set()
        self.register = RegisterCache()
        self.failures = 0  # flushes that failed and were retried (for tests and the log)
        self.dropped = 0  # operations a bad row made us give up on

    # intake ----------------------------------------------------------------------------------
    @property
    def pending(self) -> int:
        return len(self._buffer)

    def remember_community(self, community_id: int, name: str) -> None:
        """The server's name, for creating its community row if the writer gets there first."""
        if community_id not in self._community_names:
            self._community_names[community_id] = name

    async def put(self, operation: Operation) -> None:
        """Queue an operation; waits while the buffer is full (never drops)."""
        if self._waiting_for_room or len(self._buffer) >= self.max_buffer:
            await self._wait_for_room()
        self._buffer.append(operation)
        self._accepted += 1
        if len(self._buffer) >= self._write_at:
            self._wake.set()

    def add(self, operation: Operation) -> None:
        """Queue an operation from synchronous code (the bot's event receivers): at once if
        there is room, else in a task that waits for it. Never drops; keeps the calls' order."""
        if self._adding or self._waiting_for_room or len(self._buffer) >= self.max_buffer:
            # Tasks start in the order they were made, and put() waits in FIFO order, so
            # everything added after this waits behind it.
            task = asyncio.create_task(self.put(operation), name="contribution-log-intake")
            self._adding.add(task)
            task.add_done_callback(self._adding.discard)
            return
        self._buffer.append(operation)
        self._accepted += 1
        if len(self._buffer) >= self._write_at:
            self._wake.set()

    async def put_many(self, operations: Iterable[Operation]) -> None:
        for operation in operations:
            await self.put(operation)

    async def _wait_for_room(self) -> None:
        self._waiting_for_room += 1
        try:
            async with self._progress:
                # FIFO wake-ups keep the order in which listeners arrived.
                await self._progress.wait_for(lambda: len(self._buffer) < self.max_buffer)
        finally:
            self._waiting_for_room -= 1

    # lifecycle -------------------------------------------------------------------------------
    def start(self) -> None:
        if self._task is None or self._task.done():
            self._stopping = False
            self._task = asyncio.create_task(self._run(), name="contribution-writer")

    async def flush(self, timeout: float | None = None) -> None:  # noqa: ASYNC109
        """Return once everything put (or added) before this call is in the database."""
        if self._task is None or self._task.done():
            while self._buffer or self._adding:
                await self._write_all()
                await asyncio.sleep(0)  # lets waiting add() calls in
            return
        async with asyncio.timeout(timeout):
            self._wake.set()  # a full buffer drains, so added operations waiting get in
            while self._adding:
                await asyncio.wait(set(self._adding))
            target = self._accepted
            self._flush_requested = max(self._flush_requested, target)
            self._wake.set()
            async with self._progress:
                await self._progress.wait_for(lambda: self._written >= target)

    async def stop(self, timeout: float = 15.0) -> None:  # noqa: ASYNC109
        """Write what is buffered and stop. If the database stays unavailable for ``timeout``
        seconds, what is left is given up (and logged); gap repair re-reads those messages."""
        if self._task is None:
            return
        if self._adding:  # events received before the stop are written too
            await asyncio.wait(set(self._adding), timeout=timeout)
        self._stopping = True
        self._wake.set()
        try:
            await asyncio.wait_for(asyncio.shield(self._task), timeout)
        except TimeoutError:
            self._task.cancel()
            log.error(
                "contribution log: the database stayed unavailable; %d operations not written "
                "(messages among them are read back by gap repair at the next start)",
                len(self._buffer),
            )
        finally:
            self._task = None
            for task in self._adding:
                task.cancel()

    async def _run(self) -> None:
        while True:
            if self._stopping and not self._buffer:
                return
            hurry = (
                self._stopping
                or self._written < self._flush_requested
                or len(self._buffer) >= self.max_buffer  # intake is waiting for room
            )
            if len(self._buffer) < self.flush_rows and not hurry:
                # Let a batch gather: half a second, or until flush_rows are waiting.
                self._wake.clear()
                # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancellation
                # that comes as the event is set (the delivery worker met it at close).
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self.flush_interval):
                        await self._wake.wait()
            if self._buffer:
                await self._write_with_retry()

    async def _write_with_retry(self) -> None:
        pause = 0.25
        while self._buffer:
            try:
                await self._write_batch()
                return
            except TRANSIENT_ERRORS as error:
                self.failures += 1
                reason = str(getattr(error, "orig", None) or error).splitlines()[0][:200]
                log.warning(
                    "contribution log: database unavailable (%s); %d operations wait, retrying "
                    "in %.1f s",
                    reason,
                    len(self._buffer),
                    pause,
                )
                await asyncio.sleep(pause)
                pause = min(pause * 2, self.max_backoff)

    async def _write_all(self) -> None:
        while self._buffer:
            await self._write_batch()

    async def _write_batch(self) -> None:
        batch = [self._buffer[index] for index in range(min(len(self._buffer), self.max_batch))]
        try:
            async with self.db.transaction() as session:
                await self._apply(session, batch)
        except TRANSIENT_ERRORS:
            raise  # waited out by the caller (some are DBAPIErrors too: not the case below)
        except DBAPIError as error:
            if _is_transient(error):
                raise
            # A row the database refuses (it should not happen) must not block the log:
            # write one operation per transaction and give up only on the refused ones.
            log.exception("contribution log: a batch was refused; writing it one by one")
            await self._write_one_by_one(batch)
        await self._done(len(batch))

    async def _write_one_by_one(self, batch: Sequence[Operation]) -> None:
        for operation in batch:
            try:
                async with self.db.transaction() as session:
                    await self._apply(session, [operation])
            except TRANSIENT_ERRORS:
                raise
            except DBAPIError as error:
                if _is_transient(error):
                    raise
                self.dropped += 1
                log.error("contribution log: gave up on %r: %s", type(operation).__name__, error)

    async def _done(self, count: int) -> None:
        for _ in range(count):
            self._buffer.popleft()
        self._written += count
        async with self._progress:
            self._progress.notify_all()

    # applying a batch, in order ----------------------------------------------------------------
    async def _apply(self, session: AsyncSession, batch: Sequence[Operation]) -> None:
        if self.optouts is not None:  # opt-outs another process recorded count too
            await self.optouts.catch_up(session, _people(batch))
        batch = [self._unnamed(op) for op in batch if not self._opted_out(op)]
        await self._ensure_communities(session, batch)
        await self.register.refresh(session, _people(batch))
        logged_at = utc_now()
        attribution_of = self.register.of
        for run in _runs(batch):
            first = run[0]
            if isinstance(first, ContributionRow):
                rows = [op for op in run if isinstance(op, ContributionRow)]
                await log_queries.store_contributions(
                    session,
                    rows,
                    attributions=[
                        attribution_of(row.community_id, row.author_id, row.created_at)
                        for row in rows
                    ],
                    logged_at=logged_at,
                )
            elif isinstance(first, ReactionRow):
                reactions = [op for op in run if isinstance(op, ReactionRow)]
                await log_queries.store_reactions(
                    session,
                    reactions,
                    attributions=[
                        attribution_of(row.community_id, row.user_id, row.created_at)
                        for row in reactions
                    ],
                )
            elif isinstance(first, DeleteContributions):
                ids = [
                    message_id
                    for op in run
                    if isinstance(op, DeleteContributions)
                    for message_id in op.message_ids
                ]
                await log_queries.delete_contributions(session, ids)
            elif isinstance(first, ContributionEdit):
                await log_queries.update_contribution(session, first)
            elif isinstance(first, DeleteReaction):
                await log_queries.delete_reaction(
                    session, first.message_id, first.user_id, first.emoji
                )
            elif isinstance(first, ClearReactions):
                await log_queries.clear_reactions(session, first.message_id, first.emoji)
            elif isinstance(first, MarkThreadStart):
                await log_queries.mark_thread_start(session, first.message_id, first.author_id)

    def _opted_out(self, operation: Operation) -> bool:
        # Checked again here: a member may opt out while their events wait in the buffer.
        if self.optouts is None:
            return False
        if isinstance(operation, ContributionRow):
            return self.optouts.is_opted_out(operation.community_id, operation.author_id)
        if isinstance(operation, ReactionRow):
            return self.optouts.is_opted_out(operation.community_id, operation.user_id)
        return False

    def _unnamed(self, operation: Operation) -> Operation:
        # Nor is someone who opted out (or asked to be forgotten) while a reply or a reaction
        # to them waited here named in it: forgetting them cleared the rows already written.
        if self.optouts is None:
            return operation
        if (
            isinstance(operation, ContributionRow)
            and operation.reply_to_author_id is not None
            and self.optouts.is_opted_out(operation.community_id, operation.reply_to_author_id)
        ):
            return dataclasses.replace(operation, reply_to_author_id=None)
        if (
            isinstance(operation, ReactionRow)
            and operation.target_author_id is not None
            and self.optouts.is_opted_out(operation.community_id, operation.target_author_id)
        ):
            return dataclasses.replace(operation, target_author_id=None)
        return operation

    async def _ensure_communities(self, session: AsyncSession, batch: Sequence[Operation]) -> None:
        for operation in batch:
            if isinstance(operation, ContributionRow | ReactionRow):
                community_id = operation.community_id
                if community_id not in self._known_communities:
                    name = self._community_names.get(community_id, f"Community {community_id}")
                    await ensure_community(session, community_id, name)
                    self._known_communities.add(community_id)


_BATCHABLE = (ContributionRow, ReactionRow, DeleteContributions)


def _runs(batch: Sequence[Operation]) -> Iterable[Sequence[Operation]]:
    """The batch cut into runs that keep its order: consecutive stores (or deletions) of the
    same kind go to the database as one statement; anything else alone."""
    start = 0
    while start < len(batch):
        kind = type(batch[start])
        end = start + 1
        if kind in _BATCHABLE:
            while end < len(batch) and type(batch[end]) is kind:
                end += 1
        yield batch[start:end]
        start = end


def _people(batch: Sequence[Operation]) -> dict[int, set[int]]:
    """The authors and reactors of a batch, by community: whose attribution it needs."""
    wanted: dict[int, set[int]] = {}
    for operation in batch:
        if isinstance(operation, ContributionRow):
            wanted.setdefault(operation.community_id, set()).add(operation.author_id)
        elif isinstance(operation, ReactionRow):
            wanted.setdefault(operation.community_id, set()).add(operation.user_id)
    return wanted


def _is_transient(error: DBAPIError) -> bool:
    """Connection trouble and lock timeouts are worth waiting out; bad rows are not."""
    if error.connection_invalidated:
        return True
    text = str(error.orig or error).lower()
    return any(
        sign in text
        for sign in ("locked", "connection", "closed", "timeout", "terminat", "shutdown", "busy")
    )
