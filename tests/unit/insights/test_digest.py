"""The digest's text (bot/insights/digest.py) from figures computed on small hand-made
communities: the headline figures with their trends, the alerts (and who they never name), the
period a digest covers, its nonce."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.communities import CommunitySettings
from bot.insights import silos
from bot.insights.compute import CommunityData, compute, suppressed
from bot.insights.digest import (
    NAMED_PER_ALERT,
    NONCE_LENGTH,
    WHEN_TEXTS,
    Frequency,
    digest_alerts,
    digest_fields,
    digest_nonce,
    digest_period,
    frequency_of,
)
from bot.insights.service import CommunityInsights
from bot.insights.values import Activity, Asked, Person, QuestionAsked, Reply, Scope
from bot.periods import Period
from bot.scheduling.when import parse_when

ZONE = "Europe/Amsterdam"
MIN_GROUP = 3
NOW = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)  # Monday 09:00 in Amsterdam
WEEK = Period(date(2026, 11, 23), date(2026, 11, 29))

QUIET = [710000000000000001 + i for i in range(3)]  # gave before, nothing now
CLOSED = [720000000000000001 + i for i in range(4)]  # replies only among itself
KEEPER = [730000000000000001 + i for i in range(3)]  # receives, hardly gives
DUO = [740000000000000001 + i for i in range(2)]  # silent and hoarding, but only two people
OPEN = [750000000000000001 + i for i in range(4)]  # no organisation

PEOPLE = [
    *(Person(u, "Quiet Co") for u in QUIET),
    *(Person(u, "Closed Co") for u in CLOSED),
    *(Person(u, "Keeper Ltd") for u in KEEPER),
    *(Person(u, "Duo") for u in DUO),
    *(Person(u) for u in OPEN),
]
NOW_ACTIVITY = {
    **{u: Activity(messages=3, replies=3, replies_received=3) for u in CLOSED},
    KEEPER[0]: Activity(replies_received=2, reactions_received=3),
    KEEPER[1]: Activity(replies_received=2),
    KEEPER[2]: Activity(messages=1, replies_received=2),
    DUO[0]: Activity(reactions_received=5),
    OPEN[0]: Activity(messages=3, replies=3, replies_received=1),
    OPEN[1]: Activity(messages=2, replies=2),
    OPEN[2]: Activity(messages=2, replies=2, replies_received=1),
    OPEN[3]: Activity(messages=1, replies=1),
}
BEFORE_ACTIVITY = {
    QUIET[0]: Activity(messages=2),
    QUIET[1]: Activity(messages=1),
    DUO[0]: Activity(messages=1, reactions_received=9),
    KEEPER[0]: Activity(reactions_received=4),
    KEEPER[1]: Activity(messages=1, replies_received=6),
    CLOSED[0]: Activity(messages=5),
    OPEN[0]: Activity(messages=6),
}
REPLIES = [
    Reply(CLOSED[0], CLOSED[1], 3),
    Reply(CLOSED[1], CLOSED[2], 3),
    Reply(CLOSED[2], CLOSED[3], 3),
    Reply(CLOSED[3], CLOSED[0], 3),
    Reply(OPEN[0], KEEPER[0], 2),
    Reply(OPEN[1], KEEPER[1], 2),
    Reply(OPEN[2], KEEPER[2], 2),
    Reply(OPEN[3], OPEN[0], 1),
    Reply(OPEN[0], OPEN[2], 1),
]
ASKED = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
PROMPTS = [
    QuestionAsked(Asked.PROMPT, 11, ASKED, ASKED + timedelta(hours=4), 3, 2),
    QuestionAsked(Asked.PROMPT, 12, ASKED + timedelta(days=1), None, 0, 0),
    QuestionAsked(Asked.PROMPT, 13, ASKED + timedelta(days=2), None, 0, 0),
]


def insights_of(
    data: CommunityData,
    before: Mapping[int, Activity],
    *,
    period: Period = WEEK,
    min_group: int = MIN_GROUP,
) -> CommunityInsights:
    """What the service would hand over: the figures, small groups suppressed, and the previous
    period's values (computed and suppressed the service's way) for the trends."""
    figures = compute(data, now=NOW, min_group=min_group, earlier=[before])
    earlier = compute(
        CommunityData(people=data.people, activity=before, replies=[]),
        now=NOW - timedelta(days=7),
        min_group=min_group,
        networks=False,
    )
    return CommunityInsights(
        community=CommunitySettings(1, "Delta CoP", ZONE, None, None, None, min_group),
        period=period,
        figures=figures,
        shown=tuple(suppressed(figures.measures, min_group)),
        previous={(m.scope, m.group, m.metric): m.value for m in suppressed(earlier.measures, 3)},
        visible_names={},
    )


def staged() -> CommunityInsights:
    return insights_of(
        CommunityData(people=PEOPLE, activity=NOW_ACTIVITY, replies=REPLIES, questions=PROMPTS),
        BEFORE_ACTIVITY,
    )


# --- the headline figures ----------------------------------------------------------------------


def test_headline_figures_with_their_trends() -> None:
    # 16 people, now and before.
    # Given now: Closed 4 x 3 = 12, Keeper 1, Open 3 + 2 + 2 + 1 = 8: 21. Before: 2 + 1 + 1 + 1
    # + 5 + 6 = 16.
    # Silent now: Quiet 3, Keeper 2, Duo 2 = 7 of 16 = 43.75%; before 16 - 6 givers = 10 of 16
    # = 62.5%.
    # Gini now, x ascending: seven 0s, 1, 1, 2, 2, 3, 3, 3, 3, 3 (n = 16, S = 21); the weights
    # 2i - n - 1 for i = 8..16 are -1, 1, 3, 5, 7, 9, 11, 13, 15:
    # (-1 + 1 + 6 + 10 + 3 * (7 + 9 + 11 + 13 + 15)) / (16 * 21) = 181 / 336 = 0.539 -> 0.54.
    # Before: ten 0s, 1, 1, 1, 2, 5, 6 (S = 16), weights for i = 11..16 are 5, 7, 9, 11, 13, 15:
    # (5 + 7 + 9 + 22 + 65 + 90) / (16 * 16) = 198 / 256 = 0.773 -> 0.77.
    # Reciprocity: 9 ties, none answered back: 0%; before there were no replies: no trend.
    # Prompts: #11 answered within 4 hours; #12 and #13 not answered, and less than 7 days old
    # on 30 November, so still open: they count neither way, 1 of 1 = 100% (no prompts before:
    # no trend). Answered so far: 1 of the 3.
    assert digest_fields(staged()) == [
        ("Members", "16 = as before"),
        ("Contributions", "21 ▲ from 16"),
        ("Silent", "43.8% ▼ from 62.5%"),
        ("Inequality (Gini)", "0.54 ▼ from 0.77"),
        ("Replies answered back", "0%"),
        ("Prompts answered in a week", "100%"),
        ("Prompts answered so far", "1 of 3"),
    ]


def test_a_community_smaller_than_the_minimum_group_shows_no_figure() -> None:
    # Two people: every community figure about people is over fewer than 3 of them; the
    # prompts' figures count prompts, and there are none.
    people = [Person(1), Person(2)]
    found = insights_of(
        CommunityData(people=people, activity={1: Activity(messages=4)}, replies=[]),
        {2: Activity(messages=1)},
    )
    assert digest_fields(found) == [
        ("Members", "fewer than 3"),
        ("Contributions", "fewer than 3"),
        ("Silent", "fewer than 3"),
        ("Inequality (Gini)", "fewer than 3"),
        ("Replies answered back", "fewer than 3"),
        ("Prompts answered in a week", "no data"),
        ("Prompts answered so far", "none posted"),
    ]
    assert digest_alerts(found) == []


# --- alerts ------------------------------------------------------------------------------------


def test_alerts_name_organisations_and_prompts_never_people_nor_small_groups() -> None:
    found = staged()
    closed = [
        found.value(Scope.ORGANISATION, "Closed Co", metric)
        for metric in (silos.EI_INDEX, silos.EI_EXPECTED, silos.EI_P_VALUE)
    ]
    assert [m.value for m in closed[:2] if m is not None] == [-1.0, 84 / 108]
    p_value = closed[2].value if closed[2] is not None else None
    assert p_value is not None and p_value < silos.SIGNIFICANCE
    # Quiet Co gave 3 before and 0 now. Duo went from 1 to 0 as well, but has 2 people.
    # Prompts 12 and 13 have no answerer. Keeper Ltd: before g = 1, r = 4 + 6 = 10 (4 * 1 < 10);
    # now g = 1, r = 5 + 2 + 2 = 9 (4 < 9): hoarding 2 periods in a row. Duo hoards as well
    # (1 and 9, then 0 and 5) and is too small to name. Closed Co: 12 replies inside, none
    # across: E-I = (0 - 12) / 12 = -1; expected for 4 of 16 people:
    # (2 * 4 * 12 - 4 * 3) / (2 * 4 * 12 + 4 * 3) = 84 / 108 = +0.78.
    assert digest_alerts(found) == [
        "🔇 **Went silent**: Quiet Co: its people gave something in the period before and "
        "nothing in this one.",
        "❓ **Unanswered prompts**: 2 of the 3 prompts posted in the period have no answer "
        "yet (prompt 12, prompt 13).",
        "🫙 **Hoarding signal**: Keeper Ltd (2 periods in a row): received replies and reactions "
        "but gave less than a fifth of all they gave and received.",
        f"🧱 **Silos**: Closed Co (E-I -1.00, expected +0.78, p = {p_value:.3f}): their replies "
        "stay inside far more than random mixing would make them, and rarely so by chance.",
    ]
    text = "\n".join(digest_alerts(found))
    assert "Duo" not in text
    assert not any(str(u) in text for u in (*QUIET, *CLOSED, *KEEPER, *DUO, *OPEN))


def test_a_raised_minimum_group_hides_the_organisations_below_it() -> None:
    # With 4 as the minimum, only Closed Co (4 people) may still be named.
    found = insights_of(
        CommunityData(people=PEOPLE, activity=NOW_ACTIVITY, replies=REPLIES, questions=PROMPTS),
        BEFORE_ACTIVITY,
        min_group=4,
    )
    alerts = digest_alerts(found)
    assert [alert.split("**")[1] for alert in alerts] == ["Unanswered prompts", "Silos"]
    assert "Quiet Co" not in "".join(alerts) and "Keeper Ltd" not in "".join(alerts)


def test_nothing_to_flag_gives_no_alert() -> None:
    # Three people of one organisation replying to each other in a ring, giving as much as they
    # receive: nobody went silent, no prompt, no hoarding, and a group that is everyone cannot
    # be more closed than chance.
    people = [Person(u, "Ring") for u in (1, 2, 3)]
    activity = {u: Activity(messages=2, replies=2, replies_received=2) for u in (1, 2, 3)}
    replies = [Reply(1, 2, 2), Reply(2, 3, 2), Reply(3, 1, 2)]
    found = insights_of(
        CommunityData(people=people, activity=activity, replies=replies), dict(activity)
    )
    assert digest_alerts(found) == []


def test_a_long_list_names_the_first_ten_and_counts_the_rest() -> None:
    # Twelve organisations of three people each gave one message each before and nothing now.
    names = [f"Org {chr(ord('A') + i)}" for i in range(12)]
    people = [Person(100 * i + j, name) for i, name in enumerate(names) for j in range(3)]
    before = {person.user_id: Activity(messages=1) for person in people}
    found = insights_of(CommunityData(people=people, activity={}, replies=[]), before)
    assert digest_alerts(found) == [
        f"🔇 **Went silent**: {', '.join(names[:NAMED_PER_ALERT])} and 2 more: their people gave "
        "something in the period before and nothing in this one."
    ]


def test_organisation_names_cannot_format_the_message() -> None:
    people = [Person(u, "*Bold* _Co_") for u in (1, 2, 3)]
    found = insights_of(
        CommunityData(people=people, activity={}, replies=[]), {1: Activity(messages=1)}
    )
    assert digest_alerts(found)[0].startswith(r"🔇 **Went silent**: \*Bold\* \_Co\_: its people")


# --- the period, the schedule, the nonce -------------------------------------------------------


def test_a_weekly_digest_covers_monday_to_sunday_before_the_monday_it_is_due() -> None:
    assert digest_period(Frequency.WEEKLY, NOW, ZONE) == WEEK
    # 00:30 on Monday in Amsterdam is still Sunday in UTC: the local day counts.
    just_after_midnight = datetime(2026, 11, 29, 23, 30, tzinfo=UTC)
    assert digest_period(Frequency.WEEKLY, just_after_midnight, ZONE) == WEEK


def test_a_monthly_digest_covers_the_calendar_month_before() -> None:
    due = datetime(2027, 1, 1, 8, 0, tzinfo=UTC)
    assert digest_period(Frequency.MONTHLY, due, ZONE) == Period(
        date(2026, 12, 1), date(2026, 12, 31)
    )
    march = datetime(2027, 3, 1, 8, 0, tzinfo=UTC)
    assert digest_period(Frequency.MONTHLY, march, ZONE) == Period(
        date(2027, 2, 1), date(2027, 2, 28)
    )


def test_each_frequency_has_a_schedule_that_reads_back_as_itself() -> None:
    for frequency, text in WHEN_TEXTS.items():
        when = parse_when(text, ZONE, now=NOW)
        assert when.text == text and when.is_recurring
        assert frequency_of(when.text) is frequency
        due = when.next_after(NOW)
        assert due is not None
        local = due.astimezone(ZoneInfo(ZONE))
        assert (local.hour, local.minute) == (9, 0)
        assert local.weekday() == 0 if frequency is Frequency.WEEKLY else local.day == 1
    assert frequency_of("daily 09:00") is None


def test_the_nonce_is_one_per_firing() -> None:
    nonce = digest_nonce(7, NOW)
    assert len(nonce) == NONCE_LENGTH and nonce.startswith("digest-")
    # The same instant written in another zone is the same firing.
    assert digest_nonce(7, NOW.astimezone(ZoneInfo(ZONE))) == nonce
    assert digest_nonce(8, NOW) != nonce
    assert digest_nonce(7, NOW + timedelta(microseconds=1)) != nonce


moments = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)
zones = st.sampled_from(["UTC", ZONE, "America/New_York", "Pacific/Kiritimati", "Asia/Kolkata"])


@settings(max_examples=200, deadline=None)
@given(due=moments, zone=zones)
def test_a_weekly_period_is_the_seven_days_before_the_local_day(due: datetime, zone: str) -> None:
    period = digest_period(Frequency.WEEKLY, due, zone)
    day = due.astimezone(ZoneInfo(zone)).date()
    assert period.days == 7 and period.until == day - timedelta(days=1)


@settings(max_examples=200, deadline=None)
@given(due=moments, zone=zones)
def test_a_monthly_period_is_one_whole_month_before_the_local_day(due: datetime, zone: str) -> None:
    period = digest_period(Frequency.MONTHLY, due, zone)
    day = due.astimezone(ZoneInfo(zone)).date()
    assert period.since is not None and period.until is not None
    assert period.since.day == 1 and (period.until + timedelta(days=1)) == day.replace(day=1)


@settings(max_examples=200, deadline=None)
@given(schedule_id=st.integers(min_value=1, max_value=2**63 - 1), due=moments)
def test_every_nonce_fits_discord_and_repeats_for_the_same_firing(
    schedule_id: int, due: datetime
) -> None:
    nonce = digest_nonce(schedule_id, due)
    assert len(nonce) == NONCE_LENGTH and nonce == digest_nonce(schedule_id, due)
