"""The insights report in a real browser: headless Chromium renders a report built from a small
community's computed figures and charts, with nothing said in its console.

Skipped without Chromium, unless CI is set (tests/browser.py)."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
from PIL import Image

from bot.insights.charts import (
    BACKGROUND,
    activity_chart,
    ei_chart,
    flow_matrix_chart,
    lorenz_chart,
    network_chart,
)
from bot.insights.compute import CommunityData, compute, suppressed
from bot.insights.report import (
    CHART_ACTIVITY,
    CHART_EI,
    CHART_LEVEL_MATRIX,
    CHART_LORENZ,
    CHART_NETWORK,
    CHART_STAKEHOLDER_MATRIX,
    CONTENT_SECURITY_POLICY,
    report_html,
)
from bot.insights.values import (
    Activity,
    Asked,
    Person,
    QuestionAsked,
    Reply,
    Scope,
    Seat,
    TableNotes,
)
from tests.browser import chromium_or_skip, render

NOW = datetime(2026, 11, 30, 18, 0, tzinfo=UTC)
PERIOD = "2026-11-01 to 2026-11-30"
MIN_GROUP = 3
WIDTH = 1200

# Discord-like ids: a 64-bit number must never reach the page.
RIVER = [710000000000000001 + i for i in range(4)]  # a water ministry, talking across
VILLAGE = [720000000000000001 + i for i in range(4)]  # a village group, talking inside
LAB = [730000000000000001 + i for i in range(3)]
LONER = 740000000000000001


def community() -> CommunityData:
    people = [
        *(Person(u, "River Authority", "government", "national") for u in RIVER),
        *(
            Person(u, "Village <Water> & Co", "community-based organisation", "local")
            for u in VILLAGE
        ),
        *(Person(u, "Delta Lab", "research", "intermediate") for u in LAB),
        Person(LONER),
    ]
    replies = [
        # the village only answers itself
        Reply(VILLAGE[0], VILLAGE[1], 6),
        Reply(VILLAGE[1], VILLAGE[2], 5),
        Reply(VILLAGE[2], VILLAGE[0], 4),
        Reply(VILLAGE[3], VILLAGE[0], 3),
        Reply(VILLAGE[1], VILLAGE[0], 2),
        # the river authority answers everyone
        Reply(RIVER[0], LAB[0], 4),
        Reply(RIVER[1], VILLAGE[0], 1),
        Reply(LAB[0], RIVER[0], 3),
        Reply(LAB[1], RIVER[2], 2),
        Reply(RIVER[2], LAB[2], 2),
        Reply(RIVER[3], LONER, 1),
    ]
    activity = {
        RIVER[0]: Activity(messages=14, replies=4, replies_received=3, reactions_received=5),
        RIVER[1]: Activity(messages=3, replies=1),
        RIVER[2]: Activity(messages=6, replies=2, replies_received=2),
        RIVER[3]: Activity(messages=1, replies=1),
        VILLAGE[0]: Activity(messages=9, replies=6, replies_received=10, reactions_received=2),
        VILLAGE[1]: Activity(messages=8, replies=7, replies_received=6),
        VILLAGE[2]: Activity(messages=5, replies=4, replies_received=5),
        VILLAGE[3]: Activity(messages=3, replies=3),
        LAB[0]: Activity(messages=4, replies=3, replies_received=4, notes=2),
        LAB[1]: Activity(messages=2, replies=2),
        LONER: Activity(replies_received=1, reactions_received=4),
    }
    first = date(2026, 11, 1)
    daily = [
        (first + timedelta(days=day), group, (day * 7 + offset) % 5)
        for day in range(30)
        for offset, group in enumerate(("government", "community-based organisation", "research"))
    ]
    asked = datetime(2026, 11, 3, 9, 0, tzinfo=UTC)
    found = [
        QuestionAsked(Asked.PROMPT, 1, asked, asked + timedelta(hours=5), 6, 4),
        QuestionAsked(Asked.PROMPT, 2, asked + timedelta(days=7), None, 0, 0),
        QuestionAsked(Asked.PROMPT, 3, asked + timedelta(days=9), asked + timedelta(days=10), 3, 3),
        QuestionAsked(Asked.QUESTION, 9001, asked, asked + timedelta(hours=2), 2, 2),
    ]
    seats = [
        *(Seat(1, 1, 1, u, False, 2) for u in (RIVER[0], VILLAGE[0], LAB[0])),
        Seat(1, 1, 1, VILLAGE[3], False, 0),
        *(Seat(1, 1, 2, u, False, 0) for u in (RIVER[1], VILLAGE[1], LAB[1])),
    ]
    return CommunityData(
        people=people,
        activity=activity,
        replies=replies,
        questions=found,
        seats=seats,
        table_notes=[TableNotes(1, 1, 1, 4), TableNotes(1, 1, 2, 1)],
        daily=daily,
    )


def report_page() -> str:
    figures = compute(community(), now=NOW, min_group=MIN_GROUP, seed=7)
    levels, stakeholders = figures.flows.levels, figures.flows.stakeholders
    charts = {
        CHART_ACTIVITY: activity_chart(figures.daily, f"Activity · {PERIOD}"),
        CHART_LORENZ: lorenz_chart(figures.given, figures.gini, f"Lorenz curve · {PERIOD}"),
        CHART_EI[Scope.ORGANISATION]: ei_chart(
            figures.ei_groups(Scope.ORGANISATION, MIN_GROUP), f"E-I · {PERIOD}"
        ),
        CHART_LEVEL_MATRIX: flow_matrix_chart(
            levels.labels, levels.counts, f"Level to level · {PERIOD}"
        ),
        CHART_STAKEHOLDER_MATRIX: flow_matrix_chart(
            stakeholders.labels,
            stakeholders.counts,
            f"Stakeholder groups · {PERIOD}",
            kind="stakeholder group",
        ),
        CHART_NETWORK: network_chart(
            figures.organisations, figures.organisation_flows, f"Network · {PERIOD}"
        ),
    }
    return report_html(
        community="Delta <Learning> Alliance",
        period_text=PERIOD,
        made_at=NOW,
        made_by="Coordinator Ada",
        min_group=MIN_GROUP,
        measures=suppressed(figures.measures, MIN_GROUP),
        previous={(Scope.COMMUNITY, "", "gini"): 0.5, (Scope.COMMUNITY, "", "members"): 10},
        charts=charts,
        names={str(RIVER[0]): "Ada (visible)", str(VILLAGE[0]): "<script>alert(1)</script>"},
    )


def test_the_report_renders_in_chromium_without_a_word_in_its_console(tmp_path: Path) -> None:
    chromium = chromium_or_skip()  # before the figures and charts are made for nothing
    page = tmp_path / "report.html"
    page.write_text(report_page(), encoding="utf-8")

    png, said = render(page, width=WIDTH, height=2000, chromium=chromium)

    assert said == []
    picture = Image.open(io.BytesIO(png))
    picture.load()  # decodes the whole picture: a truncated PNG fails here
    assert picture.format == "PNG"
    assert picture.size == (WIDTH, 2000)
    # The charts were drawn: their background colour fills much of the screenshot, and nothing
    # else on the page has it (the cards around them are darker).
    background = tuple(int(BACKGROUND[i : i + 2], 16) for i in (1, 3, 5))
    pixels = np.asarray(picture.convert("RGB"))
    assert int(np.count_nonzero((pixels == background).all(axis=2))) > 50_000


def test_the_console_check_hears_what_the_page_policy_refuses(tmp_path: Path) -> None:
    """The check above can fail: an outside picture on a page with the report's policy is
    refused, and Chromium says so in the console."""
    page = tmp_path / "outside.html"
    page.write_text(
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CONTENT_SECURITY_POLICY}">'
        "<title>outside</title></head><body>"
        '<img src="https://example.invalid/picture.png" alt="outside"></body></html>',
        encoding="utf-8",
    )

    _, said = render(page, width=400, height=300)

    assert len(said) == 1
    assert "Content Security Policy" in said[0]
    assert "https://example.invalid/picture.png" in said[0]
