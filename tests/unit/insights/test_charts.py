"""The insight charts: valid PNG pictures of the chart size for normal, empty and awkward data,
and exact values for what they compute before drawing (series, Lorenz points, selections)."""

from __future__ import annotations

import warnings
from datetime import date, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.insights.charts import (
    BLUISH_GREEN,
    EI_MAX_GROUPS,
    HEIGHT_PX,
    NETWORK_MAX_FLOWS,
    NETWORK_MAX_NODES,
    ORANGE,
    REDDISH_PURPLE,
    SKY_BLUE,
    UNGROUPED,
    UNGROUPED_COLOUR,
    WIDTH_PX,
    GroupEI,
    OrganisationFlow,
    OrganisationNode,
    activity_chart,
    activity_series,
    ei_chart,
    ei_groups_shown,
    flow_matrix_chart,
    lorenz_chart,
    lorenz_points,
    network_chart,
    network_shown,
    stakeholder_colours,
)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
TITLE = "Test chart · 1 Nov – 30 Nov 2026"
# Names a chart must draw as written: accents, a long name, and dollars (which matplotlib would
# otherwise read as a formula and fail on).
AWKWARD = (
    "Coöperatie Ça-va-très-bien à Zürich",
    "Ministère de l'Agriculture, de la Souveraineté alimentaire et de la Forêt " * 3,
    r"Fonds $\frac$ 50$",
)


def pixel_size(png: bytes) -> tuple[int, int]:
    """Width and height from the PNG header (the IHDR chunk, bytes 16 to 24)."""
    assert png[:8] == PNG_SIGNATURE
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")


def assert_chart(png: bytes) -> None:
    assert pixel_size(png) == (WIDTH_PX, HEIGHT_PX)


# A fixed empty picture: every chart without data draws the same "No data" picture.
def empty_picture(title: str = TITLE) -> bytes:
    return flow_matrix_chart([], [], title)


def test_the_empty_picture_is_a_chart_of_the_right_size() -> None:
    assert_chart(empty_picture())
    assert (WIDTH_PX, HEIGHT_PX) == (1200, 800)


# --- colours ---------------------------------------------------------------------------------


def test_groups_take_the_palette_in_name_order_and_no_group_is_grey() -> None:
    assert stakeholder_colours(["ngo", "Government", UNGROUPED, "business"]) == {
        "business": ORANGE,
        "Government": SKY_BLUE,
        "ngo": BLUISH_GREEN,
        UNGROUPED: UNGROUPED_COLOUR,
    }


def test_the_palette_repeats_after_seven_groups() -> None:
    colours = stakeholder_colours([f"g{i}" for i in range(9)])
    assert colours["g0"] == colours["g7"] == ORANGE
    assert colours["g1"] == colours["g8"] == SKY_BLUE
    assert colours["g3"] == REDDISH_PURPLE


# --- activity --------------------------------------------------------------------------------


def test_a_short_period_is_drawn_day_by_day_with_missing_days_as_zero() -> None:
    day = date(2026, 11, 1)
    series = activity_series(
        {"ngo": {day: 3, day + timedelta(days=2): 5}, "business": {day + timedelta(days=1): 2}},
        last_day=day + timedelta(days=3),
    )
    assert series is not None
    groups, starts, per_day, weekly = series
    assert groups == ["business", "ngo"]
    assert starts == [day + timedelta(days=i) for i in range(4)]
    assert per_day.tolist() == [[0, 2, 0, 0], [3, 0, 5, 0]]
    assert weekly is False


def test_a_long_period_is_drawn_as_weekly_means_per_day_partial_weeks_by_their_days() -> None:
    # 2026-01-01 is a Thursday; 100 days run to Friday 2026-04-10. Weeks: Thu 1 Jan – Sun 4 Jan
    # (4 days), then 13 full weeks from Mon 5 Jan to Sun 5 Apr, then Mon 6 – Fri 10 Apr (5 days).
    first = date(2026, 1, 1)
    last = first + timedelta(days=99)
    counts = {"ngo": {first: 8, date(2026, 1, 5): 14, date(2026, 1, 11): 7, last: 10}}
    series = activity_series(counts, first_day=first, last_day=last)
    assert series is not None
    groups, starts, per_day, weekly = series
    assert weekly is True
    assert groups == ["ngo"]
    assert starts[:3] == [first, date(2026, 1, 5), date(2026, 1, 12)]
    assert starts[-2:] == [date(2026, 4, 6), date(2026, 4, 11)]
    assert len(starts) == 15 + 1
    # 8 / 4 days; (14 + 7) / 7 days; then nothing; 10 / 5 days in the last week.
    assert per_day[0].tolist() == [2.0, 3.0] + [0.0] * 12 + [2.0]


