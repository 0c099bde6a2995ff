"""/insights alliance and the ``platform`` rows of /export metrics, through the real bot in four
sandbox servers: a national platform (server 1) above two districts (servers 2 and 3), a local
platform (server 4) below Nakuru, and Kisumu and Nakuru linked as peers. Items are shared
through the service and delivered by the real worker; a response is a message in a copy's
thread. The figures read back were counted by hand."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from bot.membership.vocabulary import Level
from bot.platforms.values import DeliveryState, Platform, Relation, ShareKind, ShareTarget
from bot.sandbox.sample import SampleCommunity
from storage.types import utc_now
from tests.e2e.alliance import AllianceHarness, running_alliance
from tests.e2e.helpers import attached, eventually

PNG = b"\x89PNG\r\n\x1a\n"
NATIONAL, KISUMU, NAKURU, NJORO = "National WASH", "Kisumu WASH", "Nakuru WASH", "Njoro Village"


async def make_platform(harness: AllianceHarness, number: int, name: str, level: Level) -> Platform:
    server = harness.server(number)
    return await harness.bot.platforms.create(
        server.guild.id,
        server.guild.name,
        name=name,
        level=level,
        category_id=None,
        actor_id=server.moderator.id,
    )


async def link(
    harness: AllianceHarness,
    inviting: tuple[Platform, SampleCommunity],
    joining: tuple[Platform, SampleCommunity],
    relation: Relation,
) -> None:
    code, _ = await harness.bot.platforms.invite(
        inviting[0], relation, actor_id=inviting[1].moderator.id
    )
    await harness.bot.platforms.join(code, joining[0], actor_id=joining[1].moderator.id)


async def share(
    harness: AllianceHarness, origin: Platform, server: SampleCommunity, target: ShareTarget
) -> int:
    """A message of ``server`` shared on purpose; waits until every copy is out with its
    thread. The share's id."""
    general = server.channels["general"]
    author = server.plain_member
    message = await harness.sandbox.send_message(author, general, f"A lesson from {origin.name}")
    shared = await harness.bot.platforms.share(
        origin,
        target,
        kind=ShareKind.MESSAGE,
        source_key=f"message:{message.id}",
        title=None,
        text=message.content,
        credit="a participant",
        author_id=author.id,
        source_channel_id=general.id,
        source_message_id=message.id,
        jump_url=None,
        shared_by=author.id,
    )
    harness.bot.deliveries.notify()

    async def all_out() -> bool:
        found = await harness.bot.deliveries.of_share(shared.share.id)
        return bool(found) and all(d.state is DeliveryState.DONE for d in found)

    await eventually(all_out, timeout=30)
    return shared.share.id


async def staged(harness: AllianceHarness) -> dict[str, Platform]:
    """The alliance and its flows, counted by hand:

    - Kisumu → National (up): 2 items; National → Kisumu (down): 1 item, 1 response;
    - National → Nakuru (down): 1 item; Kisumu → Nakuru (across): 1 item;
    - Nakuru – Njoro: nothing (a silent link); Nakuru sends nothing (only receiving).
    """
    await harness.set_staff_roles_everywhere()
    servers = {name: harness.server(n) for n, name in enumerate((NATIONAL, KISUMU, NAKURU), 1)}
    servers[NJORO] = harness.server(4)
    levels = {
        NATIONAL: Level.NATIONAL,
        KISUMU: Level.INTERMEDIATE,
        NAKURU: Level.INTERMEDIATE,
        NJORO: Level.LOCAL,
    }
    made = {
        name: await make_platform(harness, number, name, levels[name])
        for number, name in enumerate((NATIONAL, KISUMU, NAKURU, NJORO), 1)
    }

    def end(name: str) -> tuple[Platform, SampleCommunity]:
        return made[name], servers[name]

    await link(harness, end(NATIONAL), end(KISUMU), Relation.CHILD)
    await link(harness, end(NATIONAL), end(NAKURU), Relation.CHILD)
    await link(harness, end(KISUMU), end(NAKURU), Relation.PEER)
    await link(harness, end(NAKURU), end(NJORO), Relation.CHILD)

    first_up = await share(harness, made[KISUMU], servers[KISUMU], ShareTarget.UP)
    await share(harness, made[KISUMU], servers[KISUMU], ShareTarget.UP)
    await share(harness, made[NATIONAL], servers[NATIONAL], ShareTarget.DOWN)
    await share(harness, made[KISUMU], servers[KISUMU], ShareTarget.PEERS)

    # National answers in the thread of Kisumu's first copy: a response travelling down.
    (copy,) = await harness.bot.deliveries.of_share(first_up)
    assert copy.thread_id is not None
    thread = harness.sandbox.get_channel(copy.thread_id)
    assert thread is not None
    await harness.sandbox.send_message(
        servers[NATIONAL].plain_member, thread, "We saw the same in our review."
    )

    async def answered() -> bool:
        data = await harness.bot.platforms.alliance(
            servers[KISUMU].guild.id, copy.created_at, utc_now()
        )
        return any(flow.response for flow in data.flows)

    await eventually(answered, timeout=30)
    return made


