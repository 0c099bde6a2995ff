"""Reading ``/cafe create``: every refusal says what is wrong and what to do; good input is
normalised (title spacing, thread type, repeat rule) and ``starts_at`` becomes a UTC instant."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from bot.cafe.service import CafeRequest, read_cafe_request
from bot.errors import BadInput

NOW = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)  # a Saturday, in winter (CET, UTC+1)
ZONE = "Europe/Amsterdam"


def read(**changes: Any) -> CafeRequest:
    options: dict[str, Any] = {
        "title": "Funding KM",
        "questions": "What works?",
        "rounds": 3,
        "round_minutes": 20,
        "tables": None,
        "starts_at": None,
        "repeat": None,
        "thread_type": None,
        "timezone": ZONE,
        "now": NOW,
    }
    options.update(changes)
    return read_cafe_request(**options)


def refusal(**changes: Any) -> BadInput:
    with pytest.raises(BadInput) as caught:
        read(**changes)
    return caught.value


# --- refusals ------------------------------------------------------------------------------------


@pytest.mark.parametrize("title", ["", "   ", "\n\t"])
def test_an_empty_title_is_refused_with_an_example(title: str) -> None:
    error = refusal(title=title)
    assert error.problem.startswith("Nothing in the title can be seen")
    assert error.fix is not None and "`Funding KM`" in error.fix


def test_a_title_over_a_hundred_characters_is_refused_with_its_length() -> None:
    error = refusal(title="x" * 101)
    assert error.problem == "The title is 101 characters long; the most is 100."
    assert error.fix is not None and "Shorten it" in error.fix


def test_a_title_of_exactly_a_hundred_characters_is_taken() -> None:
    assert read(title="x" * 100).title == "x" * 100


def test_the_title_length_is_counted_after_collapsing_spaces() -> None:
    spaced = "a" + " " * 200 + "b"
    assert read(title=spaced).title == "a b"


@pytest.mark.parametrize("rounds", [0, 7, -1])
def test_rounds_outside_one_to_six_are_refused(rounds: int) -> None:
    error = refusal(rounds=rounds)
    assert error.problem == f"A café has 1 to 6 rounds; you asked for {rounds}."
    assert error.fix is not None and "Three rounds" in error.fix


@pytest.mark.parametrize("rounds", [1, 6])
def test_one_and_six_rounds_are_taken(rounds: int) -> None:
    request = read(rounds=rounds)
    assert request.rounds == rounds
    assert request.questions == ("What works?",) * rounds


@pytest.mark.parametrize("minutes", [0, 181])
def test_round_minutes_outside_one_to_180_are_refused(minutes: int) -> None:
    error = refusal(round_minutes=minutes)
    assert error.problem == f"A round lasts 1 to 180 minutes; you asked for {minutes}."
    assert error.fix is not None and "20 to 30 minutes" in error.fix


@pytest.mark.parametrize("minutes", [1, 180])
def test_one_and_180_minutes_are_taken(minutes: int) -> None:
    assert read(round_minutes=minutes).round_minutes == minutes


@pytest.mark.parametrize("tables", [0, -3])
def test_fewer_than_one_table_is_refused(tables: int) -> None:
    error = refusal(tables=tables)
    assert error.problem == f"A café needs at least one table; you asked for {tables}."
    assert error.fix is not None and "Leave `tables` out" in error.fix


@pytest.mark.parametrize("thread_type", ["thread", "secret", "publik"])
def test_an_unknown_thread_type_is_refused(thread_type: str) -> None:
    error = refusal(thread_type=thread_type)
    assert error.problem == f"`{thread_type}` is not a thread type."
    assert error.fix == "Use `public` or `private`."


def test_a_question_count_that_is_neither_one_nor_the_rounds_is_refused() -> None:
    error = refusal(questions="What works? | What gets in the way?", rounds=3)
    assert error.problem == "You gave 2 questions for 3 rounds."
    assert error.fix is not None and "exactly 3 separated by |" in error.fix


def test_too_many_questions_are_refused_too() -> None:
    error = refusal(questions="a | b | c | d", rounds=3)
    assert error.problem == "You gave 4 questions for 3 rounds."


def test_empty_questions_are_refused() -> None:
    error = refusal(questions="  ")
    assert error.problem.startswith("Nothing in the questions can be seen")
    assert error.fix is not None and "separated by |" in error.fix


@pytest.mark.parametrize("text", ["soonish", "next tuesday", "2026-13-01 10:00"])
def test_an_unreadable_start_is_refused_with_the_timezone_and_an_example(text: str) -> None:
    error = refusal(starts_at=text)
    assert error.problem == f"I can't read `{text}` as a start time."
    assert error.fix == f"Write a date and time in {ZONE}, e.g. `2026-12-01 14:30`."


@pytest.mark.parametrize(
    "text",
    [
        "2026-01-10 12:59",  # 11:59 UTC: a minute before NOW
        "2026-01-10 13:00",  # exactly NOW: not in the future
        "2025-06-01 09:00",
    ],
)
def test_a_start_in_the_past_is_refused(text: str) -> None:
    error = refusal(starts_at=text)
    assert error.problem == f"{text} ({ZONE}) has already passed."
    assert error.fix is not None and "`/cafe start`" in error.fix


@pytest.mark.parametrize("text", ["weekly mon 10:00", "monthly first tue 14:00", "0 9 * * 1"])
def test_a_recurring_start_is_refused_and_points_to_repeat(text: str) -> None:
    error = refusal(starts_at=text)
    assert error.problem == "`starts_at` is one date and time."
    assert error.fix is not None and "use `repeat`" in error.fix


def test_an_unreadable_repeat_is_refused_with_the_accepted_forms() -> None:
    error = refusal(repeat="whenever suits")
    assert error.problem.startswith("I can't read the repeat schedule: ")
    assert "Accepted forms" in error.problem and "`monthly first tue 10:00`" in error.problem


def test_a_one_off_repeat_is_refused_and_points_to_starts_at() -> None:
    error = refusal(repeat="2026-02-01 10:00")
    assert error.problem == "`repeat` is for a café that comes back, but that is a single date."
    assert error.fix is not None and "Use `starts_at`" in error.fix


# --- good input ----------------------------------------------------------------------------------


def test_a_winter_start_in_amsterdam_is_one_hour_ahead_of_utc() -> None:
    request = read(starts_at="2026-01-20 14:30")
    assert request.starts_at == datetime(2026, 1, 20, 13, 30, tzinfo=UTC)
    assert request.starts_at is not None and request.starts_at.utcoffset() is not None


def test_a_summer_start_in_amsterdam_is_two_hours_ahead_of_utc() -> None:
    request = read(starts_at="2026-07-01T09:00")
    assert request.starts_at == datetime(2026, 7, 1, 7, 0, tzinfo=UTC)


def test_a_start_in_the_spring_forward_gap_is_moved_to_the_end_of_the_gap() -> None:
    # 02:30 does not exist in Amsterdam on 29 March 2026; 03:00 CEST is 01:00 UTC.
    request = read(starts_at="2026-03-29 02:30")
    assert request.starts_at == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)


def test_the_start_is_read_in_the_timezone_given() -> None:
    request = read(starts_at="2026-01-20 14:30", timezone="America/New_York")
    assert request.starts_at == datetime(2026, 1, 20, 19, 30, tzinfo=UTC)


def test_repeat_is_normalised() -> None:
    request = read(repeat="Monthly  First Tuesday at 2pm")
    assert request.repeat_when == "monthly first tue 14:00"


def test_every_n_weeks_is_anchored_on_the_week_of_now() -> None:
    request = read(repeat="every 2 weeks tue 14:00")
    assert request.repeat_when == "every 2 weeks tue 14:00 from 2026-01-05"  # NOW's Monday


def test_a_full_request_is_normalised() -> None:
    request = read(
        title="  Funding \n  KM ",
        questions=" What works? |What gets in the way?|  What next? ",
        rounds=3,
        round_minutes=25,
        tables=4,
        starts_at="2026-01-20 14:30",
        repeat="monthly first tue 14:00",
        thread_type=" Private ",
    )
    assert request == CafeRequest(
        title="Funding KM",
        questions=("What works?", "What gets in the way?", "What next?"),
        rounds=3,
        round_minutes=25,
        tables=4,
        starts_at=datetime(2026, 1, 20, 13, 30, tzinfo=UTC),
        repeat_when="monthly first tue 14:00",
        thread_type="private",
        timezone=ZONE,
    )


def test_without_optional_options_the_cafe_is_public_started_by_hand() -> None:
    request = read()
    assert request.thread_type == "public"
    assert request.starts_at is None and request.repeat_when is None and request.tables is None
    assert request.questions == ("What works?",) * 3


@pytest.mark.parametrize("empty", ["", None])
def test_empty_start_and_repeat_count_as_not_given(empty: str | None) -> None:
    request = read(starts_at=empty, repeat=empty, thread_type=empty)
    assert request.starts_at is None and request.repeat_when is None
    assert request.thread_type == "public"
