"""The ``prompts`` export: the question bank, every prompt post of the period with how it was
answered, and the prompt schedules that post them."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

from bot.exports.cells import ColumnType, local_text, time_cells
from bot.exports.sources import ExportScope, KindSource, TableSource
from bot.exports.tables import Column, Row, Table
from bot.prompts.values import QuestionStatus
from storage.exports.prompts import post_batches, question_batches, schedule_batches

# Questions whose text the community was meant to see: approved, or retired after being in the
# rotation. A pending or rejected question was written for the moderators only.
SHARED_STATUSES = frozenset({QuestionStatus.APPROVED, QuestionStatus.RETIRED})

ID, TEXT, INTEGER, NUMBER = ColumnType.ID, ColumnType.TEXT, ColumnType.INTEGER, ColumnType.NUMBER
BOOLEAN, TIMESTAMP, LOCAL = ColumnType.BOOLEAN, ColumnType.TIMESTAMP, ColumnType.LOCAL_TIME

PROMPT_QUESTIONS = Table(
    "prompt_questions",
    (
        Column(
            "question",
            ID,
            "The question's number in the bank (#12 in the /prompt commands). Every question of "
            "the bank is listed, whatever the period of the export.",
            "12",
        ),
        Column("theme", TEXT, "The theme the question belongs to.", "Funding"),
        Column(
            "text",
            TEXT,
            "The question itself, once approved for posting (empty for a question waiting for "
            "review or rejected: its author wrote it for the moderators only).",
            "How do you fund knowledge work in your team?",
        ),
        Column(
            "status",
            TEXT,
            "pending (waiting for review), approved (in the rotation), rejected or retired "
            "(out of the rotation, kept for the record).",
            "approved",
        ),
        Column(
            "created_at_utc", TIMESTAMP, "When it entered the bank, in UTC.", "2026-11-02T08:15:00Z"
        ),
        Column(
            "created_at_local",
            LOCAL,
            "When it entered the bank, in the community's time zone.",
            "2026-11-02T09:15:00+01:00",
        ),
        Column(
            "times_posted", INTEGER, "How many times it was posted in the export's period.", "1"
        ),
    ),
)

PROMPT_POSTS = Table(
    "prompt_posts",
    (
        Column(
            "post",
            ID,
            "The post's number: one row per question posted in the period.",
            "31",
        ),
        Column("question", ID, "The number of the question posted (prompt_questions).", "12"),
        Column("theme", TEXT, "The question's theme.", "Funding"),
        Column(
            "cycle",
            INTEGER,
            "The round of the theme's rotation: every approved question of a theme is posted "
            "once per cycle.",
            "2",
        ),
        Column(
            "channel",
            ID,
            "The channel it was posted in (Discord's id, as text).",
            "1190000000000000001",
        ),
        Column(
            "thread",
            ID,
            "The thread opened for its answers (Discord's id, as text; empty: none).",
            "1190000000000000003",
        ),
        Column(
            "schedule",
            ID,
            "The number of the prompt schedule that posted it (prompt_schedules; empty: posted "
            "by hand, or by a schedule since deleted).",
            "3",
        ),
        Column(
            "posted_by",
            TEXT,
            "Who posted it by hand with /prompt post: a pseudonym, or the name of someone who "
            "chose to be named (empty: a schedule, or someone who opted out).",
            "m-3f9a1c2b7d4e",
        ),
        Column(
            "scheduled_for_utc",
            TIMESTAMP,
            "When its schedule was due to post it, in UTC (empty: posted by hand).",
            "2026-12-07T08:00:00Z",
        ),
        Column(
            "scheduled_for_local",
            LOCAL,
            "When its schedule was due to post it, in the community's time zone.",
            "2026-12-07T09:00:00+01:00",
        ),
        Column("posted_at_utc", TIMESTAMP, "When it was posted, in UTC.", "2026-12-07T08:00:04Z"),
        Column(
            "posted_at_local",
            LOCAL,
            "When it was posted, in the community's time zone.",
            "2026-12-07T09:00:04+01:00",
        ),
        Column(
            "finished",
            BOOLEAN,
            "Whether the post was completed (false: the bot stopped while posting it).",
            "true",
        ),
        Column(
            "answers",
            INTEGER,
            "Messages answering it: posted in its thread or replying to it, also after the end "
            "of the export's period (people who opted out not counted).",
            "5",
        ),
        Column("distinct_answerers", INTEGER, "How many people wrote those answers.", "3"),
        Column(
            "first_answer_at_utc",
            TIMESTAMP,
            "When the first answer was posted, in UTC (empty: no answer).",
            "2026-12-07T08:42:10Z",
        ),
        Column(
            "first_answer_at_local",
            LOCAL,
            "When the first answer was posted, in the community's time zone.",
            "2026-12-07T09:42:10+01:00",
        ),
        Column(
            "minutes_to_first_answer",
            NUMBER,
            "Minutes from the post to its first answer, to one decimal (empty: no answer).",
            "42.1",
        ),
    ),
)

PROMPT_SCHEDULES = Table(
    "prompt_schedules",
    (
        Column(
            "schedule",
            ID,
            "The prompt schedule's number (#3 in the /prompt commands). Every schedule the "
            "community has now is listed, whatever the period of the export.",
            "3",
        ),
        Column("theme", TEXT, "The theme whose questions it posts.", "Funding"),
        Column(
            "channel",
            ID,
            "The channel it posts in (Discord's id, as text).",
            "1190000000000000001",
        ),
        Column("make_thread", BOOLEAN, "Whether each post opens a thread for answers.", "true"),
        Column("when", TEXT, "When it posts, as it was set.", "every monday 09:00"),
        Column("timezone", TEXT, "The time zone its times are read in.", "Europe/Amsterdam"),
        Column("paused", BOOLEAN, "Whether it is paused now.", "false"),
        Column("created_at_utc", TIMESTAMP, "When it was set up, in UTC.", "2026-10-05T14:00:00Z"),
        Column(
            "created_at_local",
            LOCAL,
            "When it was set up, in the community's time zone.",
            "2026-10-05T16:00:00+02:00",
        ),
        Column("posts", INTEGER, "How many questions it posted in the export's period.", "9"),
    ),
)


def _number(value: int | None) -> str | None:
    return None if value is None else str(value)


def _minutes_between(earlier: datetime, later: datetime) -> float:
    return round((later - earlier).total_seconds() / 60, 1)


def question_rows(stored: Iterable[Sequence[Any]], scope: ExportScope) -> Iterator[Row]:
    """Rows of :data:`PROMPT_QUESTIONS` from the stored rows (storage.exports.prompts)."""
    timezone = scope.timezone
    for question_id, theme, text, status, created_at, times_posted in stored:
        yield (
            str(question_id),
            theme,
            text if status in SHARED_STATUSES else None,
            str(status),
            created_at,
            local_text(created_at, timezone),
            times_posted,
        )


def post_rows(stored: Iterable[Sequence[Any]], scope: ExportScope) -> Iterator[Row]:
    """Rows of :data:`PROMPT_POSTS` from the stored rows (storage.exports.prompts); answers of
    people who opted out were left out of the counts by the query."""
    person, timezone = scope.namer.person, scope.timezone
    for (
        post_id, question_id, theme, cycle, channel_id, thread_id, prompt_schedule_id,
        scheduled_for, posted_at, finished_at, posted_by, answers, answerers, first_answer_at,
    ) in stored:  # fmt: skip
        yield (
            str(post_id),
            str(question_id),
            theme,
            cycle,
            str(channel_id),
            _number(thread_id),
            _number(prompt_schedule_id),
            person(posted_by),
            *time_cells(scheduled_for, timezone),
            posted_at,
            local_text(posted_at, timezone),
            finished_at is not None,
            answers,
            answerers,
            *time_cells(first_answer_at, timezone),
            None if first_answer_at is None else _minutes_between(posted_at, first_answer_at),
        )


def schedule_rows(stored: Iterable[Sequence[Any]], scope: ExportScope) -> Iterator[Row]:
    """Rows of :data:`PROMPT_SCHEDULES` from the stored rows (storage.exports.prompts)."""
    timezone = scope.timezone
    for (
        schedule_id, theme, channel_id, make_thread, when_text, schedule_zone, paused, created_at,
        posts,
    ) in stored:  # fmt: skip
        yield (
            str(schedule_id),
            theme,
            str(channel_id),
            make_thread,
            when_text,
            schedule_zone,
            paused,
            created_at,
            local_text(created_at, timezone),
            posts,
        )


SOURCE = KindSource(
    (
        TableSource(PROMPT_QUESTIONS, question_batches, question_rows),
        TableSource(PROMPT_POSTS, post_batches, post_rows),
        TableSource(PROMPT_SCHEDULES, schedule_batches, schedule_rows),
    ),
    rows_are="rows",
)
