"""The prompts export's row builders on hand-made stored rows: numbers and ids as text, local
times, the minutes to a first answer, and people named only as the namer allows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.exports.cells import ColumnType
from bot.exports.naming import Namer
from bot.exports.prompts import (
    PROMPT_POSTS,
    PROMPT_QUESTIONS,
    PROMPT_SCHEDULES,
    SOURCE,
    post_rows,
    question_rows,
    schedule_rows,
)
from bot.exports.request import NameMode
from bot.exports.sources import ExportScope
from storage.exports.prompts import post_batches, question_batches, schedule_batches

GUILD = 900_000_000_000_000_001
CHANNEL, THREAD = 910_000_000_000_000_001, 910_000_000_000_000_002
ALICE, BOB, CAROL = 920_000_000_000_000_001, 920_000_000_000_000_002, 920_000_000_000_000_003
KEY = b"a community's key of 32 bytes.."
ZONE = "Europe/Amsterdam"
# Winter: Amsterdam is UTC+1.
DUE = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
POSTED = DUE + timedelta(seconds=4)


def scope(mode: NameMode = NameMode.PSEUDONYMOUS) -> ExportScope:
    namer = Namer(KEY, mode, visible_names={ALICE: "Alice Mwangi"}, absent={CAROL})
    return ExportScope(GUILD, None, None, ZONE, namer)


def stored_post(
    post_id: int,
    *,
    thread_id: int | None = THREAD,
    prompt_schedule_id: int | None = 3,
    scheduled_for: datetime | None = DUE,
    finished_at: datetime | None = POSTED,
    posted_by: int | None = None,
    answers: int = 0,
    answerers: int = 0,
    first_answer_at: datetime | None = None,
) -> tuple[object, ...]:
    """A row as storage.exports.prompts.post_batches gives it."""
    return (
        post_id, 12, "Funding", 2, CHANNEL, thread_id, prompt_schedule_id, scheduled_for,
        POSTED, finished_at, posted_by, answers, answerers, first_answer_at,
    )  # fmt: skip


def test_a_question_row() -> None:
    created = datetime(2026, 11, 2, 8, 15, tzinfo=UTC)
    stored = [(12, "Funding", "How do you fund knowledge work?", "approved", created, 4)]
    assert list(question_rows(stored, scope())) == [
        (
            "12",
            "Funding",
            "How do you fund knowledge work?",
            "approved",
            created,
            "2026-11-02T09:15:00+01:00",
            4,
        )
    ]


def test_an_answered_post_with_its_minutes_to_the_first_answer() -> None:
    first = POSTED + timedelta(minutes=42, seconds=6)
    stored = [stored_post(31, answers=5, answerers=3, first_answer_at=first)]
    assert list(post_rows(stored, scope())) == [
        (
            "31",
            "12",
            "Funding",
            2,
            str(CHANNEL),
            str(THREAD),
            "3",
            None,
            DUE,
            "2026-12-07T09:00:00+01:00",
            POSTED,
            "2026-12-07T09:00:04+01:00",
            True,
            5,
            3,
            first,
            "2026-12-07T09:42:10+01:00",
            42.1,
        )
    ]


def test_minutes_are_rounded_to_one_decimal() -> None:
    waits = [timedelta(seconds=1), timedelta(seconds=100), timedelta(hours=26, seconds=40)]
    stored = [
        stored_post(n, answers=1, answerers=1, first_answer_at=POSTED + wait)
        for n, wait in enumerate(waits)
    ]
    assert [row[-1] for row in post_rows(stored, scope())] == [0.0, 1.7, 1560.7]


def test_an_unanswered_post_by_hand_without_a_thread() -> None:
    stored = [
        stored_post(
            32,
            thread_id=None,
            prompt_schedule_id=None,
            scheduled_for=None,
            finished_at=None,
            posted_by=BOB,
        )
    ]
    (row,) = post_rows(stored, scope())
    assert row[5:8] == (None, None, scope().namer.pseudonym(BOB))
    assert row[8:10] == (None, None)  # not scheduled
    assert row[12] is False
    assert row[13:] == (0, 0, None, None, None)


def test_who_posted_by_hand_is_named_only_as_they_chose() -> None:
    stored = [stored_post(n, posted_by=person) for n, person in enumerate((ALICE, BOB, CAROL))]
    visible = [row[7] for row in post_rows(stored, scope(NameMode.VISIBLE))]
    hidden = [row[7] for row in post_rows(stored, scope())]
    namer = scope().namer
    assert visible == ["Alice Mwangi", namer.pseudonym(BOB), None]
    assert hidden == [namer.pseudonym(ALICE), namer.pseudonym(BOB), None]


def test_a_schedule_row() -> None:
    created = datetime(2026, 10, 5, 14, 0, tzinfo=UTC)
    stored = [(3, "Funding", CHANNEL, True, "every monday 09:00", ZONE, False, created, 9)]
    assert list(schedule_rows(stored, scope())) == [
        (
            "3",
            "Funding",
            str(CHANNEL),
            True,
            "every monday 09:00",
            ZONE,
            False,
            created,
            "2026-10-05T16:00:00+02:00",
            9,
        )
    ]


def test_rows_fit_their_tables_and_every_utc_time_has_its_local_one() -> None:
    built = {
        PROMPT_QUESTIONS: list(question_rows([(1, "T", "Q?", "pending", DUE, 0)], scope())),
        PROMPT_POSTS: list(post_rows([stored_post(1)], scope())),
        PROMPT_SCHEDULES: list(
            schedule_rows([(1, "T", CHANNEL, False, "daily 09:00", ZONE, True, DUE, 0)], scope())
        ),
    }
    for table, rows in built.items():
        assert len(list(table.checked_rows(rows))) == 1
        names = table.header
        for index, column in enumerate(table.columns):
            if column.name.endswith("_local"):
                assert column.type is ColumnType.LOCAL_TIME
                assert names[index - 1] == column.name.removesuffix("_local") + "_utc"
                assert table.columns[index - 1].type is ColumnType.TIMESTAMP


def test_the_kind_is_three_tables_in_order() -> None:
    assert [(s.table, s.read, s.build) for s in SOURCE.tables] == [
        (PROMPT_QUESTIONS, question_batches, question_rows),
        (PROMPT_POSTS, post_batches, post_rows),
        (PROMPT_SCHEDULES, schedule_batches, schedule_rows),
    ]
    assert SOURCE.rows_are == "rows" and not SOURCE.is_single_file and SOURCE.graphs == ()
