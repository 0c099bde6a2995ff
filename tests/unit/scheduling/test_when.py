"""Tests for bot.scheduling.when: parsing schedules and finding their next occurrences."""

from __future__ import annotations

import itertools
import time
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.scheduling.when import When, WhenError, parse_when

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)  # a Wednesday
AMS = "Europe/Amsterdam"
NYC = "America/New_York"


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def nexts(text: str, tz: str = "UTC", after: datetime = NOW, count: int = 3) -> list[datetime]:
    return parse_when(text, tz, now=NOW).upcoming(after, count)


# --------------------------------------------------------------------------- each form


@pytest.mark.parametrize(
    ("text", "tz", "normalised", "expected"),
    [
        ("0 9 * * 1", AMS, "0 9 * * 1", [utc(2026, 11, 30, 8), utc(2026, 12, 7, 8)]),
        ("daily 09:00", AMS, "daily 09:00", [utc(2026, 11, 26, 8), utc(2026, 11, 27, 8)]),
        ("Daily  9:00", "UTC", "daily 09:00", [utc(2026, 11, 26, 9), utc(2026, 11, 27, 9)]),
        ("every day at 9am", "UTC", "daily 09:00", [utc(2026, 11, 26, 9), utc(2026, 11, 27, 9)]),
        ("daily 12:00", "UTC", "daily 12:00", [utc(2026, 11, 26, 12), utc(2026, 11, 27, 12)]),
        (
            "weekdays 9am",
            NYC,
            "weekdays 09:00",
            [utc(2026, 11, 25, 14), utc(2026, 11, 26, 14), utc(2026, 11, 27, 14)],
        ),
        (
            "weekly mon,wed 09:00",
            AMS,
            "weekly mon,wed 09:00",
            [utc(2026, 11, 30, 8), utc(2026, 12, 2, 8), utc(2026, 12, 7, 8)],
        ),
        ("WEEKLY Monday 9:00", "UTC", "weekly mon 09:00", [utc(2026, 11, 30, 9)]),
        (
            "weekly mon-fri 09:00",
            "UTC",
            "weekly mon-fri 09:00",
            [utc(2026, 11, 26, 9), utc(2026, 11, 27, 9), utc(2026, 11, 30, 9)],
        ),
        (
            "weekly fri-sun 10:00",  # a range may wrap over the end of the week
            "UTC",
            "weekly fri-sun 10:00",
            [utc(2026, 11, 27, 10), utc(2026, 11, 28, 10), utc(2026, 11, 29, 10)],
        ),
        (
            "weekly mon and wed at 9:00, 17:00",
            "UTC",
            "weekly mon,wed 09:00,17:00",
            [utc(2026, 11, 25, 17), utc(2026, 11, 30, 9), utc(2026, 11, 30, 17)],
        ),
        ("every thursday 2:30 pm", "UTC", "weekly thu 14:30", [utc(2026, 11, 26, 14, 30)]),
        (
            "every 2 weeks tue 14:00",
            AMS,
            "every 2 weeks tue 14:00 from 2026-11-23",
            [utc(2026, 12, 8, 13), utc(2026, 12, 22, 13), utc(2027, 1, 5, 13)],
        ),
        (
            "fortnightly thu 14:00",
            "UTC",
            "every 2 weeks thu 14:00 from 2026-11-23",
            [utc(2026, 11, 26, 14), utc(2026, 12, 10, 14), utc(2026, 12, 24, 14)],
        ),
        (
            "every 3 weeks mon,fri 08:00 from 2026-11-25",  # moved back to that week's Monday
            "UTC",
            "every 3 weeks mon,fri 08:00 from 2026-11-23",
            [utc(2026, 11, 27, 8), utc(2026, 12, 14, 8), utc(2026, 12, 18, 8)],
        ),
        (
            "every 2 weeks tue 14:00 from 2027-01-04",  # nothing before a future start
            "UTC",
            "every 2 weeks tue 14:00 from 2027-01-04",
            [utc(2027, 1, 5, 14), utc(2027, 1, 19, 14)],
        ),
        (
            "every 3 days 09:00",
            "UTC",
            "every 3 days 09:00 from 2026-11-25",
            [utc(2026, 11, 28, 9), utc(2026, 12, 1, 9), utc(2026, 12, 4, 9)],
        ),
        (
            "monthly first tue 10:00",
            "UTC",
            "monthly first tue 10:00",
            [utc(2026, 12, 1, 10), utc(2027, 1, 5, 10), utc(2027, 2, 2, 10)],
        ),
        (
            "monthly on the 2nd monday at 10:00",
            "UTC",
            "monthly second mon 10:00",
            [utc(2026, 12, 14, 10), utc(2027, 1, 11, 10)],
        ),
        (
            "monthly last fri 10:00",
            "UTC",
            "monthly last fri 10:00",
            [utc(2026, 11, 27, 10), utc(2026, 12, 25, 10), utc(2027, 1, 29, 10)],
        ),
        (
            "monthly 15 10:00",
            AMS,
            "monthly 15 10:00",
            [utc(2026, 12, 15, 9), utc(2027, 1, 15, 9), utc(2027, 2, 15, 9)],
        ),
        (
            "monthly 31st 10:00",  # February, April, ... are skipped
            "UTC",
            "monthly 31 10:00",
            [utc(2026, 12, 31, 10), utc(2027, 1, 31, 10), utc(2027, 3, 31, 10)],
        ),
        ("2026-12-01 14:30", AMS, "2026-12-01 14:30", [utc(2026, 12, 1, 13, 30)]),
        ("2026-12-01T14:30", AMS, "2026-12-01 14:30", [utc(2026, 12, 1, 13, 30)]),
        ("2026-12-01 2:30pm", "UTC", "2026-12-01 14:30", [utc(2026, 12, 1, 14, 30)]),
        (
            "*/5 * * * *",
            "UTC",
            "*/5 * * * *",
            [utc(2026, 11, 25, 12, 5), utc(2026, 11, 25, 12, 10), utc(2026, 11, 25, 12, 15)],
        ),
        (
            "0 9-17/4 * * MON-FRI",
            "UTC",
            "0 9-17/4 * * mon-fri",
            [utc(2026, 11, 25, 13), utc(2026, 11, 25, 17), utc(2026, 11, 26, 9)],
        ),
        (
            "0 9 * * 1-5/2",  # Monday, Wednesday, Friday
            "UTC",
            "0 9 * * 1-5/2",
            [utc(2026, 11, 27, 9), utc(2026, 11, 30, 9), utc(2026, 12, 2, 9)],
        ),
        ("30 8 * * 7", "UTC", "30 8 * * 7", [utc(2026, 11, 29, 8, 30), utc(2026, 12, 6, 8, 30)]),
        ("30 8 * * 0", "UTC", "30 8 * * 0", [utc(2026, 11, 29, 8, 30), utc(2026, 12, 6, 8, 30)]),
        ("15 10 * * sat-sun", "UTC", "15 10 * * sat-sun", [utc(2026, 11, 28, 10, 15)]),
        (
            "0 0 1,15 * 5",  # both day fields restricted: either matches
            "UTC",
            "0 0 1,15 * 5",
            [utc(2026, 11, 27), utc(2026, 12, 1), utc(2026, 12, 4), utc(2026, 12, 11)],
        ),
        (
            "0 0 */13 * fri",  # day-of-month starts with '*': both must match (Vixie)
            "UTC",
            "0 0 */13 * fri",
            [utc(2026, 11, 27), utc(2027, 1, 1), utc(2027, 5, 14)],
        ),
        (
            "0 12 */2 * *",
            "UTC",
            "0 12 */2 * *",
            [utc(2026, 11, 27, 12), utc(2026, 11, 29, 12), utc(2026, 12, 1, 12)],
        ),
        (
            "5/20 9 1-30/10 jan,jul *",
            "UTC",
            "5/20 9 1-30/10 jan,jul *",
            [utc(2027, 1, 1, 9, 5), utc(2027, 1, 1, 9, 25), utc(2027, 1, 1, 9, 45)],
        ),
        ("0 0 29 2 *", "UTC", "0 0 29 2 *", [utc(2028, 2, 29), utc(2032, 2, 29)]),
        ("@weekly", "UTC", "@weekly", [utc(2026, 11, 29), utc(2026, 12, 6)]),
        ("@monthly", "UTC", "@monthly", [utc(2026, 12, 1), utc(2027, 1, 1)]),
    ],
)
def test_forms_and_next_dates(
    text: str, tz: str, normalised: str, expected: list[datetime]
) -> None:
    when = parse_when(text, tz, now=NOW)
    assert when.text == normalised
    assert when.timezone == tz
    assert when.upcoming(NOW, len(expected)) == expected
    assert when.next_after(NOW) == expected[0]
    assert all(moment.tzinfo is UTC for moment in expected)
    assert parse_when(when.text, tz, now=NOW + timedelta(days=400)) == when


