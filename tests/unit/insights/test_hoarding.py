"""The hoarding signal: received but (nearly) gave nothing, in consecutive periods up to now."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.insights.hoarding import (
    GIVE_RATIO_UNDER,
    HOARDING_PERIODS,
    hoarding_measures,
    is_hoarding,
    organisation_runs,
    person_runs,
    run_ending_now,
)
from bot.insights.values import Activity, Measure, Person, Scope

SMALL = settings(max_examples=150, deadline=None)


@pytest.mark.parametrize(
    ("given_count", "received", "expected"),
    [
        (0, 0, False),  # did nothing: not hoarding
        (0, 1, True),  # received, gave nothing
        (1, 4, False),  # ratio 1/5 = 0.2 exactly: not under
        (1, 5, True),  # 1/6
        (2, 7, False),  # 2/9 = 0.22
        (3, 13, True),  # 3/16 = 0.1875
        (5, 0, False),  # gave, received nothing
    ],
)
def test_is_hoarding(given_count: int, received: int, expected: bool) -> None:
    assert is_hoarding(given_count, received) is expected


@SMALL
@given(st.integers(0, 10_000), st.integers(0, 10_000))
def test_is_hoarding_is_the_issue_wording(given_count: int, received: int) -> None:
    worded = received > 0 and (
        given_count == 0 or given_count / (given_count + received) < GIVE_RATIO_UNDER
    )
    assert is_hoarding(given_count, received) is worded


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        ([], 0),
        ([True], 1),
        ([True, True, False], 0),
        ([True, True, False, True, True, True], 3),
        ([False, True, True], 2),
    ],
)
def test_run_ending_now(flags: list[bool], expected: int) -> None:
    assert run_ending_now(flags) == expected


HOARDS = Activity(replies_received=3)  # given 0, received 3
NEARLY = Activity(messages=1, reactions_received=5)  # 1/6 < 0.2
SHARES = Activity(messages=4, replies_received=4)  # 1/2
ANA, BEN, CAS, DEV, EVA, OUTSIDER = 11, 12, 13, 14, 15, 99
PEOPLE = [
    Person(ANA, "Alpha"),
    Person(BEN, "Alpha"),
    Person(CAS, None),
    Person(DEV, "Beta"),
    Person(EVA, "Beta"),
]
PERIODS = [
    # oldest
    {ANA: HOARDS, BEN: HOARDS, DEV: HOARDS, OUTSIDER: HOARDS},
    {ANA: NEARLY, BEN: HOARDS, CAS: HOARDS, DEV: SHARES, OUTSIDER: HOARDS},
    # latest: BEN gives again, EVA hoards for the first time
    {ANA: HOARDS, BEN: SHARES, CAS: NEARLY, DEV: HOARDS, EVA: HOARDS, OUTSIDER: HOARDS},
]
# Alpha per period: (0, 6) hoards; (1, 8) 4 < 8 hoards; (4, 7) 16 >= 7 does not: run 0
# Beta per period: (0, 3) hoards; (4, 4) does not; (0, 6) hoards: run 1


def test_runs_of_people() -> None:
    assert person_runs(PERIODS, PEOPLE) == {ANA: 3, BEN: 0, CAS: 2, DEV: 1, EVA: 1}


def test_runs_of_organisations() -> None:
    assert organisation_runs(PERIODS, PEOPLE) == {"Alpha": 0, "Beta": 1}
    # Without the latest period, Alpha hoarded in both: a run of 2.
    assert organisation_runs(PERIODS[:2], PEOPLE) == {"Alpha": 2, "Beta": 0}


def test_hoarding_measures_name_runs_of_two_or_more_up_to_now() -> None:
    assert hoarding_measures(PERIODS, PEOPLE) == [
        Measure(Scope.MEMBER, str(ANA), HOARDING_PERIODS, 3, 1),
        Measure(Scope.MEMBER, str(CAS), HOARDING_PERIODS, 2, 1),
    ]
    assert hoarding_measures(PERIODS[:2], PEOPLE) == [
        Measure(Scope.MEMBER, str(ANA), HOARDING_PERIODS, 2, 1),
        Measure(Scope.MEMBER, str(BEN), HOARDING_PERIODS, 2, 1),
        Measure(Scope.ORGANISATION, "Alpha", HOARDING_PERIODS, 2, 2),
    ]


def test_no_periods_and_one_period_raise_nothing() -> None:
    assert hoarding_measures([], PEOPLE) == []
    assert hoarding_measures(PERIODS[:1], PEOPLE) == []


def test_people_not_present_are_ignored() -> None:
    assert hoarding_measures(PERIODS, []) == []


activities = st.builds(Activity, messages=st.integers(0, 6), replies_received=st.integers(0, 12))
period_lists = st.lists(
    st.dictionaries(st.integers(0, 5), activities, max_size=6), min_size=0, max_size=6
)
people_lists = st.lists(
    st.builds(Person, st.integers(0, 5), st.sampled_from(["A", "B", None])),
    unique_by=lambda person: person.user_id,
    max_size=6,
)


@SMALL
@given(period_lists, people_lists)
def test_runs_agree_with_the_flags_of_each_period(
    periods: list[dict[int, Activity]], people: list[Person]
) -> None:
    runs = person_runs(periods, people)
    for person in people:
        flags = [
            is_hoarding(p[person.user_id].given, p[person.user_id].received)
            if person.user_id in p
            else False
            for p in periods
        ]
        assert runs[person.user_id] == run_ending_now(flags)
    found = hoarding_measures(periods, people)
    assert all(m.value is not None and m.value >= 2 for m in found)
    assert all(m.metric == HOARDING_PERIODS for m in found)


@SMALL
@given(period_lists, people_lists)
def test_a_period_of_giving_ends_every_run(
    periods: list[dict[int, Activity]], people: list[Person]
) -> None:
    everyone_gives = {person.user_id: Activity(messages=1) for person in people}
    assert hoarding_measures([*periods, everyone_gives], people) == []


@SMALL
@given(period_lists, people_lists)
def test_one_more_period_of_hoarding_lengthens_every_run_by_one(
    periods: list[dict[int, Activity]], people: list[Person]
) -> None:
    everyone_hoards = {person.user_id: HOARDS for person in people}
    before = person_runs(periods, people)
    after = person_runs([*periods, everyone_hoards], people)
    assert after == {user_id: run + 1 for user_id, run in before.items()}
    before_organisations = organisation_runs(periods, people)
    after_organisations = organisation_runs([*periods, everyone_hoards], people)
    assert after_organisations == {name: run + 1 for name, run in before_organisations.items()}
