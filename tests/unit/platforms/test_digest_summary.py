"""The vertical digest's lines: group figures only, and the keys that make it once per due
time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from bot.insights.digest import Frequency
from bot.platforms.digest import (
    DigestFigures,
    digest_source_key,
    digest_title,
    summary_lines,
    top_themes,
)


def figures(**changes: object) -> DigestFigures:
    values: dict[str, object] = {
        "platform_name": "Kisumu District",
        "frequency": Frequency.WEEKLY,
        "period_text": "2026-11-30 to 2026-12-06",
        "min_group": 5,
        "members": "fewer than 5",
        "contributions": "42 ▲ from 30",
        "cafes_held": 2,
        "questions_asked": "4",
        "questions_answered": "75%",
        "prompts_posted": "3",
        "prompts_answered": "no data",
        "prompts_answered_so_far": "2 of 3",
        "top_themes": (("Funding", 2), ("Sanitation", 1)),
        "whole_server": None,
    }
    values.update(changes)
    return DigestFigures(**values)  # type: ignore[arg-type]


def test_the_lines_hold_each_figure_and_the_small_group_rule() -> None:
    lines = summary_lines(figures())
    assert lines[:6] == [
        "**Members**: fewer than 5",
        "**Contributions**: 42 ▲ from 30",
        "**Cafés held**: 2",
        "**Questions asked**: 4 · answered within a week: 75%",
        "**Prompts posted**: 3 · answered within a week: no data · answered so far: 2 of 3",
        "**Top themes**: Funding (2 prompts), Sanitation (1 prompt)",
    ]
    assert "Weekly summary of 2026-11-30 to 2026-12-06" in lines[-1]
    assert "groups under 5 people read “fewer than 5”" in lines[-1]
    assert not any("whole server" in line for line in lines)


def test_a_category_platform_says_its_figures_are_the_servers() -> None:
    lines = summary_lines(figures(whole_server="County *Water*", top_themes=()))
    assert "**Top themes**: none (no prompts posted)" in lines
    assert lines[-1] == (
        "The figures are those of the whole server, **County \\*Water\\***, of which this "
        "platform is one category."
    )


def test_top_themes_rank_by_prompts_then_name_and_keep_three() -> None:
    themes = {1: "Funding", 2: "funding tools", 3: "Sanitation", 4: "Sanitation", 5: "WASH"}
    assert top_themes(themes, [1, 2, 3, 4, 5, 99]) == (
        ("Sanitation", 2),
        ("Funding", 1),
        ("funding tools", 1),
    )
    assert top_themes(themes, []) == ()


def test_one_source_key_per_schedule_and_due_time_whatever_the_zone() -> None:
    due = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
    same = due.astimezone(timezone(timedelta(hours=3)))
    assert (
        digest_source_key(4, due)
        == digest_source_key(4, same)
        == ("digest:4:2026-12-07T09:00:00+00:00")
    )
    assert digest_source_key(4, due) != digest_source_key(4, due + timedelta(days=7))
    assert digest_title("Kisumu District", Frequency.MONTHLY) == "Kisumu District · monthly summary"
