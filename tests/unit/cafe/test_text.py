"""The café's words: questions, thread names, etiquette, durations and the messages of a round."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.cafe.text import (
    CAFE_ETIQUETTE,
    MAX_QUESTION_LENGTH,
    MAX_ROUND_MINUTES,
    MAX_ROUNDS,
    MAX_THREAD_NAME,
    check_round_minutes,
    check_rounds,
    etiquette_text,
    format_minutes,
    format_seat_summary,
    questions_text,
    quote,
    reflection_thread_name,
    round_briefing,
    round_closed_text,
    round_warning,
    split_questions,
    table_thread_name,
)
from bot.errors import BadInput
from bot.text import (
    INVISIBLE,
    ZERO_WIDTH_SPACE,
    escape_markdown,
    has_visible,
    neutralise_mentions,
    shorten,
)

QUESTION = "How do we fund knowledge management when donors only pay for projects?"

# --- questions ---------------------------------------------------------------------------------


def test_one_question_serves_every_round() -> None:
    assert split_questions(QUESTION, 3) == (QUESTION, QUESTION, QUESTION)


def test_one_question_per_round_separated_by_bars() -> None:
    assert split_questions("What works? | What fails?|What next?", 3) == (
        "What works?",
        "What fails?",
        "What next?",
    )


def test_questions_are_trimmed_and_put_on_one_line() -> None:
    assert split_questions("  What   works\n here?  |\tWhy? ", 2) == ("What works here?", "Why?")


def test_a_single_round_takes_a_single_question() -> None:
    assert split_questions("Why share?", 1) == ("Why share?",)


def _bad(text: str, rounds: int) -> BadInput:
    with pytest.raises(BadInput) as raised:
        split_questions(text, rounds)
    error = raised.value
    assert error.problem and error.fix, "every refusal says what is wrong and how to fix it"
    return error


@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
def test_empty_questions_are_refused(text: str) -> None:
    assert "empty" in _bad(text, 2).problem


@pytest.mark.parametrize("text", ["a||b", "|a|b", "a|b|", "a| |b"])
def test_an_empty_question_between_bars_is_refused(text: str) -> None:
    error = _bad(text, 3)
    assert "empty" in error.problem
    assert "|" in error.fix


def test_the_empty_question_is_named_by_its_place() -> None:
    assert "Question 2 of 3" in _bad("a||b", 3).problem


@pytest.mark.parametrize(("text", "rounds", "given"), [("a|b", 3, 2), ("a|b|c|d", 3, 4)])
def test_a_count_neither_one_nor_the_rounds_is_refused(text: str, rounds: int, given: int) -> None:
    error = _bad(text, rounds)
    assert f"{given} questions for {rounds} rounds" in error.problem
    assert f"exactly {rounds}" in error.fix


def test_two_questions_for_one_round_are_refused() -> None:
    assert "for 1 round." in _bad("a|b", 1).problem


def test_the_longest_question_allowed_passes_and_one_more_character_does_not() -> None:
    longest = "x" * MAX_QUESTION_LENGTH
    assert split_questions(longest, 2) == (longest, longest)
    error = _bad(f"short|{longest}y", 2)
    assert f"Question 2 is {MAX_QUESTION_LENGTH + 1} characters" in error.problem


def test_length_is_counted_after_spaces_are_collapsed() -> None:
    padded = "a" + " " * 400 + "b"
    assert split_questions(padded, 1) == ("a b",)


@pytest.mark.parametrize("rounds", [0, -1, MAX_ROUNDS + 1])
def test_rounds_outside_the_range_are_refused(rounds: int) -> None:
    assert "rounds" in _bad("Why?", rounds).problem


def test_check_rounds_and_round_minutes_take_the_whole_range() -> None:
    for rounds in (1, MAX_ROUNDS):
        check_rounds(rounds)
    for minutes in (1, MAX_ROUND_MINUTES):
        check_round_minutes(minutes)
    for minutes in (0, MAX_ROUND_MINUTES + 1):
        with pytest.raises(BadInput, match="minutes"):
            check_round_minutes(minutes)


# Questions people type: no control or format characters (refused, or trimmed at the ends).
_question = st.text(
    st.characters(
        blacklist_characters="|" + "".join(INVISIBLE), blacklist_categories=("Cs", "Cc", "Cf")
    ),
    min_size=1,
    max_size=80,
).filter(has_visible)


@settings(max_examples=60, deadline=None)
@given(st.lists(_question, min_size=1, max_size=MAX_ROUNDS))
def test_questions_joined_by_bars_come_back_in_order(questions: list[str]) -> None:
    expected = tuple(" ".join(question.split()) for question in questions)
    rounds = len(questions)
    assert split_questions("|".join(questions), rounds) == expected
    assert len(split_questions(questions[0], MAX_ROUNDS)) == MAX_ROUNDS


def test_questions_text_lists_rounds_or_says_once() -> None:
    assert questions_text(("Why?", "Why?", "Why?")) == "**Question for all 3 rounds:** Why?"
    assert questions_text(("Why?",)) == "**Question for the round:** Why?"
    assert questions_text(("A?", "B?")) == "**Round 1:** A?\n**Round 2:** B?"
    assert questions_text(()) == ""
    longest = tuple(str(n) * MAX_QUESTION_LENGTH for n in range(MAX_ROUNDS))
    assert len(questions_text(longest)) <= 4096  # an embed description


def test_questions_text_does_not_ping() -> None:
    assert "@everyone" not in questions_text(("Hey @everyone, why?",))


# --- thread names ------------------------------------------------------------------------------


def test_a_short_question_is_named_in_full() -> None:
    assert table_thread_name(1, 3, "Why share?") == "R1 · Table 3 · Why share?"


def test_a_long_question_is_cut_at_a_word_with_an_ellipsis() -> None:
    question = (
        "How do we fund knowledge management in WASH when every donor wants projects and "
        "nobody pays for learning itself?"
    )
    name = table_thread_name(1, 3, question)
    assert len(name) <= MAX_THREAD_NAME
    assert name.startswith("R1 · Table 3 · How do we fund knowledge")
    assert name.endswith("…")
    shown = name.removeprefix("R1 · Table 3 · ").removesuffix("…")
    assert question.startswith(shown)
    assert question[len(shown)] == " ", "the cut falls between words"


def test_a_cut_does_not_leave_a_dangling_comma() -> None:
    question = "word " * 15 + "alpha, beta gamma delta epsilon zeta eta theta"
    assert table_thread_name(1, 1, question).endswith(" word alpha…")


def test_newlines_and_runs_of_spaces_are_collapsed() -> None:
    assert (
        table_thread_name(2, 1, "  Why\n\nshare   at all? ") == "R2 · Table 1 · Why share at all?"
    )


def test_an_empty_question_leaves_the_round_and_table() -> None:
    assert table_thread_name(2, 10, " \n ") == "R2 · Table 10"


def test_one_endless_word_is_cut_inside_itself() -> None:
    name = table_thread_name(6, 100, "x" * 500)
    assert len(name) == MAX_THREAD_NAME
    assert name.startswith("R6 · Table 100 · xxx")
    assert name.endswith("x…")


@settings(max_examples=150, deadline=None)
@given(
    st.integers(1, MAX_ROUNDS),
    st.integers(1, 999),
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=400),
)
def test_thread_names_fit_and_keep_their_prefix(
    round_number: int, table: int, question: str
) -> None:
    name = table_thread_name(round_number, table, question)
    prefix = f"R{round_number} · Table {table}"
    assert 0 < len(name) <= MAX_THREAD_NAME
    assert name.startswith(prefix)
    assert "\n" not in name
    tidy = " ".join(question.split())
    if tidy:
        assert len(name) > len(prefix + " · ")
    if len(prefix + " · " + tidy) <= MAX_THREAD_NAME:
        assert name == (f"{prefix} · {tidy}" if tidy else prefix)


def test_reflection_thread_names() -> None:
    assert reflection_thread_name("Sector learning café") == "Reflection · Sector learning café"
    assert reflection_thread_name("  ") == "Reflection"
    long = reflection_thread_name("A very long café title " * 10)
    assert len(long) <= MAX_THREAD_NAME
    assert long.startswith("Reflection · A very long café title")
    assert long.endswith("…")


# --- small helpers -----------------------------------------------------------------------------


def test_shorten_leaves_short_text_and_cuts_long_text() -> None:
    assert shorten("one two three", 13) == "one two three"
    assert shorten("one two three", 12) == "one two…"
    assert shorten("abcdefgh", 5) == "abcd…"
    with pytest.raises(ValueError):
        shorten("abc", 0)


def test_neutralise_mentions_breaks_mass_mentions_only() -> None:
    text = "@everyone and @here and @Everyone, but <@123> and <@&456> stay"
    safe = neutralise_mentions(text)
    assert "@everyone" not in safe.lower()
    assert "@here" not in safe
    assert safe.count(ZERO_WIDTH_SPACE) == 3
    assert "<@123>" in safe and "<@&456>" in safe
    assert safe.replace(ZERO_WIDTH_SPACE, "") == text


def test_escape_markdown_shows_names_literally() -> None:
    assert escape_markdown("jo_smith*") == r"jo\_smith\*"
    assert escape_markdown("[x](y)") == r"\[x\](y)"
    assert escape_markdown("Ana") == "Ana"


def test_quote_quotes_every_line_blank_ones_too() -> None:
    assert quote("one\n\ntwo\n") == "> one\n>\n> two"
    assert quote("") == ">"


# --- etiquette ---------------------------------------------------------------------------------


def test_the_etiquette_has_the_seven_points_in_order() -> None:
    topics = [point.partition(":")[0] for point in CAFE_ETIQUETTE]
    assert topics == [
        "Focus on what matters",
        "Contribute your thinking",
        "Speak your mind and heart",
        "Listen to understand",
        "Link and connect ideas",
        "Listen together for insights and deeper questions",
        "Play, doodle, draw",
    ]


def test_the_etiquette_fits_an_embed_field_as_a_bulleted_list() -> None:
    text = etiquette_text()
    assert len(text) <= 1024
    lines = text.split("\n")
    assert len(lines) == len(CAFE_ETIQUETTE)
    assert all(line.startswith("- **") for line in lines)
    assert "**Listen to understand**" in text


# --- durations and counts ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("minutes", "text"),
    [
        (0, "0 minutes"),
        (1, "1 minute"),
        (25, "25 minutes"),
        (59, "59 minutes"),
        (60, "1 h"),
        (61, "1 h 1 min"),
        (90, "1 h 30 min"),
        (180, "3 h"),
    ],
)
def test_format_minutes(minutes: int, text: str) -> None:
    assert format_minutes(minutes) == text


def test_format_minutes_refuses_negative_durations() -> None:
    with pytest.raises(ValueError):
        format_minutes(-1)


@pytest.mark.parametrize(
    ("participants", "hosts", "text"),
    [
        (12, 3, "12 participants · 3 hosts"),
        (1, 1, "1 participant · 1 host"),
        (0, 0, "0 participants · 0 hosts"),
    ],
)
def test_format_seat_summary(participants: int, hosts: int, text: str) -> None:
    assert format_seat_summary(participants, hosts) == text


# --- the messages of a round -------------------------------------------------------------------


def test_the_first_round_briefing_with_a_host() -> None:
    text = round_briefing(1, 3, QUESTION, 1_700_000_000, "Ana", is_first_round=True)
    assert text.startswith("## Round 1 of 3\n")
    assert f"> {QUESTION}" in text
    assert "<t:1700000000:R>" in text
    assert "**Ana** hosts this table" in text
    assert "introductions" in text
    assert "`/cafe note`" in text
    assert "**Add to tablecloth**" in text
    assert "travellers" not in text


def test_a_later_round_briefing_asks_the_host_to_sum_up_for_travellers() -> None:
    text = round_briefing(2, 3, QUESTION, 1_700_000_000, "Ana", is_first_round=False)
    assert "## Round 2 of 3\n" in text
    assert "travellers" in text
    assert "sum up the tablecloth" in text
    assert "introductions" not in text


def test_the_last_round_says_so() -> None:
    assert "(the last round)" in round_briefing(3, 3, QUESTION, 1, None, is_first_round=False)
    assert "last round" not in round_briefing(1, 1, QUESTION, 1, None, is_first_round=True)


@pytest.mark.parametrize("first", [True, False])
def test_a_table_without_host_is_told_so(first: bool) -> None:
    text = round_briefing(1 if first else 2, 3, QUESTION, 1, None, is_first_round=first)
    assert "no host" in text
    assert ("introductions" in text) is first
    assert "`/cafe note`" in text


def test_the_briefing_fits_a_message_and_does_not_ping() -> None:
    question = ("@everyone " * 40)[:MAX_QUESTION_LENGTH]
    host = "@here_" + "w" * 26
    text = round_briefing(MAX_ROUNDS, MAX_ROUNDS, question, 2**40, host, is_first_round=False)
    assert len(text) <= 2000
    assert "@everyone" not in text
    assert "@here" not in text


def test_the_briefing_escapes_markdown_in_the_host_name() -> None:
    text = round_briefing(1, 2, "Why?", 1, "**bold** _x_", is_first_round=True)
    assert r"**\*\*bold\*\* \_x\_**" in text


def test_round_warning() -> None:
    assert round_warning(2).startswith("⏳ 2 minutes left in this round.")
    assert "1 minute left" in round_warning(1)
    assert "ending now" in round_warning(0)
    assert all("`/cafe note`" in round_warning(m) for m in (0, 1, 2))


def test_round_closed_text_asks_the_host_or_the_table() -> None:
    hosted = round_closed_text(has_host=True)
    unhosted = round_closed_text(has_host=False)
    assert "Host, please" in hosted
    assert "no host" in unhosted and "one of you" in unhosted
    assert all("`/cafe note`" in text and "ended" in text for text in (hosted, unhosted))
