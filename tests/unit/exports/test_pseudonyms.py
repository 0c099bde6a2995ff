"""Pseudonyms: stable within a community, different across communities, no Discord id in them."""

from __future__ import annotations

import re

import pytest

from bot.exports.pseudonyms import (
    MESSAGE,
    PERSON,
    Pseudonymiser,
    new_community_key,
    pseudonym,
)

KEY_A = b"community A secret key, 32 bytes"
KEY_B = b"community B secret key, 32 bytes"
PEOPLE = [80351110224678912, 155149108183695360, 1100000000000000001, 1, 42]
MESSAGES = [1150000000000000000 + n for n in range(50)]


def test_people_and_messages_have_their_own_prefix_and_length() -> None:
    names = Pseudonymiser(KEY_A)
    assert re.fullmatch(r"m-[0-9a-f]{12}", names.person(PEOPLE[0]))
    assert re.fullmatch(r"msg-[0-9a-f]{16}", names.message(MESSAGES[0]))


def test_stable_for_one_key() -> None:
    first, second = Pseudonymiser(KEY_A), Pseudonymiser(KEY_A)
    assert [first.person(p) for p in PEOPLE] == [second.person(p) for p in PEOPLE]
    assert [first.message(m) for m in MESSAGES] == [second.message(m) for m in MESSAGES]
    assert first.person(PEOPLE[0]) == pseudonym(KEY_A, PERSON, PEOPLE[0])


def test_different_across_keys() -> None:
    community_a, community_b = Pseudonymiser(KEY_A), Pseudonymiser(KEY_B)
    assert not {community_a.person(p) for p in PEOPLE} & {community_b.person(p) for p in PEOPLE}
    assert not {community_a.message(m) for m in MESSAGES} & {
        community_b.message(m) for m in MESSAGES
    }


def test_distinct_ids_get_distinct_pseudonyms() -> None:
    names = Pseudonymiser(KEY_A)
    assert len({names.person(p) for p in PEOPLE}) == len(PEOPLE)
    assert len({names.message(m) for m in MESSAGES}) == len(MESSAGES)


def test_a_person_and_a_message_with_one_id_differ_beyond_the_prefix() -> None:
    names = Pseudonymiser(KEY_A)
    assert names.person(42).split("-")[1] not in names.message(42)


def test_a_reply_points_to_the_key_of_the_message_it_answers() -> None:
    """The reply's "in reply to" cell and the answered message's own key are one function."""
    names = Pseudonymiser(KEY_A)
    answered = MESSAGES[3]
    assert names.message(answered) == Pseudonymiser(KEY_A).message(answered)
    assert names.message(answered) == pseudonym(KEY_A, MESSAGE, answered)


def test_no_discord_id_appears_in_a_pseudonym() -> None:
    names = Pseudonymiser(KEY_A)
    snowflakes = [discord_id for discord_id in PEOPLE + MESSAGES if discord_id > 10**16]
    assert len(snowflakes) == len(PEOPLE) - 2 + len(MESSAGES)
    for discord_id in snowflakes:
        for name in (names.person(discord_id), names.message(discord_id)):
            assert str(discord_id) not in name
            assert f"{discord_id:x}" not in name  # nor the id in hex


def test_a_short_key_is_refused() -> None:
    with pytest.raises(ValueError, match="16 bytes"):
        Pseudonymiser(b"short")
    assert len(new_community_key()) == 32
    assert new_community_key() != new_community_key()
