"""The insights digest: what a scheduled post to a coordinators' channel says, from a community's
figures. Plain values in, text out: no Discord, no SQL (``cogs/insights/digest.py`` schedules
and posts it).

Schedules. A community has at most one digest, a schedule of kind :data:`DIGEST_KIND` whose
``target_id`` is the channel, firing at 09:00 in the community's time zone:

- ``weekly``: every Monday (``weekly mon 09:00``), about the 7 days before the Monday it is due
  (Monday to Sunday of the week before);
- ``monthly``: on the 1st (``monthly 1 09:00``), about the previous calendar month (not "the
  last 30 days": a steering group reads months). The trend compares with the same number of
  days just before (as every insights figure does), which for a month of 31 days starts on
  the last day or two of the month before the previous one.

The period is taken from the due time, not from the moment the post is made, so a post made
late, or again after a crash, is about the same days.

Figures (:func:`digest_fields`): members, contributions, silent share, Gini, reciprocity and the
response rate of prompts, each written by :func:`bot.insights.text.measure_text` ("fewer than N"
for a community smaller than its minimum group size) with its trend
(:func:`bot.insights.text.trend_text`). Their formulas are in the modules that compute them
(participation, flows, questions). The response rate leaves out prompts less than 7 days old and
not answered yet, which in a weekly digest is every unanswered prompt of the week; so next to it
stands ``prompts answered so far`` = (prompts posted in the period with at least one answerer) /
(prompts posted in the period), written "a of p" ("none posted" when p = 0).

Alerts (:func:`digest_alerts`), one line per kind, only about organisations of at least
``min_group`` people (a group figure below it has no value and is never read here), never
about a person:

- went silent: the organisation's ``given`` was above 0 in the previous period and is 0 in this
  one (both values shown, so both groups were large enough);
- unanswered prompts: prompts posted in the period (scope ``prompt``) with no answerer (their
  ``n``, the number of answerers, is 0): counted, and named by their number;
- hoarding signal: the organisation's ``hoarding_periods`` (consecutive periods, up to this one,
  with received > 0 and given / (given + received) < 0.2; :mod:`bot.insights.hoarding`);
- silos: organisations that :func:`bot.insights.silos.is_silo` calls silos (E-I below the value
  expected under random mixing, permutation p < 0.05, at least ``min_group`` people).

Each line names at most :data:`NAMED_PER_ALERT` organisations or prompts, in name order, and
says how many more there are.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Final

from bot.insights import flows, hoarding, participation, questions, silos
from bot.insights.text import number_text
from bot.insights.values import Asked, Scope
from bot.periods import Period, today_in
from bot.text import escape_markdown

if TYPE_CHECKING:
    from bot.insights.service import CommunityInsights

DIGEST_KIND: Final = "insights.digest"
"""The scheduler's kind of a digest schedule (its ``target_id`` is the channel's id)."""

AUDIT_ACTION: Final = "insights.digest"

NAMED_PER_ALERT: Final = 10
NONCE_LENGTH: Final = 25
"""Discord accepts a nonce of at most 25 characters."""
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class Frequency(StrEnum):
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    OFF = "off"


WHEN_TEXTS: Final[dict[Frequency, str]] = {
    Frequency.WEEKLY: "weekly mon 09:00",
    Frequency.MONTHLY: "monthly 1 09:00",
}
"""The schedule of each frequency, as :func:`bot.scheduling.when.parse_when` writes it."""

# The headline figures: (group in the community scope, metric, label), in the order shown.
HEADLINES: Final[tuple[tuple[str, str, str], ...]] = (
    ("", participation.MEMBERS, "Members"),
    ("", participation.CONTRIBUTIONS, "Contributions"),
    ("", participation.SHARE_SILENT, "Silent"),
    ("", participation.GINI, "Inequality (Gini)"),
    ("", flows.RECIPROCITY, "Replies answered back"),
    (questions.GROUP_OF_KIND[Asked.PROMPT], questions.RESPONSE_RATE, "Prompts answered in a week"),
)

ANSWERED_SO_FAR: Final = "Prompts answered so far"


def frequency_of(when_text: str) -> Frequency | None:
    """The frequency whose schedule ``when_text`` is (None: not a digest's schedule)."""
    for frequency, text in WHEN_TEXTS.items():
        if text == when_text:
            return frequency
    return None


def digest_period(frequency: Frequency, due: datetime, timezone: str) -> Period:
    """The days a digest due at ``due`` is about, in the community's time zone: for ``weekly``
    the 7 days before the day it is due, for ``monthly`` the calendar month before it."""
    day = today_in(timezone, due)
    if frequency is Frequency.WEEKLY:
        return Period(day - timedelta(days=7), day - timedelta(days=1))
    if frequency is Frequency.MONTHLY:
        last = day.replace(day=1) - timedelta(days=1)
        return Period(last.replace(day=1), last)
    raise ValueError("a digest that is off covers no period")


def digest_nonce(schedule_id: int, due: datetime) -> str:
    """The nonce of the digest of one firing (a schedule and its due time), 25 characters: the
    same for a retried send, so Discord keeps one message (for the few minutes it remembers a
    nonce)."""
    micros = (due.astimezone(UTC) - _EPOCH) // timedelta(microseconds=1)
    digest = hashlib.sha256(f"{schedule_id}:{micros}".encode()).hexdigest()
    prefix = "digest-"
    return prefix + digest[: NONCE_LENGTH - len(prefix)]


def digest_fields(insights: CommunityInsights) -> list[tuple[str, str]]:
    """The headline figures as (label, text), each with its trend against the period before."""
    fields = [
        (label, insights.shown_text(Scope.COMMUNITY, group, metric))
        for group, metric, label in HEADLINES
    ]
    fields.append((ANSWERED_SO_FAR, prompts_answered_so_far(insights)))
    return fields


def prompts_answered_so_far(insights: CommunityInsights) -> str:
    """ "a of p": of the p prompts posted in the period, a have an answerer (module docstring)."""
    posted = insights.of_scope(Scope.PROMPT, questions.ANSWERS)
    if not posted:
        return "none posted"
    answered = sum(1 for m in posted if m.n > 0)  # n: the prompt's answerers
    return f"{answered} of {len(posted)}"


def digest_alerts(insights: CommunityInsights) -> list[str]:
    """What coordinators should look at, one line per kind (module docstring); empty when
    nothing stands out."""
    alerts = []
    silent = gone_silent(insights)
    if silent:
        alerts.append(
            f"🔇 **Went silent**: {_names(silent)}: "
            f"{_they(len(silent))} gave something in the period before and nothing in this one."
        )
    prompts = [
        m.group
        for m in insights.of_scope(Scope.PROMPT, questions.ANSWERS)
        if m.n == 0  # n: its answerers
    ]
    if prompts:
        posted = len(insights.of_scope(Scope.PROMPT, questions.ANSWERS))
        alerts.append(
            f"❓ **Unanswered prompts**: {len(prompts)} of the {posted} prompts posted in the "
            f"period have no answer yet ({_listed(prompts)})."
        )
    hoarders = [
        (m.group, int(m.value))
        for m in insights.of_scope(Scope.ORGANISATION, hoarding.HOARDING_PERIODS)
        if m.value is not None
    ]
    if hoarders:
        named = _listed(
            [f"{escape_markdown(name)} ({periods} periods in a row)" for name, periods in hoarders]
        )
        alerts.append(
            f"🫙 **Hoarding signal**: {named}: received replies and reactions but gave less than "
            "a fifth of all they gave and received."
        )
    silo_lines = silo_alerts(insights)
    if silo_lines:
        alerts.append(
            f"🧱 **Silos**: {_listed(silo_lines)}: their replies stay inside far more than "
            "random mixing would make them, and rarely so by chance."
        )
    return alerts


def gone_silent(insights: CommunityInsights) -> list[str]:
    """Organisations (of at least ``min_group`` people, now and before) that gave something in
    the previous period and nothing in this one, in name order."""
    found = []
    for measure in insights.of_scope(Scope.ORGANISATION, participation.GIVEN):
        if measure.value is None or measure.value > 0:
            continue
        before = insights.previous.get((Scope.ORGANISATION, measure.group, participation.GIVEN))
        if before is not None and before > 0:
            found.append(measure.group)
    return sorted(found, key=str.casefold)


def silo_alerts(insights: CommunityInsights) -> list[str]:
    """Each organisation called a silo, with its E-I, the value expected and the p-value."""
    lines = []
    for (scope, group), verdict in sorted(insights.figures.verdicts.items()):
        if scope is not Scope.ORGANISATION or not verdict.silo:
            continue
        figures = [
            insights.value(scope, group, metric)
            for metric in (silos.EI_INDEX, silos.EI_EXPECTED, silos.EI_P_VALUE)
        ]
        if any(m is None or m.value is None for m in figures):
            continue  # too small to show: never named
        ei, expected, p_value = (
            number_text(m.metric, m.value) for m in figures if m is not None and m.value is not None
        )
        lines.append(f"{escape_markdown(group)} (E-I {ei}, expected {expected}, p = {p_value})")
    return lines


def _names(groups: Sequence[str]) -> str:
    return _listed([escape_markdown(group) for group in groups])


def _listed(items: Sequence[str]) -> str:
    shown = ", ".join(items[:NAMED_PER_ALERT])
    more = len(items) - NAMED_PER_ALERT
    return f"{shown} and {more} more" if more > 0 else shown


def _they(count: int) -> str:
    return "its people" if count == 1 else "their people"
