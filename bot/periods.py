"""Periods of whole days in a community's time zone: what exports and insights are about.

A :class:`Period` is a first and a last day, both included (None: from the beginning, or up to
now); :meth:`Period.bounds` turns it into UTC moments for queries. ``30d``, ``90d``, ``365d``
and ``all`` are spans that end today (:func:`span_period`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from bot.errors import BadInput


@dataclass(frozen=True, slots=True)
class Period:
    """Days in the community's time zone, both inclusive; None: from the start, or until now."""

    since: date | None = None
    until: date | None = None

    def __post_init__(self) -> None:
        if self.since is not None and self.until is not None and self.since > self.until:
            raise BadInput(
                f"The period ends ({self.until}) before it starts ({self.since}).",
                "Give `since` on or before `until`, both as YYYY-MM-DD.",
            )

    def bounds(self, timezone: str) -> tuple[datetime | None, datetime | None]:
        """The period in UTC: from local midnight of ``since`` to local midnight after
        ``until`` (exclusive)."""
        zone = ZoneInfo(timezone)
        start = None if self.since is None else datetime.combine(self.since, time(), zone)
        end = (
            None
            if self.until is None
            else datetime.combine(self.until + timedelta(days=1), time(), zone)
        )
        return start, end

    @property
    def days(self) -> int | None:
        """How many days it spans; None when it is open at either end."""
        if self.since is None or self.until is None:
            return None
        return (self.until - self.since).days + 1

    def previous(self) -> Period | None:
        """The period of the same length just before this one (for a trend); None when this one
        is open at either end."""
        days = self.days
        if days is None or self.since is None:
            return None
        return Period(self.since - timedelta(days=days), self.since - timedelta(days=1))

    def describe(self) -> str:
        if self.since is None and self.until is None:
            return "everything logged"
        if self.since is None:
            return f"everything up to {self.until}"
        if self.until is None:
            return f"from {self.since} on"
        return f"{self.since} to {self.until}"


def parse_day(text: str, option: str) -> date:
    """A day written YYYY-MM-DD, or BadInput that says which option was wrong."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise BadInput(
            f"`{text[:40]}` is not a date for `{option}`.",
            "Write it as YYYY-MM-DD, for example `2026-01-31`.",
        ) from None


class Span(StrEnum):
    """The periods offered by name: the last 30, 90 or 365 days (today included), or all."""

    DAYS_30 = "30d"
    DAYS_90 = "90d"
    DAYS_365 = "365d"
    ALL = "all"

    @property
    def days(self) -> int | None:
        return None if self is Span.ALL else int(self.value.removesuffix("d"))


def span_period(span: Span, today: date) -> Period:
    """``span`` ending with ``today`` (a day in the community's time zone)."""
    days = span.days
    if days is None:
        return Period()
    return Period(today - timedelta(days=days - 1), today)


def today_in(timezone: str, now: datetime) -> date:
    """The day it is in ``timezone`` at the moment ``now``."""
    return now.astimezone(ZoneInfo(timezone)).date()
