"""The question bank's rules: how questions and themes are tidied, bounded and compared."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.errors import BadInput
from bot.prompts.rules import (
    MAX_QUESTION,
    MAX_THEME,
    MIN_QUESTION,
    clean_question,
    clean_theme,
    question_key,
    theme_key,
)

# Plain and accented letters, spaces, tabs and hyphens: enough to vary all the key ignores.
PLAIN = "abcdefghijklmnopqrstuvwxyz"
ACCENTED = {"a": "áàâäå", "e": "éèêë", "i": "íìîï", "o": "óòôö", "u": "úùûü", "n": "ñ", "c": "ç"}
WORDS = st.text(alphabet=PLAIN + " \t-", min_size=1, max_size=80).filter(lambda t: t.strip("\t "))
SPACES = st.text(alphabet=" \t\n", max_size=4)


# --- clean_question ---------------------------------------------------------------------------


def test_a_question_keeps_its_words_and_loses_its_extra_spacing() -> None:
    typed = "  How do you fund\tknowledge\n management  when projects only pay   for it? "
    assert clean_question(typed) == (
        "How do you fund knowledge management when projects only pay for it?"
    )
    assert clean_question("Wat doet  ÚW organisatie?") == "Wat doet ÚW organisatie?"


@pytest.mark.parametrize("typed", ["", "   ", "\n\t "])
def test_an_empty_question_is_refused(typed: str) -> None:
    with pytest.raises(BadInput, match="Nothing in the question can be seen"):
        clean_question(typed)


def test_the_length_bounds_count_the_tidied_text() -> None:
    assert clean_question("x" * MIN_QUESTION) == "x" * MIN_QUESTION
    assert clean_question("x" * MAX_QUESTION) == "x" * MAX_QUESTION
    assert clean_question("  " + "x" * MAX_QUESTION + "\n") == "x" * MAX_QUESTION
    with pytest.raises(BadInput, match="too short"):
        clean_question("x" * (MIN_QUESTION - 1))
    with pytest.raises(BadInput, match="too short"):
        clean_question("Why   so  ?")  # 11 characters typed, 8 once tidied
    with pytest.raises(BadInput, match=f"301 characters long; the most is {MAX_QUESTION}"):
        clean_question("x" * (MAX_QUESTION + 1))


@given(WORDS, SPACES, SPACES)
def test_tidying_is_stable_and_ignores_outer_spacing(words: str, before: str, after: str) -> None:
    try:
        clean = clean_question(words)
    except BadInput:
        return
    assert clean_question(before + words + after) == clean
    assert clean_question(clean) == clean
    assert "  " not in clean and clean == clean.strip()


# --- question_key -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "variant",
    [
        "how do you fund knowledge management?",
        "HOW DO YOU FUND KNOWLEDGE MANAGEMENT",
        "How  do you\tfund knowledge management ?",
        "  How do you fund knowledge management?  ",
        "Hów do you fünd knowledge mánagement?",
        "How do you fund knowledge management?!",
        "How do you fund knowledge management...",
        "How do you fund knowledge management…",
    ],
)
def test_one_question_whatever_its_case_spacing_accents_and_final_mark(variant: str) -> None:
    assert question_key(variant) == question_key("How do you fund knowledge management?")


@pytest.mark.parametrize(
    "different",
    [
        "How do you fund knowledge management today?",
        "Who funds knowledge management?",
        "How do you fund knowledge-management?",  # words, not punctuation, are the question
        "¿How do you fund knowledge management?",
    ],
)
def test_different_questions_have_different_keys(different: str) -> None:
    assert question_key(different) != question_key("How do you fund knowledge management?")


def test_only_the_final_marks_are_ignored() -> None:
    assert question_key("Why? Because?") == "why? because"
    assert question_key("What is K.M.?") == "what is k.m"
    assert question_key("Ça va ?") == "ca va"


@given(WORDS, SPACES, SPACES, st.sampled_from(["", "?", " ?", "?!", "...", "…"]))
def test_the_key_ignores_case_outer_spacing_and_final_marks(
    words: str, before: str, after: str, mark: str
) -> None:
    key = question_key(words)
    assert question_key(before + words.upper() + mark + after) == key
    assert question_key(key) == key


@given(st.text(alphabet="aeioucn xyz", min_size=1, max_size=60), st.randoms())
def test_the_key_ignores_accents(words: str, chance: random.Random) -> None:
    accented = "".join(
        chance.choice(ACCENTED[ch]) if ch in ACCENTED and chance.random() < 0.5 else ch
        for ch in words
    )
    assert question_key(accented) == question_key(words)


def test_a_key_fits_its_column_even_when_folding_lengthens_the_text() -> None:
    # "ß" folds to "ss" and "ﬃ" to "ffi": a question at the limit folds to more than the limit.
    german = ("Was heißt groß? " * 30)[: MAX_QUESTION - 1] + "?"
    ligatures = "ﬃ" * MAX_QUESTION
    for text in (german, ligatures, clean_question(german)):
        assert len(question_key(text)) <= MAX_QUESTION
    assert question_key(german) == question_key(german.upper().replace("SS", "ß"))
    assert question_key(german) != question_key(german[:-2] + "x?")  # the end still counts
    assert question_key(ligatures) == question_key("ffi" * MAX_QUESTION)
    assert question_key(ligatures) != question_key("ffi" * (MAX_QUESTION - 1) + "ffj")


@given(st.text(alphabet="ßﬃ…ab ", min_size=1, max_size=MAX_QUESTION))
def test_every_key_fits_and_equal_keys_stay_equal(text: str) -> None:
    key = question_key(text)
    assert len(key) <= MAX_QUESTION
    assert question_key(text.upper()) == question_key(text.lower())


# --- themes -----------------------------------------------------------------------------------


def test_a_theme_is_shown_as_typed_and_compared_without_case_or_spacing() -> None:
    assert clean_theme("Funding  KM") == ("Funding KM", "funding km")
    assert clean_theme("  funding\tkm ") == ("funding km", "funding km")
    assert theme_key("FUNDING   km") == "funding km"
    assert theme_key("Funding KM") != theme_key("Funding")


@pytest.mark.parametrize("typed", ["", "  ", "\t"])
def test_an_empty_theme_is_refused(typed: str) -> None:
    with pytest.raises(BadInput, match="Nothing in the theme can be seen"):
        clean_theme(typed)


def test_the_theme_length_bound() -> None:
    assert clean_theme("t" * MAX_THEME)[0] == "t" * MAX_THEME
    with pytest.raises(BadInput, match=f"51 characters long; the most is {MAX_THEME}"):
        clean_theme("t" * (MAX_THEME + 1))
    street = "Straße" * (MAX_THEME // 6)  # "ß" folds to "ss": the key is longer than the theme
    shown, key = clean_theme(street)
    assert shown == street and len(key) <= MAX_THEME and key == theme_key(street.upper())


@given(WORDS, SPACES, SPACES)
def test_the_theme_key_is_the_key_of_the_shown_theme(words: str, before: str, after: str) -> None:
    try:
        shown, key = clean_theme(before + words + after)
    except BadInput:
        return
    assert key == theme_key(shown) == theme_key(words.upper()) == theme_key(key)
    assert len(key) <= MAX_THEME
