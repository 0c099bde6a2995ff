"""Claims across processes: one process handles each interaction, however many receive it, and
one process at a time does a piece of work (a lease).

Two processes holding one shard (an overlapping deploy: the new process is up before the old one
stops) both receive every event of the shard from Discord, interactions included. Each process
claims an interaction before handling it, as the scheduler claims a firing: a row unique on the
interaction's id, and only the process whose insert succeeded handles it; the other drops it
with a line in the log. Without the claim both would act (a note added twice, say) and the
slower one would fail to answer: Discord takes one answer per interaction (40060).

Several processes need PostgreSQL, so the bot claims interactions only there (bot/client.py).

A claim is useless once Discord has forgotten its interaction (15 minutes), so claims older than
an hour are removed now and then.

A lease (:class:`Leases`) keeps a piece of work to one process at a time: a café's Discord work,
which a new process's start-up recovery would otherwise repeat while the old process is at it
(a table thread opened twice).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime, timedelta

from storage import claims as claim_queries
from storage.db import Database, bookkeeping, database_unreachable
from storage.types import utc_now

log = logging.getLogger(__name__)

KEEP_CLAIMS = timedelta(hours=1)


class InteractionClaims:
    def __init__(
        self, db: Database, *, process_id: str, clock: Callable[[], datetime] = utc_now
    ) -> None:
        self.db = db
        self.process_id = process_id[:64]
        self.clock = clock
        self._forgot_at: datetime | None = None

    async def take(self, interaction_id: int) -> bool:
        """True when this process is to handle the interaction. A database out of reach cannot
        say: the interaction is handled (its answer then says the database is out of reach)
        rather than left unanswered."""
        now = self.clock()
        try:
            with bookkeeping():
                taken = await self._claim(interaction_id, now)
        except Exception as error:
            if not database_unreachable(error):
                raise
            # One line at info: the handler meets the outage too, and says so (a warning).
            log.info(
                "database unreachable: interaction %s handled without a claim (%s)",
                interaction_id,
                type(error).__name__,
            )
            return True
        return taken

    async def _claim(self, interaction_id: int, now: datetime) -> bool:
        async with self.db.transaction() as session:
            taken = await claim_queries.claim_interaction(
                session, interaction_id, claimed_by=self.process_id, now=now
            )
            if self._forgot_at is None or now - self._forgot_at >= KEEP_CLAIMS:
                await claim_queries.forget_claims_before(session, now - KEEP_CLAIMS)
                self._forgot_at = now
        return taken


LEASE = timedelta(seconds=8)
"""How long a lease lasts unless renewed: the work of a process that was killed waits this long
at most before another process takes it up."""
RENEW_EVERY = 2.5  # seconds
TRY_AGAIN_AFTER = 0.25  # seconds, while another process holds the lease


class Leases:
    """Work that one process at a time does, across the processes sharing the database (the
    platform deliveries' lease, for work that is not a row of its own): the holder renews its
    lease while at work and gives it up after; the lease of a process that stopped lapses."""

    def __init__(
        self, db: Database, *, process_id: str, clock: Callable[[], datetime] = utc_now
    ) -> None:
        self.db = db
        self.process_id = process_id[:64]
        self.clock = clock

    @asynccontextmanager
    async def holding(self, key: str) -> AsyncIterator[None]:
        """Wait until this process holds ``key``, and hold it for the block."""
        while True:
            if await self._take(key):
                break
            await asyncio.sleep(TRY_AGAIN_AFTER)  # another process is at it: a poll, no signal
        renewing = asyncio.create_task(self._renew(key), name=f"lease renewal {key}")
        try:
            yield
        finally:
            renewing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewing
            try:
                with bookkeeping():
                    async with self.db.transaction() as session:
                        await claim_queries.give_up_lease(session, key, holder=self.process_id)
            except Exception as error:
                if not database_unreachable(error):
                    raise
                log.warning("lease %s left to lapse: the database is out of reach", key)

    async def _take(self, key: str) -> bool:
        now = self.clock()
        with bookkeeping():
            async with self.db.transaction() as session:
                return await claim_queries.take_lease(
                    session, key, holder=self.process_id, now=now, until=now + LEASE
                )

    async def _renew(self, key: str) -> None:
        while True:
            await asyncio.sleep(RENEW_EVERY)
            try:
                if not await self._take(key):
                    log.warning("lease %s lapsed and was taken by another process", key)
            except Exception as error:
                if not database_unreachable(error):
                    raise
                log.warning("lease %s not renewed: the database is out of reach", key)
