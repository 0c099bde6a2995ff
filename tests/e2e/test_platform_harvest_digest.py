"""Two things a district platform sends its national platform, through the real bot and the
sandbox in three servers: a café's harvest (asked for with ``/cafe harvest share:``, or by the
platform's autoshare setting when the café ends), compact and unnamed, with the harvest file; and
the vertical digest (``/platform digest up``), group figures only, made once per due time
whatever runs the firing twice, and skipped while there is no parent."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import col, select

from bot.cafe.values import Cafe, CafeState
from bot.membership.vocabulary import Level
from bot.platforms.digest import PLATFORM_DIGEST_KIND, digest_source_key
from bot.platforms.harvests import HARVEST_CREDIT, MORE
from bot.platforms.values import Platform, Relation, ShareKind, ShareTarget
from bot.sandbox import Channel, Member
from bot.sandbox.models import Message
from bot.sandbox.sample import SampleCommunity
from bot.scheduling.values import FiringStatus, Schedule
from storage import cafes
from storage.models import PlatformDelivery, PlatformShare
from storage.schedules import claim_firing, community_schedules_of_kind, firings_of
from storage.types import utc_now
from tests.e2e.alliance import AllianceHarness, running_alliance
from tests.e2e.helpers import WAIT, answered, custom_ids, eventually

pytestmark = pytest.mark.e2e

NATIONAL = "National WASH Platform"
DISTRICT = "Kisumu District"


@pytest.fixture
async def alliance(tmp_path: Path) -> AsyncIterator[AllianceHarness]:
    async with running_alliance(tmp_path) as running:
        await running.set_staff_roles_everywhere()
        yield running


async def national_and_district(harness: AllianceHarness) -> tuple[Platform, Platform]:
    """Server 1 as the national platform (inbox: its #questions), server 2 as a district
    platform below it, linked with consent on both sides."""
    home, kisumu = harness.server(1), harness.server(2)
    platforms = harness.bot.platforms
    national = await platforms.create(
        home.guild.id, home.guild.name, name=NATIONAL, level=Level.NATIONAL, category_id=None,
        actor_id=home.moderator.id,
    )  # fmt: skip
    await platforms.set_inbox(national, home.channels["questions"].id, actor_id=home.moderator.id)
    district = await platforms.create(
        kisumu.guild.id, kisumu.guild.name, name=DISTRICT, level=Level.INTERMEDIATE,
        category_id=None, actor_id=kisumu.moderator.id,
    )  # fmt: skip
    code, _ = await platforms.invite(national, Relation.CHILD, actor_id=home.moderator.id)
    await platforms.join(code, district, actor_id=kisumu.moderator.id)
    return national, district


async def slash(
    harness: AllianceHarness, who: Member, where: Channel, command: str, **options: Any
) -> str:
    itx = await harness.sandbox.slash(who, where, command, timeout=WAIT, **options)
    text = await answered(itx)
    assert itx.ephemeral, text
    return text


def seated_people(server: SampleCommunity, count: int) -> list[Member]:
    found = [
        m
        for m in server.guild.members.values()
        if not m.user.bot and m.id != server.owner.id and m.id != server.moderator.id
    ]
    found.sort(key=lambda m: m.id)
    assert len(found) >= count
    return found[:count]


async def cafe_held_and_ended(
    harness: AllianceHarness, server: SampleCommunity, title: str, said: str, noted: str
) -> Cafe:
    """A café of one round and one table in ``server``: three people sit, one says ``said``
    (marked for the harvest), one notes ``noted`` on the tablecloth; then a moderator ends it
    and its harvest is posted."""
    mod, channel = server.moderator, server.channels["cafe"]
    created = await slash(
        harness, mod, channel, "cafe create", title=title, questions="What did we learn?",
        rounds=1, round_minutes=20, tables=1,
    )  # fmt: skip
    assert "is open for sign-up" in created, created
    signup = next(
        m
        for m in reversed(channel.messages)
        if m.embeds and m.embeds[0].get("title", "").startswith("World Café")
    )
    for member in seated_people(server, 3):
        click = await harness.sandbox.click(
            member, signup, custom_ids(signup)["Join"], timeout=WAIT
        )
        assert "signed up" in click.text(), click.text()
    started = await harness.sandbox.slash(mod, channel, "cafe start", timeout=WAIT)
    assert "has started" in await answered(started)
    (thread,) = [  # the tables of cafés held before are archived
        t for t in server.guild.threads if (t.name or "").startswith("R1 · ") and not t.archived
    ]
    speaker, noter = (server.guild.get_member(u.id) for u in thread.messages[0].mentions[:2])
    assert speaker is not None and noter is not None
    message = await harness.sandbox.send_message(speaker, thread, said)
    marked = await harness.sandbox.context_menu(mod, message, "Add to harvest")
    assert "Marked for the harvest" in marked.text(), marked.text()
    note = await harness.sandbox.slash(noter, thread, "cafe note", timeout=WAIT, text=noted)
    assert "Added to the tablecloth" in note.text(), note.text()
    ended = await harness.sandbox.slash(mod, channel, "cafe end", timeout=WAIT)
    assert "has ended" in await answered(ended)

    async def closed() -> bool:
        async with harness.db.session() as session:
            found = await cafes.list_cafes(session, server.guild.id)
        return any(c.title == title and c.state == CafeState.CLOSED for c in found)

    await eventually(closed)
    async with harness.db.session() as session:
        return next(c for c in await cafes.list_cafes(session, server.guild.id) if c.title == title)


async def shares(harness: AllianceHarness, kind: ShareKind) -> list[PlatformShare]:
    async with harness.db.session() as session:
        found = await session.execute(
            select(PlatformShare)
            .where(col(PlatformShare.kind) == kind.value)
            .order_by(col(PlatformShare.id))
        )
        return list(found.scalars())


async def deliveries_of(harness: AllianceHarness, share_id: int) -> list[PlatformDelivery]:
    async with harness.db.session() as session:
        found = await session.execute(
            select(PlatformDelivery).where(col(PlatformDelivery.share_id) == share_id)
        )
        return list(found.scalars())


def copies_in(harness: AllianceHarness, channel: Channel, title: str) -> list[Message]:
    bot_id = harness.server(1).bot.user.id
    return [
        m
        for m in channel.messages
        if not m.deleted and m.author.id == bot_id and m.embeds and title in str(m.embeds[0])
    ]


def names_of(server: SampleCommunity) -> list[str]:
    return [m.display_name for m in server.guild.members.values() if not m.user.bot]


async def test_a_harvest_goes_up_when_asked_and_by_itself_when_the_platform_says_so(
    alliance: AllianceHarness,
) -> None:
    national, district = await national_and_district(alliance)
    kisumu = alliance.server(2)
    mod, cafe_channel = kisumu.moderator, kisumu.channels["cafe"]
    said = "Projects should budget 5% for knowledge management"
    cafe = await cafe_held_and_ended(alliance, kisumu, "Funding KM", said, "Ask the county")
    assert await shares(alliance, ShareKind.HARVEST) == []  # autoshare is off: nothing went

    again = await slash(alliance, mod, cafe_channel, "cafe harvest", cafe=cafe.id)
    assert "is posted" in again and "copy" not in again, again  # no share: nothing is shared
    assert await shares(alliance, ShareKind.HARVEST) == []

    up = await slash(alliance, mod, cafe_channel, "cafe harvest", cafe=cafe.id, share="up")
    assert f"A copy goes to **{NATIONAL}**." in up, up
    [share] = await shares(alliance, ShareKind.HARVEST)
    assert (share.origin_platform_id, share.target, share.source_key) == (
        district.id,
        ShareTarget.UP,
        f"cafe:{cafe.id}",
    )
    assert share.title == "Harvest of Funding KM"
    assert share.credit == HARVEST_CREDIT and share.author_id is None
    assert share.text is not None and said in share.text and "Ask the county" in share.text
    assert MORE not in share.text
    for name in names_of(kisumu):  # nobody is named in the copy
        assert name not in share.text, name
    [file_url] = share.attachment_urls
    assert file_url.endswith(".md"), file_url
    assert share.jump_url is not None and str(kisumu.guild.id) in share.jump_url
    [delivery] = await deliveries_of(alliance, share.id or 0)
    assert delivery.target_platform_id == national.id

    inbox = alliance.server(1).channels["questions"]
    await eventually(lambda: _true(len(copies_in(alliance, inbox, "Harvest of Funding KM")) == 1))
    [copy] = copies_in(alliance, inbox, "Harvest of Funding KM")
    assert said in str(copy.embeds[0])

    twice = await slash(alliance, mod, cafe_channel, "cafe harvest", cafe=cafe.id, share="all")
    assert "has a copy of this already" in twice, twice
    down = await slash(alliance, mod, cafe_channel, "cafe harvest", cafe=cafe.id, share="down")
    assert "no linked platform below it" in down, down
    assert len(await shares(alliance, ShareKind.HARVEST)) == 1

    on = await slash(alliance, mod, kisumu.channels["general"], "platform autoshare harvests",
                     setting="on")  # fmt: skip
    assert "now shared" in on, on
    second = await cafe_held_and_ended(
        alliance, kisumu, "Sanitation lessons", "Latrines need upkeep money", "Train caretakers"
    )
    _first, auto = await shares(alliance, ShareKind.HARVEST)
    assert (auto.source_key, auto.target) == (f"cafe:{second.id}", ShareTarget.ALL)
    assert auto.shared_by is None and auto.text is not None and "Train caretakers" in auto.text
    [delivery] = await deliveries_of(alliance, auto.id or 0)
    assert delivery.target_platform_id == national.id
    await eventually(
        lambda: _true(len(copies_in(alliance, inbox, "Harvest of Sanitation lessons")) == 1)
    )


async def _true(value: bool) -> bool:
    return value


async def digest_schedules(harness: AllianceHarness, server: SampleCommunity) -> list[Schedule]:
    async with harness.db.session() as session:
        return await community_schedules_of_kind(session, server.guild.id, PLATFORM_DIGEST_KIND)


async def test_a_weekly_digest_goes_up_once_per_due_time_with_group_figures_only(
    alliance: AllianceHarness,
) -> None:
    national, district = await national_and_district(alliance)
    kisumu = alliance.server(2)
    general = kisumu.channels["general"]
    plain = seated_people(kisumu, 1)[0]
    refused = await slash(alliance, plain, general, "platform digest up", frequency="weekly")
    assert "moderator" in refused.lower(), refused
    coordinator = kisumu.with_roles(kisumu.coordinators_role)
    raised = await slash(alliance, coordinator, general, "settings privacy", min_group=50)
    assert "50" in raised, raised

    saved = await slash(alliance, kisumu.moderator, general, "platform digest up",
                        frequency="weekly")  # fmt: skip
    assert f"It goes to **{NATIONAL}**" in saved and "Next summary" in saved, saved
    [schedule] = await digest_schedules(alliance, kisumu)
    assert (schedule.target_id, schedule.when_text) == (district.id, "weekly mon 09:00")

    due = utc_now()
    await alliance.bot.scheduler.fire(schedule.id, due)
    [digest] = await shares(alliance, ShareKind.DIGEST)
    assert (digest.origin_platform_id, digest.target) == (district.id, ShareTarget.UP)
    assert digest.source_key == digest_source_key(schedule.id, due)
    assert digest.title == f"{DISTRICT} · weekly summary" and digest.credit == DISTRICT
    text = digest.text or ""
    assert "**Members**: fewer than 50" in text, text
    for label in ("Contributions", "Cafés held", "Questions asked", "Prompts posted", "Top themes"):
        assert f"**{label}**" in text, text
    for name in names_of(kisumu):
        assert name not in text, name
    [delivery] = await deliveries_of(alliance, digest.id or 0)
    assert delivery.target_platform_id == national.id
    [firing] = await _firings(alliance, schedule.id)
    assert firing.status is FiringStatus.DONE and NATIONAL in (firing.note or ""), firing

    await alliance.bot.scheduler.fire(schedule.id, due)  # the same due time again: no second
    assert len(await shares(alliance, ShareKind.DIGEST)) == 1
    inbox = alliance.server(1).channels["questions"]
    await eventually(lambda: _true(len(copies_in(alliance, inbox, "weekly summary")) == 1))

    # A process stopped after sharing one due time, another before sharing the next: at
    # start-up the first is finished without a second share, the second is shared.
    shared_before_stop, not_yet = due + timedelta(minutes=1), due + timedelta(minutes=2)
    async with alliance.db.transaction() as session:
        for moment in (shared_before_stop, not_yet):
            await claim_firing(session, schedule.id, moment, claimed_by="a stopped process")
    await alliance.bot.platform_digests.send(schedule, shared_before_stop)
    await alliance.restart_bot()

    async def claims_finished() -> bool:
        return all(
            f.status is not FiringStatus.CLAIMED for f in await _firings(alliance, schedule.id)
        )

    await eventually(claims_finished)
    keys = sorted(s.source_key for s in await shares(alliance, ShareKind.DIGEST))
    assert keys == sorted(
        digest_source_key(schedule.id, moment) for moment in (due, shared_before_stop, not_yet)
    )
    notes = {f.scheduled_for: f for f in await _firings(alliance, schedule.id)}
    assert all(f.status is FiringStatus.DONE for f in notes.values()), notes

    # Without a parent, a firing is skipped with a note, not failed.
    await alliance.bot.platforms.unlink(district, NATIONAL, actor_id=kisumu.moderator.id)
    lonely = due + timedelta(minutes=3)
    await alliance.bot.scheduler.fire(schedule.id, lonely)
    skipped = next(f for f in await _firings(alliance, schedule.id) if f.scheduled_for == lonely)
    assert skipped.status is FiringStatus.SKIPPED and "no parent" in (skipped.note or "")
    assert len(await shares(alliance, ShareKind.DIGEST)) == 3

    off = await slash(alliance, kisumu.moderator, general, "platform digest up", frequency="off")
    assert "stopped" in off, off
    assert await digest_schedules(alliance, kisumu) == []


async def _firings(harness: AllianceHarness, schedule_id: int) -> list[Any]:
    async with harness.db.session() as session:
        return await firings_of(session, schedule_id)
