"""Questions and their answers: how many get one within a week, and how fast.

For the questions asked in the period (prompts the bot posted, and members' messages classed as
questions), from :class:`~bot.insights.values.QuestionAsked`:

- ``response_rate`` = answered within :data:`ANSWER_WINDOW` (7 days) / questions whose window
  has closed or that were answered within it. A question asked less than 7 days ago and not
  answered yet is still open: it counts neither way (CHAOSS "time to first response").
- ``median_hours_to_first_answer``: the median, over answered questions (whenever answered), of
  the hours from the question to its first answer.
- per prompt: ``answers`` (messages in its thread or replying to it) and ``answerers`` (distinct
  people).

For a member's question, an answer is a reply by someone other than the asker; for a prompt,
any member's message in its thread or in reply to it. Bots are not in the log.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from datetime import datetime, timedelta

from bot.insights.values import Asked, Measure, QuestionAsked, Scope

ANSWER_WINDOW = timedelta(days=7)

RESPONSE_RATE = "response_rate"
MEDIAN_HOURS_TO_FIRST_ANSWER = "median_hours_to_first_answer"
QUESTIONS = "questions"
ANSWERS = "answers"
ANSWERERS = "answerers"

# The group names of the two kinds of question in the community's figures.
GROUP_OF_KIND = {Asked.PROMPT: "prompts", Asked.QUESTION: "questions"}


def answered_in_time(question: QuestionAsked) -> bool:
    return (
        question.first_answer_at is not None
        and question.first_answer_at - question.asked_at <= ANSWER_WINDOW
    )


def response_rate(questions: Sequence[QuestionAsked], now: datetime) -> float | None:
    """Answered within a week over those decided (answered in time, or a week old); None when
    none is decided yet."""
    decided = [q for q in questions if answered_in_time(q) or now - q.asked_at > ANSWER_WINDOW]
    if not decided:
        return None
    return sum(1 for q in decided if answered_in_time(q)) / len(decided)


def median_hours_to_first_answer(questions: Sequence[QuestionAsked]) -> float | None:
    hours = [
        (q.first_answer_at - q.asked_at).total_seconds() / 3600
        for q in questions
        if q.first_answer_at is not None
    ]
    return statistics.median(hours) if hours else None


def question_measures(questions: Sequence[QuestionAsked], now: datetime) -> list[Measure]:
    """Per kind (group ``prompts`` and ``questions`` in the community's figures): how many were
    asked, the response rate and the median time to a first answer; per prompt: its answers and
    answerers. ``n`` is the number of questions behind a rate, or of answerers of a prompt."""
    measures: list[Measure] = []
    for kind, group in GROUP_OF_KIND.items():
        asked = [q for q in questions if q.kind is kind]
        count = len(asked)
        measures += [
            Measure(Scope.COMMUNITY, group, QUESTIONS, float(count), count),
            Measure(Scope.COMMUNITY, group, RESPONSE_RATE, response_rate(asked, now), count),
            Measure(
                Scope.COMMUNITY,
                group,
                MEDIAN_HOURS_TO_FIRST_ANSWER,
                median_hours_to_first_answer(asked),
                count,
            ),
        ]
    for prompt in (q for q in questions if q.kind is Asked.PROMPT):
        group = f"prompt {prompt.key}"
        measures += [
            Measure(Scope.PROMPT, group, ANSWERS, float(prompt.answers), prompt.answerers),
            Measure(Scope.PROMPT, group, ANSWERERS, float(prompt.answerers), prompt.answerers),
        ]
    return measures
