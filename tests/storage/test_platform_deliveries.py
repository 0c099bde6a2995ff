"""Claiming shared copies' deliveries, on both databases: two processes never work on the same
copy, a stopped process's claims lapse, and a paused inbox holds new copies but not changes."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from bot.contributions.optouts import OptOuts
from bot.contributions.privacy import Privacy
from bot.membership.vocabulary import Level
from bot.platforms.deliveries import LEASE, Deliveries
from bot.platforms.service import Platforms
from bot.platforms.values import CopyChange, DeliveryState, Platform, Relation
from bot.platforms.values import ShareTarget as To
from storage.db import Database
from tests.storage.helpers import Clock, share_message

HOME = 930_000_000_000_000_001
MODERATOR = 940_000_000_000_000_001
AUTHOR = 940_000_000_000_000_002
MESSAGE = 950_000_000_000_000_001


@dataclass
class Alliance:
    platforms: Platforms
    home: Platform
    others: list[Platform]


async def alliance(db: Database, clock: Clock, others: int = 3) -> Alliance:
    """A national platform with ``others`` district platforms below it, each in its own server."""
    service = Platforms(db, clock=clock)
    home = await service.create(
        HOME, "Home", name="National", level=Level.NATIONAL, category_id=None, actor_id=MODERATOR
    )
    made = []
    for number in range(1, others + 1):
        district = await service.create(
            HOME + number,
            f"District {number}",
            name=f"District {number}",
            level=Level.INTERMEDIATE,
            category_id=None,
            actor_id=MODERATOR,
        )
        code, _ = await service.invite(home, Relation.CHILD, actor_id=MODERATOR)
        await service.join(code, district, actor_id=MODERATOR)
        made.append(district)
    return Alliance(service, home, made)


async def opt_out(db: Database) -> None:
    """The author opts out in the home server: their shares lose text and name."""
    await Privacy(db, OptOuts()).opt_out(HOME, "home", user_id=AUTHOR, display_name="Author")


async def share(found: Alliance, message_id: int = MESSAGE) -> int:
    shared = await share_message(
        found.platforms,
        found.home,
        To.DOWN,
        message_id,
        text="What we learned about kiosks",
        shared_by=AUTHOR,
        author_id=AUTHOR,
        source_channel_id=1,
    )
    return shared.share.id


async def test_two_processes_never_claim_the_same_delivery(db: Database, clock: Clock) -> None:
    found = await alliance(db, clock, others=6)
    await share(found)
    first = Deliveries(db, process_id="host-a:1", clock=clock)
    second = Deliveries(db, process_id="host-b:2", clock=clock)

    claims = await asyncio.gather(first.claim(4), second.claim(4), first.claim(4), second.claim(4))

    by_first = set(claims[0]) | set(claims[2])
    by_second = set(claims[1]) | set(claims[3])
    assert not by_first & by_second
    # What one round left (both took the same candidates at once) the next round takes.
    by_first |= set(await first.claim(10))
    by_second |= set(await second.claim(10))
    assert not by_first & by_second
    assert len(by_first | by_second) == 6
    # Claimed, they stay with their process until the lease lapses.
    assert set(await second.claim(10)) == by_second
    assert set(await first.claim(10)) == by_first


async def test_a_lapsed_lease_can_be_claimed(db: Database, clock: Clock) -> None:
    found = await alliance(db, clock, others=2)
    await share(found)
    stopped = Deliveries(db, process_id="stopped:1", clock=clock)
    taken = await stopped.claim(10)
    assert len(taken) == 2
    await stopped.sending(taken[0], channel_id=77)  # it stopped mid-send
    after = Deliveries(db, process_id="after:2", clock=clock)
    assert await after.claim(10) == []

    clock.now += LEASE + LEASE / 10

    assert set(await after.claim(10)) == set(taken)
    job = await after.job(taken[0])
    assert job is not None
    assert job.delivery.state is DeliveryState.SENDING
    assert job.delivery.channel_id == 77


async def test_a_done_delivery_is_claimed_only_for_a_change(db: Database, clock: Clock) -> None:
    found = await alliance(db, clock, others=1)
    await share(found)
    worker = Deliveries(db, process_id="w:1", clock=clock)
    (delivery_id,) = await worker.claim(10)
    await worker.sending(delivery_id, channel_id=5)
    await worker.sent(delivery_id, message_id=6)
    await worker.done(delivery_id, thread_id=6)
    assert await worker.claim(10) == []

    await opt_out(db)

    assert await worker.claim(10) == [delivery_id]
    job = await worker.job(delivery_id)
    assert job is not None
    assert job.delivery.change is CopyChange.EDIT
    assert job.share.text is None and job.share.credit == "a participant"
    await worker.changed(delivery_id, CopyChange.EDIT)
    assert await worker.claim(10) == []


async def test_a_paused_inbox_holds_new_copies_but_not_changes(db: Database, clock: Clock) -> None:
    found = await alliance(db, clock, others=2)
    paused, open_one = found.others
    worker = Deliveries(db, process_id="w:1", clock=clock)
    first_share = await share(found, MESSAGE)
    for delivery_id in await worker.claim(10):
        await worker.sending(delivery_id, channel_id=5)
        await worker.sent(delivery_id, message_id=delivery_id * 10)
        await worker.done(delivery_id, thread_id=delivery_id * 10)
    assert await found.platforms.pause_inbox(paused.id, "its inbox channel was deleted")
    assert not await found.platforms.pause_inbox(paused.id, "again")  # told once

    second_share = await share(found, MESSAGE + 1)
    await opt_out(db)

    claimed = await worker.claim(10)
    jobs = [await worker.job(delivery_id) for delivery_id in claimed]
    seen = {(job.target.id, job.share.id, job.delivery.change) for job in jobs if job is not None}
    # Both copies that are out get their edit; of the new share, only the open inbox's copy.
    assert seen == {
        (paused.id, first_share, CopyChange.EDIT),
        (open_one.id, first_share, CopyChange.EDIT),
        (open_one.id, second_share, None),
    }

    await found.platforms.set_inbox(paused, 99, actor_id=MODERATOR)
    held = await worker.claim(10)
    jobs = [await worker.job(delivery_id) for delivery_id in held]
    assert (paused.id, second_share) in {
        (job.target.id, job.share.id) for job in jobs if job is not None
    }


async def test_next_due_leaves_out_what_waits_for_a_moderator(db: Database, clock: Clock) -> None:
    found = await alliance(db, clock, others=1)
    (district,) = found.others
    worker = Deliveries(db, process_id="w:1", clock=clock)
    assert await worker.next_due_at() is None
    await share(found)
    assert await worker.next_due_at() == clock.now
    assert await worker.next_due_at(community_ids=[HOME]) is None  # not a server it serves

    (delivery_id,) = await worker.claim(10)
    # Claimed (by this process or another), it is due again when the claim lapses.
    assert await worker.next_due_at() == clock.now + LEASE

    await found.platforms.pause_inbox(district.id, "its inbox channel was deleted")
    await worker.wait_for_inbox(delivery_id, "its inbox channel was deleted")
    assert await worker.next_due_at() is None  # it waits for the inbox, not for a time
    await found.platforms.resume_inbox(district.id)
    assert await worker.next_due_at() == clock.now
