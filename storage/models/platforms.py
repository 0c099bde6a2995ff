"""Learning-alliance platforms, the links between them, one-time invite codes, the items shared
across links, each copy's delivery (a job), and the responses that came back across a link."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlmodel import Field, SQLModel

from bot.membership.vocabulary import Level
from bot.platforms.values import CopyChange, DeliveryState, Direction, ShareKind, ShareTarget
from storage.types import UTCDateTime, utc_now

__all__ = [
    "Platform",
    "PlatformDelivery",
    "PlatformInvite",
    "PlatformLink",
    "PlatformResponse",
    "PlatformShare",
]

_ACTIVE = text("removed_at IS NULL")
_OPEN = text("ended_at IS NULL")
_NOT_DROPPED = text("state <> 'dropped'")


class Platform(SQLModel, table=True):
    """A server (``category_id`` None) or one category of it, as a platform at a level. A
    removed platform keeps its row (``removed_at``) so that its links keep their history."""

    __tablename__ = "platform"
    __table_args__ = (
        # One live platform of a name per server, and one per category (or per whole server).
        Index(
            "uq_platform_community_id_name_key",
            "community_id",
            "name_key",
            unique=True,
            sqlite_where=_ACTIVE,
            postgresql_where=_ACTIVE,
        ),
        Index(
            "uq_platform_community_id_place",
            "community_id",
            "place_id",
            unique=True,
            sqlite_where=_ACTIVE,
            postgresql_where=_ACTIVE,
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(
        sa_column=Column(BigInteger, ForeignKey("community.id", ondelete="CASCADE"), nullable=False)
    )
    name: str = Field(max_length=100)
    name_key: str = Field(max_length=100)
    level: Level = Field(sa_type=String(20))
    category_id: int | None = Field(default=None, sa_type=BigInteger)
    # The category's id, or 0 for the whole server: a unique index treats NULLs as distinct.
    place_id: int = Field(default=0, sa_type=BigInteger)
    inbox_channel_id: int | None = Field(default=None, sa_type=BigInteger)
    inbox_paused: str | None = Field(default=None, max_length=300)
    autoshare_harvests: bool = False
    created_by: int | None = Field(default=None, sa_type=BigInteger)
    created_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)
    removed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class PlatformInvite(SQLModel, table=True):
    """A one-time code to link to ``platform_id``; only its hash is kept."""

    __tablename__ = "platform_invite"

    id: int | None = Field(default=None, primary_key=True)
    platform_id: int = Field(
        sa_column=Column(ForeignKey("platform.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    code_hash: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    relation: str = Field(sa_type=String(10))  # bot.platforms.values.Relation
    created_by: int | None = Field(default=None, sa_type=BigInteger)  # None: forgotten
    created_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    used_by_platform_id: int | None = Field(default=None)


class PlatformLink(SQLModel, table=True):
    """Two platforms linked with consent on both sides, from ``started_at`` to ``ended_at``."""

    __tablename__ = "platform_link"
    __table_args__ = (
        # At most one live link between two platforms (the service also checks the reverse).
        Index(
            "uq_platform_link_upper_id_lower_id",
            "upper_id",
            "lower_id",
            unique=True,
            sqlite_where=_OPEN,
            postgresql_where=_OPEN,
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    upper_id: int = Field(
        sa_column=Column(ForeignKey("platform.id", ondelete="CASCADE"), nullable=False)
    )
    lower_id: int = Field(
        sa_column=Column(ForeignKey("platform.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    peer: bool = False
    invited_by: int | None = Field(default=None, sa_type=BigInteger)
    joined_by: int | None = Field(default=None, sa_type=BigInteger)
    started_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    ended_by: int | None = Field(default=None, sa_type=BigInteger)
    end_reason: str | None = Field(default=None, max_length=200)


class PlatformShare(SQLModel, table=True):
    """An item shared on purpose: its text is kept (DESIGN section 8) until its author is
    forgotten or opts out."""

    __tablename__ = "platform_share"
    __table_args__ = (
        Index(
            "ix_platform_share_community_id_source_message_id", "community_id", "source_message_id"
        ),
        Index("ix_platform_share_community_id_author_id", "community_id", "author_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(
        sa_column=Column(BigInteger, ForeignKey("community.id", ondelete="CASCADE"), nullable=False)
    )
    origin_platform_id: int = Field(
        sa_column=Column(ForeignKey("platform.id", ondelete="CASCADE"), nullable=False)
    )
    kind: ShareKind = Field(sa_type=String(10))
    target: ShareTarget = Field(sa_type=String(10))
    # What the item is (the same message or harvest shared twice): e.g. message:<id>, cafe:<id>.
    source_key: str = Field(max_length=80, index=True)
    title: str | None = Field(default=None, max_length=256)
    text: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    attachment_urls: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    credit: str = Field(max_length=200)
    author_id: int | None = Field(default=None, sa_type=BigInteger)
    source_channel_id: int | None = Field(default=None, sa_type=BigInteger)
    source_message_id: int | None = Field(default=None, sa_type=BigInteger)
    jump_url: str | None = Field(default=None, max_length=200)
    shared_by: int | None = Field(default=None, sa_type=BigInteger)
    shared_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)
    deleted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class PlatformDelivery(SQLModel, table=True):
    """One copy of a share into one linked platform's inbox: a job, made step by step
    (bot/platforms/deliveries.py), so that each copy is posted once and none is lost."""

    __tablename__ = "platform_delivery"
    __table_args__ = (
        UniqueConstraint("share_id", "target_platform_id"),
        # One copy of an item per platform, whoever shares it and however they race.
        Index(
            "uq_platform_delivery_source_key_target_platform_id",
            "source_key",
            "target_platform_id",
            unique=True,
            sqlite_where=_NOT_DROPPED,
            postgresql_where=_NOT_DROPPED,
        ),
        Index("ix_platform_delivery_state_next_attempt_at", "state", "next_attempt_at"),
        Index("ix_platform_delivery_thread_id", "thread_id"),
        Index("ix_platform_delivery_message_id", "message_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    share_id: int = Field(
        sa_column=Column(ForeignKey("platform_share.id", ondelete="CASCADE"), nullable=False)
    )
    link_id: int = Field(
        sa_column=Column(ForeignKey("platform_link.id", ondelete="CASCADE"), nullable=False)
    )
    target_platform_id: int = Field(
        sa_column=Column(ForeignKey("platform.id", ondelete="CASCADE"), nullable=False)
    )
    source_key: str = Field(max_length=80)  # the share's: what the item is
    direction: Direction = Field(sa_type=String(10))
    state: DeliveryState = Field(default=DeliveryState.PENDING, sa_type=String(10))
    change: CopyChange | None = Field(default=None, sa_type=String(10))
    channel_id: int | None = Field(default=None, sa_type=BigInteger)
    message_id: int | None = Field(default=None, sa_type=BigInteger)
    thread_id: int | None = Field(default=None, sa_type=BigInteger)
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)
    last_error: str | None = Field(default=None, max_length=300)
    # Which process works on it, until when (another process may take it after).
    claimed_by: str | None = Field(default=None, max_length=100)
    claimed_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    delivered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class PlatformResponse(SQLModel, table=True):
    """A response written in a copy's thread: it came back across the link. No author is kept:
    the figures are about platforms (the message itself is in the contribution log)."""

    __tablename__ = "platform_response"

    id: int | None = Field(default=None, primary_key=True)
    delivery_id: int = Field(
        sa_column=Column(
            ForeignKey("platform_delivery.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    link_id: int = Field(
        sa_column=Column(ForeignKey("platform_link.id", ondelete="CASCADE"), nullable=False)
    )
    from_platform_id: int = Field(
        sa_column=Column(ForeignKey("platform.id", ondelete="CASCADE"), nullable=False)
    )
    to_platform_id: int = Field(
        sa_column=Column(ForeignKey("platform.id", ondelete="CASCADE"), nullable=False)
    )
    direction: Direction = Field(sa_type=String(10))
    message_id: int = Field(sa_column=Column(BigInteger, nullable=False, unique=True))
    created_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)
