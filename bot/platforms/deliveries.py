"""Each copy's delivery as a job in the database (``bot.deliveries``), so that every copy is
posted once and none is lost, whatever fails and whenever the process stops.

The steps of a copy, each recorded before the next Discord call:

1. ``PENDING``: recorded with the share, in the same transaction.
2. ``SENDING``: the inbox channel is recorded and the copy sent under the delivery's nonce
   (``enforce_nonce``: Discord answers a repeat within minutes with the first message). If the
   process stops here, the copy may be out: the worker reads the inbox's recent messages for
   the copy (its footer names the share) before sending again.
3. ``SENT``: the message id is recorded; the copy's thread for responses is opened (a second
   try finds the thread made by the first: a message's thread has the message's id).
4. ``DONE``: the thread id is recorded.

A copy out can still change: its author forgotten (``EDIT``) or its original deleted
(``DELETE``). Work is claimed per process for a lease (``LEASE``), so two processes never work on
the same copy at once and a stopped process's claims lapse. A refused inbox pauses its platform
(the moderators are told); deliveries wait and go when the inbox is set again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Collection
from datetime import datetime, timedelta
from typing import Final

from bot.platforms.values import CopyChange, Delivery, DeliveryJob, DeliveryState, Link
from storage import platforms as queries
from storage.db import Database
from storage.types import utc_now

LEASE: Final = timedelta(minutes=2)
"""How long a claim on a delivery lasts; a process renews it by claiming again."""
FIRST_RETRY: Final = timedelta(seconds=5)
LAST_RETRY: Final = timedelta(hours=1)


def retry_delay(attempts: int) -> timedelta:
    """Doubling from 5 seconds, at most an hour apart."""
    return min(FIRST_RETRY * (2 ** max(0, attempts - 1)), LAST_RETRY)


def delivery_nonce(delivery_id: int) -> str:
    """The nonce a copy is sent with (at most 25 characters, Discord's limit)."""
    return f"copbot-share-{delivery_id}"


class Deliveries:
    """The delivery jobs' states in the database, and a wake-up for the worker."""

    def __init__(
        self, db: Database, *, process_id: str, clock: Callable[[], datetime] = utc_now
    ) -> None:
        self.db = db
        self.process_id = process_id
        self.clock = clock
        self.work_waiting = asyncio.Event()

    def notify(self) -> None:
        """Something new to deliver or to change: the worker looks now rather than later."""
        self.work_waiting.set()

    async def claim(self, limit: int, community_ids: Collection[int] | None = None) -> list[int]:
        now = self.clock()
        async with self.db.transaction() as session:
            return await queries.claim_due_deliveries(
                session,
                now=now,
                until=now + LEASE,
                process_id=self.process_id,
                limit=limit,
                community_ids=community_ids,
            )

    async def next_due_at(self, community_ids: Collection[int] | None = None) -> datetime | None:
        async with self.db.session() as session:
            return await queries.next_due_at(session, community_ids)

    async def job(self, delivery_id: int) -> DeliveryJob | None:
        async with self.db.session() as session:
            return await queries.delivery_job(session, delivery_id)

    async def _set(self, delivery_id: int, **changes: object) -> None:
        async with self.db.transaction() as session:
            await queries.update_delivery(session, delivery_id, **changes)

    async def sending(self, delivery_id: int, channel_id: int) -> bool:
        """Step 2: recorded before the copy is sent. False when its link has ended or its
        original was deleted since it was claimed: then nothing may be sent."""
        async with self.db.transaction() as session:
            return await queries.begin_sending(session, delivery_id, channel_id)

    async def sent(self, delivery_id: int, message_id: int) -> None:
        """Step 3: the copy is out."""
        await self._set(
            delivery_id, state=DeliveryState.SENT, message_id=message_id, sent_at=self.clock()
        )

    async def done(self, delivery_id: int, thread_id: int | None) -> None:
        """Step 4: the copy and its thread are out; the claim is let go."""
        await self._set(
            delivery_id,
            state=DeliveryState.DONE,
            thread_id=thread_id,
            delivered_at=self.clock(),
            claimed_by=None,
            claimed_until=None,
            last_error=None,
        )

    async def retry_later(self, delivery_id: int, error: str, *, attempts: int) -> None:
        """Something failed on the way (Discord out of reach, five 429s): the step is tried
        again later; the state stays where it was."""
        await self._set(
            delivery_id,
            attempts=attempts,
            next_attempt_at=self.clock() + retry_delay(attempts),
            last_error=error[:300],
            claimed_by=None,
            claimed_until=None,
        )

    async def wait_for_inbox(self, delivery_id: int, error: str) -> None:
        """The inbox refused the copy: it waits (the platform's inbox is paused) and goes as
        soon as the inbox is set again."""
        await self._set(
            delivery_id,
            state=DeliveryState.PENDING,
            channel_id=None,
            next_attempt_at=self.clock(),
            last_error=error[:300],
            claimed_by=None,
            claimed_until=None,
        )

    async def drop(self, delivery_id: int, reason: str) -> None:
        """The copy will not be made (its link ended, its original was deleted)."""
        await self._set(
            delivery_id,
            state=DeliveryState.DROPPED,
            change=None,
            last_error=reason[:300],
            claimed_by=None,
            claimed_until=None,
        )

    async def changed(self, delivery_id: int, change: CopyChange) -> None:
        """A change to a copy is made (edited, or deleted with its original)."""
        fields: dict[str, object] = {"change": None, "claimed_by": None, "claimed_until": None}
        if change is CopyChange.DELETE:
            # Dropped: the platform holds no copy of the item any more.
            fields.update(
                state=DeliveryState.DROPPED,
                message_id=None,
                thread_id=None,
                last_error="deleted with the original",
            )
        await self._set(delivery_id, **fields)

    # --- responses across the link ---------------------------------------------------------------

    async def copy_threads(self) -> list[int]:
        async with self.db.session() as session:
            return await queries.copy_threads(session)

    async def of_thread(self, thread_id: int) -> tuple[Delivery, Link] | None:
        async with self.db.session() as session:
            delivery = await queries.delivery_of_thread(session, thread_id)
            if delivery is None:
                return None
            link = await queries.get_link(session, delivery.link_id)
        return None if link is None else (delivery, link)

    async def record_response(
        self, delivery: Delivery, link: Link, message_id: int, at: datetime
    ) -> bool:
        """A response in a copy's thread came back across the link (once per message)."""
        async with self.db.transaction() as session:
            return await queries.add_response(session, delivery, link, message_id, at)

    async def response_deleted(self, message_id: int) -> None:
        async with self.db.transaction() as session:
            await queries.delete_response(session, message_id)

    async def of_share(self, share_id: int) -> list[Delivery]:
        async with self.db.session() as session:
            return await queries.deliveries_of_share(session, share_id)
