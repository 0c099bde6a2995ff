"""Organisation names: one key regardless of case, accents and spacing; near names found."""

from __future__ import annotations

import pytest

from bot.membership.names import name_key, similar_names
from bot.text import collapse_spaces


@pytest.mark.parametrize("typed", ["IRC", " irc", "Írc", "iRc", "IRC  "])
def test_case_accents_and_spacing_give_one_key(typed: str) -> None:
    assert name_key(typed) == "irc"


def test_inner_spacing_is_collapsed_not_removed() -> None:
    assert name_key("IRC   WASH") == name_key("irc wash") == "irc wash"
    assert name_key("IRCWASH") != name_key("IRC WASH")


def test_accents_of_other_scripts_fold_too() -> None:
    assert name_key("Eau Vivé") == name_key("EAU VIVE")
    assert name_key("Ministère de l'Eau") == "ministere de l'eau"
    assert name_key("Straße") == "strasse"  # casefold, not lower


def test_tidied_names_keep_case_and_accents() -> None:
    assert collapse_spaces("  Agua   para  Todos ") == "Agua para Todos"
    assert collapse_spaces("Írc") == "Írc"


EXISTING = ["IRC WASH", "WaterAid", "Water.org", "Aguaconsult", "Agua para Todos", "SNV"]


def test_a_typo_finds_the_name_meant() -> None:
    assert similar_names("WatterAid", EXISTING)[0] == "WaterAid"
    assert similar_names("aguaconsul", EXISTING)[0] == "Aguaconsult"


def test_a_short_form_contained_in_a_name_is_similar() -> None:
    assert "IRC WASH" in similar_names("IRC", EXISTING)
    assert "IRC WASH" in similar_names("the IRC WASH centre", EXISTING)


def test_similar_names_ignore_case_and_accents() -> None:
    assert similar_names("írc wash", EXISTING) == ["IRC WASH"]


def test_unrelated_names_are_not_similar() -> None:
    assert similar_names("Kenya Water Institute", EXISTING) == []
    assert similar_names("JICA", EXISTING) == []


def test_two_letters_do_not_match_by_containment() -> None:
    # "ir" is inside "irc wash", but a name this short says too little to suggest anything.
    assert similar_names("ir", ["IRC WASH"]) == []


def test_distinct_ministries_are_not_taken_for_one_another() -> None:
    ministries = ["Ministry of Water and Environment, Uganda", "Ministry of Water, Burkina Faso"]
    assert similar_names("Ministry of Water and Sanitation, Malawi", ministries) == []


def test_at_most_limit_suggestions_closest_first() -> None:
    names = ["WaterAid", "WaterAid UK", "WaterAid Ghana", "WaterAid Uganda", "Water Aid"]
    found = similar_names("wateraid", names, limit=3)
    assert len(found) == 3
    assert found[0] == "WaterAid"


def test_no_existing_names_no_suggestions() -> None:
    assert similar_names("IRC", []) == []
