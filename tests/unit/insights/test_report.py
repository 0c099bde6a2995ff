"""The insights report's HTML: every section, exact figures with their trend, "fewer than N"
where suppressed, people only by the names given, everything escaped and inline."""

from __future__ import annotations

import base64
import re
import struct
import zlib
from datetime import UTC, datetime
from html.parser import HTMLParser

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.insights.report import (
    CHART_EI,
    CHART_LORENZ,
    CHART_NETWORK,
    SECTIONS,
    Form,
    format_value,
    report_html,
)
from bot.insights.values import Measure, Scope

MIN_GROUP = 3
SHOWN_ID = "710000000000000001"  # in `names`
HIDDEN_ID = "710000000000000002"  # not in `names`: never on the page
ESCAPED_NAME = "<script>alert('x')</script>"
C, ORG, L, M = Scope.COMMUNITY, Scope.ORGANISATION, Scope.LEVEL, Scope.MEMBER
TABLE = "café 1 · round 1 · table 1"

MEASURES = [
    Measure(C, "", "members", 12, 12),
    Measure(C, "", "contributions", 1234, 12),
    Measure(C, "", "gini", 0.4567, 12),
    Measure(C, "", "share_silent", 0.25, 12),
    Measure(C, "", "top1_share", 0.125, 12),
    Measure(C, "", "top10_share", 0.5, 12),
    Measure(C, "", "absence_factor", 3, 12),
    Measure(C, "", "elephant_factor", 2, 10),
    *(
        Measure(ORG, group, metric, value, n)
        for group, n, values in (
            ("Big Org", 5, (1234, 20, 0.984, 0.2)),
            ("Tiny", 2, (None, None, None, None)),
            ("Open Org", 4, (7, 9, 0.4375, 0.5)),
        )
        for metric, value in zip(
            ("given", "received", "give_ratio", "share_silent"), values, strict=True
        )
    ),
    *(
        Measure(ORG, group, metric, value, n)
        for group, n, values in (
            ("Big Org", 5, (-0.5, 0.6, 0.002, 30, 10)),
            ("Tiny", 2, (None, None, None, None, None)),
            ("Open Org", 4, (0.9, 0.6, 0.9, 1, 19)),
        )
        for metric, value in zip(
            ("ei_index", "ei_expected", "ei_p_value", "internal_edges", "external_edges"),
            values,
            strict=True,
        )
    ),
    Measure(C, "", "horizontal_edges", 1234567, 12),
    Measure(C, "", "vertical_edges", 12, 12),
    Measure(C, "", "unplaced_edges", 0, 12),
    Measure(C, "", "reciprocity", 0.3333, 12),
    Measure(L, "local", "replies_to_local", 10, 4),
    Measure(L, "local", "replies_to_national", 3, 4),
    Measure(L, "local", "replies_to_international", 0, 4),
    Measure(L, "national", "replies_to_local", None, 2),
    Measure(L, "national", "replies_to_national", None, 2),
    Measure(L, "national", "replies_to_international", None, 2),
    Measure(L, "international", "replies_to_local", None, 0),
    Measure(L, "international", "replies_to_national", None, 0),
    Measure(L, "international", "replies_to_international", None, 0),
    *(
        Measure(ORG, group, f"brokerage_{role}", value, n)
        for group, n, values in (("Big Org", 5, (4, 3, 2, 1, 0)), ("Tiny", 2, (None,) * 5))
        for role, value in zip(
            ("coordinator", "gatekeeper", "representative", "consultant", "liaison"),
            values,
            strict=True,
        )
    ),
    Measure(M, SHOWN_ID, "betweenness", 0.1234, 1),
    Measure(M, SHOWN_ID, "organisations_bridged", 3, 1),
    Measure(M, HIDDEN_ID, "betweenness", 0.5, 1),
    Measure(M, HIDDEN_ID, "organisations_bridged", 4, 1),
    Measure(M, HIDDEN_ID, "given", 0, 1),
    Measure(C, "prompts", "questions", 4, 4),
    Measure(C, "prompts", "response_rate", 0.5, 4),
    Measure(C, "prompts", "median_hours_to_first_answer", 12.26, 4),
    # one question, asked days ago and not answered yet: a count of questions, not of people,
    # so not hidden; its rate and time undefined
    Measure(C, "questions", "questions", 1, 1),
    Measure(C, "questions", "response_rate", None, 1),
    Measure(C, "questions", "median_hours_to_first_answer", None, 1),
    Measure(Scope.PROMPT, "prompt 7", "answers", 5, 3),
    Measure(Scope.PROMPT, "prompt 7", "answerers", 3, 3),
    Measure(Scope.CAFE_TABLE, TABLE, "table_silence", 0.25, 4),
    Measure(Scope.CAFE_TABLE, TABLE, "table_notes", 2, 4),
    Measure(M, HIDDEN_ID, "hoarding_periods", 3, 1),
    Measure(ORG, "Big Org", "hoarding_periods", 2, 5),
]
PREVIOUS: dict[tuple[Scope, str, str], float | None] = {
    (C, "", "gini"): 0.4,
    (C, "", "share_silent"): 0.3,
    (C, "", "members"): 12,
    (C, "", "top1_share"): None,
    (ORG, "Big Org", "given"): 2000,
}


