"""A learning alliance read from the database (``Platforms.alliance``, ``storage.platforms.flows``)
on both databases: the platforms reached over links from a server's platforms (directly or
through others), a link that ended before the period left out, and flows at the period's edges
(a copy sent at the start counts, one sent at the end does not)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.membership.vocabulary import Level
from bot.platforms.deliveries import Deliveries
from bot.platforms.service import Platforms
from bot.platforms.values import Direction, Flow, Platform, Relation, ShareTarget
from storage import platforms as queries
from storage.db import Database
from tests.storage.helpers import Clock, share_message

T0 = datetime(2030, 3, 1, tzinfo=UTC)
START, END = T0 + timedelta(days=2), T0 + timedelta(days=4)
"""The period read: [START, END)."""
MODERATOR = 930_000_000_000_000_001
GUILDS = {
    "National": 900_000_000_000_000_101,
    "Kisumu": 900_000_000_000_000_102,
    "Nakuru": 900_000_000_000_000_103,
    "Njoro": 900_000_000_000_000_104,
    "Alone": 900_000_000_000_000_105,
    "Former": 900_000_000_000_000_106,
}
INBOX = 940_000_000_000_000_001
COPIES, THREADS = 960_000_000_000_000_000, 970_000_000_000_000_000
"""Message and thread ids of the copies: these plus the delivery's id."""


class Alliance:
    """National above Kisumu and Nakuru, Nakuru above Njoro (two links from Kisumu), Former a
    peer of National until a day before the period, Alone linked to nobody."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self.clock = clock
        self.service = Platforms(db, clock=clock)
        self.deliveries = Deliveries(db, process_id="test", clock=clock)
        self.platforms: dict[str, Platform] = {}
        self.messages = 950_000_000_000_000_000

    async def build(self) -> None:
        self.clock.now = T0
        for name, guild in GUILDS.items():
            level = {"National": Level.NATIONAL, "Njoro": Level.LOCAL}.get(name, Level.INTERMEDIATE)
            self.platforms[name] = await self.service.create(
                guild, f"{name} server", name=name, level=level, category_id=None, actor_id=1
            )
        for upper, lower in (("National", "Kisumu"), ("National", "Nakuru"), ("Nakuru", "Njoro")):
            await self.link(upper, lower, Relation.CHILD)
        await self.link("National", "Former", Relation.PEER)
        self.clock.now = T0 + timedelta(days=1)
        await self.service.unlink(self.platforms["National"], "Former", actor_id=MODERATOR)

    async def link(self, inviting: str, joining: str, relation: Relation) -> None:
        code, _ = await self.service.invite(self.platforms[inviting], relation, actor_id=MODERATOR)
        await self.service.join(code, self.platforms[joining], actor_id=MODERATOR)

    async def share_sent(self, origin: str, target: ShareTarget, at: datetime) -> list[int]:
        """A share from ``origin``, shared an hour before ``at``; every copy sent at ``at``.
        The deliveries' ids."""
        self.messages += 1
        self.clock.now = at - timedelta(hours=1)
        shared = await share_message(
            self.service,
            self.platforms[origin],
            target,
            self.messages,
            text="What we learned",
            shared_by=MODERATOR,
        )
        self.clock.now = at
        ids = []
        for delivery in await self.deliveries.of_share(shared.share.id):
            await self.deliveries.sending(delivery.id, INBOX)
            await self.deliveries.sent(delivery.id, COPIES + delivery.id)
            await self.deliveries.done(delivery.id, THREADS + delivery.id)
            ids.append(delivery.id)
        return ids

    async def respond(self, delivery_id: int, at: datetime) -> None:
        """A message in the copy's thread, written at ``at``."""
        self.messages += 1
        found = await self.deliveries.of_thread(THREADS + delivery_id)
        assert found is not None
        delivery, link = found
        assert await self.deliveries.record_response(delivery, link, self.messages, at)

    async def targets(self, delivery_id: int) -> set[int]:
        """The platforms the share of that delivery went to."""
        job = await self.deliveries.job(delivery_id)
        assert job is not None
        return {d.target_platform_id for d in await self.deliveries.of_share(job.share.id)}

    def id(self, name: str) -> int:
        return self.platforms[name].id


async def built(db: Database, clock: Clock) -> Alliance:
    alliance = Alliance(db, clock)
    await alliance.build()
    return alliance


