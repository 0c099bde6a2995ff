"""What kind of contribution a message is: plain values in, kinds out. No Discord, no database.

The listener (cogs/contributions.py) describes a message as :class:`MessageFacts`, computing the
counts from the text with :func:`count_text` and then dropping the text: nothing here keeps it.
:func:`classify` decides.

The rules, precisely:

- **Contribution at all.** A message counts only if its author is a person: not a bot (the bot's
  own posts included), not a webhook, and the message is an ordinary message (type 0), a reply
  (type 19) or the notice Discord posts when someone opens a thread from a channel (type 18,
  "thread created"). Every other type is a system message (joins, pins, boosts, the starter
  message Discord copies into a thread, ...) and is not a contribution.
- **Message.** Every contribution is a message; the kinds below are flags on top of it.
- **Reply.** The message references (Discord's "reply") a message by *another member*: replying
  to yourself, to a bot, or to a message whose author is unknown (deleted) is not a reply.
- **Question.** The text, with its links removed (a ``?`` in a URL's query asks nothing),
  contains a question mark (``?``, the full-width ``？`` or the opening ``¿``).
- **Answer.** A reply to a message that is a question; or any message in a prompt thread (a
  thread where the bot posted a question of the week) by someone other than the prompt's author,
  or in the thread of a copy shared from a linked platform (a response across the link).
  A thread-created notice is never an answer.
- **Resource.** The message shares something: at least one link (``http://``/``https://`` URL)
  or at least one attachment.
- **Thread start.** The member opened a thread: either the message is Discord's
  thread-created notice (type 18) by that member, or the message is the starter of a thread its
  author owns (its id equals the thread id: forum posts, and threads opened from one's own
  message). A thread opened by a member from *someone else's* message is not credited to the
  message's author. A thread-created notice carries the thread's name as its text, which is not
  the member's writing: its counts are zero and it is no question, answer or resource.
- **Counts.** Characters (Unicode code points of the text), words (runs of non-space
  characters), links (URLs), attachments, mentions (user, role, ``@everyone``/``@here``
  mentions written in the text).

**Reduced classification.** Without Discord's privileged Message Content intent the text,
attachments and embeds arrive empty (except in messages that mention the bot). Then every count
is 0 and question and resource cannot be told, but message, reply, thread start and the
prompt-thread answers still work, because they come from the message's metadata.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum


class MessageType(IntEnum):
    """Discord's message types that can be contributions (the rest are system messages)."""

    DEFAULT = 0
    THREAD_CREATED = 18
    REPLY = 19


CONTRIBUTION_TYPES = frozenset(int(kind) for kind in MessageType)


class ThreadKind(StrEnum):
    """Where a message is, as far as the classifier cares."""

    NONE = "none"  # not in a thread
    PLAIN = "plain"  # a thread members opened
    PROMPT = "prompt"  # a prompt's answer thread
    CAFE = "cafe"  # a café table thread
    SHARED = "shared"  # the thread of a copy shared from a linked platform: responses answer it


# A URL ends before trailing punctuation: in "see https://example.org?" the "?" asks.
_URL = re.compile(r"https?://[^\s<>]*[^\s<>.,;:!?)\]'\"]", re.IGNORECASE)
_MENTION = re.compile(r"<@[!&]?\d+>|@everyone|@here")


# The value classes below are built for every message at the gateway's pace; they are not frozen
# because a frozen dataclass pays for every field it sets (several times the cost). Treat them
# as values all the same: nothing here or in the listeners changes one after building it.


@dataclass(slots=True)
class TextCounts:
    characters: int = 0
    words: int = 0
    links: int = 0
    attachments: int = 0
    mentions: int = 0
    asks: bool = False  # the text (links removed) contains a question mark


NO_TEXT = TextCounts()  # what a message without text counts (compare with ==)


