"""Learning-alliance platforms, their links, and what crosses them: plain values, no Discord,
no SQL. ``storage/platforms.py`` maps its rows to these; ``storage/models/platforms.py`` stores
the enums' values."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Final

from bot.membership.vocabulary import Level

A_PARTICIPANT: Final = "a participant"
"""How a copy names an author who did not choose ``/privacy visible`` and has no organisation,
or who was forgotten or opted out."""


def credit_for(display_name: str, *, visible: bool, organisation: str | None) -> str:
    """How copies name the author: by name only if they chose ``/privacy visible``."""
    if visible:
        return display_name
    if organisation:
        return f"a member of {organisation}"
    return A_PARTICIPANT


class Relation(StrEnum):
    """Where the *other* platform sits, as the inviting moderator chooses it."""

    PARENT = "parent"  # the other platform sits above this one
    CHILD = "child"  # the other platform sits below this one
    PEER = "peer"  # the same footing: lessons travel across

    @property
    def seen_from_the_other_side(self) -> Relation:
        return {
            Relation.PARENT: Relation.CHILD,
            Relation.CHILD: Relation.PARENT,
            Relation.PEER: Relation.PEER,
        }[self]


class Direction(StrEnum):
    """Which way an item or a response travels over a link."""

    UP = "up"  # from a child platform to its parent
    DOWN = "down"  # from a parent platform to a child
    ACROSS = "across"  # between peers

    @property
    def label(self) -> str:
        """The words of DESIGN and the issue: vertical-up, vertical-down, horizontal."""
        return {
            Direction.UP: "vertical-up",
            Direction.DOWN: "vertical-down",
            Direction.ACROSS: "horizontal",
        }[self]

    @property
    def reverse(self) -> Direction:
        return {
            Direction.UP: Direction.DOWN,
            Direction.DOWN: Direction.UP,
            Direction.ACROSS: Direction.ACROSS,
        }[self]


class ShareTarget(StrEnum):
    """Which linked platforms a share goes to."""

    UP = "up"
    DOWN = "down"
    PEERS = "peers"
    ALL = "all"

    def includes(self, direction: Direction) -> bool:
        return {
            ShareTarget.UP: direction is Direction.UP,
            ShareTarget.DOWN: direction is Direction.DOWN,
            ShareTarget.PEERS: direction is Direction.ACROSS,
            ShareTarget.ALL: True,
        }[self]


class ShareKind(StrEnum):
    MESSAGE = "message"  # a message shared on purpose (the context menu, /platform share)
    HARVEST = "harvest"  # a café's harvest
    DIGEST = "digest"  # a child platform's periodic summary for its parent


class DeliveryState(StrEnum):
    """A copy's way into one linked platform's inbox (``bot/platforms/deliveries.py`` says how
    each step is made safe against a crash)."""

    PENDING = "pending"  # not sent yet (or waiting for a paused inbox)
    SENDING = "sending"  # sent under its nonce, message id not recorded: may be out
    SENT = "sent"  # the copy is out; its thread for responses is not recorded yet
    DONE = "done"  # the copy and its thread are out
    DROPPED = "dropped"  # never sent: the original was deleted or the link ended first


class CopyChange(StrEnum):
    """What is still to be done to a copy that is out."""

    EDIT = "edit"  # render it again (its author was forgotten, or opted out)
    DELETE = "delete"  # the original was deleted


@dataclass(frozen=True, slots=True)
class Platform:
    """A server, or one category of it, acting as a learning platform at a level."""

    id: int
    community_id: int
    name: str
    level: Level
    category_id: int | None  # None: the whole server
    inbox_channel_id: int | None  # None: not chosen; the first text channel the bot can post in
    inbox_paused: str | None  # why deliveries to this inbox wait (None: they do not)
    autoshare_harvests: bool
    created_by: int | None
    created_at: datetime
    removed_at: datetime | None  # removed platforms stay, for their links' history

    @property
    def where(self) -> str:
        """The server, or one category of it, as Discord shows a channel mention."""
        return "the whole server" if self.category_id is None else f"<#{self.category_id}>"


@dataclass(frozen=True, slots=True)
class Invite:
    """A one-time code's record (the code itself is never kept, only its hash)."""

    id: int
    platform_id: int
    relation: Relation  # where the joining platform will sit, seen from the inviting one
    created_by: int | None  # None: forgotten
    expires_at: datetime
    used_at: datetime | None


@dataclass(frozen=True, slots=True)
class Link:
    """Two platforms linked with consent on both sides. ``upper_id`` is the parent of a vertical
    link (for peers: the platform that invited), ``lower_id`` the child (or the one that joined)."""

    id: int
    upper_id: int
    lower_id: int
    peer: bool
    started_at: datetime
    ended_at: datetime | None

    def other(self, platform_id: int) -> int:
        if platform_id == self.upper_id:
            return self.lower_id
        if platform_id == self.lower_id:
            return self.upper_id
        raise ValueError(f"platform {platform_id} is not an end of link {self.id}")

    def direction_from(self, platform_id: int) -> Direction:
        """The direction of an item sent from ``platform_id`` over this link."""
        other = self.other(platform_id)  # checks that platform_id is an end
        del other
        if self.peer:
            return Direction.ACROSS
        return Direction.UP if platform_id == self.lower_id else Direction.DOWN

    def is_active(self, at: datetime | None = None) -> bool:
        if at is None:
            return self.ended_at is None
        return self.started_at <= at and (self.ended_at is None or at < self.ended_at)


@dataclass(frozen=True, slots=True)
class LinkedPlatform:
    """A link as one of its ends sees it: the platform at the other end, and which way."""

    link: Link
    platform: Platform
    server_name: str
    relation: Relation  # where the other platform sits, seen from this end


@dataclass(frozen=True, slots=True)
class InvitePreview:
    """What joining with a code would mean, shown before the moderator confirms."""

    inviting: Platform
    inviting_server: str
    relation: Relation  # where the inviting platform would sit, seen from the joining one
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class Share:
    """An item shared on purpose from a platform to its linked platforms."""

    id: int
    community_id: int
    origin_platform_id: int
    kind: ShareKind
    target: ShareTarget
    title: str | None
    text: str | None  # None once removed (the author was forgotten or opted out)
    attachment_urls: tuple[str, ...]
    credit: str  # how the author is named in copies: their name, "a member of X", "a participant"
    author_id: int | None  # None for harvests and digests, and once the author is forgotten
    source_channel_id: int | None
    source_message_id: int | None
    jump_url: str | None
    shared_by: int | None
    shared_at: datetime
    deleted_at: datetime | None  # the original was deleted: copies go too


@dataclass(frozen=True, slots=True)
class Delivery:
    """One copy of a share, into one linked platform's inbox: a job in the database."""

    id: int
    share_id: int
    link_id: int
    target_platform_id: int
    direction: Direction
    state: DeliveryState
    change: CopyChange | None
    channel_id: int | None
    message_id: int | None
    thread_id: int | None
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None


@dataclass(frozen=True, slots=True)
class DeliveryJob:
    """A delivery with what it takes to make or change its copy."""

    delivery: Delivery
    share: Share
    origin: Platform
    origin_server: str
    target: Platform


@dataclass(frozen=True, slots=True)
class Flow:
    """One item or response that crossed a link, for the alliance's figures."""

    link_id: int
    from_platform_id: int
    to_platform_id: int
    direction: Direction
    response: bool  # False: an item shared; True: a response to one
    at: datetime