def tiny_png(width: int, height: int) -> bytes:
    """A valid grey PNG of the given size, made by hand."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    pixels = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(pixels))
        + chunk(b"IEND", b"")
    )


CHARTS = {
    CHART_LORENZ: tiny_png(12, 8),
    CHART_EI[ORG]: tiny_png(6, 4),
    CHART_NETWORK: tiny_png(3, 2),
}


def page(**changes: object) -> str:
    options: dict[str, object] = {
        "community": "Delta Alliance",
        "period_text": "2026-11-01 to 2026-11-30",
        "made_at": datetime(2026, 12, 1, 9, 30, tzinfo=UTC),
        "made_by": "Ada",
        "min_group": MIN_GROUP,
        "measures": MEASURES,
        "previous": PREVIOUS,
        "charts": CHARTS,
        "names": {SHOWN_ID: ESCAPED_NAME},
    }
    options.update(changes)
    return report_html(**options)  # type: ignore[arg-type]


def section(html_text: str, anchor: str) -> str:
    start = html_text.index(f'<section id="{anchor}">')
    return html_text[start : html_text.index("</section>", start)]


def texts(part: str, name: str) -> list[list[str]]:
    """The cells' texts (tags dropped, spaces collapsed) of every table row headed ``name`` (as
    escaped on the page)."""
    found = re.findall(rf'<tr><th scope="row">{re.escape(name)}</th>(.*?)</tr>', part)
    return [
        [
            " ".join(re.sub(r"<[^>]+>", " ", cell).split())
            for cell in re.findall(r"<td[^>]*>(.*?)</td>", row)
        ]
        for row in found
    ]


def test_every_section_is_there_in_order_with_its_period() -> None:
    text = page()
    positions = [text.index(f'<section id="{anchor}">') for anchor, _ in SECTIONS]
    assert positions == sorted(positions)
    for anchor, heading in SECTIONS:
        assert f"<h2>{heading}</h2>" in section(text, anchor)
        assert '<p class="period">2026-11-01 to 2026-11-30</p>' in section(text, anchor)
    assert '<h2 id="how-to-read">How to read this</h2>' in text
    assert "Made 2026-12-01 09:30 UTC by Ada." in text
    assert text.startswith('<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">')


def test_community_figures_are_formatted_with_their_trend() -> None:
    part = section(page(), "participation")
    # gini 0.4567 -> 0.46, up from 0.40; silent 25% down from 30%; members the same as before
    assert texts(part, "Gini")[0][0] == "0.46 ▲ from 0.40"
    assert texts(part, "Silent")[0][0] == "25% ▼ from 30%"
    assert texts(part, "Members")[0][0] == "12 = from 12"
    assert texts(part, "Contributions")[0][0] == "1,234"
    assert texts(part, "Top 1% share")[0][0] == "12.5% no figure before"
    assert texts(part, "Top 10% share")[0][0] == "50%"
    assert texts(part, "Absence factor")[0][0] == "3"
    assert texts(part, "Elephant factor")[0][0] == "2"
    assert texts(section(page(), "flows"), "Horizontal replies")[0][0] == "1,234,567"
    assert texts(section(page(), "flows"), "Reciprocity")[0][0] == "33.3%"


def test_groups_over_fewer_than_the_minimum_read_fewer_than_n_size_included() -> None:
    part = section(page(), "participation")
    # Organisations by given, most first; Tiny (suppressed) last. Columns: people, given,
    # received, give ratio, silent.
    assert texts(part, "Big Org") == [["5", "1,234 ▼ from 2,000", "20", "0.98", "20%"]]
    assert texts(part, "Tiny") == [["fewer than 3"] * 5]
    assert part.index(">Big Org<") < part.index(">Open Org<") < part.index(">Tiny<")
    cafes = section(page(), "cafes")
    assert texts(cafes, TABLE) == [["4", "25%", "2"]]
    asked = section(page(), "questions")
    assert texts(asked, "Members&#x27; questions") == [["1", "no data", "no data"]]
    assert texts(asked, "Prompts posted by the bot") == [["4", "50%", "12.3 h"]]
    assert texts(asked, "prompt 7") == [["5", "3"]]


def test_silos_are_called_from_the_verdict_rule_and_small_groups_never() -> None:
    part = section(page(), "silos")
    # people, E-I, expected, p-value, silo?
    assert texts(part, "Big Org") == [["5", "-0.50", "+0.60", "0.002", "silo"]]
    assert texts(part, "Open Org") == [["4", "+0.90", "+0.60", "0.900", "no"]]
    assert texts(part, "Tiny") == [
        ["fewer than 3", "fewer than 3", "fewer than 3", "fewer than 3", "no"]
    ]
    assert (
        "Called silos (E-I well below what mixing by chance would give, see Silos): Big Org."
        in (section(page(), "hoarding"))
    )


def test_the_level_matrix_leaves_out_empty_levels_and_hides_small_rows() -> None:
    part = section(page(), "flows")
    assert texts(part, "from local") == [["10", "3"]]
    assert texts(part, "from national") == [["fewer than 3", "fewer than 3"]]
    assert "from international" not in part and "to international" not in part


def test_people_appear_only_under_the_names_given_and_never_by_id() -> None:
    text = page()
    assert SHOWN_ID not in text and HIDDEN_ID not in text
    escaped = "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;"
    assert texts(section(text, "brokers"), escaped) == [["12.3%", "3"]]
    # The hidden person hoarded and brokered more, but is not on the page at all.
    assert "Nobody who may be shown here raised the signal." in section(text, "hoarding")
    assert texts(section(text, "hoarding"), "Big Org") == [["5", "2"]]
    nobody = page(names={})
    assert "Nobody who may be shown here." in section(nobody, "brokers")


def test_text_from_data_is_escaped() -> None:
    text = page(community="<b>Alliance</b> & co", made_by='"Ada" <ada>')
    assert "<b>" not in text and "<ada>" not in text and "<script" not in text
    assert "<h1>&lt;b&gt;Alliance&lt;/b&gt; &amp; co: insights</h1>" in text
    assert "by &quot;Ada&quot; &lt;ada&gt;." in text


def test_everything_is_inline_and_the_charts_are_png_data() -> None:
    text = page()
    assert "http:" not in text and "https:" not in text and "href" not in text
    assert "<script" not in text and "<link" not in text and "@import" not in text
    sources = re.findall(r'<img src="([^"]*)" width="(\d+)" height="(\d+)"', text)
    assert len(sources) == 3
    assert len(re.findall(r"<img ", text)) == 3
    for source, width, height in sources:
        prefix = "data:image/png;base64,"
        assert source.startswith(prefix)
        png = base64.b64decode(source.removeprefix(prefix), validate=True)
        assert png in CHARTS.values()
        assert (int(width), int(height)) == (
            int.from_bytes(png[16:20], "big"),
            int.from_bytes(png[20:24], "big"),
        )
    assert "No activity chart for this period." in section(text, "activity")


def test_a_chart_that_is_not_a_png_is_refused() -> None:
    with pytest.raises(ValueError, match="'network' is not a PNG"):
        page(charts={CHART_NETWORK: b"GIF89a"})


@pytest.mark.parametrize(
    ("value", "form", "shown"),
    [
        (1234567, Form.COUNT, "1,234,567"),
        (2.0, Form.COUNT, "2"),
        (0.125, Form.SHARE, "12.5%"),
        (0.5, Form.SHARE, "50%"),
        (0.0004, Form.SHARE, "0%"),
        (1.0, Form.SHARE, "100%"),
        (0.4567, Form.RATIO, "0.46"),
        (-0.5, Form.SIGNED, "-0.50"),
        (-0.001, Form.SIGNED, "0.00"),
        (0.6, Form.SIGNED, "+0.60"),
        (0.0123, Form.P_VALUE, "0.012"),
        (1500.04, Form.HOURS, "1,500.0 h"),
        (2.25, Form.MEAN, "2.2"),
    ],
)
def test_values_are_written_by_their_form(value: float, form: Form, shown: str) -> None:
    assert format_value(value, form) == shown


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append(tag)


def tags_of(text: str) -> list[str]:
    parser = Tags()
    parser.feed(text)
    return parser.found


PLAIN_TAGS = tags_of(page())


@settings(max_examples=60, deadline=None)
@given(community=st.text(max_size=20), made_by=st.text(max_size=20), name=st.text(max_size=20))
def test_no_text_from_data_ever_makes_a_tag(community: str, made_by: str, name: str) -> None:
    text = page(community=community, made_by=made_by, names={SHOWN_ID: name})
    assert tags_of(text) == PLAIN_TAGS