def test_recurring_and_one_off() -> None:
    assert parse_when("daily 09:00", "UTC").is_recurring
    assert parse_when("0 9 * * 1", "UTC").is_recurring
    once = parse_when("2026-12-01 14:30", AMS, now=NOW)
    assert not once.is_recurring
    assert once.upcoming(NOW, 5) == [utc(2026, 12, 1, 13, 30)]
    assert once.next_after(utc(2026, 12, 1, 13, 30)) is None
    past = parse_when("2020-01-01 10:00", "UTC", now=NOW)  # accepted, just never again
    assert past.next_after(NOW) is None
    assert past.upcoming(NOW, 3) == []
    assert past.next_after(utc(2019, 1, 1)) == utc(2020, 1, 1, 10)


def test_anchor_is_recorded_and_reproducible() -> None:
    when = parse_when(
        "every 2 weeks tue 14:00", AMS, now=datetime(2026, 11, 29, 23, 30, tzinfo=UTC)
    )
    # 23:30 UTC on Sunday is already Monday 30 November in Amsterdam: that week is the anchor.
    assert when.anchor == date(2026, 11, 30)
    assert when.text == "every 2 weeks tue 14:00 from 2026-11-30"
    again = parse_when(when.text, AMS, now=datetime(2030, 1, 1, tzinfo=UTC))
    assert again == when
    assert again.upcoming(NOW, 4) == when.upcoming(NOW, 4)
    assert parse_when("every 3 days 09:00", "UTC", now=NOW).anchor == date(2026, 11, 25)
    assert parse_when("weekly tue 14:00", "UTC", now=NOW).anchor is None