async def test_coordinators_see_the_links_and_their_counts(tmp_path: Path) -> None:
    async with running_alliance(tmp_path, small_servers=1) as harness:
        made = await staged(harness)
        kisumu = harness.server(2)
        itx = await harness.sandbox.slash(
            kisumu.coordinator, kisumu.channels["general"], "insights alliance"
        )
        name, png = await attached(itx)
        text = await itx.final_text()
        assert itx.ephemeral
        assert name == "alliance.png" and png.startswith(PNG)
        assert text.startswith("The learning alliance\n")
        lines = itx.embeds[0]["description"].split("\n")
        assert lines[0].startswith("Period: ")
        assert lines[1:] == [
            f"{KISUMU} → {NATIONAL} (vertical-up): 2 items, 0 responses",
            f"{NATIONAL} → {KISUMU} (vertical-down): 1 item, 1 response",
            f"{NATIONAL} → {NAKURU} (vertical-down): 1 item, 0 responses",
            f"{KISUMU} → {NAKURU} (horizontal): 1 item, 0 responses",
            f"Only receiving (received items, sent nothing back or on): {NAKURU}",
            f"Silent links: {NAKURU} – {NJORO}",
        ], text

        # The same alliance seen from Njoro, two links away from Kisumu.
        njoro = harness.server(4)
        seen = await harness.sandbox.slash(
            njoro.owner_member, njoro.channels["general"], "insights alliance"
        )
        await attached(seen)
        assert f"{KISUMU} → {NATIONAL} (vertical-up): 2 items" in await seen.final_text()

        # A plain member is refused, and nothing about the alliance is shown.
        refused = await harness.sandbox.slash(
            kisumu.plain_member, kisumu.channels["general"], "insights alliance"
        )
        refused_text = await refused.final_text()
        assert refused.ephemeral and "Only coordinators" in refused_text, refused_text
        assert NATIONAL not in refused_text

        # /export metrics: a row per platform and metric, counts exact, never left empty.
        exported = await harness.sandbox.slash(
            kisumu.coordinator, kisumu.channels["general"], "export metrics"
        )
        file_name, data = await attached(exported)
        assert file_name == "metrics.csv"
        rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
        platform_rows = {
            (row["group"], row["metric"]): (row["value"], row["n"])
            for row in rows
            if row["scope"] == "platform"
        }
        expected = {
            KISUMU: {
                "items_sent": 3,
                "items_received": 1,
                "responses_sent": 0,
                "responses_received": 1,
                "items_sent_up": 2,
                "items_sent_down": 0,
                "items_sent_across": 1,
                "silent_links": 0,
            },
            NATIONAL: {
                "items_sent": 2,
                "items_received": 2,
                "responses_sent": 1,
                "responses_received": 0,
                "items_sent_up": 0,
                "items_sent_down": 2,
                "items_sent_across": 0,
                "silent_links": 0,
            },
            NAKURU: {
                "items_sent": 0,
                "items_received": 2,
                "responses_sent": 0,
                "responses_received": 0,
                "items_sent_up": 0,
                "items_sent_down": 0,
                "items_sent_across": 0,
                "silent_links": 1,
            },
            NJORO: dict.fromkeys(
                (
                    "items_sent",
                    "items_received",
                    "responses_sent",
                    "responses_received",
                    "items_sent_up",
                    "items_sent_down",
                    "items_sent_across",
                ),
                0,
            )
            | {"silent_links": 1},
        }
        links = {KISUMU: 2, NATIONAL: 2, NAKURU: 3, NJORO: 1}
        assert platform_rows == {
            (platform, metric): (f"{float(value)}", str(links[platform]))
            for platform, metrics in expected.items()
            for metric, value in metrics.items()
        }
        assert set(made) == {platform for platform, _ in platform_rows}


async def test_a_server_without_a_platform_is_told_how_to_make_one(tmp_path: Path) -> None:
    async with running_alliance(tmp_path) as harness:
        await harness.set_staff_roles_everywhere()
        nakuru = harness.server(3)
        itx = await harness.sandbox.slash(
            nakuru.coordinator, nakuru.channels["general"], "insights alliance"
        )
        text = await itx.final_text()
        assert itx.ephemeral
        assert "not a learning platform yet" in text and "/platform create" in text, text

        # A platform with no link yet: it says so, and how to make one.
        await make_platform(harness, 3, NAKURU, Level.INTERMEDIATE)
        alone = await harness.sandbox.slash(
            nakuru.coordinator, nakuru.channels["general"], "insights alliance"
        )
        alone_text = await alone.final_text()
        assert alone.ephemeral
        assert f"**{NAKURU}** has no links" in alone_text and "/platform invite" in alone_text
        assert alone.original is not None and not alone.original.attachments

        # The export of a server without links has no platform rows but its own (all zero).
        exported = await harness.sandbox.slash(
            nakuru.coordinator, nakuru.channels["general"], "export metrics"
        )
        _, data = await attached(exported)
        rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
        platform_rows = [row for row in rows if row["scope"] == "platform"]
        assert {row["group"] for row in platform_rows} == {NAKURU}
        assert {row["value"] for row in platform_rows} == {"0.0"}