def test_activity_outside_the_period_is_not_counted() -> None:
    day = date(2026, 11, 10)
    series = activity_series({"ngo": {day: 4, day - timedelta(days=1): 9}}, first_day=day)
    assert series is not None
    assert series[2].tolist() == [[4.0]]


def test_activity_charts_are_pictures_of_the_chart_size() -> None:
    day = date(2026, 1, 1)
    counts = {
        name: {day + timedelta(days=i): (i * (n + 3)) % 17 for i in range(365)}
        for n, name in enumerate((*AWKWARD, UNGROUPED))
    }
    assert_chart(activity_chart(counts, TITLE))
    month = {name: {day + timedelta(days=i): i % 5 + 1 for i in range(30)} for name in AWKWARD}
    picture = activity_chart(month, TITLE, colours={AWKWARD[0]: "#FFFFFF"})
    assert_chart(picture)
    assert picture != empty_picture()


def test_activity_without_counts_says_no_data() -> None:
    day = date(2026, 11, 1)
    assert activity_series({}) is None
    assert activity_chart({}, TITLE) == empty_picture()
    assert activity_chart({"ngo": {day: 0}}, TITLE) == empty_picture()
    assert activity_chart({"ngo": {day: 3}}, TITLE, first_day=day + timedelta(days=1)) == (
        empty_picture()
    )


# --- Lorenz ----------------------------------------------------------------------------------


def test_lorenz_points_are_the_cumulative_shares_of_the_sorted_values() -> None:
    # Sorted 0, 1, 3, 4 (total 8): people 0, 1/4, 1/2, 3/4, 1; shares 0, 0, 1/8, 4/8, 8/8.
    points = lorenz_points([3, 0, 4, 1])
    assert points is not None
    people, shares = points
    assert people.tolist() == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert shares.tolist() == [0.0, 0.0, 0.125, 0.5, 1.0]


def test_a_large_lorenz_curve_is_thinned_and_keeps_both_ends() -> None:
    points = lorenz_points([1.0] * 10_000)
    assert points is not None
    people, shares = points
    assert len(people) == 2001
    assert (people[0], people[-1], shares[0], shares[-1]) == (0.0, 1.0, 0.0, 1.0)
    # Equal shares: the curve is the line of equality.
    assert np.allclose(people, shares)


def test_lorenz_charts_are_pictures_and_no_contribution_says_no_data() -> None:
    assert_chart(lorenz_chart([0, 0, 1, 5, 40] * 2000, 0.71, TITLE))
    assert_chart(lorenz_chart([2, 3], None, TITLE))
    assert lorenz_points([]) is None
    assert lorenz_points([0, 0]) is None
    assert lorenz_chart([], 0.0, TITLE) == empty_picture()
    assert lorenz_chart([0, 0, 0], None, TITLE) == empty_picture()


# --- E-I -------------------------------------------------------------------------------------


def test_the_e_i_chart_draws_groups_from_the_most_inward() -> None:
    groups = [GroupEI("b", 0.5, 0.2), GroupEI("a", -1.0, 0.4, silo=True), GroupEI("c", 0.5)]
    assert [group.name for group in ei_groups_shown(groups)] == ["a", "b", "c"]


def test_over_the_limit_the_silos_and_the_farthest_from_chance_are_shown() -> None:
    # 30 groups with observed 0 and expected i / 100: the farthest from chance are i = 29..6;
    # the one silo (i = 0, distance 0) comes first whatever its distance.
    groups = [GroupEI(f"g{i:02}", 0.0, i / 100, silo=i == 0) for i in range(30)]
    shown = ei_groups_shown(groups)
    assert len(shown) == EI_MAX_GROUPS
    assert sorted(group.name for group in shown) == ["g00"] + [f"g{i:02}" for i in range(6, 30)]


def test_a_group_without_an_expected_value_is_ranked_by_its_distance_from_zero() -> None:
    groups = [GroupEI(f"g{i:02}", -i / 100) for i in range(26)] + [GroupEI("nan", float("nan"))]
    shown = ei_groups_shown(groups)
    assert [group.name for group in shown][:2] == ["g25", "g24"]
    assert "g00" not in [group.name for group in shown]
    assert "nan" not in [group.name for group in shown]


def test_e_i_charts_are_pictures_and_no_group_says_no_data() -> None:
    many = [
        GroupEI(f"{AWKWARD[i % 3]} {i}", (i % 21 - 10) / 10, 0.5, silo=i % 7 == 0)
        for i in range(300)
    ]
    assert_chart(ei_chart(many, TITLE))
    assert_chart(ei_chart([GroupEI(AWKWARD[2], -0.2)], TITLE))
    assert ei_chart([], TITLE) == empty_picture()
    assert ei_chart([GroupEI("a", float("nan"))], TITLE) == empty_picture()


# --- flow matrix -----------------------------------------------------------------------------