def test_every_n_weeks_counts_from_the_anchor_week() -> None:
    when = parse_when("every 4 weeks mon 09:00 from 2026-01-05", "UTC", now=NOW)
    got = when.upcoming(utc(2025, 1, 1), 4)
    assert got == [utc(2026, 1, 5, 9), utc(2026, 2, 2, 9), utc(2026, 3, 2, 9), utc(2026, 3, 30, 9)]


def test_when_constructor_normalises_and_compares_by_text() -> None:
    built = When("Weekly  MONDAY 9am", "europe/amsterdam")
    assert built.text == "weekly mon 09:00"
    assert built.timezone == AMS
    assert built == parse_when("weekly mon 9:00", AMS)
    assert hash(built) == hash(parse_when("weekly mon 9:00", AMS))
    assert built != parse_when("weekly mon 9:00", "UTC")
    assert "weekly mon 09:00" in repr(built)


def test_times_property_is_sorted_and_deduplicated() -> None:
    assert parse_when("daily 17:00,9:00,09:00", "UTC").times == ((9, 0), (17, 0))
    assert parse_when("daily 12am,12pm", "UTC").times == ((0, 0), (12, 0))


@pytest.mark.parametrize(
    ("text", "tz", "sentence"),
    [
        ("weekly mon,wed 09:00", AMS, "every Monday and Wednesday at 09:00 (Europe/Amsterdam)"),
        ("daily 9:00", "UTC", "every day at 09:00 (UTC)"),
        ("weekdays 9:00", "UTC", "every weekday (Monday to Friday) at 09:00 (UTC)"),
        ("weekly mon-fri 9:00", "UTC", "every Monday to Friday at 09:00 (UTC)"),
        (
            "every 2 weeks tue 14:00",
            AMS,
            "every 2 weeks on Tuesday at 14:00 (Europe/Amsterdam), "
            "counting from the week of Monday 23 November 2026",
        ),
        (
            "every 3 days 9:00",
            "UTC",
            "every 3 days at 09:00 (UTC), starting Wednesday 25 November 2026",
        ),
        ("monthly first tue 10:00", "UTC", "on the first Tuesday of every month at 10:00 (UTC)"),
        ("monthly last fri 10:00", "UTC", "on the last Friday of every month at 10:00 (UTC)"),
        ("monthly 15 10:00", "UTC", "on day 15 of every month at 10:00 (UTC)"),
        (
            "monthly 31 10:00",
            "UTC",
            "on day 31 of every month at 10:00 (UTC); months without a 31st are skipped",
        ),
        (
            "monthly 29 10:00",
            "UTC",
            "on day 29 of every month at 10:00 (UTC); months without a 29th are skipped",
        ),
        ("2026-12-01 14:30", AMS, "once, on Tuesday 1 December 2026 at 14:30 (Europe/Amsterdam)"),
        ("0 9 * * 1-5", "UTC", "at 09:00, on Monday to Friday (UTC)"),
        ("*/5 * * * *", "UTC", "every 5 minutes, every day (UTC)"),
        ("0 0 1,15 * 5", "UTC", "at 00:00, on day 1 and 15 of the month or on Friday (UTC)"),
        ("30 9 1 jan,jul *", "UTC", "at 09:30, on day 1 of the month, in January and July (UTC)"),
        (
            "0 9-17 * * mon-fri",
            "UTC",
            "every hour at :00 from 09:00 to 17:00, on Monday to Friday (UTC)",
        ),
    ],
)
def test_describe(text: str, tz: str, sentence: str) -> None:
    assert parse_when(text, tz, now=NOW).describe() == sentence


