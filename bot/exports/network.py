"""The ``network`` export: who replied to whom in the period, as weighted directed edge lists
between people (pseudonyms) and between organisations, each with its node list, as CSV and as
GraphML (``bot.exports.graphml_writer``) for Gephi or Kumu.

People are nodes under their pseudonym whatever the naming mode (two people with one display
name stay two nodes); the label shows the name of those who chose to be named. People who opted
out are in neither file. Organisations with fewer people in the period's replies than the
community's minimum group size (``/settings privacy``, at least 3) are left out of both
organisation files, with every edge touching them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from bot.exports.cells import ColumnType, time_cells
from bot.exports.sources import ExportScope, GraphSource, KindSource, TableSource
from bot.exports.tables import Column, Row, Table
from storage.exports.network import (
    organisation_edge_batches,
    organisation_node_batches,
    people_edge_batches,
    people_node_batches,
)

ID, TEXT, INTEGER, NUMBER = ColumnType.ID, ColumnType.TEXT, ColumnType.INTEGER, ColumnType.NUMBER
TIMESTAMP, LOCAL = ColumnType.TIMESTAMP, ColumnType.LOCAL_TIME

PERSON = "m-3f9a1c2b7d4e"
OTHER_PERSON = "m-9e8d7c6b5a4f"

NETWORK_PEOPLE = Table(
    "network_people",
    (
        Column(
            "id",
            ID,
            "The person's pseudonym: the node's identifier, the same in every naming mode.",
            PERSON,
        ),
        Column(
            "label",
            TEXT,
            "What Gephi shows: the pseudonym, or the name of someone who chose to be named.",
            PERSON,
        ),
        Column(
            "organisation",
            TEXT,
            "The person's organisation at their latest message before the period's end "
            "(empty: none).",
            "WaterAid",
        ),
        Column(
            "stakeholder_group",
            TEXT,
            "The person's stakeholder group at their latest message before the period's end.",
            "civil society",
        ),
        Column(
            "level",
            TEXT,
            "The level the person worked at, at their latest message before the period's end.",
            "national",
        ),
        Column(
            "replies_sent", INTEGER, "How many replies they posted to others in the period.", "7"
        ),
        Column(
            "replies_received",
            INTEGER,
            "How many replies others posted to them in the period.",
            "4",
        ),
    ),
)

NETWORK_PEOPLE_EDGES = Table(
    "network_people_edges",
    (
        Column("source", ID, "Who replied (a pseudonym, the id of a node).", PERSON),
        Column("target", ID, "Whom they replied to (a pseudonym).", OTHER_PERSON),
        Column(
            "weight",
            NUMBER,
            "How many times the source replied to the target in the period (Gephi's weight).",
            "3.0",
        ),
        Column("replies", INTEGER, "The same number, as a whole number.", "3"),
        Column(
            "first_reply_utc",
            TIMESTAMP,
            "When the first of these replies was posted, in UTC.",
            "2026-12-07T09:30:00Z",
        ),
        Column(
            "first_reply_local",
            LOCAL,
            "The same moment in the community's time zone.",
            "2026-12-07T10:30:00+01:00",
        ),
        Column(
            "last_reply_utc",
            TIMESTAMP,
            "When the last of these replies was posted, in UTC.",
            "2026-12-09T14:05:00Z",
        ),
        Column(
            "last_reply_local",
            LOCAL,
            "The same moment in the community's time zone.",
            "2026-12-09T15:05:00+01:00",
        ),
    ),
)

NETWORK_ORGANISATIONS = Table(
    "network_organisations",
    (
        Column("id", ID, "The organisation's name: the node's identifier.", "WaterAid"),
        Column("label", TEXT, "What Gephi shows: the organisation's name.", "WaterAid"),
        Column("stakeholder_group", TEXT, "The organisation's stakeholder group.", "civil society"),
        Column("level", TEXT, "The level the organisation works at.", "national"),
        Column(
            "people",
            INTEGER,
            "How many of its people replied or were replied to in the period. Organisations "
            "with fewer than the community's minimum group size (at least 3) are left out, for "
            "privacy: an edge between small groups tells who talked to whom.",
            "5",
        ),
    ),
)

NETWORK_ORGANISATION_EDGES = Table(
    "network_organisation_edges",
    (
        Column(
            "source",
            ID,
            "The organisation replies were posted from (the author's when posting).",
            "WaterAid",
        ),
        Column(
            "target",
            ID,
            "The organisation of the messages replied to (the same as the source for replies "
            "within one organisation).",
            "Ministry of Water",
        ),
        Column(
            "weight",
            NUMBER,
            "How many replies went from the source to the target in the period (Gephi's "
            "weight). Replies to a message not logged, or with no organisation at either end, "
            "are not counted.",
            "12.0",
        ),
        Column("replies", INTEGER, "The same number, as a whole number.", "12"),
        Column(
            "people_source", INTEGER, "How many different people of the source posted them.", "4"
        ),
        Column(
            "people_target",
            INTEGER,
            "How many different people of the target were replied to.",
            "3",
        ),
    ),
)


def people_node_rows(stored: Iterable[Sequence[Any]], scope: ExportScope) -> Iterator[Row]:
    """Rows of :data:`NETWORK_PEOPLE` from ``storage.exports.network.people_node_batches``,
    ordered by pseudonym (an order by Discord id would hint at when accounts were made)."""
    namer = scope.namer
    rows = [
        (
            namer.pseudonym(user_id),
            namer.person(user_id),
            organisation,
            stakeholder,
            level,
            sent,
            received,
        )
        for user_id, organisation, stakeholder, level, sent, received in stored
        if not namer.is_absent(user_id)
    ]
    rows.sort(key=lambda row: row[0])
    yield from rows


def people_edge_rows(stored: Iterable[Sequence[Any]], scope: ExportScope) -> Iterator[Row]:
    """Rows of :data:`NETWORK_PEOPLE_EDGES` from ``people_edge_batches``."""
    namer, timezone = scope.namer, scope.timezone
    for author_id, replied_to_id, replies, first_at, last_at in stored:
        if namer.is_absent(author_id) or namer.is_absent(replied_to_id):
            continue
        yield (
            namer.pseudonym(author_id),
            namer.pseudonym(replied_to_id),
            float(replies),
            replies,
            *time_cells(first_at, timezone),
            *time_cells(last_at, timezone),
        )


def organisation_node_rows(stored: Iterable[Sequence[Any]], scope: ExportScope) -> Iterator[Row]:
    """Rows of :data:`NETWORK_ORGANISATIONS` from ``organisation_node_batches``, small
    organisations left out."""
    for name, stakeholder, level, people in stored:
        if people >= scope.min_group:
            yield name, name, stakeholder, level, people


def organisation_edge_rows(stored: Iterable[Sequence[Any]], scope: ExportScope) -> Iterator[Row]:
    """Rows of :data:`NETWORK_ORGANISATION_EDGES` from ``organisation_edge_batches``, the edges
    touching a small organisation left out (by the same counts as the node rows')."""
    for (
        source, target, replies, people_source, people_target, source_people, target_people,
    ) in stored:  # fmt: skip
        if min(source_people, target_people) < scope.min_group:
            continue
        yield source, target, float(replies), replies, people_source, people_target


PEOPLE_NODES = TableSource(NETWORK_PEOPLE, people_node_batches, people_node_rows)
PEOPLE_EDGES = TableSource(NETWORK_PEOPLE_EDGES, people_edge_batches, people_edge_rows)
ORGANISATION_NODES = TableSource(
    NETWORK_ORGANISATIONS, organisation_node_batches, organisation_node_rows
)
ORGANISATION_EDGES = TableSource(
    NETWORK_ORGANISATION_EDGES, organisation_edge_batches, organisation_edge_rows
)

SOURCE = KindSource(
    (PEOPLE_NODES, PEOPLE_EDGES, ORGANISATION_NODES, ORGANISATION_EDGES),
    graphs=(
        GraphSource("network_people", PEOPLE_NODES, PEOPLE_EDGES),
        GraphSource("network_organisations", ORGANISATION_NODES, ORGANISATION_EDGES),
    ),
    rows_are="edges",
)
