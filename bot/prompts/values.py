"""The question bank's and the prompt posts' values. No database here: ``storage/prompts.py``
maps its rows to these, and ``storage/models/prompts.py`` stores the enum's values."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class QuestionStatus(StrEnum):
    PENDING = "pending"  # submitted by a member, waiting for a moderator
    APPROVED = "approved"  # in the rotation
    REJECTED = "rejected"
    RETIRED = "retired"  # out of the rotation, kept for the record


@dataclass(frozen=True, slots=True)
class Question:
    id: int
    community_id: int
    text: str
    text_key: str  # what makes two questions the same (bot.prompts.rules.question_key)
    theme: str
    theme_key: str
    status: QuestionStatus
    author_id: int | None  # None: forgotten or unknown
    show_author: bool  # the author chose to be credited when it is posted
    reviewed_by: int | None
    reviewed_at: datetime | None
    reject_reason: str | None
    # The Approve / Reject message in the review channel, edited once the question is decided.
    review_channel_id: int | None
    review_message_id: int | None


@dataclass(frozen=True, slots=True)
class PromptSchedule:
    """What a prompt schedule posts and where; when is in its schedule (``schedule_id``)."""

    id: int
    community_id: int
    schedule_id: int
    channel_id: int
    theme: str
    theme_key: str
    make_thread: bool
    created_by: int | None


@dataclass(frozen=True, slots=True)
class PromptPost:
    """A question posted, by a schedule's firing or by hand (``scheduled_for`` None)."""

    id: int
    community_id: int
    question_id: int
    prompt_schedule_id: int | None
    theme_key: str
    cycle: int  # the round of the theme's rotation this post belongs to
    channel_id: int
    message_id: int | None
    thread_id: int | None
    scheduled_for: datetime | None
    posted_by: int | None  # who used /prompt post
    posted_at: datetime
    make_thread: bool
    finished_at: datetime | None  # None while the post is being made