# --------------------------------------------------------------------------- bad input

# Under 200 characters as typed, over 200 once every time is written as HH:MM.
MANY_TIMES = "daily " + ",".join(f"{h}:{m}" for h in range(9) for m in (10, 20, 30, 40))


@pytest.mark.parametrize(
    ("text", "mentions"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("hello", "Accepted forms"),
        ("fortnightly-ish", "Accepted forms"),
        ("9:00", "how often"),
        ("25:00", "hour 25"),
        ("x" * 300, "too long"),
        (MANY_TIMES, "once written out"),
        # cron
        ("0 9 * *", "5 fields"),
        ("0 9 * * * *", "5 fields"),
        ("60 * * * *", "minute field '60'"),
        ("0 24 * * *", "hour field '24'"),
        ("0 0 0 * *", "day-of-month field '0'"),
        ("0 0 32 * *", "day-of-month field '32'"),
        ("0 0 * 13 *", "month field '13'"),
        ("0 0 * 0 *", "month field '0'"),
        ("0 0 * * 8", "day-of-week field '8'"),
        ("*/0 * * * *", "step '/0'"),
        ("1-30/0 * * * *", "step '/0'"),
        ("*/x * * * *", "step"),
        ("5-1 * * * *", "backwards"),
        ("0 0 * foo *", "month field 'foo'"),
        ("0 0 * * funday", "day-of-week field 'funday'"),
        ("1,,2 * * * *", "minute field"),
        ("0 0 31 2 *", "never happens"),
        ("0 0 30,31 2 *", "never happens"),
        ("0 0 31 2,4,6,9,11 *", "never happens"),
        # daily / weekdays
        ("daily", "what time"),
        ("daily 25:00", "hour 25"),
        ("daily 9:60", "minute 60"),
        ("daily 9", "not a time"),
        ("daily 13pm", "1 to 12"),
        ("daily 0am", "1 to 12"),
        ("daily 9:00 from 2026-01-01", "from"),
        ("weekdays noon", "not a time"),
        # weekly
        ("weekly 09:00", "which days"),
        ("weekly mon", "what time"),
        ("weekly funday 09:00", "'funday' is not a day"),
        ("weekly mon-funday 09:00", "not a day"),
        ("weekly mon 24:00", "hour 24"),
        # every N weeks / days
        ("every 0 weeks tue 14:00", "from 1 to 52"),
        ("every 53 weeks tue 14:00", "from 1 to 52"),
        ("every 2 weeks 14:00", "which days"),
        ("every 2 weeks tue", "what time"),
        ("every 2 weeks tue 14:00 from 2026-13-01", "month 13"),
        ("every 2 weeks tue 14:00 from tomorrow", "not a date"),
        ("every 2 weeks tue 14:00 from", "followed by just a date"),
        ("every 0 days 09:00", "from 1 to 365"),
        ("every 2 months 09:00", "'weeks' or 'days'"),
        ("every", "Accepted forms"),
        ("every blue moon", "Accepted forms"),
        # monthly
        ("monthly", "which day of the month"),
        ("monthly fifth tue 10:00", "'fifth'"),
        ("monthly first 10:00", "day of the week"),
        ("monthly first funday 10:00", "'funday'"),
        ("monthly 0 10:00", "out of range"),
        ("monthly 32 10:00", "out of range"),
        ("monthly 15", "what time"),
        ("monthly 15 25:00", "hour 25"),
        # one-off
        ("2026-02-30 10:00", "not a real date"),
        ("2026-13-01 10:00", "month 13"),
        ("2026-12-01", "date and one time"),
        ("2026-12-01 10:00 11:00", "date and one time"),
        ("2026-12-01 25:00", "hour 25"),
        ("2026-12-01T10:61", "minute 61"),
    ],
)
def test_bad_input_says_what_is_wrong(text: str, mentions: str) -> None:
    with pytest.raises(WhenError) as caught:
        parse_when(text, "UTC", now=NOW)
    message = str(caught.value)
    assert mentions in message
    assert "\n" not in message
    assert len(message) < 600


