"""The compact, unnamed text of a café's harvest that travels to linked platforms."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.cafe.harvest import Harvest, HarvestItem
from bot.platforms.harvests import (
    INSIGHT_MARK,
    MORE,
    harvest_share_text,
    harvest_source_key,
    harvest_title,
    unnamed,
)
from bot.text import ZERO_WIDTH_SPACE


def harvest(*items: HarvestItem, questions: tuple[str, ...] = ("How do we fund KM?",)) -> Harvest:
    return Harvest(
        title="Funding KM",
        questions=questions,
        rounds_held=len(questions),
        tables=2,
        items=items,
        turnout=(),
    )


def note(round_number: int, table: int, text: str, author: str = "Amina Njeri") -> HarvestItem:
    return HarvestItem(round_number, table, author, text)


def insight(round_number: int, table: int, text: str, author: str = "Ben Otieno") -> HarvestItem:
    return HarvestItem(round_number, table, author, text, is_insight=True, link="https://x/1")


def test_the_text_holds_questions_notes_and_insights_by_table_without_names() -> None:
    text = harvest_share_text(
        harvest(
            insight(1, 2, "Projects should budget 5% for KM"),
            note(1, 2, "Budget KM\nin projects"),
            note(1, 1, "Ask donors"),
            note(0, 0, "Said in the channel"),
            questions=("How do we fund KM?", "Who pays?"),
        )
    )
    assert text.split("\n") == [
        "**Questions**",
        "1. How do we fund KM?",
        "2. Who pays?",
        "",
        "**Round 1 · Table 1**",
        "- Ask donors",
        "",
        "**Round 1 · Table 2**",
        "- Budget KM in projects",  # notes first, on one line
        f"- {INSIGHT_MARK}Projects should budget 5% for KM",
        "",
        "**Elsewhere in the café**",
        "- Said in the channel",
    ]
    assert "Amina" not in text and "Ben" not in text and "https://x/1" not in text


def test_mentions_of_people_and_everyone_do_not_travel() -> None:
    assert unnamed("Ask <@123> and <@!456> of <@&789>, @everyone") == (
        f"Ask a participant and a participant of a group, @{ZERO_WIDTH_SPACE}everyone"
    )


def test_a_harvest_without_items_says_so() -> None:
    assert harvest_share_text(harvest()).endswith("No tablecloth notes or insights were recorded.")


def test_a_long_harvest_is_cut_between_lines_and_says_more_is_in_the_file() -> None:
    items = [note(1, table, f"Note {n} " + "word " * 60) for table in (1, 2) for n in range(20)]
    text = harvest_share_text(harvest(*items), limit=3500)
    assert len(text) <= 3500
    assert text.endswith("\n" + MORE)
    kept = text.split("\n")[:-1]
    assert kept[-1].startswith("- Note ")  # whole lines only, no blank line before the last
    assert all(line.endswith("word") for line in kept if line.startswith("- "))


def test_a_text_that_just_fits_is_not_cut() -> None:
    full = harvest_share_text(harvest(note(1, 1, "A"), note(1, 2, "B")))
    assert harvest_share_text(harvest(note(1, 1, "A"), note(1, 2, "B")), limit=len(full)) == full
    shorter = harvest_share_text(harvest(note(1, 1, "A"), note(1, 2, "B")), limit=len(full) - 1)
    assert shorter.endswith(MORE) and len(shorter) <= len(full) - 1


def test_one_very_long_item_is_shortened() -> None:
    text = harvest_share_text(harvest(note(1, 1, "x" * 5000)))
    assert len(text) < 600 and MORE not in text


def test_keys_and_titles() -> None:
    assert harvest_source_key(7) == "cafe:7"
    assert harvest_title("Funding KM") == "Harvest of Funding KM"
    with pytest.raises(ValueError):
        harvest_share_text(harvest(), limit=len(MORE))


@given(
    texts=st.lists(st.text(min_size=1, max_size=500), min_size=0, max_size=40),
    limit=st.integers(min_value=len(MORE) + 1, max_value=4000),
)
def test_the_text_never_exceeds_its_limit(texts: list[str], limit: int) -> None:
    items = [note(1 + n % 3, 1 + n % 2, text) for n, text in enumerate(texts)]
    text = harvest_share_text(harvest(*items), limit=limit)
    assert len(text) <= limit
