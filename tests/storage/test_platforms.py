"""The learning-alliance service on both databases: platforms, codes that link once, links with
history, shares that make one delivery per linked platform, and what forgetting and deleting do
to copies."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.contributions.optouts import OptOuts
from bot.contributions.privacy import Privacy
from bot.errors import BadInput, NotFound
from bot.membership.vocabulary import Level
from bot.platforms import codes
from bot.platforms.deliveries import Deliveries
from bot.platforms.service import Platforms, Shared
from bot.platforms.values import (
    A_PARTICIPANT,
    CopyChange,
    DeliveryState,
    Direction,
    Platform,
    Relation,
    ShareTarget,
    credit_for,
)
from storage.audit import recent_audit
from storage.db import Database
from storage.models import PlatformInvite
from tests.storage.helpers import Clock
from tests.storage.helpers import share_message as shared

NATIONAL_SERVER = 900_000_000_000_000_001
KISUMU_SERVER = 900_000_000_000_000_002
NAKURU_SERVER = 900_000_000_000_000_003
MOD = 41
AUTHOR = 42


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2030, 3, 4, 7, 0, tzinfo=UTC))


@pytest.fixture
def service(db: Database, clock: Clock) -> Platforms:
    return Platforms(db, clock=clock)


async def make(service: Platforms, server: int, name: str, level: Level) -> Platform:
    return await service.create(
        server, f"server {name}", name=name, level=level, category_id=None, actor_id=MOD
    )


async def linked(
    service: Platforms, inviting: Platform, joining: Platform, relation: Relation
) -> None:
    code, _ = await service.invite(inviting, relation, actor_id=MOD)
    await service.join(code, joining, actor_id=MOD + 1)


async def alliance(service: Platforms) -> tuple[Platform, Platform, Platform]:
    """A national platform with two districts below it, and the districts linked as peers."""
    national = await make(service, NATIONAL_SERVER, "Kenya WASH", Level.NATIONAL)
    kisumu = await make(service, KISUMU_SERVER, "Kisumu", Level.INTERMEDIATE)
    nakuru = await make(service, NAKURU_SERVER, "Nakuru", Level.INTERMEDIATE)
    await linked(service, national, kisumu, Relation.CHILD)
    await linked(service, nakuru, national, Relation.PARENT)
    await linked(service, kisumu, nakuru, Relation.PEER)
    return national, kisumu, nakuru


async def share_message(
    service: Platforms, origin: Platform, target: ShareTarget, message_id: int = 5001
) -> Shared:
    return await shared(
        service,
        origin,
        target,
        message_id,
        text="We cut the borehole repair time by half with a spare-parts kit per ward.",
        shared_by=AUTHOR,
        author_id=AUTHOR,
        source_channel_id=77,
    )


# --- platforms -------------------------------------------------------------------------------


async def test_a_server_has_one_platform_per_place_and_name(service: Platforms) -> None:
    made = await make(service, KISUMU_SERVER, "Kisumu", Level.INTERMEDIATE)
    assert (await service.resolve(KISUMU_SERVER, None)).id == made.id
    assert (await service.resolve(KISUMU_SERVER, " kisumu ")).id == made.id
    with pytest.raises(BadInput, match="already the platform of the whole server"):
        await make(service, KISUMU_SERVER, "Kisumu two", Level.LOCAL)
    with pytest.raises(BadInput, match="already has a platform called"):
        await service.create(
            KISUMU_SERVER, "s", name="KISUMU", level=Level.LOCAL, category_id=5, actor_id=MOD
        )
    ward = await service.create(
        KISUMU_SERVER, "s", name="Ward 4", level=Level.LOCAL, category_id=5, actor_id=MOD
    )
    # A channel in the ward's category belongs to the ward's platform; elsewhere, the server's.
    assert (await service.resolve(KISUMU_SERVER, None, category_id=5)).id == ward.id
    assert (await service.resolve(KISUMU_SERVER, None, category_id=6)).id == made.id
    with pytest.raises(NotFound, match="Did you mean"):
        await service.resolve(KISUMU_SERVER, "Kisumuu")
    with pytest.raises(BadInput, match="2 to 100 characters"):
        await make(service, NAKURU_SERVER, "x" * 101, Level.LOCAL)


async def test_a_server_without_platforms_is_told_how_to_make_one(service: Platforms) -> None:
    with pytest.raises(NotFound, match="/platform create"):
        await service.resolve(NAKURU_SERVER, None)


# --- codes and links -------------------------------------------------------------------------


async def test_a_code_is_random_kept_hashed_and_links_once(
    db: Database, service: Platforms
) -> None:
    national = await make(service, NATIONAL_SERVER, "Kenya WASH", Level.NATIONAL)
    kisumu = await make(service, KISUMU_SERVER, "Kisumu", Level.INTERMEDIATE)
    nakuru = await make(service, NAKURU_SERVER, "Nakuru", Level.INTERMEDIATE)
    code, expires = await service.invite(national, Relation.CHILD, actor_id=MOD)
    assert code.startswith(codes.PREFIX) and len(code) - len(codes.PREFIX) >= 22  # >= 128 bits
    async with db.session() as session:
        stored = (await session.execute(select(PlatformInvite))).scalars().all()
    assert [row.code_hash for row in stored] == [codes.code_hash(code)]
    assert code not in repr([row.model_dump() for row in stored])

    preview = await service.preview(code, kisumu)
    assert preview.inviting.id == national.id
    assert preview.relation is Relation.PARENT  # seen from Kisumu, the national sits above
    assert preview.expires_at == expires
    seen = await service.join(code, kisumu, actor_id=MOD + 1)
    assert seen.platform.id == national.id and seen.relation is Relation.PARENT

    with pytest.raises(BadInput, match="used already"):
        await service.join(code, nakuru, actor_id=MOD + 2)
    with pytest.raises(BadInput, match="not a link code I gave out"):
        await service.preview(codes.new_code(), nakuru)
    own, _ = await service.invite(nakuru, Relation.PEER, actor_id=MOD)
    with pytest.raises(BadInput, match="cannot link to itself"):
        await service.preview(own, nakuru)
    again, _ = await service.invite(national, Relation.CHILD, actor_id=MOD)
    with pytest.raises(BadInput, match="linked already"):
        await service.join(again, kisumu, actor_id=MOD + 1)


async def test_a_code_expires_after_24_hours(service: Platforms, clock: Clock) -> None:
    national = await make(service, NATIONAL_SERVER, "Kenya WASH", Level.NATIONAL)
    kisumu = await make(service, KISUMU_SERVER, "Kisumu", Level.INTERMEDIATE)
    code, _ = await service.invite(national, Relation.CHILD, actor_id=MOD)
    clock.now += timedelta(hours=23, minutes=59)
    await service.preview(code, kisumu)  # still good
    clock.now += timedelta(minutes=1)
    with pytest.raises(BadInput, match="expired"):
        await service.join(code, kisumu, actor_id=MOD + 1)
    assert await service.links(kisumu) == []


async def test_two_moderators_racing_with_one_code_make_one_link(service: Platforms) -> None:
    national = await make(service, NATIONAL_SERVER, "Kenya WASH", Level.NATIONAL)
    kisumu = await make(service, KISUMU_SERVER, "Kisumu", Level.INTERMEDIATE)
    nakuru = await make(service, NAKURU_SERVER, "Nakuru", Level.INTERMEDIATE)
    code, _ = await service.invite(national, Relation.CHILD, actor_id=MOD)
    outcomes = await asyncio.gather(
        service.join(code, kisumu, actor_id=1),
        service.join(code, nakuru, actor_id=2),
        return_exceptions=True,
    )
    assert sum(not isinstance(outcome, BaseException) for outcome in outcomes) == 1
    assert all(isinstance(o, BadInput) for o in outcomes if isinstance(o, BaseException))
    assert len(await service.links(national)) == 1


async def test_relations_and_directions_as_each_end_sees_them(service: Platforms) -> None:
    national, kisumu, _ = await alliance(service)
    seen = {item.platform.name: item.relation for item in await service.links(kisumu)}
    assert seen == {"Kenya WASH": Relation.PARENT, "Nakuru": Relation.PEER}
    seen = {item.platform.name: item.relation for item in await service.links(national)}
    assert seen == {"Kisumu": Relation.CHILD, "Nakuru": Relation.CHILD}
    for item in await service.links(kisumu):
        expected = Direction.UP if item.platform.id == national.id else Direction.ACROSS
        assert item.link.direction_from(kisumu.id) is expected
        assert item.link.direction_from(item.platform.id) is expected.reverse


async def test_unlink_ends_the_link_and_keeps_its_history(
    db: Database, service: Platforms, clock: Clock
) -> None:
    national, kisumu, _ = await alliance(service)
    clock.now += timedelta(days=3)
    ended = await service.unlink(kisumu, "kenya wash", actor_id=MOD)
    assert ended.other.platform.id == national.id
    assert [i.platform.name for i in await service.links(kisumu)] == ["Nakuru"]
    history = {i.platform.name: i.link for i in await service.links(kisumu, live_only=False)}
    assert history["Kenya WASH"].ended_at == clock.now
    assert history["Kenya WASH"].started_at == clock.now - timedelta(days=3)
    with pytest.raises(NotFound, match="no live link"):
        await service.unlink(national, "Kisumu", actor_id=MOD)
    with pytest.raises(BadInput, match="no linked platform above it"):
        await share_message(service, kisumu, ShareTarget.UP)
    async with db.session() as session:
        actions = [event.action for event in await recent_audit(session, KISUMU_SERVER)]
    assert "platform.unlink" in actions and "platform.link" in actions


async def test_the_bot_leaving_a_server_ends_its_platforms_links(service: Platforms) -> None:
    national, kisumu, nakuru = await alliance(service)
    ended = await service.bot_left(KISUMU_SERVER)
    assert {item.other.platform.name for item in ended} == {"Kenya WASH", "Nakuru"}
    assert [i.platform.id for i in await service.links(national)] == [nakuru.id]
    assert await service.links(kisumu) == []


# --- shares and deliveries -------------------------------------------------------------------


async def test_a_share_makes_one_delivery_per_platform_in_its_direction(
    db: Database, service: Platforms
) -> None:
    national, kisumu, nakuru = await alliance(service)
    shared = await share_message(service, kisumu, ShareTarget.UP)
    assert [item.platform.id for item in shared.sent_to] == [national.id]
    deliveries = Deliveries(db, process_id="test")
    made = await deliveries.of_share(shared.share.id)
    assert [(d.target_platform_id, d.direction, d.state) for d in made] == [
        (national.id, Direction.UP, DeliveryState.PENDING)
    ]
    # The same message again, to everyone: only the peer gets a copy now.
    again = await share_message(service, kisumu, ShareTarget.ALL)
    assert [i.platform.id for i in again.sent_to] == [nakuru.id]
    assert [i.platform.id for i in again.already_there] == [national.id]
    with pytest.raises(BadInput, match="has a copy of this already"):
        await share_message(service, kisumu, ShareTarget.ALL)
    down = await share_message(service, national, ShareTarget.DOWN, message_id=6001)
    assert {i.platform.id for i in down.sent_to} == {kisumu.id, nakuru.id}


async def test_opting_out_strips_the_shares_and_marks_copies_out(
    db: Database, service: Platforms
) -> None:
    _, kisumu, _ = await alliance(service)
    shared = await share_message(service, kisumu, ShareTarget.ALL)
    deliveries = Deliveries(db, process_id="test")
    first, second = await deliveries.of_share(shared.share.id)
    await deliveries.sending(first.id, channel_id=1)
    await deliveries.sent(first.id, message_id=2)
    await deliveries.done(first.id, thread_id=2)

    await Privacy(db, OptOuts()).opt_out(
        KISUMU_SERVER, "server Kisumu", user_id=AUTHOR, display_name="Achieng"
    )
    job = await deliveries.job(first.id)
    assert job is not None
    assert job.share.text is None and job.share.attachment_urls == ()
    assert job.share.credit == A_PARTICIPANT and job.share.author_id is None
    assert job.delivery.change is CopyChange.EDIT
    pending = await deliveries.job(second.id)
    assert pending is not None and pending.delivery.change is None  # renders as it is now


async def test_a_deleted_original_drops_copies_not_sent_and_deletes_those_out(
    db: Database, service: Platforms
) -> None:
    _, kisumu, _ = await alliance(service)
    shared = await share_message(service, kisumu, ShareTarget.ALL)
    deliveries = Deliveries(db, process_id="test")
    out, waiting = await deliveries.of_share(shared.share.id)
    await deliveries.sending(out.id, channel_id=1)
    assert await service.original_deleted(KISUMU_SERVER, 5001) == 1
    gone = await deliveries.job(out.id)
    dropped = await deliveries.job(waiting.id)
    assert gone is not None and gone.delivery.change is CopyChange.DELETE
    assert dropped is not None and dropped.delivery.state is DeliveryState.DROPPED
    assert gone.share.deleted_at is not None and gone.share.text is None
    # Another server's message with the same id changes nothing here.
    assert await service.original_deleted(NATIONAL_SERVER, 5001) == 0


def test_copies_name_an_author_only_with_their_consent() -> None:
    assert credit_for("Achieng Otieno", visible=True, organisation="KIWASCO") == "Achieng Otieno"
    assert credit_for("Achieng Otieno", visible=False, organisation="KIWASCO") == (
        "a member of KIWASCO"
    )
    assert credit_for("Achieng Otieno", visible=False, organisation=None) == A_PARTICIPANT


async def test_two_shares_of_one_message_racing_make_one_copy_per_platform(
    db: Database, service: Platforms
) -> None:
    national, kisumu, nakuru = await alliance(service)
    outcomes = await asyncio.gather(
        *(share_message(service, kisumu, ShareTarget.ALL) for _ in range(4)),
        return_exceptions=True,
    )
    made = [outcome for outcome in outcomes if isinstance(outcome, Shared)]
    assert made and all(isinstance(o, Shared | BadInput) for o in outcomes), (
        outcomes
    )  # the others were told the copies are on their way
    targets = [item.platform.id for outcome in made for item in outcome.sent_to]
    assert sorted(targets) == sorted([national.id, nakuru.id])


async def test_a_copy_is_not_sent_over_a_link_that_ended_after_it_was_claimed(
    db: Database, service: Platforms
) -> None:
    _, kisumu, _ = await alliance(service)
    shared = await share_message(service, kisumu, ShareTarget.UP)
    deliveries = Deliveries(db, process_id="test")
    (delivery,) = await deliveries.of_share(shared.share.id)
    assert await deliveries.sending(delivery.id, channel_id=1)  # claimed, then stopped
    await service.unlink(kisumu, "Kenya WASH", actor_id=MOD)
    assert not await deliveries.sending(delivery.id, channel_id=1)