def test_error_lists_accepted_forms_with_examples() -> None:
    with pytest.raises(WhenError) as caught:
        parse_when("whenever you like", "UTC")
    message = str(caught.value)
    for example in ("daily 09:00", "weekly mon,wed 09:00", "every 2 weeks tue 14:00"):
        assert example in message
    for example in ("monthly first tue 10:00", "2026-12-01 14:30", "0 9 * * 1-5"):
        assert example in message
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize("tz", ["Mars/Olympus_Mons", "", "  ", "Europe", "../etc/passwd", "CET+1"])
def test_unknown_timezone(tz: str) -> None:
    with pytest.raises(WhenError) as caught:
        parse_when("daily 09:00", tz)
    message = str(caught.value)
    assert "Europe/Amsterdam" in message and "America/New_York" in message and "UTC" in message
    if tz.strip():
        assert tz.strip() in message


def test_timezone_names_are_matched_without_case() -> None:
    assert parse_when("daily 09:00", "europe/amsterdam").timezone == AMS
    assert parse_when("daily 09:00", " UTC ").timezone == "UTC"
    assert parse_when("daily 09:00", "utc").timezone == "UTC"


def test_naive_moments_are_refused() -> None:
    when = parse_when("daily 09:00", "UTC")
    with pytest.raises(ValueError, match="timezone-aware"):
        when.next_after(datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="timezone-aware"):
        when.upcoming(datetime(2026, 1, 1), 3)
    with pytest.raises(ValueError, match="timezone-aware"):
        parse_when("daily 09:00", "UTC", now=datetime(2026, 1, 1))


def test_upcoming_count_edges() -> None:
    when = parse_when("daily 09:00", "UTC")
    assert when.upcoming(NOW, 0) == []
    with pytest.raises(ValueError):
        when.upcoming(NOW, -1)


def test_moments_in_other_offsets_are_accepted() -> None:
    when = parse_when("daily 09:00", AMS, now=NOW)
    tokyo = datetime(2026, 11, 26, 16, 59, tzinfo=ZoneInfo("Asia/Tokyo"))  # 08:59 Amsterdam
    assert when.next_after(tokyo) == utc(2026, 11, 26, 8)


def test_end_of_calendar_gives_none() -> None:
    when = parse_when("daily 09:00", "UTC")
    assert when.next_after(datetime(9999, 12, 31, 10, tzinfo=UTC)) is None


# --------------------------------------------------------------------------- daylight saving


@pytest.mark.parametrize(
    ("text", "tz", "after", "expected"),
    [
        # Amsterdam, spring: CET (UTC+1) -> CEST (UTC+2) on Sunday 29 March 2026.
        (
            "daily 09:00",
            AMS,
            utc(2026, 3, 27, 12),
            [utc(2026, 3, 28, 8), utc(2026, 3, 29, 7), utc(2026, 3, 30, 7)],
        ),
        ("0 9 * * *", AMS, utc(2026, 3, 28, 12), [utc(2026, 3, 29, 7), utc(2026, 3, 30, 7)]),
        (
            "weekly sun 09:00",
            AMS,
            utc(2026, 3, 21, 12),
            [utc(2026, 3, 22, 8), utc(2026, 3, 29, 7), utc(2026, 4, 5, 7)],
        ),
        # Amsterdam, autumn: CEST -> CET on Sunday 25 October 2026.
        (
            "daily 09:00",
            AMS,
            utc(2026, 10, 23, 12),
            [utc(2026, 10, 24, 7), utc(2026, 10, 25, 8), utc(2026, 10, 26, 8)],
        ),
        (
            "weekly mon,wed 09:00",
            AMS,
            utc(2026, 10, 18, 12),
            [utc(2026, 10, 19, 7), utc(2026, 10, 21, 7), utc(2026, 10, 26, 8)],
        ),
        ("0 9 * * 0", AMS, utc(2026, 10, 20), [utc(2026, 10, 25, 8), utc(2026, 11, 1, 8)]),
        # New York, spring: EST (UTC-5) -> EDT (UTC-4) on Sunday 8 March 2026.
        (
            "weekly sun 09:00",
            NYC,
            utc(2026, 2, 28),
            [utc(2026, 3, 1, 14), utc(2026, 3, 8, 13), utc(2026, 3, 15, 13)],
        ),
        ("daily 09:00", NYC, utc(2026, 3, 7, 12), [utc(2026, 3, 7, 14), utc(2026, 3, 8, 13)]),
        ("0 9 * * *", NYC, utc(2026, 3, 7, 12), [utc(2026, 3, 7, 14), utc(2026, 3, 8, 13)]),
        # New York, autumn: EDT -> EST on Sunday 1 November 2026.
        (
            "weekly sun 09:00",
            NYC,
            utc(2026, 10, 24),
            [utc(2026, 10, 25, 13), utc(2026, 11, 1, 14), utc(2026, 11, 8, 14)],
        ),
        ("0 9 * * *", NYC, utc(2026, 10, 31, 12), [utc(2026, 10, 31, 13), utc(2026, 11, 1, 14)]),
        (
            "monthly first sun 9:00",
            NYC,
            utc(2026, 10, 2),
            [utc(2026, 10, 4, 13), utc(2026, 11, 1, 14)],
        ),
    ],
)
def test_wall_clock_time_survives_daylight_saving(
    text: str, tz: str, after: datetime, expected: list[datetime]
) -> None:
    when = parse_when(text, tz, now=after)
    got = when.upcoming(after, len(expected))
    assert got == expected
    for moment in got:
        local = moment.astimezone(ZoneInfo(tz))
        assert (local.hour, local.minute) == (9, 0)