async def test_the_alliance_is_what_links_reach_in_the_period(db: Database) -> None:
    alliance = await built(db, Clock(T0))
    data = await alliance.service.alliance(GUILDS["Kisumu"], START, END)
    assert data.home_ids == {alliance.id("Kisumu")}
    # Njoro is reached through National and Nakuru; Former's link ended before the period;
    # Alone was never linked.
    assert {p.name for p in data.platforms} == {"National", "Kisumu", "Nakuru", "Njoro"}
    assert {(link.upper_id, link.lower_id) for link in data.links} == {
        (alliance.id("National"), alliance.id("Kisumu")),
        (alliance.id("National"), alliance.id("Nakuru")),
        (alliance.id("Nakuru"), alliance.id("Njoro")),
    }
    assert data.server_names[GUILDS["Njoro"]] == "Njoro server"
    assert data.flows == ()

    # A period that includes the day Former was still linked reaches it (and only it more).
    earlier = await alliance.service.alliance(GUILDS["Kisumu"], T0, END)
    assert {p.name for p in earlier.platforms} == {
        "National",
        "Kisumu",
        "Nakuru",
        "Njoro",
        "Former",
    }

    alone = await alliance.service.alliance(GUILDS["Alone"], START, END)
    assert alone.home_ids == {alliance.id("Alone")}
    assert [p.name for p in alone.platforms] == ["Alone"]
    assert alone.links == () and alone.flows == ()

    former = await alliance.service.alliance(GUILDS["Former"], START, END)
    assert [p.name for p in former.platforms] == ["Former"] and former.links == ()

    nobody = await alliance.service.alliance(900_000_000_000_000_999, START, END)
    assert nobody.home_ids == frozenset() and nobody.platforms == ()


async def test_a_link_made_after_the_period_is_left_out(db: Database) -> None:
    clock = Clock(T0)
    alliance = await built(db, clock)
    clock.now = END  # at the period's end exactly: not in [START, END)
    await alliance.link("Alone", "Kisumu", Relation.PEER)
    data = await alliance.service.alliance(GUILDS["Kisumu"], START, END)
    assert "Alone" not in {p.name for p in data.platforms}
    later = await alliance.service.alliance(GUILDS["Kisumu"], START, END + timedelta(seconds=1))
    assert "Alone" in {p.name for p in later.platforms}


async def test_flows_count_from_the_start_up_to_the_end_excluded(db: Database) -> None:
    clock = Clock(T0)
    alliance = await built(db, clock)
    national, kisumu, nakuru = (alliance.id(n) for n in ("National", "Kisumu", "Nakuru"))
    before = await alliance.share_sent("Kisumu", ShareTarget.UP, START - timedelta(seconds=1))
    (at_start,) = await alliance.share_sent("Kisumu", ShareTarget.UP, START)
    down = await alliance.share_sent("National", ShareTarget.DOWN, START + timedelta(hours=5))
    await alliance.share_sent("Nakuru", ShareTarget.ALL, END)  # to National and Njoro: too late
    await alliance.respond(at_start, END - timedelta(seconds=1))  # National answers Kisumu
    await alliance.respond(at_start, END)  # too late
    await alliance.respond(before[0], START)  # an answer in the period to an older item

    data = await alliance.service.alliance(GUILDS["Nakuru"], START, END)
    link_of = {(link.upper_id, link.lower_id): link.id for link in data.links}
    to_kisumu, to_nakuru = link_of[(national, kisumu)], link_of[(national, nakuru)]
    assert await alliance.targets(down[0]) == {kisumu, nakuru}
    expected = {
        Flow(to_kisumu, kisumu, national, Direction.UP, False, START),
        Flow(to_kisumu, national, kisumu, Direction.DOWN, False, START + timedelta(hours=5)),
        Flow(to_nakuru, national, nakuru, Direction.DOWN, False, START + timedelta(hours=5)),
        Flow(to_kisumu, national, kisumu, Direction.DOWN, True, END - timedelta(seconds=1)),
        Flow(to_kisumu, national, kisumu, Direction.DOWN, True, START),
    }
    assert set(data.flows) == expected
    assert len(data.flows) == len(expected)

    # The query itself, on one link only and on a narrower window.
    async with db.session() as session:
        only_nakuru = await queries.flows(session, [to_nakuru], START, END)
        first_hour = await queries.flows(session, [to_kisumu], START, START + timedelta(hours=1))
        none = await queries.flows(session, [], START, END)
    assert only_nakuru == [
        Flow(to_nakuru, national, nakuru, Direction.DOWN, False, START + timedelta(hours=5))
    ]
    assert set(first_hour) == {
        Flow(to_kisumu, kisumu, national, Direction.UP, False, START),
        Flow(to_kisumu, national, kisumu, Direction.DOWN, True, START),
    }
    assert none == []
