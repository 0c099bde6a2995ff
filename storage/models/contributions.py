"""The contribution log: metadata of messages and reactions, never their text."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, ForeignKey, Index, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime, utc_now


class Contribution(SQLModel, table=True):
    """One message by a member, with what kind of contribution it is. Keyed on the message id,
    so a replayed or backfilled message is stored once."""

    __tablename__ = "contribution"
    __table_args__ = (
        Index("ix_contribution_community_id_created_at", "community_id", "created_at"),
        Index("ix_contribution_channel_id_message_id", "channel_id", "message_id"),
        Index("ix_contribution_author_id", "community_id", "author_id"),
        # Answers to a question or a prompt are found by the message they reply to.
        Index("ix_contribution_reply_to_message_id", "reply_to_message_id"),
    )

    message_id: int = Field(
        sa_type=BigInteger, primary_key=True, sa_column_kwargs={"autoincrement": False}
    )
    community_id: int = Field(
        sa_column=Column(BigInteger, ForeignKey("community.id", ondelete="CASCADE"), nullable=False)
    )
    channel_id: int = Field(sa_type=BigInteger)  # where it was posted: a channel or a thread
    parent_channel_id: int | None = Field(default=None, sa_type=BigInteger)  # a thread's parent
    author_id: int = Field(sa_type=BigInteger)
    # The author's place in the register at the moment of posting (not today's).
    organisation_id: int | None = Field(
        default=None,
        sa_column=Column(ForeignKey("organisation.id", ondelete="SET NULL"), nullable=True),
    )
    stakeholder: str | None = Field(default=None, sa_type=String(40))
    level: str | None = Field(default=None, sa_type=String(20))
    created_at: datetime = Field(sa_type=UTCDateTime)
    edited_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Kinds, decided by bot/contributions/classifier.py
    is_reply: bool = False
    is_answer: bool = False
    is_question: bool = False
    is_resource: bool = False
    is_thread_start: bool = False
    reply_to_author_id: int | None = Field(default=None, sa_type=BigInteger)
    reply_to_message_id: int | None = Field(default=None, sa_type=BigInteger)
    # Counts; the text itself is not kept.
    characters: int = 0
    words: int = 0
    links: int = 0
    attachments: int = 0
    mentions: int = 0
    logged_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)


class Reaction(SQLModel, table=True):
    """A member's reaction to another member's message."""

    __tablename__ = "reaction"
    __table_args__ = (
        UniqueConstraint("message_id", "user_id", "emoji"),
        Index("ix_reaction_community_id_created_at", "community_id", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(
        sa_column=Column(BigInteger, ForeignKey("community.id", ondelete="CASCADE"), nullable=False)
    )
    channel_id: int = Field(sa_type=BigInteger)
    message_id: int = Field(sa_type=BigInteger)
    user_id: int = Field(sa_type=BigInteger)  # who reacted
    target_author_id: int | None = Field(default=None, sa_type=BigInteger)  # whose message
    emoji: str = Field(max_length=100)
    organisation_id: int | None = Field(
        default=None,
        sa_column=Column(ForeignKey("organisation.id", ondelete="SET NULL"), nullable=True),
    )
    stakeholder: str | None = Field(default=None, sa_type=String(40))
    level: str | None = Field(default=None, sa_type=String(20))
    created_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)


class TrackedChannel(SQLModel, table=True):
    """A channel or category whose messages are logged. None listed: every readable channel."""

    __tablename__ = "tracked_channel"
    __table_args__ = (UniqueConstraint("community_id", "channel_id"),)

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(
        sa_column=Column(BigInteger, ForeignKey("community.id", ondelete="CASCADE"), nullable=False)
    )
    channel_id: int = Field(sa_type=BigInteger)
    is_category: bool = False
    added_by: int | None = Field(default=None, sa_type=BigInteger)
    added_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)