@pytest.mark.parametrize(
    ("text", "tz", "after", "expected"),
    [
        # 02:30 does not exist on 29 March 2026 in Amsterdam: fires at 03:00 CEST (01:00 UTC).
        (
            "daily 02:30",
            AMS,
            utc(2026, 3, 28, 12),
            [utc(2026, 3, 29, 1), utc(2026, 3, 30, 0, 30)],
        ),
        ("2026-03-29 02:30", AMS, utc(2026, 1, 1), [utc(2026, 3, 29, 1)]),
        # 02:30 on 8 March 2026 in New York: fires at 03:00 EDT (07:00 UTC).
        ("daily 02:30", NYC, utc(2026, 3, 7, 12), [utc(2026, 3, 8, 7), utc(2026, 3, 9, 6, 30)]),
        # 02:00, 02:30 (both in the gap) and 03:00 all land on 01:00 UTC: fired once.
        (
            "*/30 * * * *",
            AMS,
            utc(2026, 3, 29, 0, 20),
            [utc(2026, 3, 29, 0, 30), utc(2026, 3, 29, 1), utc(2026, 3, 29, 1, 30)],
        ),
        (
            "daily 02:00,02:30,03:00,03:30",
            AMS,
            utc(2026, 3, 28, 12),
            [utc(2026, 3, 29, 1), utc(2026, 3, 29, 1, 30), utc(2026, 3, 30, 0)],
        ),
        # 02:30 happens twice on 25 October 2026 in Amsterdam: only the first (CEST) counts.
        (
            "daily 02:30",
            AMS,
            utc(2026, 10, 24, 12),
            [utc(2026, 10, 25, 0, 30), utc(2026, 10, 26, 1, 30)],
        ),
        (
            "*/30 * * * *",
            AMS,
            utc(2026, 10, 24, 23, 50),
            [utc(2026, 10, 25, 0), utc(2026, 10, 25, 0, 30), utc(2026, 10, 25, 2)],
        ),
        # 01:30 happens twice on 1 November 2026 in New York: the EDT one (05:30 UTC).
        (
            "daily 01:30",
            NYC,
            utc(2026, 10, 31, 12),
            [utc(2026, 11, 1, 5, 30), utc(2026, 11, 2, 6, 30)],
        ),
        ("2026-11-01 01:30", NYC, utc(2026, 1, 1), [utc(2026, 11, 1, 5, 30)]),
    ],
)
def test_gap_and_fold_rules(text: str, tz: str, after: datetime, expected: list[datetime]) -> None:
    when = parse_when(text, tz, now=after)
    assert when.upcoming(after, len(expected) + 1)[: len(expected)] == expected


def test_gap_shift_is_the_first_valid_local_time() -> None:
    when = parse_when("daily 02:30", AMS, now=NOW)
    shifted = when.next_after(utc(2026, 3, 28, 12))
    assert shifted is not None
    local = shifted.astimezone(ZoneInfo(AMS))
    assert (local.hour, local.minute, local.utcoffset()) == (3, 0, timedelta(hours=2))


def test_fold_fires_once_even_when_asked_from_inside_it() -> None:
    when = parse_when("daily 02:30", AMS, now=NOW)
    # From the first 02:30 (CEST), the next one is a day later, not the second 02:30 (CET).
    assert when.next_after(utc(2026, 10, 25, 0, 30)) == utc(2026, 10, 26, 1, 30)
    # From between the two (02:45 CEST), likewise.
    assert when.next_after(utc(2026, 10, 25, 0, 45)) == utc(2026, 10, 26, 1, 30)


# --------------------------------------------------------------------------- efficiency


def test_frequent_cron_preview_is_fast() -> None:
    when = parse_when("*/5 * * * *", AMS)
    started = time.perf_counter()
    got = when.upcoming(NOW, 100)
    for _ in range(100):
        when.next_after(NOW)
    assert time.perf_counter() - started < 0.5
    assert len(got) == 100
    assert got[-1] == NOW + timedelta(minutes=500)


