"""The hoarding signal: people and organisations that keep receiving and hardly give, period after
period.

Input: the activity of consecutive periods of one length (oldest first, the last one the latest;
in each, user id -> :class:`Activity`, a person without an entry did nothing) and the people
present now (entries for anyone else are ignored). Plain Python: one pass back from the latest
period, stopping at the first period that breaks each run.

Formulas, for a person or an organisation in one period, with g = given and r = received (as in
:mod:`bot.insights.participation`; an organisation's g and r are the sums over its people):

* Hoarding in the period: r > 0 and (g = 0 or g / (g + r) < 0.2), as the issue words it ("received
  but gave nothing, or a give ratio under 0.2"). Since g = 0 with r > 0 gives a ratio of 0, this
  is r > 0 and g / (g + r) < 0.2, which for counts is exactly 4g < r (computed so, in integers:
  a ratio of exactly 0.2 is not under it, and nobody who received nothing is flagged).
* ``hoarding_periods`` = the length of the run ending now: the number of consecutive periods,
  counting back from the latest one, in which the person or organisation was hoarding (0 when
  not hoarding in the latest period). The signal is raised when it is at least 2: hoarding in
  the latest period and at least the one before it; a run that ended before the latest period
  raises nothing.

Organisations are taken from ``people`` (each person's organisation in the register now, the
same for every period); people without an organisation count only for themselves. An
organisation's ``n`` is the number of its present people; a person's is 1 and their ``group`` is
``str(user_id)`` until the service names them by pseudonym, or by name for those who chose to be
visible. Suppressing small groups is the service's work, on ``n``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bot.insights.values import Activity, Measure, Person, Scope

HOARDING_PERIODS = "hoarding_periods"

GIVE_RATIO_UNDER = 0.2
"""A give ratio under this, with something received, is hoarding (4g < r is the same test)."""

MIN_PERIODS = 2
"""Consecutive periods, up to the latest, that raise the signal."""


def is_hoarding(given: int, received: int) -> bool:
    """Received something and gave nothing, or a give ratio under 0.2: 4 * given < received
    (in integers, so a ratio of exactly 0.2 is not flagged)."""
    return 4 * given < received


def run_ending_now(flags: Sequence[bool]) -> int:
    """How many of ``flags`` (oldest first) are True in a row, up to and including the last."""
    run = 0
    for flag in reversed(flags):
        if not flag:
            break
        run += 1
    return run


def person_runs(
    periods: Sequence[Mapping[int, Activity]], people: Sequence[Person]
) -> dict[int, int]:
    """Each person's ``hoarding_periods`` (0 included), by user id."""
    runs: dict[int, int] = {}
    for person in people:
        run = 0
        for period in reversed(periods):
            done = period.get(person.user_id)
            if done is None or not is_hoarding(done.given, done.received):
                break
            run += 1
        runs[person.user_id] = run
    return runs


def organisation_runs(
    periods: Sequence[Mapping[int, Activity]], people: Sequence[Person]
) -> dict[str, int]:
    """Each organisation's ``hoarding_periods`` (0 included), by name, from the given and
    received of its people summed per period."""
    members: dict[str, list[int]] = {}
    for person in people:
        if person.organisation is not None:
            members.setdefault(person.organisation, []).append(person.user_id)
    runs = dict.fromkeys(members, 0)
    still_running = set(members)
    for period in reversed(periods):
        for organisation in sorted(still_running):
            given = received = 0
            for user_id in members[organisation]:
                done = period.get(user_id)
                if done is not None:
                    given += done.given
                    received += done.received
            if is_hoarding(given, received):
                runs[organisation] += 1
            else:
                still_running.discard(organisation)
        if not still_running:
            break
    return runs


def hoarding_measures(
    periods: Sequence[Mapping[int, Activity]], people: Sequence[Person]
) -> list[Measure]:
    """``hoarding_periods`` of every person (in the order of ``people``), then every
    organisation (in name order), whose run ending now is at least 2 periods long."""
    sizes: dict[str, int] = {}
    for person in people:
        if person.organisation is not None:
            sizes[person.organisation] = sizes.get(person.organisation, 0) + 1
    measures = [
        Measure(Scope.MEMBER, str(user_id), HOARDING_PERIODS, run, 1)
        for user_id, run in person_runs(periods, people).items()
        if run >= MIN_PERIODS
    ]
    organisations = organisation_runs(periods, people)
    measures += [
        Measure(Scope.ORGANISATION, name, HOARDING_PERIODS, organisations[name], sizes[name])
        for name in sorted(organisations)
        if organisations[name] >= MIN_PERIODS
    ]
    return measures
