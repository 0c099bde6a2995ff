"""Figures as people read them: each metric's label, how its value is written (shares as
percentages, ratios with two decimals, counts with thousands separators), one sentence on what
it means, "fewer than N" where a group is too small to show, and the trend against the previous
period. One place, so Discord, the digest and the report say the same thing."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from bot.insights import (
    alliance,
    brokers,
    cafes,
    flows,
    hoarding,
    participation,
    questions,
    silos,
)
from bot.insights.compute import is_small_group
from bot.insights.values import Measure

NO_DATA = "no data"


class Form(Enum):
    """How a figure's value is written."""

    COUNT = "count"
    SHARE = "share"
    RATIO = "ratio"
    SIGNED = "signed"
    P_VALUE = "p_value"
    HOURS = "hours"
    MEAN = "mean"


@dataclass(frozen=True, slots=True)
class Reading:
    """How a metric is shown: its label, how its value is written, and one sentence on what it
    means and how it was computed."""

    label: str
    form: Form
    meaning: str


READINGS: dict[str, Reading] = {
    participation.MEMBERS: Reading(
        "Members",
        Form.COUNT,
        "People present in the community in the period (not bots, not opted out), silent "
        "ones included.",
    ),
    participation.CONTRIBUTIONS: Reading(
        "Contributions",
        Form.COUNT,
        "Everything members gave: messages (a reply, answer or resource counts once), "
        "tablecloth notes and harvest items.",
    ),
    participation.SHARE_SILENT: Reading(
        "Silent",
        Form.SHARE,
        "The share of members who gave nothing in the period: the community's own reading of "
        "Nielsen's 90-9-1 rule.",
    ),
    participation.GINI: Reading(
        "Gini",
        Form.RATIO,
        "How unevenly giving is spread, from 0 (everyone gave the same) towards 1 (one person "
        "gave everything): the Gini coefficient of each member's contributions, silent members "
        "counted as 0.",
    ),
    participation.TOP1_SHARE: Reading(
        "Top 1% share",
        Form.SHARE,
        "The share of all contributions made by the most active 1% of members (at least one "
        "person).",
    ),
    participation.TOP10_SHARE: Reading(
        "Top 10% share",
        Form.SHARE,
        "The share of all contributions made by the most active 10% of members (at least one "
        "person).",
    ),
    participation.ABSENCE_FACTOR: Reading(
        "Absence factor",
        Form.COUNT,
        "The fewest members who together made half of all contributions: if they left, half of "
        "what the community gives would leave with them.",
    ),
    participation.ELEPHANT_FACTOR: Reading(
        "Elephant factor",
        Form.COUNT,
        "The fewest organisations whose members together made half of the contributions of "
        "everyone with an organisation.",
    ),
    participation.GIVEN: Reading(
        "Given",
        Form.COUNT,
        "Messages, tablecloth notes and harvest items by the group's members.",
    ),
    participation.RECEIVED: Reading(
        "Received",
        Form.COUNT,
        "Replies and reactions by others to the group's messages.",
    ),
    participation.GIVE_RATIO: Reading(
        "Give ratio",
        Form.RATIO,
        "Given / (given + received): under 0.50 the group received more than it gave.",
    ),
    silos.EI_INDEX: Reading(
        "E-I",
        Form.SIGNED,
        "Krackhardt and Stern's E-I index, (E - I) / (E + I) with E the replies crossing the "
        "group's boundary and I those inside it: -1 when every reply stays inside, +1 when "
        "every reply crosses.",
    ),
    silos.EI_EXPECTED: Reading(
        "Expected",
        Form.SIGNED,
        "The E-I the group would have if replies were spread evenly over all pairs of people: "
        "it depends on the group's size only.",
    ),
    silos.EI_P_VALUE: Reading(
        "p-value",
        Form.P_VALUE,
        "The share of random reshufflings of the group labels (sizes kept, 1,000 or more) that "
        "gave an E-I as low as the one observed: small means unusually closed.",
    ),
    silos.INTERNAL_EDGES: Reading("Replies inside", Form.COUNT, "Replies inside the group."),
    silos.EXTERNAL_EDGES: Reading(
        "Replies across", Form.COUNT, "Replies with one end inside the group."
    ),
    flows.HORIZONTAL_EDGES: Reading(
        "Horizontal replies",
        Form.COUNT,
        "Replies between people at the same level: lessons travelling between peers.",
    ),
    flows.VERTICAL_EDGES: Reading(
        "Vertical replies",
        Form.COUNT,
        "Replies between people at different levels (local, intermediate, national, "
        "international).",
    ),
    flows.UNPLACED_EDGES: Reading(
        "Replies without a level",
        Form.COUNT,
        "Replies where at least one of the two people has no level in their profile.",
    ),
    flows.RECIPROCITY: Reading(
        "Reciprocity",
        Form.SHARE,
        "The share of reply ties (one person replying to another) that were answered in the "
        "other direction within the period.",
    ),
    brokers.BETWEENNESS: Reading(
        "Betweenness",
        Form.SHARE,
        "Freeman's betweenness: the share of shortest reply paths between two other people that "
        "pass through this person.",
    ),
    brokers.ORGANISATIONS_BRIDGED: Reading(
        "Organisations bridged",
        Form.COUNT,
        "The organisations this person exchanged replies with, their own included.",
    ),
    brokers.BROKERAGE_COORDINATOR: Reading(
        "Coordinator",
        Form.COUNT,
        "Paths from a member to a member through a member: brokering inside the organisation.",
    ),
    brokers.BROKERAGE_GATEKEEPER: Reading(
        "Gatekeeper",
        Form.COUNT,
        "Paths from outside to a member through a member: letting knowledge in.",
    ),
    brokers.BROKERAGE_REPRESENTATIVE: Reading(
        "Representative",
        Form.COUNT,
        "Paths from a member to outside through a member: carrying knowledge out.",
    ),
    brokers.BROKERAGE_CONSULTANT: Reading(
        "Consultant",
        Form.COUNT,
        "Paths between two people of one other organisation through a member.",
    ),
    brokers.BROKERAGE_LIAISON: Reading(
        "Liaison",
        Form.COUNT,
        "Paths between two other, different organisations through a member.",
    ),
    questions.QUESTIONS: Reading("Asked", Form.COUNT, "Questions asked in the period."),
    questions.RESPONSE_RATE: Reading(
        "Response rate",
        Form.SHARE,
        "The share of questions answered within 7 days (those asked less than 7 days ago and "
        "not yet answered are left out).",
    ),
    questions.MEDIAN_HOURS_TO_FIRST_ANSWER: Reading(
        "Median time to first answer",
        Form.HOURS,
        "The median time from a question to its first answer, over the answered questions.",
    ),
    questions.ANSWERS: Reading(
        "Answers", Form.COUNT, "Messages in the prompt's thread or replying to it."
    ),
    questions.ANSWERERS: Reading(
        "Answerers", Form.COUNT, "The distinct people who wrote those answers."
    ),
    cafes.TABLE_SILENCE: Reading(
        "Silence",
        Form.SHARE,
        "The share of the people seated at the table who posted nothing there.",
    ),
    cafes.TABLE_NOTES: Reading(
        "Notes", Form.COUNT, "Tablecloth notes and harvest items written at the table."
    ),
    cafes.CAFE_SILENCE: Reading(
        "Silent seats",
        Form.SHARE,
        "The share of seats, over all tables and rounds, whose person posted nothing.",
    ),
    cafes.MEAN_ORGANISATIONS_MET: Reading(
        "Organisations met",
        Form.MEAN,
        "On average per person, the organisations other than their own among the people they "
        "sat with.",
    ),
    cafes.MEAN_STAKEHOLDERS_MET: Reading(
        "Stakeholder groups met",
        Form.MEAN,
        "On average per person, the stakeholder groups other than their own among the people "
        "they sat with.",
    ),
    hoarding.HOARDING_PERIODS: Reading(
        "Periods in a row",
        Form.COUNT,
        "Consecutive periods up to this one in which they received replies or reactions but "
        "gave less than a fifth of all they gave and received (shown from 2 on).",
    ),
    # A learning alliance's platforms (``alliance``): counts of items between institutions.
    alliance.ITEMS_SENT: Reading(
        "Items sent",
        Form.COUNT,
        "Items this platform shared that reached a linked platform's inbox in the period, one "
        "per copy (a share to three platforms counts three).",
    ),
    alliance.ITEMS_RECEIVED: Reading(
        "Items received",
        Form.COUNT,
        "Copies of items shared by linked platforms that reached this platform's inbox.",
    ),
    alliance.RESPONSES_SENT: Reading(
        "Responses sent",
        Form.COUNT,
        "Messages posted here in the threads of items received, answering across the link.",
    ),
    alliance.RESPONSES_RECEIVED: Reading(
        "Responses received",
        Form.COUNT,
        "Messages posted by linked platforms in the threads of this platform's items.",
    ),
    alliance.ITEMS_SENT_UP: Reading(
        "Items sent up",
        Form.COUNT,
        "Items sent to a parent platform (vertical-up).",
    ),
    alliance.ITEMS_SENT_DOWN: Reading(
        "Items sent down",
        Form.COUNT,
        "Items sent to a child platform (vertical-down).",
    ),
    alliance.ITEMS_SENT_ACROSS: Reading(
        "Items sent across",
        Form.COUNT,
        "Items sent to a peer platform (horizontal).",
    ),
    alliance.SILENT_LINKS: Reading(
        "Silent links",
        Form.COUNT,
        "This platform's links that existed in the period and carried no item and no response "
        "either way.",
    ),
}


