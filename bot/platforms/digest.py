"""The vertical digest: what a child platform tells its parents, weekly or monthly. Plain values
in, lines out: no Discord, no SQL (``bot/platforms/digest_schedules.py`` keeps the schedule and
makes the share; ``cogs/platforms/digest.py`` sets it and handles the firings).

Only group figures cross the link, never a person: members, contributions, cafés held,
questions asked and how many were answered within a week, prompts posted and answered, and the
themes of the prompts posted. A figure about fewer people than the community's minimum group
size reads "fewer than N" (:func:`bot.insights.text.measure_text`); counts of questions, prompts
and cafés are not about people and are shown as they are.

A digest is a share of kind ``digest`` to the platform's parents. Its ``source_key`` names the
schedule and the due time, so a firing that runs twice (a second process, a restart) finds the
copies already on their way and makes no second share. The schedule's times and the period a
digest covers are those of the insights digest (:mod:`bot.insights.digest`): weekly on Mondays at
09:00 about the 7 days before, monthly on the 1st about the month before.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Final

from bot.insights import cafes, participation, questions
from bot.insights.digest import Frequency, prompts_answered_so_far
from bot.insights.values import Asked, Scope
from bot.text import escape_markdown

if TYPE_CHECKING:
    from bot.insights.service import CommunityInsights

PLATFORM_DIGEST_KIND: Final = "platform.digest"
"""The scheduler's kind of a vertical digest (its ``target_id`` is the platform's id)."""
AUDIT_ACTION: Final = "platform.digest"
TOP_THEMES: Final = 3
_PROMPT_GROUP_PREFIX = "prompt "


@dataclass(frozen=True, slots=True)
class DigestFigures:
    """A platform's group figures for one period, as they may be shown (texts already read
    "fewer than N" where a group is too small)."""

    platform_name: str
    frequency: Frequency
    period_text: str
    min_group: int
    members: str
    contributions: str
    cafes_held: int
    questions_asked: str
    questions_answered: str  # the share answered within a week
    prompts_posted: str
    prompts_answered: str  # the share answered within a week
    prompts_answered_so_far: str  # "a of p"
    top_themes: tuple[tuple[str, int], ...]  # (theme, prompts posted), most first
    whole_server: str | None = None  # the server's name when the platform is one category


def digest_title(platform_name: str, frequency: Frequency) -> str:
    return f"{platform_name} · {frequency.value} summary"


def digest_source_key(schedule_id: int, due: datetime) -> str:
    """One digest per schedule and due time, however often its firing runs."""
    return f"digest:{schedule_id}:{due.astimezone(UTC).isoformat()}"


def top_themes(
    prompt_posts: Mapping[int, str], posted: list[int], limit: int = TOP_THEMES
) -> tuple[tuple[str, int], ...]:
    """The themes with the most prompts among ``posted`` (prompt post ids), most first, then
    by name; ``prompt_posts`` maps a post's id to its theme's name."""
    counts = Counter(prompt_posts[post] for post in posted if post in prompt_posts)
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0].casefold()))
    return tuple(ranked[:limit])


def prompt_post_ids(insights: CommunityInsights) -> list[int]:
    """The prompt posts the period's figures are about."""
    found = []
    for measure in insights.of_scope(Scope.PROMPT, questions.ANSWERS):
        number = measure.group.removeprefix(_PROMPT_GROUP_PREFIX)
        if number.isdigit():
            found.append(int(number))
    return found


def figures_of(
    insights: CommunityInsights,
    *,
    platform_name: str,
    frequency: Frequency,
    prompt_posts: Mapping[int, str],
    whole_server: str | None,
) -> DigestFigures:
    """The digest's figures from a community's insights for the period."""
    asked = questions.GROUP_OF_KIND[Asked.QUESTION]
    prompts = questions.GROUP_OF_KIND[Asked.PROMPT]
    held = {m.group for m in insights.of_scope(Scope.COMMUNITY, cafes.CAFE_SILENCE)}
    return DigestFigures(
        platform_name=platform_name,
        frequency=frequency,
        period_text=insights.period_text,
        min_group=insights.min_group,
        members=insights.shown_text(Scope.COMMUNITY, "", participation.MEMBERS),
        contributions=insights.shown_text(Scope.COMMUNITY, "", participation.CONTRIBUTIONS),
        cafes_held=len(held),
        questions_asked=insights.shown_text(Scope.COMMUNITY, asked, questions.QUESTIONS),
        questions_answered=insights.shown_text(Scope.COMMUNITY, asked, questions.RESPONSE_RATE),
        prompts_posted=insights.shown_text(Scope.COMMUNITY, prompts, questions.QUESTIONS),
        prompts_answered=insights.shown_text(Scope.COMMUNITY, prompts, questions.RESPONSE_RATE),
        prompts_answered_so_far=prompts_answered_so_far(insights),
        top_themes=top_themes(prompt_posts, prompt_post_ids(insights)),
        whole_server=whole_server,
    )


def summary_lines(figures: DigestFigures) -> list[str]:
    """The digest as lines of text: the figures, then what they are about."""
    themes = (
        ", ".join(
            f"{escape_markdown(name)} ({count} prompt{'' if count == 1 else 's'})"
            for name, count in figures.top_themes
        )
        or "none (no prompts posted)"
    )
    lines = [
        f"**Members**: {figures.members}",
        f"**Contributions**: {figures.contributions}",
        f"**Cafés held**: {figures.cafes_held}",
        f"**Questions asked**: {figures.questions_asked} · answered within a week: "
        f"{figures.questions_answered}",
        f"**Prompts posted**: {figures.prompts_posted} · answered within a week: "
        f"{figures.prompts_answered} · answered so far: {figures.prompts_answered_so_far}",
        f"**Top themes**: {themes}",
        "",
        f"{figures.frequency.value.capitalize()} summary of {figures.period_text}. Group "
        f"figures only: nobody is named, and groups under {figures.min_group} people read "
        f"“fewer than {figures.min_group}”. Trends compare with the period before.",
    ]
    if figures.whole_server is not None:
        server = escape_markdown(figures.whole_server)
        lines.append(
            f"The figures are those of the whole server, **{server}**, of which this platform "
            "is one category."
        )
    return lines
