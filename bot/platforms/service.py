"""The learning-alliance service (``bot.platforms``): platforms, links made with consent on both
sides, items shared across links, and the state of each copy's delivery.

A link never opens one server's data to another: only what a member or a moderator shares on
purpose (and the vertical digest, which holds group figures only) crosses it, as copies the bot
posts. Deliveries are jobs in the database (``bot/platforms/deliveries.py`` makes them).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import BadInput, NotFound
from bot.membership.names import name_key, similar_names
from bot.membership.vocabulary import Level
from bot.platforms import codes
from bot.platforms.values import (
    A_PARTICIPANT,
    Flow,
    InvitePreview,
    Link,
    LinkedPlatform,
    Platform,
    Relation,
    Share,
    ShareKind,
    ShareTarget,
    credit_for,
)
from storage import audit, members
from storage import platforms as queries
from storage.communities import ensure_community
from storage.db import Database
from storage.types import utc_now

INVITE_LIFETIME: Final = timedelta(hours=24)
NAME_LENGTH: Final = (2, 100)
TEXT_LIMIT: Final = 3500
"""Characters of a shared text kept and copied (an embed's description holds 4,096)."""

Clock = Callable[[], datetime]


@dataclass(frozen=True, slots=True)
class Shared:
    """What a share did: the platforms a copy goes to, and those that already had one."""

    share: Share
    sent_to: tuple[LinkedPlatform, ...]
    already_there: tuple[LinkedPlatform, ...]


@dataclass(frozen=True, slots=True)
class Unlinked:
    link: Link
    this: Platform
    other: LinkedPlatform


@dataclass(frozen=True, slots=True)
class AllianceData:
    """What the alliance's figures are computed from: the platforms linked (directly or not) to
    a server's platforms, the links among them live during the period, and their flows."""

    home_ids: frozenset[int]
    platforms: tuple[Platform, ...]
    server_names: dict[int, str]
    links: tuple[Link, ...]
    flows: tuple[Flow, ...]


def check_platform_name(name: str) -> str:
    cleaned = " ".join(name.split())
    low, high = NAME_LENGTH
    if not low <= len(cleaned) <= high:
        raise BadInput(
            f"A platform's name is {low} to {high} characters; "
            f"**{cleaned[:40] or '(empty)'}** is {len(cleaned)}.",
            "Nothing was changed. Choose another name.",
        )
    return cleaned


class Platforms:
    """Platforms, links, invites and shares in the database."""

    def __init__(self, db: Database, *, clock: Clock = utc_now) -> None:
        self.db = db
        self.clock = clock

    # --- platforms -------------------------------------------------------------------------------

    async def of_server(self, community_id: int) -> list[Platform]:
        async with self.db.session() as session:
            return await queries.platforms_of(session, community_id)

    async def get(self, platform_id: int) -> Platform | None:
        async with self.db.session() as session:
            return await queries.get_platform(session, platform_id)

    async def resolve(
        self, community_id: int, name: str | None, *, category_id: int | None = None
    ) -> Platform:
        """The platform a command is about: the one named; without a name, the platform of the
        channel's category, else the server's own, else the server's only one."""
        async with self.db.session() as session:
            found = await queries.platforms_of(session, community_id)
        if not found:
            raise NotFound(
                "This server is not a learning platform yet.",
                "A moderator can make it one with `/platform create`.",
            )
        if name is not None and name.strip():
            wanted = name_key(name)
            for platform in found:
                if name_key(platform.name) == wanted:
                    return platform
            close = similar_names(name, [p.name for p in found])
            hint = f" Did you mean {', '.join(f'**{c}**' for c in close)}?" if close else ""
            raise NotFound(
                f"This server has no platform called **{name.strip()[:100]}**.{hint}",
                "`/platform list` shows this server's platforms.",
            )
        by_place = {p.category_id: p for p in found}
        if category_id is not None and category_id in by_place:
            return by_place[category_id]
        if None in by_place:
            return by_place[None]
        if len(found) == 1:
            return found[0]
        raise BadInput(
            "This server has several platforms: say which one with the `platform` option.",
            "`/platform list` shows them.",
        )

    async def create(
        self,
        community_id: int,
        community_name: str,
        *,
        name: str,
        level: Level,
        category_id: int | None,
        actor_id: int,
    ) -> Platform:
        name = check_platform_name(name)
        async with self.db.transaction() as session:
            await ensure_community(session, community_id, community_name)
            if await queries.platform_named(session, community_id, name_key(name)):
                raise BadInput(
                    f"This server already has a platform called **{name}**.",
                    "Nothing was changed. Choose another name.",
                )
            taken = await queries.platform_at(session, community_id, category_id)
            if taken is not None:
                where = "this category" if category_id is not None else "the whole server"
                raise BadInput(
                    f"**{taken.name}** is already the platform of {where}.",
                    "Nothing was changed. `/platform edit` changes its name or level.",
                )
            made = await queries.add_platform(
                session,
                community_id=community_id,
                name=name,
                name_key=name_key(name),
                level=level,
                category_id=category_id,
                created_by=actor_id,
                at=self.clock(),
            )
            await audit.record_audit(
                session,
                community_id,
                actor_id,
                "platform.create",
                platform=made.id,
                name=name,
                level=level.value,
                category=category_id,
            )
        return made

    async def edit(
        self,
        platform: Platform,
        *,
        name: str | None,
        level: Level | None,
        actor_id: int,
    ) -> Platform:
        changes: dict[str, object] = {}
        if name is not None:
            cleaned = check_platform_name(name)
            if name_key(cleaned) != name_key(platform.name):
                async with self.db.session() as session:
                    if await queries.platform_named(
                        session, platform.community_id, name_key(cleaned)
                    ):
                        raise BadInput(
                            f"This server already has a platform called **{cleaned}**.",
                            "Nothing was changed.",
                        )
            if cleaned != platform.name:
                changes.update(name=cleaned, name_key=name_key(cleaned))
        if level is not None and level != platform.level:
            changes["level"] = level.value
        if not changes:
            raise BadInput(
                f"**{platform.name}** already has that name and level.",
                "Nothing was changed. Give a new `name` or `level`.",
            )
        async with self.db.transaction() as session:
            await queries.update_platform(session, platform.id, **changes)
            await audit.record_audit(
                session,
                platform.community_id,
                actor_id,
                "platform.edit",
                platform=platform.id,
                **{key: value for key, value in changes.items() if key != "name_key"},
            )
            changed = await queries.get_platform(session, platform.id)
        assert changed is not None
        return changed

    async def remove(self, platform: Platform, *, actor_id: int) -> list[Unlinked]:
        """Remove a platform: its links end (their history stays), copies on their way to it
        are dropped. The links it had, for telling the other ends."""
        async with self.db.transaction() as session:
            live = await queries.links_of(session, [platform.id])
            ended = await self._end_links(
                session, platform, live, actor_id=actor_id, reason="the platform was removed"
            )
            await queries.update_platform(session, platform.id, removed_at=self.clock())
            await audit.record_audit(
                session,
                platform.community_id,
                actor_id,
                "platform.remove",
                platform=platform.id,
                name=platform.name,
            )
        return ended

    async def set_inbox(self, platform: Platform, channel_id: int, *, actor_id: int) -> int:
        """Set the inbox; a paused inbox resumes. How many copies wait to be delivered there."""
        async with self.db.transaction() as session:
            await queries.update_platform(
                session, platform.id, inbox_channel_id=channel_id, inbox_paused=None
            )
            await audit.record_audit(
                session,
                platform.community_id,
                actor_id,
                "platform.inbox",
                platform=platform.id,
                channel_id=channel_id,
            )
            return await queries.waiting_for(session, platform.id)

    async def pause_inbox(self, platform_id: int, reason: str) -> bool:
        """Hold new copies for this inbox until a moderator sets it again; False if it was
        paused already (so the moderators are told once)."""
        async with self.db.transaction() as session:
            platform = await queries.get_platform(session, platform_id)
            if platform is None or platform.inbox_paused is not None:
                return False
            await queries.update_platform(session, platform_id, inbox_paused=reason[:300])
        return True

    async def resume_inbox(self, platform_id: int) -> None:
        async with self.db.transaction() as session:
            await queries.update_platform(session, platform_id, inbox_paused=None)

    async def set_autoshare(self, platform: Platform, on: bool, *, actor_id: int) -> bool:
        """True when the setting changed."""
        if platform.autoshare_harvests == on:
            return False
        async with self.db.transaction() as session:
            await queries.update_platform(session, platform.id, autoshare_harvests=on)
            await audit.record_audit(
                session,
                platform.community_id,
                actor_id,
                "platform.autoshare",
                platform=platform.id,
                harvests=on,
            )
        return True

    # --- links -----------------------------------------------------------------------------------

    async def invite(
        self, platform: Platform, relation: Relation, *, actor_id: int
    ) -> tuple[str, datetime]:
        """A one-time code for another platform to join this one as ``relation``; only its
        hash is kept. The code and when it expires."""
        code = codes.new_code()
        now = self.clock()
        expires = now + INVITE_LIFETIME
        async with self.db.transaction() as session:
            await queries.add_invite(
                session,
                platform_id=platform.id,
                code_hash=codes.code_hash(code),
                relation=relation,
                created_by=actor_id,
                at=now,
                expires_at=expires,
            )
            await audit.record_audit(
                session,
                platform.community_id,
                actor_id,
                "platform.invite",
                platform=platform.id,
                relation=relation.value,
            )
        return code, expires

    async def preview(self, code: str, joining: Platform) -> InvitePreview:
        """What joining with ``code`` would mean; refuses a code that cannot be used."""
        async with self.db.session() as session:
            invite = await queries.invite_by_hash(session, codes.code_hash(code))
            inviting = await queries.get_platform(session, invite.platform_id) if invite else None
            if invite is None or inviting is None:
                raise BadInput(
                    "That code is not a link code I gave out.",
                    "Nothing was changed. Check that it was copied whole, or ask the other "
                    "platform's moderators for a new one (`/platform invite`).",
                )
            if invite.used_at is not None:
                raise BadInput(
                    "That code has been used already: a code links once.",
                    "Nothing was changed. Ask the other platform's moderators for a new one.",
                )
            if invite.expires_at <= self.clock():
                raise BadInput(
                    "That code has expired: codes last 24 hours.",
                    "Nothing was changed. Ask the other platform's moderators for a new one.",
                )
            if inviting.removed_at is not None:
                raise BadInput(
                    "The platform that gave out that code has been removed.",
                    "Nothing was changed.",
                )
            if inviting.id == joining.id:
                raise BadInput(
                    "That code is this platform's own: a platform cannot link to itself.",
                    "Nothing was changed. Give the code to the other platform's moderators.",
                )
            if await queries.live_link_between(session, inviting.id, joining.id):
                raise BadInput(
                    f"**{joining.name}** and **{inviting.name}** are linked already.",
                    "Nothing was changed.",
                )
            names = await queries.server_names(session, [inviting.community_id])
        return InvitePreview(
            inviting=inviting,
            inviting_server=names.get(inviting.community_id, "another server"),
            relation=invite.relation.seen_from_the_other_side,
            expires_at=invite.expires_at,
        )

    async def join(self, code: str, joining: Platform, *, actor_id: int) -> LinkedPlatform:
        """Spend the code and link ``joining`` to the platform that gave it out. The link as
        the joining platform sees it."""
        preview = await self.preview(code, joining)
        now = self.clock()
        async with self.db.transaction() as session:
            invite = await queries.invite_by_hash(session, codes.code_hash(code))
            assert invite is not None
            if not await queries.use_invite(session, invite.id, platform_id=joining.id, at=now):
                raise BadInput(
                    "That code was used or expired a moment ago.",
                    "Nothing was changed. Ask the other platform's moderators for a new one.",
                )
            inviting = preview.inviting
            # The invite's relation says where the joining platform sits, seen from the inviter.
            if invite.relation is Relation.PEER:
                upper, lower, peer = inviting.id, joining.id, True
            elif invite.relation is Relation.PARENT:
                upper, lower, peer = joining.id, inviting.id, False
            else:
                upper, lower, peer = inviting.id, joining.id, False
            link = await queries.add_link(
                session,
                upper_id=upper,
                lower_id=lower,
                peer=peer,
                invited_by=invite.created_by,
                joined_by=actor_id,
                at=now,
            )
            for platform, other in ((joining, inviting), (inviting, joining)):
                await audit.record_audit(
                    session,
                    platform.community_id,
                    actor_id if platform is joining else None,
                    "platform.link",
                    link=link.id,
                    platform=platform.id,
                    other=other.id,
                    other_name=other.name,
                )
        return LinkedPlatform(link, inviting, preview.inviting_server, preview.relation)

    async def links(self, platform: Platform, *, live_only: bool = True) -> list[LinkedPlatform]:
        """The platform's links as it sees them (live ones, or every one with its dates)."""
        async with self.db.session() as session:
            found = await queries.links_of(session, [platform.id], live_only=live_only)
            return await self._as_seen_from(session, platform, found)

    async def unlink(self, platform: Platform, other_name: str, *, actor_id: int) -> Unlinked:
        """End the live link between ``platform`` and the linked platform called ``other_name``
        (``name (server)`` when two linked platforms share a name)."""
        linked = await self.links(platform)
        wanted = name_key(other_name)
        matches = [
            item
            for item in linked
            if wanted
            in (
                name_key(item.platform.name),
                name_key(f"{item.platform.name} ({item.server_name})"),
            )
        ]
        if not matches:
            known = ", ".join(f"**{label_of(item)}**" for item in linked) or "none"
            raise NotFound(
                f"**{platform.name}** has no live link to **{other_name.strip()[:100]}**.",
                f"Nothing was changed. Its links: {known}.",
            )
        if len(matches) > 1:
            raise BadInput(
                f"Several linked platforms are called **{other_name.strip()[:100]}**.",
                "Nothing was changed. Give the name with its server, as `/platform show` "
                "writes it: " + ", ".join(f"**{label_of(item)}**" for item in matches),
            )
        async with self.db.transaction() as session:
            ended = await self._end_links(
                session,
                platform,
                [matches[0].link],
                actor_id=actor_id,
                reason=f"unlinked by a moderator of {platform.name}",
            )
        if not ended:
            raise NotFound("That link has just ended.", "Nothing was changed.")
        return ended[0]

    async def linked_servers(self) -> list[tuple[int, str]]:
        """The servers (id, name) with a platform that has a live link."""
        async with self.db.session() as session:
            return await queries.linked_servers(session)

    async def bot_left(self, community_id: int) -> list[Unlinked]:
        """The bot is no longer in a server: its platforms' links end, and nothing more is
        delivered there."""
        async with self.db.transaction() as session:
            ended: list[Unlinked] = []
            for platform in await queries.platforms_of(session, community_id):
                live = await queries.links_of(session, [platform.id])
                ended += await self._end_links(
                    session,
                    platform,
                    live,
                    actor_id=None,
                    reason="the bot is no longer in the server",
                )
        return ended

    async def _end_links(
        self,
        session: AsyncSession,
        platform: Platform,
        live: Sequence[Link],
        *,
        actor_id: int | None,
        reason: str,
    ) -> list[Unlinked]:
        now = self.clock()
        seen = await self._as_seen_from(session, platform, live)
        ended: list[Unlinked] = []
        for item in seen:
            if await queries.end_link(session, item.link.id, at=now, by=actor_id, reason=reason):
                await audit.record_audit(
                    session,
                    platform.community_id,
                    actor_id,
                    "platform.unlink",
                    link=item.link.id,
                    platform=platform.id,
                    other=item.platform.id,
                    reason=reason,
                )
                ended.append(Unlinked(item.link, platform, item))
        return ended

    async def _as_seen_from(
        self, session: AsyncSession, platform: Platform, found: Sequence[Link]
    ) -> list[LinkedPlatform]:
        others = await queries.platforms_by_id(session, [link.other(platform.id) for link in found])
        names = await queries.server_names(session, {p.community_id for p in others.values()})
        seen = []
        for link in found:
            other = others[link.other(platform.id)]
            if link.peer:
                relation = Relation.PEER
            else:
                relation = Relation.PARENT if other.id == link.upper_id else Relation.CHILD
            seen.append(LinkedPlatform(link, other, names.get(other.community_id, ""), relation))
        return seen

    # --- sharing ---------------------------------------------------------------------------------

    async def credit(self, community_id: int, user_id: int, display_name: str) -> str:
        """How copies name a member now: their name if they chose ``/privacy visible``,
        otherwise their organisation, otherwise "a participant"."""
        async with self.db.session() as session:
            member = await members.get_member(session, community_id, user_id)
            if member is None:
                return A_PARTICIPANT
            current = await members.current_membership(session, member.id)
        return credit_for(
            display_name,
            visible=member.name_visible,
            organisation=current[1].name if current else None,
        )

    async def share(
        self,
        origin: Platform,
        target: ShareTarget,
        *,
        kind: ShareKind,
        source_key: str,
        title: str | None,
        text: str | None,
        attachment_urls: Sequence[str] = (),
        credit: str,
        author_id: int | None,
        source_channel_id: int | None,
        source_message_id: int | None,
        jump_url: str | None,
        shared_by: int | None,
    ) -> Shared:
        """Record a share and one delivery per linked platform in ``target``'s direction that
        does not hold a copy yet, in one transaction. Refuses when no platform would get one."""
        now = self.clock()
        # Two shares of one item racing to one platform: the unique index lets one through;
        # the other reads again and sees the copy on its way.
        for attempt in (1, 2):
            try:
                async with self.db.transaction() as session:
                    live = await queries.links_of(session, [origin.id])
                    seen = await self._as_seen_from(session, origin, live)
                    wanted = [
                        item
                        for item in seen
                        if target.includes(item.link.direction_from(origin.id))
                        and item.platform.removed_at is None
                    ]
                    if not wanted:
                        raise BadInput(
                            f"**{origin.name}** has no linked platform {TARGET_WORDS[target]}.",
                            "Nothing was shared. `/platform show` lists its links; "
                            "`/platform invite` makes one.",
                        )
                    holding = await queries.platforms_holding(session, source_key)
                    sent_to = tuple(item for item in wanted if item.platform.id not in holding)
                    already = tuple(item for item in wanted if item.platform.id in holding)
                    if not sent_to:
                        raise BadInput(
                            "Every linked platform "
                            f"{TARGET_WORDS[target]} has a copy of this already: "
                            + ", ".join(f"**{item.platform.name}**" for item in already)
                            + ".",
                            "Nothing was shared again.",
                        )
                    share = await queries.add_share(
                        session,
                        community_id=origin.community_id,
                        origin_platform_id=origin.id,
                        kind=kind,
                        target=target,
                        source_key=source_key,
                        title=title[:256] if title else None,
                        text=text[:TEXT_LIMIT] if text else None,
                        attachment_urls=list(attachment_urls)[:10],
                        credit=credit[:200],
                        author_id=author_id,
                        source_channel_id=source_channel_id,
                        source_message_id=source_message_id,
                        jump_url=jump_url,
                        shared_by=shared_by,
                        shared_at=now,
                    )
                    for item in sent_to:
                        await queries.add_delivery(
                            session,
                            share_id=share.id,
                            source_key=source_key,
                            link_id=item.link.id,
                            target_platform_id=item.platform.id,
                            direction=item.link.direction_from(origin.id),
                            at=now,
                        )
                    await audit.record_audit(
                        session,
                        origin.community_id,
                        shared_by,
                        "platform.share",
                        share=share.id,
                        kind=kind.value,
                        target=target.value,
                        to=[item.platform.id for item in sent_to],
                    )
                return Shared(share, sent_to, already)
            except IntegrityError:
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    async def original_deleted(self, community_id: int, message_id: int) -> int:
        """A shared message was deleted: its copies go. How many copies are to be deleted."""
        async with self.db.transaction() as session:
            return await queries.delete_shares_of_message(
                session, community_id, message_id, at=self.clock()
            )

    async def is_copy(self, message_id: int) -> bool:
        async with self.db.session() as session:
            return await queries.is_copy(session, message_id)

    # --- what crossed, for the alliance's figures -----------------------------------------------

    async def alliance(self, community_id: int, start: datetime, end: datetime) -> AllianceData:
        """The alliance seen from a server (:func:`read_alliance`)."""
        async with self.db.session() as session:
            return await read_alliance(session, community_id, start, end)


async def read_alliance(
    session: AsyncSession, community_id: int, start: datetime, end: datetime
) -> AllianceData:
    """The alliance seen from a server: every platform reachable over links live at some time
    in [start, end) from the server's platforms, those links, and their flows. A function of a
    session, so that ``/export metrics`` reads it in the export's own session."""
    home = await queries.platforms_of(session, community_id)
    home_ids = {platform.id for platform in home}
    reached = set(home_ids)
    frontier = set(home_ids)
    links: dict[int, Link] = {}
    while frontier:
        found = await queries.links_of(session, frontier, live_only=False, since=start)
        frontier = set()
        for link in found:
            if link.started_at >= end or link.id in links:
                continue
            links[link.id] = link
            for end_id in (link.upper_id, link.lower_id):
                if end_id not in reached:
                    reached.add(end_id)
                    frontier.add(end_id)
    platforms = await queries.platforms_by_id(session, reached)
    names = await queries.server_names(
        session, {platform.community_id for platform in platforms.values()}
    )
    crossed = await queries.flows(session, list(links), start, end)
    return AllianceData(
        home_ids=frozenset(home_ids),
        platforms=tuple(sorted(platforms.values(), key=lambda p: p.id)),
        server_names=names,
        links=tuple(links.values()),
        flows=tuple(crossed),
    )


TARGET_WORDS: Final = {
    ShareTarget.UP: "above it (a parent)",
    ShareTarget.DOWN: "below it (a child)",
    ShareTarget.PEERS: "beside it (a peer)",
    ShareTarget.ALL: "at all",
}


def label_of(item: LinkedPlatform) -> str:
    """A linked platform as commands name it: with its server when that helps."""
    return f"{item.platform.name} ({item.server_name})" if item.server_name else item.platform.name