def reading_of(metric: str) -> Reading:
    """How ``metric`` is shown (a flow matrix cell, or a metric not described: its name)."""
    if metric in READINGS:
        return READINGS[metric]
    if metric.startswith(flows.REPLIES_TO):
        return Reading(metric, Form.COUNT, "Replies from the row's group to the column's group.")
    return Reading(metric, Form.RATIO, "")


def format_value(value: float, form: Form) -> str:
    """A value as the report writes it (module docstring)."""
    if form is Form.COUNT:
        return f"{round(value):,}"
    if form is Form.SHARE:
        percent = f"{value * 100:.1f}".removesuffix(".0")
        return f"{'0' if percent == '-0' else percent}%"
    if form is Form.SIGNED:
        return "0.00" if round(value, 2) == 0 else f"{value:+.2f}"
    if form is Form.P_VALUE:
        return f"{value:.3f}"
    if form is Form.HOURS:
        return f"{value:,.1f} h"
    if form is Form.MEAN:
        return f"{value:,.1f}"
    return f"{value:.2f}"


def number_text(metric: str, value: float) -> str:
    return format_value(value, reading_of(metric).form)


def measure_text(measure: Measure | None, min_group: int) -> str:
    """The value as shown: "fewer than N" for a group too small, "no data" when undefined."""
    if measure is None:
        return NO_DATA
    if measure.value is None:
        return f"fewer than {min_group}" if is_small_group(measure, min_group) else NO_DATA
    return number_text(measure.metric, measure.value)


def trend_text(metric: str, current: float | None, previous: float | None) -> str:
    """ "▲ from 12%" / "▼ from 0.40" / "= as before" (the same once written); empty when
    either value is missing."""
    if current is None or previous is None:
        return ""
    if number_text(metric, current) == number_text(metric, previous):
        return "= as before"
    arrow = "▲" if current > previous else "▼"
    return f"{arrow} from {number_text(metric, previous)}"
