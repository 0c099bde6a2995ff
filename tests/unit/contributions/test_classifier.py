"""The classifier's rules, one by one, and the reduced classification without message content."""

from __future__ import annotations

import dataclasses

import pytest

from bot.contributions.classifier import (
    NO_TEXT,
    MessageFacts,
    MessageType,
    ThreadKind,
    classify,
    count_text,
    is_loggable_reaction,
    looks_like_question,
)

ME, OTHER, PROMPTER = 1, 2, 3


def facts(text: str = "hello", attachments: int = 0, **overrides: object) -> MessageFacts:
    base = MessageFacts(
        message_id=100, author_id=ME, author_is_bot=False, counts=count_text(text, attachments)
    )
    return dataclasses.replace(base, **overrides)


def test_a_plain_message_is_a_message_and_nothing_else() -> None:
    result = classify(facts("Good morning all"))
    assert result is not None
    assert not any(dataclasses.astuple(result.kinds))
    assert result.counts.characters == 16 and result.counts.words == 3


@pytest.mark.parametrize(
    "overrides",
    [
        {"author_is_bot": True},
        {"is_webhook": True},
        {"message_type": 7},  # member join
        {"message_type": 6},  # pin notice
        {"message_type": 21},  # thread starter copy
        {"message_type": 20},  # slash command response
    ],
)
def test_bots_webhooks_and_system_messages_are_not_contributions(overrides: dict) -> None:
    assert classify(facts(**overrides)) is None


def test_a_reply_references_another_members_message() -> None:
    result = classify(
        facts(message_type=MessageType.REPLY, reply_to_author_id=OTHER, reply_to_message_id=50)
    )
    assert result is not None and result.kinds.is_reply
    assert result.reply_to_author_id == OTHER and result.reply_to_message_id == 50


@pytest.mark.parametrize(
    "overrides",
    [
        {"reply_to_author_id": ME},  # replying to yourself
        {"reply_to_author_id": OTHER, "reply_to_author_is_bot": True},  # replying to a bot
        {"reply_to_author_id": None, "reply_to_message_id": 50},  # the original is gone
    ],
)
def test_not_a_reply(overrides: dict) -> None:
    result = classify(facts(message_type=MessageType.REPLY, **overrides))
    assert result is not None
    assert not result.kinds.is_reply and result.reply_to_author_id is None


def test_a_reply_to_a_question_is_an_answer() -> None:
    result = classify(
        facts(message_type=MessageType.REPLY, reply_to_author_id=OTHER, reply_to_is_question=True)
    )
    assert result is not None and result.kinds.is_reply and result.kinds.is_answer


def test_a_reply_to_a_statement_is_no_answer() -> None:
    result = classify(facts(message_type=MessageType.REPLY, reply_to_author_id=OTHER))
    assert result is not None and not result.kinds.is_answer


def test_a_message_in_a_prompt_thread_is_an_answer_unless_by_the_prompts_author() -> None:
    prompt = {"thread_kind": ThreadKind.PROMPT, "thread_id": 9, "prompt_author_id": PROMPTER}
    answer = classify(facts(**prompt))
    assert answer is not None and answer.kinds.is_answer and not answer.kinds.is_reply
    own = classify(facts(author_id=PROMPTER, **prompt))
    assert own is not None and not own.kinds.is_answer
    in_cafe = classify(facts(thread_kind=ThreadKind.CAFE, thread_id=9))
    assert in_cafe is not None and not in_cafe.kinds.is_answer


@pytest.mark.parametrize(
    ("text", "asks"),
    [
        ("Has anyone tried this?", True),
        ("¿Alguien lo ha probado", True),
        ("誰か試しましたか？", True),
        ("See https://example.org/page?id=3 for details", False),  # ? inside a link asks nothing
        ("Have you read https://example.org/report?", True),  # the ? after a link asks
        ("No question here.", False),
        ("", False),
    ],
)
def test_a_question_has_a_question_mark_outside_links(text: str, asks: bool) -> None:
    result = classify(facts(text))
    assert result is not None and result.kinds.is_question is asks
    assert looks_like_question(text) is asks


def test_a_resource_has_a_link_or_an_attachment() -> None:
    with_link = classify(facts("Guidelines: https://example.org/wash.pdf"))
    with_file = classify(facts("", attachments=2))
    plain = classify(facts("no links"))
    assert with_link is not None and with_link.kinds.is_resource
    assert with_link.counts.links == 1
    assert with_file is not None and with_file.kinds.is_resource
    assert with_file.counts.attachments == 2
    assert plain is not None and not plain.kinds.is_resource


def test_thread_start_notice_counts_as_thread_start_without_counts() -> None:
    result = classify(facts("Our new thread name?", message_type=MessageType.THREAD_CREATED))
    assert result is not None and result.kinds.is_thread_start
    assert result.counts == NO_TEXT and not result.kinds.is_question


def test_starter_message_of_a_thread_its_author_owns_is_a_thread_start() -> None:
    own = classify(facts(message_id=9, thread_id=9, thread_owner_id=ME, thread_kind="plain"))
    assert own is not None and own.kinds.is_thread_start
    # someone else opened a thread from my message: not my thread start
    theirs = classify(facts(message_id=9, thread_id=9, thread_owner_id=OTHER))
    assert theirs is not None and not theirs.kinds.is_thread_start
    later = classify(facts(message_id=10, thread_id=9, thread_owner_id=ME))
    assert later is not None and not later.kinds.is_thread_start


def test_counts() -> None:
    counts = count_text(
        "Hi <@123> and <@&456>, @everyone: see http://a.example and https://b.example"
    )
    assert counts.mentions == 3
    assert counts.links == 2
    assert counts.words == 9
    assert counts.characters == len(
        "Hi <@123> and <@&456>, @everyone: see http://a.example and https://b.example"
    )


def test_reduced_classification_without_message_content() -> None:
    """No Message Content intent: empty text, no attachments; metadata kinds still work."""
    empty = count_text("", 0)
    reply = classify(
        facts(
            "",
            message_type=MessageType.REPLY,
            reply_to_author_id=OTHER,
            counts=empty,
            thread_kind=ThreadKind.PROMPT,
            thread_id=9,
        )
    )
    assert reply is not None
    assert reply.kinds.is_reply and reply.kinds.is_answer  # from the prompt thread
    assert not reply.kinds.is_question and not reply.kinds.is_resource
    assert reply.counts == NO_TEXT
    starter = classify(facts("", message_id=9, thread_id=9, thread_owner_id=ME, counts=empty))
    assert starter is not None and starter.kinds.is_thread_start


@pytest.mark.parametrize(
    ("reactor", "reactor_bot", "author", "author_bot", "logged"),
    [
        (ME, False, OTHER, False, True),
        (ME, False, ME, False, False),  # own message
        (ME, False, OTHER, True, False),  # a bot's message
        (ME, True, OTHER, False, False),  # a bot reacting
        (ME, False, None, False, True),  # author unknown
    ],
)
def test_reactions(reactor, reactor_bot, author, author_bot, logged) -> None:
    assert (
        is_loggable_reaction(
            reactor_id=reactor,
            reactor_is_bot=reactor_bot,
            author_id=author,
            author_is_bot=author_bot,
        )
        is logged
    )