def count_text(text: str, attachments: int = 0) -> TextCounts:
    """The counts of a message's text; the text itself goes no further than this function."""
    if not text:
        return TextCounts(attachments=attachments)
    # Cheap tests first: most messages have no link and no mention.
    links = _URL.findall(text) if "://" in text else ()
    return TextCounts(
        characters=len(text),
        words=len(text.split()),
        links=len(links),
        attachments=attachments,
        mentions=len(_MENTION.findall(text)) if "@" in text else 0,
        asks=_asks(_URL.sub(" ", text) if links else text),
    )


def looks_like_question(text: str) -> bool:
    """True if ``text`` asks something (the question rule above); for referenced messages."""
    return _asks(_URL.sub(" ", text) if "://" in text else text)


def _asks(text: str) -> bool:
    """The text (its links already removed) contains a question mark."""
    return "?" in text or "？" in text or "¿" in text


@dataclass(slots=True)
class MessageFacts:
    """A message described in plain values: no text, only what the rules need."""

    message_id: int
    author_id: int
    author_is_bot: bool
    message_type: int = MessageType.DEFAULT
    is_webhook: bool = False
    counts: TextCounts = field(default_factory=TextCounts)
    # The message it replies to, if any: its author, whether that author is a bot, and whether it
    # asks something (False when unknown: without the Message Content intent, or not cached).
    reply_to_message_id: int | None = None
    reply_to_author_id: int | None = None
    reply_to_author_is_bot: bool = False
    reply_to_is_question: bool = False
    # The thread it is in, if any.
    thread_kind: ThreadKind = ThreadKind.NONE
    thread_id: int | None = None
    thread_owner_id: int | None = None
    prompt_author_id: int | None = None  # who wrote the prompt of a prompt thread


@dataclass(slots=True)
class Kinds:
    is_reply: bool = False
    is_answer: bool = False
    is_question: bool = False
    is_resource: bool = False
    is_thread_start: bool = False


@dataclass(slots=True)
class Classification:
    kinds: Kinds
    counts: TextCounts
    reply_to_author_id: int | None  # set only for a reply (another member's message)
    reply_to_message_id: int | None


def is_contribution(facts: MessageFacts) -> bool:
    return (
        not facts.author_is_bot
        and not facts.is_webhook
        and facts.message_type in CONTRIBUTION_TYPES
    )


def classify(facts: MessageFacts) -> Classification | None:
    """The message's kinds and counts; None if it is not a contribution (bots, system messages)."""
    if not is_contribution(facts):
        return None
    if facts.message_type == MessageType.THREAD_CREATED:
        return Classification(Kinds(is_thread_start=True), TextCounts(), None, None)
    counts = facts.counts
    is_reply = (
        facts.reply_to_author_id is not None
        and facts.reply_to_author_id != facts.author_id
        and not facts.reply_to_author_is_bot
    )
    # A copy shared from a linked platform has no author in this server: every message in its
    # thread answers it.
    in_prompt_thread = facts.thread_kind is ThreadKind.SHARED or (
        facts.thread_kind is ThreadKind.PROMPT
        and (facts.prompt_author_id is None or facts.prompt_author_id != facts.author_id)
    )
    is_thread_start = (
        facts.thread_id is not None
        and facts.message_id == facts.thread_id
        and facts.thread_owner_id == facts.author_id
    )
    kinds = Kinds(
        is_reply=is_reply,
        is_answer=(is_reply and facts.reply_to_is_question) or in_prompt_thread,
        is_question=counts.asks,
        is_resource=counts.links > 0 or counts.attachments > 0,
        is_thread_start=is_thread_start,
    )
    return Classification(
        kinds,
        counts,
        facts.reply_to_author_id if is_reply else None,
        facts.reply_to_message_id if is_reply else None,
    )


def is_loggable_reaction(
    *, reactor_id: int, reactor_is_bot: bool, author_id: int | None, author_is_bot: bool
) -> bool:
    """A reaction counts when a person reacts to another person's message (not their own, not a
    bot's). An unknown author (message not cached, payload without it) still counts."""
    if reactor_is_bot or author_is_bot:
        return False
    return author_id is None or author_id != reactor_id
