"""Themed questions: the question bank, the schedules that post them, and each post."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, ForeignKey, Index, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from bot.prompts.values import QuestionStatus
from storage.types import UTCDateTime, utc_now

__all__ = ["PromptPost", "PromptSchedule", "Question", "QuestionStatus"]


class Question(SQLModel, table=True):
    __tablename__ = "question"
    __table_args__ = (
        # A question is in the bank once, whatever its case and spacing.
        UniqueConstraint("community_id", "text_key"),
        Index("ix_question_community_id_theme_key_status", "community_id", "theme_key", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(
        sa_column=Column(BigInteger, ForeignKey("community.id", ondelete="CASCADE"), nullable=False)
    )
    text: str = Field(max_length=300)
    text_key: str = Field(max_length=300)
    theme: str = Field(max_length=50)
    theme_key: str = Field(max_length=50)
    status: QuestionStatus = Field(default=QuestionStatus.PENDING, sa_type=String(10))
    author_id: int | None = Field(default=None, sa_type=BigInteger)  # None: forgotten or unknown
    show_author: bool = False  # the author chose to be credited when it is posted
    reviewed_by: int | None = Field(default=None, sa_type=BigInteger)
    reviewed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    reject_reason: str | None = Field(default=None, max_length=300)
    # The Approve / Reject message in the review channel, edited once the question is decided.
    review_channel_id: int | None = Field(default=None, sa_type=BigInteger)
    review_message_id: int | None = Field(default=None, sa_type=BigInteger)
    created_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)


class PromptSchedule(SQLModel, table=True):
    """What a prompt schedule posts and where; when is in its ``schedule`` row."""

    __tablename__ = "prompt_schedule"

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(
        sa_column=Column(BigInteger, ForeignKey("community.id", ondelete="CASCADE"), nullable=False)
    )
    schedule_id: int = Field(
        sa_column=Column(ForeignKey("schedule.id", ondelete="CASCADE"), nullable=False, unique=True)
    )
    channel_id: int = Field(sa_type=BigInteger)
    theme: str = Field(max_length=50)
    theme_key: str = Field(max_length=50)
    make_thread: bool = True
    created_by: int | None = Field(default=None, sa_type=BigInteger)
    created_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)


class PromptPost(SQLModel, table=True):
    """A question posted: by which schedule (or by hand), where, and in which cycle of its theme.

    The row is written before the message is sent and completed step by step (message, thread,
    ``finished_at``): see ``bot/prompts/schedules.py`` for why and how a half-made post is
    finished after a crash.
    """

    __tablename__ = "prompt_post"
    __table_args__ = (
        Index("ix_prompt_post_community_id_theme_key_cycle", "community_id", "theme_key", "cycle"),
        # One post per firing of a schedule, whichever process (or start-up recovery) makes it.
        UniqueConstraint("prompt_schedule_id", "scheduled_for"),
    )

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(
        sa_column=Column(BigInteger, ForeignKey("community.id", ondelete="CASCADE"), nullable=False)
    )
    question_id: int = Field(
        sa_column=Column(ForeignKey("question.id", ondelete="CASCADE"), nullable=False)
    )
    prompt_schedule_id: int | None = Field(
        default=None,
        sa_column=Column(ForeignKey("prompt_schedule.id", ondelete="SET NULL"), nullable=True),
    )
    theme_key: str = Field(max_length=50)
    cycle: int = 1  # the round of the theme's rotation this post belongs to
    channel_id: int = Field(sa_type=BigInteger)
    message_id: int | None = Field(default=None, sa_type=BigInteger, index=True)
    thread_id: int | None = Field(default=None, sa_type=BigInteger, index=True)
    scheduled_for: datetime | None = Field(default=None, sa_type=UTCDateTime)  # None: by hand
    posted_by: int | None = Field(default=None, sa_type=BigInteger)  # who used /prompt post
    posted_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)
    make_thread: bool = True  # whether the post wants a thread for its answers
    # None while the post is being made (message and thread not both recorded yet).
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
