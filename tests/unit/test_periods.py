"""Periods of whole days: spans that end today, their length, and the period before."""

from __future__ import annotations

from datetime import UTC, date, datetime

from bot.periods import Period, Span, span_period, today_in


def test_spans_end_today_and_include_it() -> None:
    today = date(2026, 12, 7)
    assert span_period(Span.DAYS_30, today) == Period(date(2026, 11, 8), today)
    assert span_period(Span.DAYS_365, today).days == 365
    assert span_period(Span.ALL, today) == Period()


def test_the_previous_period_has_the_same_length_and_ends_the_day_before() -> None:
    period = Period(date(2026, 11, 8), date(2026, 12, 7))
    before = period.previous()
    assert before == Period(date(2026, 10, 9), date(2026, 11, 7))
    assert before is not None and before.days == period.days == 30
    assert Period(until=date(2026, 1, 1)).previous() is None
    assert Period().days is None


def test_today_is_read_in_the_communitys_zone() -> None:
    late = datetime(2026, 12, 7, 23, 30, tzinfo=UTC)
    assert today_in("Asia/Tokyo", late) == date(2026, 12, 8)
    assert today_in("America/Lima", late) == date(2026, 12, 7)
