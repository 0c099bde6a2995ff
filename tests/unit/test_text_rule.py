"""The one rule for text people type (bot/text.py), and the domain rules built on it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.cafe.service import MAX_TABLES, read_cafe_request
from bot.cafe.text import split_questions
from bot.communities import validate_timezone
from bot.errors import BadInput
from bot.membership import fields
from bot.membership.names import name_key
from bot.prompts.rules import clean_question, clean_reason, clean_theme
from bot.scheduling.when import describe_gap, iana_timezones, parse_when
from bot.text import clean_text, has_visible, tidy

INVISIBLE_ONLY = "\u200b\u200c\u200d\ufeff"
NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "text",
    [INVISIBLE_ONLY, "", "   ", "\u3164\u2800", "\u0301\ufe0f", "\u202e\u2066", "\u00ad"],
)
def test_text_that_shows_nothing_is_refused(text: str) -> None:
    assert not has_visible(text)
    with pytest.raises(BadInput, match="Nothing in the title can be seen"):
        clean_text(text, "the title")


@pytest.mark.parametrize("text", ["a\x00b", "\x07", "\x1b[31mred", "a\x7fb", "a\x85b", "\ud800"])
def test_control_characters_are_refused_and_named(text: str) -> None:
    with pytest.raises(BadInput, match=r"There is a control character \(U\+.*in the note"):
        clean_text(text, "the note", multiline=True)


def test_what_is_kept_is_tidied_and_emoji_sequences_survive() -> None:
    assert clean_text("\u200b  Funding \t KM\ufeff ", "the title") == "Funding KM"
    family = "\U0001f469\u200d\U0001f467"  # a joiner between two emoji
    assert clean_text(f"{family}\u2764\ufe0f", "the title") == f"{family}\u2764\ufe0f"
    assert clean_text("Two\r\nlines\tand a tab", "the note", multiline=True) == (
        "Two\nlines\tand a tab"
    )
    assert tidy("a\nb") == "a b"


def test_lengths_are_counted_after_tidying() -> None:
    assert clean_text("  abc  ", "the theme", limit=3) == "abc"
    with pytest.raises(BadInput, match="That is 4 characters for the theme; the most is 3"):
        clean_text("abcd", "the theme", limit=3)
    with pytest.raises(BadInput, match="the least is 10"):
        clean_text("short", "the question", minimum=10)


def test_invisible_characters_do_not_make_a_different_name() -> None:
    assert name_key("I\u200bRC\u200d WASH") == name_key("IRC WASH")


def test_domain_rules_refuse_invisible_only_text() -> None:
    for check in (
        fields.organisation_name,
        fields.country,
        fields.description,
        fields.website,
        fields.display_name,
        fields.expertise,
        clean_question,
        clean_theme,
        clean_reason,
        lambda text: split_questions(text, 2),
    ):
        with pytest.raises(BadInput, match="can be seen"):
            check(INVISIBLE_ONLY)
    assert clean_reason("  ") is None  # left empty: no reason given


def _request(**options: object) -> object:
    values: dict[str, object] = {
        "title": "Funding",
        "questions": "How do we fund KM?",
        "rounds": 2,
        "round_minutes": 20,
        "tables": None,
        "starts_at": None,
        "repeat": None,
        "thread_type": None,
        "timezone": "Europe/Amsterdam",
        "now": NOW,
        **options,
    }
    return read_cafe_request(**values)  # type: ignore[arg-type]


def test_cafe_limits() -> None:
    assert _request(tables=MAX_TABLES)
    for tables in (MAX_TABLES + 1, 9007199254740991):
        with pytest.raises(BadInput, match=f"at most {MAX_TABLES} tables"):
            _request(tables=tables)
    with pytest.raises(BadInput, match="more than three years away"):
        _request(starts_at="9999-12-31 23:59")
    assert _request(starts_at="2029-02-28 10:00")
    with pytest.raises(BadInput, match="1 minute apart; a café comes back at most once a day"):
        _request(repeat="* * * * *")
    assert _request(repeat="weekdays 14:00")


def test_the_shortest_gap_is_on_the_wall_clock() -> None:
    # Europe/Amsterdam moves its clocks on 29 March 2026: still a day apart.
    assert parse_when("daily 09:00", "Europe/Amsterdam", now=NOW).shortest_gap(NOW).days == 1
    hourly = parse_when("0 9-17 * * 1-5", "UTC", now=NOW).shortest_gap(NOW)
    assert hourly is not None and describe_gap(hourly) == "1 hour"
    twice = parse_when("daily 09:00,17:00", "UTC", now=NOW).shortest_gap(NOW)
    assert twice is not None and describe_gap(twice) == "8 hours"
    assert parse_when("2026-12-01 10:00", "UTC", now=NOW).shortest_gap(NOW) is None


@pytest.mark.parametrize("name", ["localtime", "posixrules", "Factory", "/etc/localtime"])
def test_only_real_time_zones(name: str) -> None:
    assert name not in iana_timezones()
    with pytest.raises(BadInput, match="not a time zone I know"):
        validate_timezone(name)
    assert validate_timezone("europe/amsterdam") == "Europe/Amsterdam"
