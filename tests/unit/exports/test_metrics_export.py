"""The metrics export's rows: the period as days, members as pseudonyms (or names by consent),
people who opted out absent, small groups without a value."""

from __future__ import annotations

from datetime import UTC, date, datetime

from bot.exports.metrics import METRICS, metric_rows
from bot.exports.naming import Namer
from bot.exports.request import NameMode
from bot.exports.sources import ExportScope

KEY = bytes(range(32))
ANA, BEN, OUT = 920_000_000_000_000_011, 920_000_000_000_000_012, 920_000_000_000_000_013
START = datetime(2026, 10, 31, 23, 0, tzinfo=UTC)  # 1 November, 00:00 in Amsterdam
END = datetime(2026, 11, 30, 23, 0, tzinfo=UTC)  # 1 December, 00:00 there (exclusive)
STORED = [
    ("community", "", "gini", 0.41, 30),
    ("community", "questions", "response_rate", 1.0, 2),  # a count of questions: not hidden
    ("organisation", "WaterAid", "ei_index", -0.5, 5),
    ("organisation", "Tiny", "ei_index", 0.2, 2),
    ("member", str(ANA), "given", 4, 1),
    ("member", str(BEN), "given", 0, 1),
    ("member", str(OUT), "given", 9, 1),
]


def rows(mode: NameMode = NameMode.PSEUDONYMOUS) -> list[tuple[object, ...]]:
    namer = Namer(KEY, mode, visible_names={ANA: "Ana Rios"}, absent={OUT})
    scope = ExportScope(1, START, END, "Europe/Amsterdam", namer, 3)
    return [tuple(row) for row in metric_rows(STORED, scope)]


def test_the_columns_are_exactly_the_long_form() -> None:
    assert METRICS.header == (
        "period_start",
        "period_end",
        "scope",
        "group",
        "metric",
        "value",
        "n",
    )


def test_days_small_groups_and_people() -> None:
    found = rows()
    assert {row[:2] for row in found} == {(date(2026, 11, 1), date(2026, 11, 30))}
    by_group = {(row[2], row[3], row[4]): (row[5], row[6]) for row in found}
    assert by_group[("community", "", "gini")] == (0.41, 30)
    assert by_group[("community", "questions", "response_rate")] == (1.0, 2)
    assert by_group[("organisation", "WaterAid", "ei_index")] == (-0.5, 5)
    assert by_group[("organisation", "Tiny", "ei_index")] == (None, 2)
    members = [row[3] for row in found if row[2] == "member"]
    assert len(members) == 2 and all(str(m).startswith("m-") for m in members)
    assert not any(str(n) in str(row) for n in (ANA, BEN, OUT) for row in found)
    named = [row[3] for row in rows(NameMode.VISIBLE) if row[2] == "member"]
    assert "Ana Rios" in named and len(named) == 2
