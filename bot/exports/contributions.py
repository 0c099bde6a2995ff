"""The ``contributions`` export: one row per logged contribution, metadata only."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from bot.exports.cells import ColumnType, local_text
from bot.exports.sources import ExportScope, KindSource, TableSource
from bot.exports.tables import Column, Row, Table
from storage.exports.contributions import contribution_batches, count_contributions

ID, TEXT, INTEGER, BOOLEAN = ColumnType.ID, ColumnType.TEXT, ColumnType.INTEGER, ColumnType.BOOLEAN
TIMESTAMP, LOCAL = ColumnType.TIMESTAMP, ColumnType.LOCAL_TIME

CONTRIBUTIONS = Table(
    "contributions",
    (
        Column(
            "contribution", ID, "The message's key (not its Discord id).", "msg-5e0c1d2a9b8f7e6d"
        ),
        Column(
            "author",
            TEXT,
            "Who posted it: a pseudonym, or the name of someone who chose to be named.",
            "m-3f9a1c2b7d4e",
        ),
        Column(
            "organisation",
            TEXT,
            "The author's organisation when they posted it (empty: none).",
            "WaterAid",
        ),
        Column(
            "stakeholder_group",
            TEXT,
            "The author's stakeholder group when they posted it.",
            "civil society",
        ),
        Column(
            "level", TEXT, "The level the author worked at when they posted it.", "intermediate"
        ),
        Column(
            "channel",
            ID,
            "The channel or thread it was posted in (Discord's id, as text).",
            "1190000000000000001",
        ),
        Column(
            "parent_channel",
            ID,
            "For a thread, the channel the thread belongs to.",
            "1190000000000000002",
        ),
        Column("posted_at_utc", TIMESTAMP, "When it was posted, in UTC.", "2026-12-07T09:30:00Z"),
        Column(
            "posted_at_local",
            LOCAL,
            "When it was posted, in the community's time zone.",
            "2026-12-07T10:30:00+01:00",
        ),
        Column("edited", BOOLEAN, "Whether it was edited after posting.", "false"),
        Column("is_reply", BOOLEAN, "A reply to someone else's message.", "true"),
        Column("is_answer", BOOLEAN, "An answer to a question or a prompt.", "false"),
        Column("is_question", BOOLEAN, "It asks a question.", "false"),
        Column("is_resource", BOOLEAN, "It shares a resource: a link or a file.", "true"),
        Column("is_thread_start", BOOLEAN, "It started a thread.", "false"),
        Column(
            "reply_to",
            ID,
            "The key of the message it replies to (empty: none, or not logged).",
            "msg-0a1b2c3d4e5f6a7b",
        ),
        Column(
            "reply_to_author",
            TEXT,
            "Who it replies to (empty: nobody, or someone who opted out).",
            "m-9e8d7c6b5a4f",
        ),
        Column(
            "characters", INTEGER, "Its length in characters (the text itself is not kept).", "240"
        ),
        Column("words", INTEGER, "Its length in words.", "41"),
        Column("links", INTEGER, "How many links it holds.", "1"),
        Column("attachments", INTEGER, "How many files are attached.", "0"),
        Column("mentions", INTEGER, "How many people it mentions.", "0"),
    ),
)


def contribution_rows(stored: Iterable[Sequence[Any]], scope: ExportScope) -> Iterator[Row]:
    """Rows of :data:`CONTRIBUTIONS` from the stored rows (storage.exports.contributions), the
    rows of people who opted out left out."""
    namer, timezone = scope.namer, scope.timezone
    person, message = namer.person, namer.message
    for (
        message_id, author_id, organisation, stakeholder, level, channel_id, parent_id,
        created_at, edited_at, is_reply, is_answer, is_question, is_resource, is_thread_start,
        reply_to_message_id, reply_to_author_id, characters, words, links, attachments, mentions,
    ) in stored:  # fmt: skip
        if namer.is_absent(author_id):
            continue
        if reply_to_author_id is not None and namer.is_absent(reply_to_author_id):
            reply_to_message_id = reply_to_author_id = None  # not even a key of theirs
        yield (
            message(message_id),
            person(author_id),
            organisation,
            stakeholder,
            level,
            str(channel_id),
            None if parent_id is None else str(parent_id),
            created_at,
            local_text(created_at, timezone),
            edited_at is not None,
            is_reply,
            is_answer,
            is_question,
            is_resource,
            is_thread_start,
            message(reply_to_message_id),
            person(reply_to_author_id),
            characters,
            words,
            links,
            attachments,
            mentions,
        )


SOURCE = KindSource(
    (TableSource(CONTRIBUTIONS, contribution_batches, contribution_rows, count_contributions),),
    rows_are="contributions",
)