def test_rare_schedules_are_found_quickly() -> None:
    started = time.perf_counter()
    assert parse_when("0 0 29 2 *", "UTC").next_after(utc(2029, 3, 1)) == utc(2032, 2, 29)
    # 29 February on a Sunday ("*"-prefixed day-of-week: both must match): 2032, then 2060.
    sunday = parse_when("0 0 29 2 */7", "UTC")
    assert sunday.upcoming(utc(2026, 1, 1), 2) == [utc(2032, 2, 29), utc(2060, 2, 29)]
    assert time.perf_counter() - started < 0.5


# --------------------------------------------------------------------------- properties

ZONES = [
    "UTC",
    AMS,
    NYC,
    "Australia/Lord_Howe",  # 30-minute daylight saving shift
    "America/Sao_Paulo",  # changed at midnight until 2019
    "Asia/Kolkata",
    "Pacific/Chatham",
]
DAY_ABBR = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]

moments = st.datetimes(
    min_value=datetime(2015, 1, 1), max_value=datetime(2035, 12, 31), timezones=st.just(UTC)
)
clock_times = st.tuples(st.integers(0, 23), st.sampled_from([0, 15, 30, 45, 59]))


@st.composite
def schedules(draw: st.DrawFn) -> tuple[str, set[tuple[int, int]]]:
    """A schedule text with the wall-clock times it should fire at."""
    times = sorted(set(draw(st.lists(clock_times, min_size=1, max_size=3))))
    times_text = ",".join(f"{h}:{m:02d}" for h, m in times)
    days = sorted(set(draw(st.lists(st.integers(0, 6), min_size=1, max_size=4))))
    days_text = ",".join(DAY_ABBR[d] for d in days)
    start = draw(st.dates(min_value=date(2015, 1, 1), max_value=date(2035, 1, 1)))
    form = draw(st.sampled_from(range(9)))
    if form == 0:
        return f"daily {times_text}", set(times)
    if form == 1:
        return f"weekdays {times_text}", set(times)
    if form == 2:
        return f"weekly {days_text} {times_text}", set(times)
    if form == 3:
        weeks = draw(st.integers(1, 52))
        return f"every {weeks} weeks {days_text} {times_text} from {start}", set(times)
    if form == 4:
        every = draw(st.integers(1, 40))
        return f"every {every} days {times_text} from {start}", set(times)
    if form == 5:
        ordinal = draw(st.sampled_from(["first", "second", "third", "fourth", "last"]))
        return f"monthly {ordinal} {DAY_ABBR[days[0]]} {times_text}", set(times)
    if form == 6:
        return f"monthly {draw(st.integers(1, 31))} {times_text}", set(times)
    if form == 7:
        minutes = sorted({m for _, m in times})
        hours = sorted({h for h, _ in times})
        dow = draw(st.sampled_from(["*", "1-5", "0,6", "mon,wed"]))
        cron = f"{','.join(map(str, minutes))} {','.join(map(str, hours))} * * {dow}"
        return cron, {(h, m) for h in hours for m in minutes}
    hour, minute = times[0]
    return f"{start} {hour:02d}:{minute:02d}", {(hour, minute)}


def _is_gap_shift(moment: datetime, zone: ZoneInfo, times: set[tuple[int, int]]) -> bool:
    """True when ``moment`` ends a gap that swallowed one of ``times``."""
    before = (moment - timedelta(seconds=1)).astimezone(zone)
    after = moment.astimezone(zone)
    if before.utcoffset() == after.utcoffset():
        return False
    gap_start = (moment.astimezone(UTC) + before.utcoffset()).replace(tzinfo=None)
    gap_end = after.replace(tzinfo=None)
    for day in {gap_start.date(), gap_end.date()}:
        for hour, minute in times:
            wall = datetime(day.year, day.month, day.day, hour, minute)
            if gap_start <= wall < gap_end:
                return True
    return False


PROPERTY_SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@PROPERTY_SETTINGS
@given(schedule=schedules(), tz=st.sampled_from(ZONES), after=moments)
def test_upcoming_is_increasing_and_on_the_wall_clock(
    schedule: tuple[str, set[tuple[int, int]]], tz: str, after: datetime
) -> None:
    text, times = schedule
    when = parse_when(text, tz, now=after)
    zone = ZoneInfo(tz)
    got = when.upcoming(after, 8)
    if when.is_recurring:
        assert len(got) == 8
    assert all(moment > after for moment in got)
    assert all(a < b for a, b in itertools.pairwise(got))
    for moment in got:
        assert moment.tzinfo is UTC
        local = moment.astimezone(zone)
        assert (local.hour, local.minute) in times or _is_gap_shift(moment, zone, times)


