"""The harvest and the tablecloth: the Markdown document, and Discord messages split to fit
without losing a word."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.cafe.harvest import (
    CONTINUED,
    MIN_SPLIT_LIMIT,
    Harvest,
    HarvestItem,
    Section,
    TableTurnout,
    _continued_heading,
    harvest_markdown,
    harvest_messages,
    split_for_discord,
    tablecloth_messages,
)
from bot.text import ZERO_WIDTH_SPACE

LINK = "https://discord.com/channels/1/2/3"


def _cafe(**changes: object) -> Harvest:
    items = (
        HarvestItem(1, 1, "Ana", "Funding follows projects.\nLearning gets no budget."),
        HarvestItem(1, 1, "Ben", "Ask donors to budget for knowledge management."),
        HarvestItem(
            1, 2, "a participant", "Resource centres as spiders", is_insight=True, link=LINK
        ),
        HarvestItem(2, 1, "Cy", "Sharing knowledge gives power, say KM4Dev."),
    )
    turnout = (
        TableTurnout(1, 1, seated=5, posted=4, host="Ana"),
        TableTurnout(1, 2, seated=4, posted=2),
        TableTurnout(2, 1, seated=5, posted=5, host="Ana"),
        TableTurnout(2, 2, seated=4, posted=0),
    )
    fields: dict[str, object] = {
        "title": "Sector learning café",
        "questions": ("How do we fund learning?", "Why do people hold on to knowledge?"),
        "rounds_held": 2,
        "tables": 2,
        "items": items,
        "turnout": turnout,
        "reflection_link": "https://discord.com/channels/1/2/9",
        "held_on": "Tuesday 3 June 2025",
    }
    fields.update(changes)
    return Harvest(**fields)  # type: ignore[arg-type]


# --- the Markdown document ---------------------------------------------------------------------


def test_the_document_opens_with_title_date_and_questions() -> None:
    text = harvest_markdown(_cafe())
    assert text.startswith("# Harvest · Sector learning café\n")
    assert "Held on Tuesday 3 June 2025 · 2 rounds · 2 tables" in text
    assert "- Round 1: How do we fund learning?" in text
    assert "- Round 2: Why do people hold on to knowledge?" in text


def test_rounds_and_tables_come_in_order_with_their_questions() -> None:
    text = harvest_markdown(_cafe())
    headings = re.findall(r"^#{2,3} .*$", text, flags=re.MULTILINE)
    assert headings == [
        "## Round 1",
        "### Round 1 · Table 1",
        "### Round 1 · Table 2",
        "## Round 2",
        "### Round 2 · Table 1",
        "### Round 2 · Table 2",
        "## Participation",
        "## Reflection",
    ]
    assert "## Round 2\n> Why do people hold on to knowledge?" in text


def test_each_table_shows_host_and_turnout_with_silence() -> None:
    text = harvest_markdown(_cafe())
    assert "### Round 1 · Table 1\nHost: Ana · 5 seated, 4 posted, 1 silent" in text
    assert "### Round 1 · Table 2\nNo host · 4 seated, 2 posted, 2 silent" in text
    assert "### Round 2 · Table 2\nNo host · 4 seated, 0 posted, 4 silent" in text


def test_notes_keep_their_author_and_every_line_quoted() -> None:
    text = harvest_markdown(_cafe())
    assert (
        "**Tablecloth**\n> **Ana:** Funding follows projects.\n> Learning gets no budget." in text
    )
    # A blank line between notes keeps each one its own quote, in Discord and in Markdown.
    assert "no budget.\n\n> **Ben:** Ask donors" in text


def test_insights_keep_their_author_and_link() -> None:
    text = harvest_markdown(_cafe())
    assert (
        "**Insights**\n> **a participant:** Resource centres as spiders\n"
        f"> [Original message](<{LINK}>)"
    ) in text


def test_notes_and_insights_of_a_table_are_one_blank_line_apart() -> None:
    both = _cafe(
        items=(
            HarvestItem(1, 1, "Ana", "Funding follows projects."),
            HarvestItem(1, 1, "Ben", "Share the budget lines", is_insight=True, link=LINK),
        )
    )
    text = harvest_markdown(both)
    assert "\n\n\n" not in text
    assert "Funding follows projects.\n\n**Insights**" in text


def test_a_table_without_notes_says_so_rather_than_vanish() -> None:
    text = harvest_markdown(_cafe())
    table_2_2 = text.split("### Round 2 · Table 2\n", 1)[1].split("\n## ", 1)[0]
    assert "No notes from this table." in table_2_2
    assert "No notes" not in text.split("### Round 1 · Table 2", 1)[0]  # table 1·1 has notes


def test_a_table_without_turnout_says_so() -> None:
    text = harvest_markdown(_cafe(turnout=()))
    assert text.count("Turnout not recorded.") == 4
    assert "- No seating was recorded." in text


def test_participation_sums_every_table() -> None:
    text = harvest_markdown(_cafe())
    assert "- 18 seats taken over all rounds and tables: 11 posted at least once (61 %)" in text
    assert "7 stayed silent." in text
    assert "- 3 tablecloth notes and 1 insight." in text


def test_the_reflection_is_linked_or_announced() -> None:
    assert "[Reflection thread](<https://discord.com/channels/1/2/9>)" in harvest_markdown(_cafe())
    assert "**Reflection** thread" in harvest_markdown(_cafe(reflection_link=None))


def test_rounds_not_held_are_said_and_their_tables_left_out() -> None:
    text = harvest_markdown(_cafe(rounds_held=1, items=(), turnout=()))
    assert "1 of 2 rounds held · 2 tables" in text
    assert "## Round 2" not in text
    assert "- Round 2: Why do people hold on to knowledge?" in text


def test_a_date_is_optional() -> None:
    assert "Held on" not in harvest_markdown(_cafe(held_on=None))
    assert "\n2 rounds · 2 tables\n" in harvest_markdown(_cafe(held_on=None))


def test_nothing_recorded_outside_the_grid_is_dropped() -> None:
    items = (
        HarvestItem(3, 7, "Dee", "A note from a table beyond the plan"),
        HarvestItem(0, 0, "Eve", "Marked in the café channel", is_insight=True, link=LINK),
    )
    text = harvest_markdown(_cafe(items=items))
    assert "### Round 3 · Table 7" in text
    assert "A note from a table beyond the plan" in text
    assert "## Insights from elsewhere in the café\n> **Eve:** Marked in the café channel" in text


def test_names_are_escaped_and_blank_names_shown_as_a_participant() -> None:
    items = (HarvestItem(1, 1, "jo_smith", "a"), HarvestItem(1, 1, "  ", "b"))
    text = harvest_markdown(_cafe(items=items))
    assert r"> **jo\_smith:** a" in text
    assert "> **a participant:** b" in text


def test_the_document_keeps_words_exactly_and_messages_do_not_ping() -> None:
    items = (HarvestItem(1, 1, "Ana", "Tell @everyone and @here"),)
    cafe = _cafe(items=items, title="@everyone café")
    assert "Tell @everyone and @here" in harvest_markdown(cafe)
    messages = "\n".join(harvest_messages(cafe))
    assert "@everyone" not in messages
    assert "@here" not in messages
    assert f"Tell @{ZERO_WIDTH_SPACE}everyone and @{ZERO_WIDTH_SPACE}here" in messages


# --- the harvest as messages -------------------------------------------------------------------


def test_a_small_harvest_is_one_message_holding_the_whole_document() -> None:
    cafe = _cafe()
    messages = harvest_messages(cafe)
    assert len(messages) == 1
    assert messages[0] == harvest_markdown(cafe).rstrip("\n")


def test_messages_split_between_tables_when_tables_fit() -> None:
    messages = harvest_messages(_cafe(), limit=300)
    assert len(messages) > 1
    for message in messages:
        assert len(message) <= 300
        assert message.startswith("#"), "each message starts at a heading"
        assert CONTINUED not in message


def test_a_long_table_continues_under_its_heading() -> None:
    notes = tuple(HarvestItem(1, 1, f"Member {n}", "word " * 60) for n in range(40))
    messages = harvest_messages(_cafe(items=notes))
    assert all(len(message) <= 2000 for message in messages)
    continued = [m for m in messages if m.startswith("### Round 1 · Table 1 (continued)\n")]
    assert len(continued) >= 5
    # Lines are not broken when they fit: every note appears whole in one message.
    for n in range(40):
        assert any(f"> **Member {n}:** {'word ' * 59}word" in m for m in messages)


def test_a_large_cafe_stays_within_discord_limits() -> None:
    items = tuple(
        HarvestItem(r, t, f"Person {r}-{t}", f"Note for table {t} in round {r}. " * 5)
        for r in range(1, 5)
        for t in range(1, 101)
    )
    turnout = tuple(
        TableTurnout(r, t, 10, 7, f"Host {t}") for r in range(1, 5) for t in range(1, 101)
    )
    cafe = _cafe(items=items, turnout=turnout, rounds_held=4, tables=100, questions=("Why?",) * 4)
    messages = harvest_messages(cafe)
    assert all(len(message) <= 2000 for message in messages)
    joined = "\n".join(messages)
    assert all(
        f"Note for table {t} in round {r}." in joined for r, t in [(1, 1), (4, 100), (2, 57)]
    )


# --- the tablecloth ----------------------------------------------------------------------------


def test_no_earlier_notes_means_no_tablecloth() -> None:
    assert tablecloth_messages(1, 1, _cafe().items) == []
    assert tablecloth_messages(2, 2, _cafe().items) == [], "table 2 only has an insight"
    assert tablecloth_messages(3, 5, _cafe().items) == []


def test_the_tablecloth_shows_this_tables_earlier_notes_by_round() -> None:
    items = (
        *_cafe().items,
        HarvestItem(1, 2, "Zed", "Another table's note"),
        HarvestItem(3, 1, "Now", "This round's own note"),
    )
    (message,) = tablecloth_messages(3, 1, items)
    assert message.startswith("## The tablecloth so far · Table 1\n")
    round_1 = message.index("### Round 1\n")
    round_2 = message.index("### Round 2\n")
    assert round_1 < message.index("**Ana:**") < message.index("**Ben:**") < round_2
    assert round_2 < message.index("**Cy:** Sharing knowledge gives power")
    assert "Another table" not in message
    assert "This round's own note" not in message
    assert "Resource centres" not in message  # an insight, not a note
    assert "> **Ana:** Funding follows projects.\n> Learning gets no budget." in message


def test_a_long_tablecloth_splits_and_does_not_ping() -> None:
    notes = tuple(HarvestItem(1, 4, "Ana", f"@here point {n}: " + "idea " * 80) for n in range(12))
    messages = tablecloth_messages(2, 4, notes, limit=500)
    assert len(messages) > 5
    assert all(len(message) <= 500 for message in messages)
    joined = "\n".join(messages)
    assert "@here" not in joined
    assert all(f"point {n}:" in joined for n in range(12))


# --- the splitter ------------------------------------------------------------------------------


def test_limits_below_a_heading_and_a_few_words_are_refused() -> None:
    with pytest.raises(ValueError):
        split_for_discord([Section("# A", ("b",))], MIN_SPLIT_LIMIT - 1)


def test_no_sections_give_no_messages() -> None:
    assert split_for_discord([], 2000) == []


def test_sections_share_a_message_while_they_fit() -> None:
    sections = [
        Section("## A", ("a" * 40,)),
        Section("## B", ("b" * 40,)),
        Section("## C", ("cc",)),
    ]
    assert split_for_discord(sections, 100) == [
        f"## A\n{'a' * 40}\n\n## B\n{'b' * 40}",
        "## C\ncc",
    ]


def test_a_quoted_line_stays_quoted_when_broken_between_words() -> None:
    line = "> " + " ".join(f"w{n:03}" for n in range(100))
    messages = split_for_discord([Section("### T", (line,))], 120)
    assert len(messages) > 3
    for message in messages[1:]:
        heading, *body = message.split("\n")
        assert heading == "### T (continued)"
        assert all(part.startswith("> w") for part in body)
    words = " ".join(messages).split()
    assert [w for w in words if w.startswith("w")] == [f"w{n:03}" for n in range(100)]


def test_a_word_longer_than_a_message_is_broken_inside_itself() -> None:
    messages = split_for_discord([Section("### T", ("x" * 1000,))], 200)
    assert all(len(m) <= 200 for m in messages)
    assert "".join(m.replace("### T (continued)\n", "") for m in messages) == "### T\n" + "x" * 1000


def test_a_heading_longer_than_a_message_is_kept_and_shortened_when_repeated() -> None:
    heading = "# " + "title " * 100
    messages = split_for_discord([Section(heading, ("body",))], 150)
    assert all(len(m) <= 150 for m in messages)
    assert all(len(m.split("\n")[0]) <= 75 for m in messages[1:])
    assert messages[1].split("\n")[0].endswith("…" + CONTINUED)
    assert _content(messages, [Section(heading, ("body",))], 150) == _chars(heading + "body")


# Hypothesis: any sections, any limit from the smallest allowed: every message fits, and the
# messages hold every character of the sections in order. Whitespace, the quote marks a broken
# quoted line repeats, and the repeated "(continued)" headings are all the splitter adds.

_alphabet = st.sampled_from([*"abcxyz ", "  ", "\n", "> ", "#", "**", "_", "@everyone", "é"])
# Hypothesis favours small values, so long texts get a minimum size of their own; long runs are
# built by repetition, which is much cheaper to draw than character by character.
_texts = st.one_of(
    st.lists(_alphabet, max_size=40).map("".join),
    st.tuples(st.lists(_alphabet, min_size=10, max_size=60), st.integers(2, 12)).map(
        lambda parts: "".join(parts[0]) * parts[1]
    ),
    st.tuples(st.text("xyz", min_size=1, max_size=9), st.integers(20, 400)).map(
        lambda run: run[0] * run[1]  # no spaces at all
    ),
    st.tuples(
        st.lists(st.text("abc", min_size=1, max_size=12), min_size=2, max_size=9),
        st.integers(5, 40),
    ).map(lambda words: " ".join(words[0] * words[1])),
)
_headings = st.one_of(
    st.sampled_from(["# Harvest · café", "## Round 1", "### Round 2 · Table 10", "#"]),
    st.tuples(st.text(st.sampled_from("abc #·"), min_size=1, max_size=9), st.integers(1, 60))
    .map(lambda run: run[0] * run[1])
    .filter(str.strip),
)
_sections = st.lists(
    st.builds(lambda h, lines: Section(h, tuple(lines)), _headings, st.lists(_texts, max_size=5)),
    max_size=6,
)
_limits = st.one_of(st.integers(MIN_SPLIT_LIMIT, 400), st.sampled_from([2000]))


def _chars(text: str) -> str:
    return re.sub(r"[\s>]", "", text)


def _content(messages: list[str], sections: list[Section], limit: int) -> str:
    repeated = {_continued_heading(section.heading, limit) for section in sections}
    kept = []
    for message in messages:
        first, _, rest = message.partition("\n")
        kept.append(rest if first in repeated else message)
    return _chars("".join(kept))


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_sections, _limits)
def test_split_respects_the_limit_and_keeps_everything_in_order(
    sections: list[Section], limit: int
) -> None:
    messages = split_for_discord(sections, limit)
    assert all(0 < len(message) <= limit for message in messages)
    assert all(message.strip() for message in messages)
    assert _content(messages, sections, limit) == _chars("".join(s.render() for s in sections))


_notes = st.builds(
    HarvestItem,
    round_number=st.integers(0, 3),
    table_number=st.integers(0, 4),
    author=st.sampled_from(["Ana", "a participant", "jo_smith", "@here"]),
    text=_texts,
    is_insight=st.booleans(),
    link=st.sampled_from([None, LINK]),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_notes, max_size=25), st.integers(MIN_SPLIT_LIMIT + 100, 2000))
def test_harvest_messages_are_the_document_split_without_loss(
    items: list[HarvestItem], limit: int
) -> None:
    cafe = _cafe(items=tuple(items))
    messages = harvest_messages(cafe, limit)
    assert all(len(message) <= limit for message in messages)
    joined = "\n".join(messages)
    assert "@everyone" not in joined and "@here" not in joined
    continued = re.compile(r"^#+ .*\(continued\)$")
    kept = [
        "\n".join(line for line in m.split("\n") if not continued.match(line)) for m in messages
    ]
    document = harvest_markdown(cafe)
    assert _chars("".join(kept)).replace(ZERO_WIDTH_SPACE, "") == _chars(document)


_worded_notes = st.builds(
    HarvestItem,
    round_number=st.integers(1, 2),
    table_number=st.integers(1, 2),
    author=st.just("Ana"),
    text=st.lists(
        st.text(st.sampled_from("abcdefgh@"), min_size=1, max_size=12),
        max_size=120,
    ).map(lambda words: " ".join(words).replace("a b", "a\nb")),
    is_insight=st.booleans(),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_worded_notes, min_size=1, max_size=15), st.integers(200, 600))
def test_every_word_of_every_note_appears_whole(items: list[HarvestItem], limit: int) -> None:
    cafe = _cafe(items=tuple(items))
    joined = "\n".join(harvest_messages(cafe, limit)).replace(ZERO_WIDTH_SPACE, "")
    tokens = set(joined.split())
    for item in items:
        for word in item.text.split():
            assert word in tokens
    # The tablecloth for round 2 at table 1: that table's round-1 notes, word for word, in order
    # (the words of the frame around them have capitals or punctuation; note words have none).
    shown = [i for i in items if (i.round_number, i.table_number, i.is_insight) == (1, 1, False)]
    tablecloth = "\n".join(tablecloth_messages(2, 1, items, limit))
    assert [word for note in shown for word in note.text.split()] == [
        word for word in tablecloth.split() if re.fullmatch(r"[a-h@]+", word)
    ]