def test_flow_matrices_are_pictures_and_all_zero_says_no_data() -> None:
    levels = ["local", "intermediate", "national"]
    assert_chart(flow_matrix_chart(levels, [[10, 2, 0], [3, 40, 1], [0, 5, 7]], TITLE))
    groups = [*AWKWARD, UNGROUPED]
    counts = [[(row * 4 + column) * 100 for column in range(4)] for row in range(4)]
    assert_chart(flow_matrix_chart(groups, counts, TITLE, kind="stakeholder group"))
    many = [f"level {i}" for i in range(14)]
    assert_chart(flow_matrix_chart(many, [[i + j for j in range(14)] for i in range(14)], TITLE))
    assert flow_matrix_chart(levels, [[0] * 3] * 3, TITLE) == empty_picture()


def test_a_flow_matrix_that_is_not_square_is_refused() -> None:
    with pytest.raises(ValueError):
        flow_matrix_chart(["a", "b"], [[1, 2, 3], [4, 5, 6]], TITLE)


# --- network ---------------------------------------------------------------------------------


def test_the_network_draws_the_most_active_organisations_and_their_largest_flows() -> None:
    organisations = [OrganisationNode(f"org {i:03}", 1000 - i, None) for i in range(100)]
    organisations.append(OrganisationNode("silent", 0))
    flows = [
        OrganisationFlow(f"org {i:03}", f"org {(i + 1) % 100:03}", 1 + i % 90) for i in range(100)
    ]
    flows += [
        OrganisationFlow("org 000", "org 000", 500),  # within one organisation: not a flow
        OrganisationFlow("org 000", "silent", 500),  # to an organisation not drawn
        OrganisationFlow("org 001", "org 002", 0),
    ]
    drawn, shown = network_shown(organisations, flows)
    assert [node.name for node in drawn] == [f"org {i:03}" for i in range(NETWORK_MAX_NODES)]
    # Flows between two of the 60 drawn: i = 0..58 (59 to 60 leaves them); count 1 + i.
    assert len(shown) == 59 < NETWORK_MAX_FLOWS
    assert (shown[0].source, shown[0].target, shown[0].count) == ("org 058", "org 059", 59)
    assert [flow.count for flow in shown] == list(range(59, 0, -1))


def test_network_charts_are_pictures_and_no_contribution_says_no_data() -> None:
    organisations = [
        OrganisationNode(f"{AWKWARD[i % 3]} {i}", 10 + (i * 37) % 500, ["a", "b", None][i % 3])
        for i in range(300)
    ]
    flows = [
        OrganisationFlow(organisations[i].name, organisations[(i * 7 + 3) % 300].name, i + 1)
        for i in range(300)
    ]
    picture = network_chart(organisations, flows, TITLE)
    assert_chart(picture)
    assert network_chart(organisations, flows, TITLE) == picture  # the layout is deterministic
    assert_chart(network_chart(organisations[:1], [], TITLE))
    assert network_chart([], [], TITLE) == empty_picture()
    assert network_chart([OrganisationNode("a", 0)], [], TITLE) == empty_picture()


def test_names_the_font_cannot_draw_give_no_warning() -> None:
    organisations = [
        OrganisationNode("Café 🌱 Groen", 10, "🌍 climate"),
        OrganisationNode("控制\x00 \u200b", 5),
    ]
    flows = [OrganisationFlow("Café 🌱 Groen", "控制\x00 \u200b", 3)]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert_chart(network_chart(organisations, flows, "Network 🌐 · 1 – 30 Nov 2026"))


# --- any data --------------------------------------------------------------------------------

names = st.text(min_size=1, max_size=60)


@settings(max_examples=8, deadline=None)
@given(
    st.lists(
        st.tuples(names, st.floats(-1, 1), st.none() | st.floats(-1, 1), st.booleans()),
        max_size=40,
    )
)
def test_any_e_i_data_gives_a_picture(rows: list[tuple[str, float, float | None, bool]]) -> None:
    assert_chart(ei_chart([GroupEI(*row) for row in rows], TITLE))


@settings(max_examples=8, deadline=None)
@given(
    st.dictionaries(names, st.tuples(st.integers(0, 10_000), st.none() | names), max_size=30),
    st.lists(st.tuples(st.integers(0, 29), st.integers(0, 29), st.integers(0, 500)), max_size=60),
)
def test_any_network_gives_a_picture(
    nodes: dict[str, tuple[int, str | None]], links: list[tuple[int, int, int]]
) -> None:
    organisations = [OrganisationNode(name, size, group) for name, (size, group) in nodes.items()]
    names_ = list(nodes) or ["x"]
    flows = [
        OrganisationFlow(names_[a % len(names_)], names_[b % len(names_)], count)
        for a, b, count in links
    ]
    assert_chart(network_chart(organisations, flows, TITLE))