@PROPERTY_SETTINGS
@given(schedule=schedules(), tz=st.sampled_from(ZONES), after=moments)
def test_next_after_agrees_with_upcoming(
    schedule: tuple[str, set[tuple[int, int]]], tz: str, after: datetime
) -> None:
    when = parse_when(schedule[0], tz, now=after)
    got = when.upcoming(after, 4)
    first = when.next_after(after)
    if not got:
        assert first is None and not when.is_recurring
        return
    assert first == got[0]
    assert first > after
    for earlier, later in itertools.pairwise(got):
        assert when.next_after(earlier) == later
    # Asking from a moment expressed in the schedule's own zone changes nothing.
    assert when.next_after(after.astimezone(ZoneInfo(tz))) == first


@PROPERTY_SETTINGS
@given(
    schedule=schedules(),
    tz=st.sampled_from(ZONES),
    parsed_at=moments,
    reparsed_at=moments,
    after=moments,
)
def test_text_round_trips_to_an_equal_schedule(
    schedule: tuple[str, set[tuple[int, int]]],
    tz: str,
    parsed_at: datetime,
    reparsed_at: datetime,
    after: datetime,
) -> None:
    when = parse_when(schedule[0], tz, now=parsed_at)
    again = parse_when(when.text, when.timezone, now=reparsed_at)
    assert again == when
    assert again.text == when.text
    assert again.describe() == when.describe()
    assert again.upcoming(after, 3) == when.upcoming(after, 3)


@PROPERTY_SETTINGS
@given(text=st.text(max_size=40), tz=st.sampled_from(ZONES))
def test_any_text_either_parses_or_raises_when_error(text: str, tz: str) -> None:
    try:
        when = parse_when(text, tz, now=NOW)
    except WhenError as error:
        assert str(error)
        return
    assert parse_when(when.text, tz, now=NOW) == when


# A cron oracle: expand fields independently and scan minute by minute (UTC, no DST).

cron_minutes = st.sampled_from(["*", "*/7", "0", "5,35", "10-20/5", "59", "*/20"])
cron_hours = st.sampled_from(["*", "*/5", "9", "0,12", "8-10", "23"])
cron_month_days = st.sampled_from(["*", "1", "*/10", "13", "28-31", "15,16"])
cron_months = st.sampled_from(["*", "2", "jan,jul", "*/3", "11-12"])
cron_weekdays = st.sampled_from(["*", "1-5", "0", "7", "sat,sun", "fri", "*/3"])


def _expand(field: str, low: int, high: int) -> set[int]:
    names = {n: i for i, n in enumerate(["sun", "mon", "tue", "wed", "thu", "fri", "sat"])}
    names |= {"jan": 1, "jul": 7}

    def value(text: str) -> int:
        return names[text] if text in names else int(text)

    found: set[int] = set()
    for part in field.split(","):
        base, _, step = part.partition("/")
        if base == "*":
            first, last = low, high
        elif "-" in base:
            first, last = (value(end) for end in base.split("-"))
        else:
            first = last = value(base)
        found |= set(range(first, last + 1, int(step) if step else 1))
    return found


@settings(max_examples=60, deadline=None)
@given(
    fields=st.tuples(cron_minutes, cron_hours, cron_month_days, cron_months, cron_weekdays),
    after=moments,
)
def test_cron_matches_a_minute_by_minute_scan(
    fields: tuple[str, str, str, str, str], after: datetime
) -> None:
    minute_f, hour_f, dom_f, month_f, dow_f = fields
    text = " ".join(fields)
    try:
        when = parse_when(text, "UTC", now=NOW)
    except WhenError as error:
        assert "never happens" in str(error)
        return
    minutes, hours = _expand(minute_f, 0, 59), _expand(hour_f, 0, 23)
    doms, months = _expand(dom_f, 1, 31), _expand(month_f, 1, 12)
    dows = {d % 7 for d in _expand(dow_f, 0, 7)}

    def matches(moment: datetime) -> bool:
        if moment.minute not in minutes or moment.hour not in hours:
            return False
        if moment.month not in months:
            return False
        in_dom, in_dow = moment.day in doms, moment.isoweekday() % 7 in dows
        if dom_f.startswith("*") or dow_f.startswith("*"):
            return in_dom and in_dow
        return in_dom or in_dow

    start = after.replace(second=0, microsecond=0) + timedelta(minutes=1)
    window = timedelta(days=2)
    expected = []
    moment = start
    while moment < start + window:
        if matches(moment):
            expected.append(moment)
        moment += timedelta(minutes=1)
    got = [m for m in when.upcoming(after, len(expected) + 1) if m < start + window]
    assert got == expected
