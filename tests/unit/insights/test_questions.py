"""Questions: the response rate within a week (open questions undecided), the median time to a
first answer, and the answers per prompt."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.insights import questions
from bot.insights.values import Asked, QuestionAsked, Scope

NOW = datetime(2026, 12, 7, 12, tzinfo=UTC)
HOUR = timedelta(hours=1)


def asked(
    days_ago: float, answered_after: timedelta | None, kind: Asked = Asked.QUESTION, key: int = 1
) -> QuestionAsked:
    at = NOW - timedelta(days=days_ago)
    return QuestionAsked(
        kind, key, at, None if answered_after is None else at + answered_after, 2, 1
    )


def test_a_week_decides_and_open_questions_wait() -> None:
    cases = [
        asked(20, 2 * HOUR),  # answered in time
        asked(20, timedelta(days=9)),  # answered, too late
        asked(10, None),  # unanswered, a week has passed
        asked(2, None),  # still open: not counted either way
        asked(3, 5 * HOUR),  # answered in time though recent
    ]
    # decided: 4, answered in time: 2
    assert questions.response_rate(cases, NOW) == 0.5
    # hours of the answered: 2, 216, 5 -> median 5
    assert questions.median_hours_to_first_answer(cases) == 5
    assert questions.response_rate([asked(1, None)], NOW) is None
    assert questions.median_hours_to_first_answer([asked(30, None)]) is None


def test_measures_per_kind_and_per_prompt() -> None:
    cases = [
        asked(20, HOUR, Asked.PROMPT, key=7),
        asked(20, None, Asked.PROMPT, key=8),
        asked(20, 3 * HOUR),
    ]
    measures = {(m.scope, m.group, m.metric): m for m in questions.question_measures(cases, NOW)}
    prompts_rate = measures[(Scope.COMMUNITY, "prompts", questions.RESPONSE_RATE)]
    assert (prompts_rate.value, prompts_rate.n) == (0.5, 2)
    assert measures[(Scope.COMMUNITY, "questions", questions.RESPONSE_RATE)].value == 1.0
    assert measures[(Scope.COMMUNITY, "questions", "median_hours_to_first_answer")].value == 3
    assert measures[(Scope.PROMPT, "prompt 7", questions.ANSWERS)].value == 2
    assert measures[(Scope.PROMPT, "prompt 8", questions.ANSWERERS)].value == 1
