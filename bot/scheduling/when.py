"""When things happen: parse a schedule a member typed and find its next occurrences.

Used by scheduled prompts and recurring cafés. ``parse_when(text, timezone)`` returns a
:class:`When`; its ``text`` is a normalised form that re-parses to the same schedule, so it is
what gets stored. Anything that cannot be read raises :class:`WhenError`, whose message is one
short paragraph fit to show a Discord member.

Accepted forms (case-insensitive; extra spaces and the filler words "at", "on", "the", "and"
are ignored; several times may be given, e.g. ``daily 09:00,17:00``):

- ``daily 09:00`` (also ``every day 09:00``)
- ``weekdays 09:00`` (Monday to Friday; also ``every weekday 09:00``)
- ``weekly mon,wed 09:00``, ``weekly monday 9:00``, ``weekly mon-fri 9am``
  (also ``every mon,wed 09:00`` and ``every week tue 14:00``)
- ``every 2 weeks tue 14:00`` (N from 1 to 52; ``fortnightly tue 14:00`` means every 2 weeks).
  Counting starts from the week (Monday to Sunday, in the schedule's timezone) that contains
  ``now`` at parse time; the normalised text records that week's Monday, e.g.
  ``every 2 weeks tue 14:00 from 2026-11-23``. ``from YYYY-MM-DD`` may be given on input; any
  date is moved back to the Monday of its week. Nothing happens before that Monday.
- ``every 3 days 09:00`` (N from 1 to 365), counted from the day containing ``now`` at parse
  time (normalised text: ``every 3 days 09:00 from 2026-11-25``; nothing happens before it).
- ``monthly first tue 10:00`` (first, second, third, fourth or last; 1st..4th also read)
- ``monthly 15 10:00`` (a day of the month; months without that day are skipped)
- ``2026-12-01 14:30`` or ``2026-12-01T14:30``: a one-off, not recurring. A one-off in the
  past is accepted; it simply has no next occurrence.
- cron with 5 fields, ``minute hour day-of-month month day-of-week``: ``*``, lists ``1,3``,
  ranges ``1-5``, steps ``*/15``, ``1-30/5`` and ``5/15`` (= ``5-max/15``), month names
  ``jan``..``dec``, day names ``sun``..``sat``; day-of-week 0 and 7 are Sunday. As in Vixie
  cron, when both day fields are restricted (neither starts with ``*``) a day matching either
  one counts; otherwise both must match. ``@hourly``, ``@daily``, ``@weekly``, ``@monthly``
  and ``@yearly`` are read too. A cron that can never fire (``0 0 31 2 *``) is refused.

Times are ``9:00``, ``09:00``, ``14:30`` (24-hour) or ``9am``, ``2:30pm``, ``12am`` (midnight).

Time zones and daylight saving. Times are wall-clock times in the schedule's IANA timezone:
a 09:00 Europe/Amsterdam schedule fires at 09:00 local all year, i.e. at 08:00 UTC in winter
(CET, UTC+1) and at 07:00 UTC in summer (CEST, UTC+2).

- A local time that does not exist (02:30 on the spring-forward day in Europe) fires at the
  first valid instant after the gap (03:00 local), once. If several scheduled times fall in
  the same gap, or one falls in the gap and another at its end, they fire once together.
- A local time that happens twice (02:30 on the fall-back day) fires once, at the first
  occurrence (``fold=0``, the earlier UTC instant).

All results are aware datetimes in UTC. Occurrences are found by walking matching dates and
then the day's sorted times, so frequent crons are cheap to preview.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from itertools import pairwise
from zoneinfo import ZoneInfo, available_timezones

__all__ = ["When", "WhenError", "describe_gap", "iana_timezones", "parse_when"]

MAX_TEXT_LENGTH = 200
MAX_TIMEZONE_NAME = 64  # the longest IANA name has 32 characters
# Occurrences looked at to find how often a schedule fires at its busiest.
GAP_SAMPLE = 100
# Names the time-zone database holds that are not zones anyone lives in: the host machine's
# own zone (whatever the server running the bot is set to), a build artefact, and "Factory"
# (time unknown, shown as "-00").
_NOT_ZONES = frozenset({"localtime", "posixrules", "Factory"})

DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_DAY_ABBR = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MONTH_NAMES = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
_MONTH_ABBR = tuple(name[:3].lower() for name in MONTH_NAMES)
_MAX_MONTH_DAYS = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)

# Day-name spellings -> Python weekday (Monday = 0).
_DAY_ALIASES: dict[str, int] = {}
for _index, _name in enumerate(DAY_NAMES):
    for _alias in (_name.lower(), _name.lower() + "s", _DAY_ABBR[_index]):
        _DAY_ALIASES[_alias] = _index
_DAY_ALIASES.update({"tues": 1, "weds": 2, "thur": 3, "thurs": 3})

_ORDINALS: dict[str, int] = {
    "first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3,
    "fourth": 4, "4th": 4, "last": -1,
}  # fmt: skip
_ORDINAL_WORDS = {1: "first", 2: "second", 3: "third", 4: "fourth", -1: "last"}

_FILLER = frozenset({"at", "on", "the", "and", "of"})
_CRON_MACROS = {
    "@hourly": "0 * * * *",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@weekly": "0 0 * * 0",
    "@monthly": "0 0 1 * *",
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
}

_TIME_RE = re.compile(r"^(\d{1,2})(?::(\d{2}))?(am|pm)?$")
_DATE_RE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_DATETIME_RE = re.compile(r"^(\d{4}-\d{1,2}-\d{1,2})t(.+)$")
_CRON_TOKEN_RE = re.compile(r"^[0-9a-z*/,\-]+$")
_DAY_OF_MONTH_RE = re.compile(r"^(\d{1,2})(st|nd|rd|th)?$")

# Scheduled local times earlier than this before the moment asked about cannot resolve to an
# instant after it (offset changes within a day are far smaller), so they are skipped.
_LOOKBACK = timedelta(hours=6)

FORMS_HELP = (
    "Accepted forms: `daily 09:00`, `weekdays 09:00`, `weekly mon,wed 09:00`, "
    "`every 2 weeks tue 14:00`, `every 3 days 09:00`, `monthly first tue 10:00`, "
    "`monthly 15 10:00`, a single date and time `2026-12-01 14:30`, or a 5-field cron "
    "(minute hour day month weekday) such as `0 9 * * 1-5`. "
    "Times can be 24-hour (`9:00`, `14:30`) or `9am`/`2:30pm`."
)
_TZ_HELP = "Use an IANA time zone name such as `Europe/Amsterdam`, `America/New_York` or `UTC`."


class WhenError(ValueError):
    """A schedule or timezone that cannot be read; the message is meant for a Discord member."""


Time = tuple[int, int]


# --------------------------------------------------------------------------- rules


@dataclass(frozen=True)
class _Rule:
    """Which local dates match, and at which sorted local (hour, minute) times."""

    times: tuple[Time, ...]

    def dates_from(self, start: date) -> Iterator[date]:
        """Matching dates on or after ``start``, in order."""
        raise NotImplementedError

    def text(self) -> str:
        raise NotImplementedError

    def describe(self, timezone: str) -> str:
        raise NotImplementedError


@dataclass(frozen=True)
class _DailyRule(_Rule):
    step: int = 1
    anchor: date | None = None  # set for "every N days"
    weekdays_only: bool = False

    def dates_from(self, start: date) -> Iterator[date]:
        if self.anchor is None:
            day = start
            while True:
                if not self.weekdays_only or day.weekday() < 5:
                    yield day
                day += timedelta(days=1)
        first = max(start, self.anchor)
        periods = -(-(first - self.anchor).days // self.step)
        day = self.anchor + timedelta(days=periods * self.step)
        while True:
            yield day
            day += timedelta(days=self.step)

    def text(self) -> str:
        if self.anchor is not None:
            return f"every {self.step} days {_times_text(self.times)} from {self.anchor}"
        return f"{'weekdays' if self.weekdays_only else 'daily'} {_times_text(self.times)}"

    def describe(self, timezone: str) -> str:
        at = _times_phrase(self.times)
        if self.anchor is not None:
            every = "every day" if self.step == 1 else f"every {self.step} days"
            return f"{every} {at} ({timezone}), starting {_date_phrase(self.anchor)}"
        if self.weekdays_only:
            return f"every weekday (Monday to Friday) {at} ({timezone})"
        return f"every day {at} ({timezone})"


@dataclass(frozen=True)
class _WeeklyRule(_Rule):
    days: frozenset[int] = frozenset()
    step: int = 1
    anchor: date | None = None  # a Monday; set for "every N weeks"

    def dates_from(self, start: date) -> Iterator[date]:
        day = start if self.anchor is None else max(start, self.anchor)
        while True:
            if day.weekday() in self.days and (
                self.anchor is None or ((day - self.anchor).days // 7) % self.step == 0
            ):
                yield day
            day += timedelta(days=1)

    def text(self) -> str:
        days = _days_text(self.days)
        if self.anchor is not None:
            return f"every {self.step} weeks {days} {_times_text(self.times)} from {self.anchor}"
        return f"weekly {days} {_times_text(self.times)}"

    def describe(self, timezone: str) -> str:
        ordered = sorted(self.days)
        names = _join_ranges([DAY_NAMES[d] for d in ordered], ordered)
        at = _times_phrase(self.times)
        if self.anchor is None:
            return f"every {names} {at} ({timezone})"
        every = "every week" if self.step == 1 else f"every {self.step} weeks"
        return (
            f"{every} on {names} {at} ({timezone}), counting from the week of "
            f"{_date_phrase(self.anchor)}"
        )


@dataclass(frozen=True)
class _MonthlyNthRule(_Rule):
    ordinal: int = 1  # 1..4, or -1 for the last
    weekday: int = 0

    def dates_from(self, start: date) -> Iterator[date]:
        for year, month in _months_from(start):
            day = _nth_weekday(year, month, self.ordinal, self.weekday)
            if day >= start:
                yield day

    def text(self) -> str:
        word = _ORDINAL_WORDS[self.ordinal]
        return f"monthly {word} {_DAY_ABBR[self.weekday]} {_times_text(self.times)}"

    def describe(self, timezone: str) -> str:
        word = _ORDINAL_WORDS[self.ordinal]
        at = _times_phrase(self.times)
        return f"on the {word} {DAY_NAMES[self.weekday]} of every month {at} ({timezone})"


@dataclass(frozen=True)
class _MonthlyDayRule(_Rule):
    day: int = 1

    def dates_from(self, start: date) -> Iterator[date]:
        for year, month in _months_from(start):
            if self.day <= _month_length(year, month):
                found = date(year, month, self.day)
                if found >= start:
                    yield found

    def text(self) -> str:
        return f"monthly {self.day} {_times_text(self.times)}"

    def describe(self, timezone: str) -> str:
        sentence = f"on day {self.day} of every month {_times_phrase(self.times)} ({timezone})"
        if self.day > 28:
            sentence += f"; months without a {_ordinal_suffix(self.day)} are skipped"
        return sentence


@dataclass(frozen=True)
class _OnceRule(_Rule):
    day: date = date.min

    def dates_from(self, start: date) -> Iterator[date]:
        if self.day >= start:
            yield self.day

    def text(self) -> str:
        return f"{self.day} {_times_text(self.times)}"

    def describe(self, timezone: str) -> str:
        return f"once, on {_date_phrase(self.day)} {_times_phrase(self.times)} ({timezone})"


@dataclass(frozen=True)
class _CronRule(_Rule):
    source: str = ""  # normalised text: five fields or a macro
    minutes: frozenset[int] = frozenset()
    hours: frozenset[int] = frozenset()
    month_days: frozenset[int] = frozenset()
    months: frozenset[int] = frozenset()
    weekdays: frozenset[int] = frozenset()  # Python weekdays, Monday = 0
    month_days_star: bool = True
    weekdays_star: bool = True

    def matches(self, day: date) -> bool:
        if day.month not in self.months:
            return False
        in_month = day.day in self.month_days
        in_week = day.weekday() in self.weekdays
        if self.month_days_star or self.weekdays_star:
            return in_month and in_week
        return in_month or in_week

    def dates_from(self, start: date) -> Iterator[date]:
        day = start
        while True:
            if day.month not in self.months:
                year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
                day = date(year, month, 1)
                continue
            if self.matches(day):
                yield day
            day += timedelta(days=1)

    def text(self) -> str:
        return self.source

    def describe(self, timezone: str) -> str:
        return f"{self._time_phrase()}, {self._day_phrase()} ({timezone})"

    def _time_phrase(self) -> str:
        minutes, hours = sorted(self.minutes), sorted(self.hours)
        step = _even_step(minutes, 60)
        if len(hours) == 24:
            if len(minutes) == 60:
                return "every minute"
            if step is not None and len(minutes) > 1:
                return f"every {step} minutes"
            return f"at minute {_join_numbers(minutes)} of every hour"
        if len(minutes) * len(hours) <= 6:
            return _times_phrase(tuple((h, m) for h in hours for m in minutes))
        if len(minutes) == 60:
            return f"every minute of hour {_join_numbers(hours)}"
        if len(minutes) == 1 and len(_runs(hours)) == 1:
            first, last, minute = hours[0], hours[-1], minutes[0]
            return (
                f"every hour at :{minute:02d} "
                f"from {first:02d}:{minute:02d} to {last:02d}:{minute:02d}"
            )
        if step is not None and len(minutes) > 1:
            return f"every {step} minutes during hour {_join_numbers(hours)}"
        return f"at minute {_join_numbers(minutes)} past hour {_join_numbers(hours)}"

    def _day_phrase(self) -> str:
        week = _join_ranges([DAY_NAMES[d] for d in sorted(self.weekdays)], sorted(self.weekdays))
        month_days = f"day {_join_numbers(sorted(self.month_days))} of the month"
        all_month_days = len(self.month_days) == 31
        all_weekdays = len(self.weekdays) == 7
        if self.month_days_star or self.weekdays_star:
            if all_month_days and all_weekdays:
                days = "every day"
            elif all_month_days:
                days = f"on {week}"
            elif all_weekdays:
                days = f"on {month_days}"
            else:
                days = f"on {month_days} when it is a {week}"
        else:
            days = f"on {month_days} or on {week}"
        if len(self.months) < 12:
            names = [MONTH_NAMES[m - 1] for m in sorted(self.months)]
            days += f", in {_join_ranges(names, sorted(self.months))}"
        return days


# --------------------------------------------------------------------------- the schedule


@dataclass(frozen=True)
class When:
    """A parsed schedule. Compare, hash and store it by ``text`` and ``timezone``.

    ``When(text, timezone)`` parses ``text`` as ``parse_when`` does (anchoring "every N weeks"
    to the current week when no ``from`` date is given) and keeps the normalised text.
    """

    text: str
    timezone: str
    _rule: _Rule | None = field(default=None, repr=False, compare=False, kw_only=True)

    def __post_init__(self) -> None:
        if self._rule is None:
            parsed = parse_when(self.text, self.timezone)
            object.__setattr__(self, "text", parsed.text)
            object.__setattr__(self, "timezone", parsed.timezone)
            object.__setattr__(self, "_rule", parsed._rule)

    @property
    def _checked_rule(self) -> _Rule:
        assert self._rule is not None  # set in __post_init__
        return self._rule

    @property
    def is_recurring(self) -> bool:
        return not isinstance(self._checked_rule, _OnceRule)

    @property
    def anchor(self) -> date | None:
        """The Monday (every N weeks) or first day (every N days) that counting starts from."""
        rule = self._checked_rule
        return rule.anchor if isinstance(rule, _DailyRule | _WeeklyRule) else None

    @property
    def times(self) -> tuple[Time, ...]:
        """The local wall-clock (hour, minute) times of day, sorted."""
        return self._checked_rule.times

    def next_after(self, moment: datetime) -> datetime | None:
        """The first occurrence strictly after ``moment`` (aware), in UTC; None if none is left."""
        return next(self._occurrences(moment), None)

    def upcoming(self, after: datetime, count: int) -> list[datetime]:
        """The next ``count`` occurrences strictly after ``after``, in UTC, strictly increasing."""
        if count < 0:
            raise ValueError("count must not be negative")
        found: list[datetime] = []
        if count == 0:
            return found
        for instant in self._occurrences(after):
            if found and instant <= found[-1]:
                continue  # several times shifted onto the end of the same gap fire once
            found.append(instant)
            if len(found) >= count:
                break
        return found

    def describe(self) -> str:
        """A sentence for people, e.g. "every Monday and Wednesday at 09:00 (Europe/Amsterdam)"."""
        return self._checked_rule.describe(self.timezone)

    def shortest_gap(self, after: datetime) -> timedelta | None:
        """How close together two occurrences come at the schedule's busiest: the shortest
        time between two of its next GAP_SAMPLE occurrences after ``after``, or between two of
        its times of day. None for a schedule that happens at most once. Measured on the wall
        clock, so that a daily time stays a day apart across a daylight-saving change."""
        zone = ZoneInfo(self.timezone)
        moments = [
            moment.astimezone(zone).replace(tzinfo=None)
            for moment in self.upcoming(after, GAP_SAMPLE)
        ]
        gaps = [later - earlier for earlier, later in pairwise(moments)]
        if len(moments) > 1:  # times of one day: the sample may not reach a busy day's
            minutes = [hour * 60 + minute for hour, minute in self.times]
            gaps += [
                timedelta(minutes=later - earlier)
                for earlier, later in pairwise(minutes)
            ]
        return min(gaps, default=None)

    def _occurrences(self, after: datetime) -> Iterator[datetime]:
        """Occurrences after ``after`` in non-decreasing order (gap shifts may repeat one)."""
        if not isinstance(after, datetime) or after.utcoffset() is None:
            raise ValueError("the moment must be a timezone-aware datetime")
        return self._walk(after.astimezone(UTC))

    def _walk(self, after: datetime) -> Iterator[datetime]:
        zone = ZoneInfo(self.timezone)
        rule = self._checked_rule
        times = rule.times
        try:
            cutoff = after.astimezone(zone).replace(tzinfo=None) - _LOOKBACK
            first_day = cutoff.date()
            for day in rule.dates_from(first_day):
                start = bisect_left(times, (cutoff.hour, cutoff.minute)) if day == first_day else 0
                for hour, minute in times[start:]:
                    instant = _resolve(day, hour, minute, zone)
                    if instant > after:
                        yield instant
        except OverflowError:  # walked off the end of the calendar (year 9999)
            return


def parse_when(text: str, timezone: str, *, now: datetime | None = None) -> When:
    """Read a schedule typed by a member; raise WhenError with a helpful message if it can't.

    ``now`` (aware; default: the current time) fixes the anchor of "every N weeks/days".
    """
    tz_name = _check_timezone(timezone)
    if now is None:
        now = datetime.now(UTC)
    elif now.utcoffset() is None:
        raise ValueError("now must be a timezone-aware datetime")
    today = now.astimezone(ZoneInfo(tz_name)).date()
    rule = _parse_rule(text, today)
    normalised = rule.text()
    if len(normalised) > MAX_TEXT_LENGTH:  # it is stored in a column of that size
        raise WhenError(
            f"That schedule is too long once written out (over {MAX_TEXT_LENGTH} characters): "
            "use fewer times or days."
        )
    return When(normalised, tz_name, _rule=rule)


# --------------------------------------------------------------------------- parsing


@lru_cache(maxsize=1)
def iana_timezones() -> tuple[str, ...]:
    """The IANA time zones a schedule or a community may use, sorted."""
    return tuple(sorted(available_timezones() - _NOT_ZONES))


@lru_cache(maxsize=1)
def _known_timezones() -> dict[str, str]:
    return {name.lower(): name for name in iana_timezones()}


def _check_timezone(timezone: str) -> str:
    if not isinstance(timezone, str) or not timezone.strip():
        raise WhenError(f"A time zone is needed. {_TZ_HELP}")
    name = timezone.strip()
    known = _known_timezones()
    canonical = name if name in known.values() else known.get(name.lower())
    if canonical is None:
        raise WhenError(f"I don't know the time zone '{name[:60]}'. {_TZ_HELP}")
    return canonical


def _parse_rule(text: str, today: date) -> _Rule:
    if not isinstance(text, str):
        raise TypeError("the schedule must be a string")
    spaced = " ".join(text.split()).lower()
    if not spaced:
        raise WhenError(f"The schedule is empty. {FORMS_HELP}")
    if len(spaced) > MAX_TEXT_LENGTH:
        raise WhenError(
            f"That schedule is too long (over {MAX_TEXT_LENGTH} characters). {FORMS_HELP}"
        )
    spaced = re.sub(r"\s*,\s*", ",", spaced)
    if spaced in _CRON_MACROS:
        return _parse_cron(_CRON_MACROS[spaced].split(" "), spaced)
    tokens = spaced.split(" ")
    if _looks_like_cron(tokens):
        if len(tokens) != 5:
            raise WhenError(
                f"A cron schedule needs exactly 5 fields (minute hour day-of-month month "
                f"day-of-week), e.g. `0 9 * * 1-5`; '{spaced}' has {len(tokens)}. {FORMS_HELP}"
            )
        return _parse_cron(tokens, spaced)
    spaced = re.sub(r"(\d)\s+(am|pm)\b", r"\1\2", spaced)
    spaced = re.sub(r"\s*-\s*", "-", spaced)
    tokens = [token for token in spaced.split(" ") if token not in _FILLER]
    if not tokens:
        raise WhenError(f"I couldn't read '{text.strip()[:80]}' as a schedule. {FORMS_HELP}")
    return _parse_words(tokens, today, text)


def _looks_like_cron(tokens: list[str]) -> bool:
    return (
        3 <= len(tokens) <= 7
        and all(_CRON_TOKEN_RE.match(token) for token in tokens)
        and tokens[0][0] in "*0123456789"
        and not _DATE_RE.match(tokens[0])
    )


def _parse_words(tokens: list[str], today: date, original: str) -> _Rule:
    head, rest = tokens[0], tokens[1:]
    if all(_TIME_RE.match(part) for token in tokens for part in token.split(",")):
        _parse_times(tokens, "daily 09:00")  # a wrong time is the first thing to point out
        raise WhenError(f"A time alone is not a schedule: say how often too. {FORMS_HELP}")
    if _DATE_RE.match(head) or _DATETIME_RE.match(head):
        return _parse_once(tokens)
    if head in ("daily", "everyday"):
        return _DailyRule(times=_parse_times(_no_from(rest, head), "daily 09:00"))
    if head == "weekdays":
        return _DailyRule(
            times=_parse_times(_no_from(rest, head), "weekdays 09:00"), weekdays_only=True
        )
    if head == "weekly":
        return _parse_weekly(_no_from(rest, head), 1, None, "weekly mon,wed 09:00")
    if head == "fortnightly":
        return _parse_every_weeks(2, rest, today, "fortnightly tue 14:00")
    if head == "monthly":
        return _parse_monthly(_no_from(rest, head))
    if head == "every" and rest:
        unit, after_unit = rest[0], rest[1:]
        if unit == "day":
            return _DailyRule(times=_parse_times(_no_from(after_unit, "daily"), "every day 09:00"))
        if unit in ("weekday", "weekdays"):
            times = _parse_times(_no_from(after_unit, "weekdays"), "every weekday 09:00")
            return _DailyRule(times=times, weekdays_only=True)
        if unit == "week":
            return _parse_weekly(_no_from(after_unit, "weekly"), 1, None, "every week tue 14:00")
        if unit.isdigit():
            return _parse_every_number(int(unit), after_unit, today)
        if _is_day_spec(unit):
            return _parse_weekly(_no_from(rest, "weekly"), 1, None, "every mon,wed 09:00")
    raise WhenError(f"I couldn't read '{original.strip()[:80]}' as a schedule. {FORMS_HELP}")


def _parse_every_number(number: int, tokens: list[str], today: date) -> _Rule:
    unit = tokens[0] if tokens else ""
    if unit in ("week", "weeks"):
        return _parse_every_weeks(number, tokens[1:], today, "every 2 weeks tue 14:00")
    if unit in ("day", "days"):
        if not 1 <= number <= 365:
            raise WhenError(
                f"'every {number} days' is out of range: the number of days must be from 1 "
                "to 365, e.g. `every 3 days 09:00`."
            )
        body, start = _split_from(tokens[1:])
        times = _parse_times(body, "every 3 days 09:00")
        return _DailyRule(times=times, step=number, anchor=start or today)
    raise WhenError(
        f"After 'every {number}' I expected 'weeks' or 'days', e.g. `every 2 weeks tue 14:00` "
        f"or `every 3 days 09:00`. {FORMS_HELP}"
    )


def _parse_every_weeks(number: int, tokens: list[str], today: date, example: str) -> _Rule:
    if not 1 <= number <= 52:
        raise WhenError(
            f"'every {number} weeks' is out of range: the number of weeks must be from 1 to 52, "
            "e.g. `every 2 weeks tue 14:00`."
        )
    body, start = _split_from(tokens)
    anchor = start or today
    monday = anchor - timedelta(days=anchor.weekday())
    return _parse_weekly(body, number, monday, example)


def _parse_weekly(tokens: list[str], step: int, anchor: date | None, example: str) -> _Rule:
    days: set[int] = set()
    index = 0
    while index < len(tokens) and not _TIME_RE.match(tokens[index].split(",")[0]):
        days |= _parse_day_spec(tokens[index], example)
        index += 1
    if not days:
        raise WhenError(f"Say which days of the week, e.g. `{example}`.")
    times = _parse_times(tokens[index:], example)
    return _WeeklyRule(times=times, days=frozenset(days), step=step, anchor=anchor)


def _parse_monthly(tokens: list[str]) -> _Rule:
    example = "`monthly first tue 10:00` or `monthly 15 10:00`"
    if not tokens:
        raise WhenError(f"Say which day of the month and what time, e.g. {example}.")
    first = tokens[0]
    if first in _ORDINALS:
        if len(tokens) < 2 or tokens[1] not in _DAY_ALIASES:
            got = f"'{tokens[1]}'" if len(tokens) > 1 else "nothing"
            raise WhenError(
                f"After '{first}' I expected a day of the week (mon, tue, ... or monday) but got "
                f"{got}, e.g. {example}."
            )
        times = _parse_times(tokens[2:], "monthly first tue 10:00")
        return _MonthlyNthRule(
            times=times, ordinal=_ORDINALS[first], weekday=_DAY_ALIASES[tokens[1]]
        )
    match = _DAY_OF_MONTH_RE.match(first)
    if match is None:
        raise WhenError(
            f"'{first}' is not a day of the month: use first, second, third, fourth or last "
            f"with a weekday, or a day number from 1 to 31, e.g. {example}."
        )
    day = int(match.group(1))
    if not 1 <= day <= 31:
        raise WhenError(f"Day {day} of the month is out of range: use 1 to 31, e.g. {example}.")
    return _MonthlyDayRule(times=_parse_times(tokens[1:], "monthly 15 10:00"), day=day)


def _parse_once(tokens: list[str]) -> _Rule:
    example = "`2026-12-01 14:30`"
    head, rest = tokens[0], tokens[1:]
    joined = _DATETIME_RE.match(head)
    if joined is not None:
        head, rest = joined.group(1), [joined.group(2), *rest]
    if len(rest) != 1 or "," in rest[0]:
        raise WhenError(f"A one-off needs a date and one time, e.g. {example}.")
    day = _parse_date(head, example)
    return _OnceRule(times=_parse_times(rest, example), day=day)


def _parse_date(token: str, example: str) -> date:
    match = _DATE_RE.match(token)
    if match is None:
        raise WhenError(f"'{token}' is not a date: write it as YYYY-MM-DD, e.g. {example}.")
    year, month, day = (int(part) for part in match.groups())
    if year < 1:
        raise WhenError(f"In '{token}' the year is out of range, e.g. {example}.")
    if not 1 <= month <= 12:
        raise WhenError(f"In '{token}' the month {month} is out of range (1 to 12).")
    try:
        return date(year, month, day)
    except ValueError:
        raise WhenError(
            f"'{token}' is not a real date: {MONTH_NAMES[month - 1]} {year} has "
            f"{_month_length(year, month)} days."
        ) from None


def _no_from(tokens: list[str], form: str) -> list[str]:
    if "from" in tokens:
        raise WhenError(
            f"'from YYYY-MM-DD' only goes with `every N weeks` or `every N days`, not with "
            f"'{form}'. {FORMS_HELP}"
        )
    return tokens


def _split_from(tokens: list[str]) -> tuple[list[str], date | None]:
    if "from" not in tokens:
        return tokens, None
    index = tokens.index("from")
    after = tokens[index + 1 :]
    if len(after) != 1:
        raise WhenError(
            "'from' must be followed by just a date at the end, e.g. "
            "`every 2 weeks tue 14:00 from 2026-11-23`."
        )
    return tokens[:index], _parse_date(after[0], "`every 2 weeks tue 14:00 from 2026-11-23`")


def _is_day_spec(token: str) -> bool:
    try:
        _parse_day_spec(token, "")
    except WhenError:
        return False
    return True


def _parse_day_spec(token: str, example: str) -> set[int]:
    days: set[int] = set()
    for part in token.split(","):
        first, dash, last = part.partition("-")
        if first not in _DAY_ALIASES or (dash and last not in _DAY_ALIASES):
            raise WhenError(
                f"'{part}' is not a day of the week: use mon, tue, wed, thu, fri, sat, sun "
                f"(or full names), lists like mon,wed and ranges like mon-fri, e.g. `{example}`."
            )
        start = _DAY_ALIASES[first]
        end = _DAY_ALIASES[last] if dash else start
        length = (end - start) % 7
        days.update((start + offset) % 7 for offset in range(length + 1))
    return days


def _parse_times(tokens: list[str], example: str) -> tuple[Time, ...]:
    parts = [part for token in tokens for part in token.split(",")]
    if not parts:
        raise WhenError(f"Say at what time, e.g. `{example}` (24-hour `14:30` or `2:30pm`).")
    return tuple(sorted({_parse_time(part, example) for part in parts}))


def _parse_time(token: str, example: str) -> Time:
    match = _TIME_RE.match(token)
    if match is None or (match.group(2) is None and match.group(3) is None):
        raise WhenError(
            f"'{token}' is not a time: write `9:00`, `09:00`, `14:30`, `9am` or `2:30pm`, "
            f"e.g. `{example}`."
        )
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    meridiem = match.group(3)
    if meridiem is not None:
        if not 1 <= hour <= 12:
            raise WhenError(f"In '{token}' the hour must be from 1 to 12 with am/pm.")
        hour = hour % 12 + (12 if meridiem == "pm" else 0)
    elif hour > 23:
        raise WhenError(f"In '{token}' the hour {hour} is out of range: hours go from 0 to 23.")
    if minute > 59:
        raise WhenError(
            f"In '{token}' the minute {minute} is out of range: minutes go from 00 to 59."
        )
    return hour, minute


# --------------------------------------------------------------------------- cron


_CRON_FIELDS: tuple[tuple[str, int, int, tuple[str, ...]], ...] = (
    ("minute", 0, 59, ()),
    ("hour", 0, 23, ()),
    ("day-of-month", 1, 31, ()),
    ("month", 1, 12, _MONTH_ABBR),
    ("day-of-week", 0, 7, ("sun", "mon", "tue", "wed", "thu", "fri", "sat")),
)


def _parse_cron(fields: list[str], source: str) -> _CronRule:
    values = [
        _parse_cron_field(text, name, low, high, names, source)
        for text, (name, low, high, names) in zip(fields, _CRON_FIELDS, strict=True)
    ]
    minutes, hours, month_days, months, cron_weekdays = values
    weekdays = frozenset((value - 1) % 7 for value in cron_weekdays)  # cron Sunday 0/7
    rule = _CronRule(
        times=tuple(sorted((h, m) for h in hours for m in minutes)),
        source=source,
        minutes=minutes,
        hours=hours,
        month_days=month_days,
        months=months,
        weekdays=weekdays,
        month_days_star=fields[2].startswith("*"),
        weekdays_star=fields[4].startswith("*"),
    )
    only_month_days = not rule.month_days_star and rule.weekdays_star
    if only_month_days and all(min(month_days) > _MAX_MONTH_DAYS[m - 1] for m in months):
        raise WhenError(
            f"The cron '{source}' never happens: none of its months has day "
            f"{_join_numbers(sorted(month_days), conjunction='or')}."
        )
    return rule


def _parse_cron_field(
    text: str, name: str, low: int, high: int, names: tuple[str, ...], source: str
) -> frozenset[int]:
    where = f"In the cron '{source}', the {name} field '{text}'"
    ranges = f"{name} values go from {low} to {high}"
    values: set[int] = set()
    for part in text.split(","):
        span, slash, step_text = part.partition("/")
        step = 1
        if slash:
            if not step_text.isdigit() or int(step_text) < 1:
                raise WhenError(f"{where} has step '/{step_text}': a step must be 1 or more.")
            step = int(step_text)
        if span == "*":
            start, end = low, high
        elif "-" in span:
            first, _, last = span.partition("-")
            start = _cron_value(first, low, high, names, where, ranges)
            end = _cron_value(last, low, high, names, where, ranges)
            if name == "day-of-week" and last == "sun" and start > 0:
                end = 7
            if start > end:
                raise WhenError(f"{where} has the range '{span}' backwards: write low-high.")
        else:
            start = _cron_value(span, low, high, names, where, ranges)
            end = high if slash else start
        values.update(range(start, end + 1, step))
    if name == "day-of-week" and 7 in values:
        values = (values - {7}) | {0}
    return frozenset(values)


def _cron_value(
    text: str, low: int, high: int, names: tuple[str, ...], where: str, ranges: str
) -> int:
    if text.isdigit():
        value = int(text)
        if not low <= value <= high:
            raise WhenError(f"{where} is out of range: {ranges}.")
        return value
    if text in names:
        return names.index(text) + low
    hint = f" or names ({', '.join(names[:3])}, ...)" if names else ""
    raise WhenError(f"{where} is not valid: use numbers{hint}, `*`, lists, ranges and steps.")


# --------------------------------------------------------------------------- time arithmetic


def _resolve(day: date, hour: int, minute: int, zone: ZoneInfo) -> datetime:
    """The UTC instant of a local wall-clock time, applying the gap and fold rules."""
    naive = datetime(day.year, day.month, day.day, hour, minute)
    first = naive.replace(tzinfo=zone).astimezone(UTC)  # fold=0: the earlier of two
    if first.astimezone(zone).replace(tzinfo=None) == naive:
        return first
    return _gap_end(naive, zone)


def _gap_end(naive: datetime, zone: ZoneInfo) -> datetime:
    """The first instant after the daylight-saving gap that swallowed ``naive``."""
    one = naive.replace(tzinfo=zone, fold=0).astimezone(UTC)
    other = naive.replace(tzinfo=zone, fold=1).astimezone(UTC)
    low, high = int(min(one, other).timestamp()), int(max(one, other).timestamp())
    before = datetime.fromtimestamp(low, UTC).astimezone(zone).utcoffset()
    while high - low > 1:
        middle = (low + high) // 2
        if datetime.fromtimestamp(middle, UTC).astimezone(zone).utcoffset() == before:
            low = middle
        else:
            high = middle
    return datetime.fromtimestamp(high, UTC)


def _months_from(start: date) -> Iterator[tuple[int, int]]:
    year, month = start.year, start.month
    while True:
        yield year, month
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def _month_length(year: int, month: int) -> int:
    if month == 2:
        leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
        return 29 if leap else 28
    return _MAX_MONTH_DAYS[month - 1]


def _nth_weekday(year: int, month: int, ordinal: int, weekday: int) -> date:
    if ordinal == -1:
        last = date(year, month, _month_length(year, month))
        return last - timedelta(days=(last.weekday() - weekday) % 7)
    first = date(year, month, 1)
    return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (ordinal - 1))


# --------------------------------------------------------------------------- wording


def describe_gap(gap: timedelta) -> str:
    """ "1 minute", "30 minutes", "8 hours", "2 h 30 min", "3 days": a time between two
    occurrences, in words."""
    minutes = int(gap.total_seconds() // 60)
    if minutes < 60:
        return f"{minutes} minute" + ("" if minutes == 1 else "s")
    if minutes % (24 * 60) == 0:
        days = minutes // (24 * 60)
        return f"{days} day" + ("" if days == 1 else "s")
    hours, rest = divmod(minutes, 60)
    if rest == 0:
        return f"{hours} hour" + ("" if hours == 1 else "s")
    return f"{hours} h {rest} min"


def _times_text(times: Iterable[Time]) -> str:
    return ",".join(f"{h:02d}:{m:02d}" for h, m in times)


def _times_phrase(times: Iterable[Time]) -> str:
    return "at " + _join([f"{h:02d}:{m:02d}" for h, m in times])


def _days_text(days: Iterable[int]) -> str:
    ordered = sorted(days)
    return ",".join(
        f"{_DAY_ABBR[run[0]]}-{_DAY_ABBR[run[-1]]}"
        if len(run) >= 3
        else ",".join(_DAY_ABBR[d] for d in run)
        for run in _runs(ordered)
    )


def _date_phrase(day: date) -> str:
    return f"{DAY_NAMES[day.weekday()]} {day.day} {MONTH_NAMES[day.month - 1]} {day.year}"


def _ordinal_suffix(number: int) -> str:
    suffix = "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10)
    return f"{number}{suffix or 'th'}"


def _join(items: list[str], conjunction: str = "and") -> str:
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {conjunction} {items[-1]}"


def _runs(numbers: list[int]) -> list[list[int]]:
    runs: list[list[int]] = []
    for number in numbers:
        if runs and number == runs[-1][-1] + 1:
            runs[-1].append(number)
        else:
            runs.append([number])
    return runs


def _join_ranges(labels: list[str], numbers: list[int]) -> str:
    """Join labels, writing runs of three or more consecutive numbers as "A to C"."""
    label = dict(zip(numbers, labels, strict=True))
    parts = [
        f"{label[run[0]]} to {label[run[-1]]}" if len(run) >= 3 else label[n]
        for run in _runs(numbers)
        for n in (run if len(run) < 3 else run[:1])
    ]
    return _join(parts)


def _join_numbers(numbers: list[int], conjunction: str = "and") -> str:
    parts = [
        f"{run[0]} to {run[-1]}" if len(run) >= 3 else str(n)
        for run in _runs(numbers)
        for n in (run if len(run) < 3 else run[:1])
    ]
    return _join(parts, conjunction)


def _even_step(values: list[int], modulus: int) -> int | None:
    """The step if ``values`` is 0, s, 2s, ... covering the whole cycle evenly, else None."""
    if not values or values[0] != 0 or modulus % len(values) != 0:
        return None
    step = modulus // len(values)
    return step if values == list(range(0, modulus, step)) else None
