"""The ``organisations`` export: the organisations of the register as they stood at the end of
the period, and the histories of their CoP status and of their representatives."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from bot.exports.cells import ColumnType, time_cells
from bot.exports.sources import ExportScope, KindSource, TableSource
from bot.exports.tables import Column, Row, Table
from storage.exports.organisations import (
    cop_status_batches,
    organisation_batches,
    representative_batches,
)

TEXT, INTEGER, BOOLEAN = ColumnType.TEXT, ColumnType.INTEGER, ColumnType.BOOLEAN
TIMESTAMP, LOCAL = ColumnType.TIMESTAMP, ColumnType.LOCAL_TIME

REPRESENTATIVE_SEPARATOR = "; "

_ORGANISATION = Column("organisation", TEXT, "The organisation's name.", "WaterAid")

ORGANISATIONS = Table(
    "organisations",
    (
        _ORGANISATION,
        Column("stakeholder_group", TEXT, "The organisation's stakeholder group.", "civil society"),
        Column("level", TEXT, "The level the organisation works at.", "national"),
        Column("country", TEXT, "Its country (empty: not given).", "Kenya"),
        Column("website", TEXT, "Its website (empty: not given).", "https://www.wateraid.org"),
        Column(
            "cop_status",
            TEXT,
            "Its own membership of the community of practice at the end of the period: "
            "applicant, member or lapsed (empty: none recorded).",
            "member",
        ),
        Column(
            "cop_status_since_utc",
            TIMESTAMP,
            "Since when it had that status, in UTC.",
            "2026-01-15T10:00:00Z",
        ),
        Column(
            "cop_status_since_local",
            LOCAL,
            "Since when it had that status, in the community's time zone.",
            "2026-01-15T11:00:00+01:00",
        ),
        Column(
            "members",
            INTEGER,
            "How many people in the server belonged to it at the end of the period (people "
            "who opted out are not counted).",
            "12",
        ),
        Column(
            "representatives",
            TEXT,
            "Who spoke for it at the end of the period, the primary representative first, "
            "separated by semicolons (pseudonyms, or names of people who chose to be named).",
            "m-3f9a1c2b7d4e; m-9e8d7c6b5a4f",
        ),
        Column(
            "created_at_utc",
            TIMESTAMP,
            "When it was added to the register, in UTC.",
            "2025-11-03T14:20:00Z",
        ),
        Column(
            "created_at_local",
            LOCAL,
            "When it was added to the register, in the community's time zone.",
            "2025-11-03T15:20:00+01:00",
        ),
    ),
)

COP_STATUS = Table(
    "organisation_cop_status",
    (
        _ORGANISATION,
        Column(
            "status",
            TEXT,
            "Its membership of the community of practice: applicant, member or lapsed.",
            "applicant",
        ),
        Column(
            "started_at_utc", TIMESTAMP, "When it got that status, in UTC.", "2025-11-03T14:20:00Z"
        ),
        Column(
            "started_at_local",
            LOCAL,
            "When it got that status, in the community's time zone.",
            "2025-11-03T15:20:00+01:00",
        ),
        Column(
            "ended_at_utc",
            TIMESTAMP,
            "When that status ended, in UTC (empty: it still has it).",
            "2026-01-15T10:00:00Z",
        ),
        Column(
            "ended_at_local",
            LOCAL,
            "When that status ended, in the community's time zone.",
            "2026-01-15T11:00:00+01:00",
        ),
    ),
)

REPRESENTATIVES = Table(
    "organisation_representatives",
    (
        _ORGANISATION,
        Column(
            "representative",
            TEXT,
            "Who spoke for it: a pseudonym, or the name of someone who chose to be named.",
            "m-3f9a1c2b7d4e",
        ),
        Column(
            "is_primary",
            BOOLEAN,
            "Whether they are its primary representative (as the register holds it now).",
            "true",
        ),
        Column(
            "started_at_utc",
            TIMESTAMP,
            "When they started to speak for it, in UTC.",
            "2025-11-03T14:20:00Z",
        ),
        Column(
            "started_at_local",
            LOCAL,
            "When they started to speak for it, in the community's time zone.",
            "2025-11-03T15:20:00+01:00",
        ),
        Column(
            "ended_at_utc",
            TIMESTAMP,
            "When they stopped, in UTC (empty: they still do).",
            "2026-06-30T12:00:00Z",
        ),
        Column(
            "ended_at_local",
            LOCAL,
            "When they stopped, in the community's time zone.",
            "2026-06-30T14:00:00+02:00",
        ),
    ),
)


def organisation_rows(stored: Iterable[Sequence[Any]], scope: ExportScope) -> Iterator[Row]:
    """Rows of :data:`ORGANISATIONS` from the stored rows (storage.exports.organisations):
    people who opted out are neither counted nor named."""
    namer, timezone = scope.namer, scope.timezone
    for (
        name, stakeholder, level, country, website, cop_status, cop_status_since,
        member_user_ids, representative_user_ids, created_at,
    ) in stored:  # fmt: skip
        members = sum(1 for user_id in member_user_ids if not namer.is_absent(user_id))
        named = [namer.person(user_id) for user_id in representative_user_ids]
        representatives = REPRESENTATIVE_SEPARATOR.join(n for n in named if n is not None)
        yield (
            name,
            stakeholder,
            level,
            country,
            website,
            cop_status,
            *time_cells(cop_status_since, timezone),
            members,
            representatives or None,
            *time_cells(created_at, timezone),
        )


def cop_status_rows(stored: Iterable[Sequence[Any]], scope: ExportScope) -> Iterator[Row]:
    """Rows of :data:`COP_STATUS` from the stored rows (storage.exports.organisations)."""
    timezone = scope.timezone
    for name, status, started_at, ended_at in stored:
        yield (
            name,
            status,
            *time_cells(started_at, timezone),
            *time_cells(ended_at, timezone),
        )


def representative_rows(stored: Iterable[Sequence[Any]], scope: ExportScope) -> Iterator[Row]:
    """Rows of :data:`REPRESENTATIVES` from the stored rows (storage.exports.organisations),
    the rows of people who opted out left out."""
    namer, timezone = scope.namer, scope.timezone
    for name, user_id, is_primary, started_at, ended_at in stored:
        if namer.is_absent(user_id):
            continue
        yield (
            name,
            namer.person(user_id),
            is_primary,
            *time_cells(started_at, timezone),
            *time_cells(ended_at, timezone),
        )


SOURCE = KindSource(
    (
        TableSource(ORGANISATIONS, organisation_batches, organisation_rows),
        TableSource(COP_STATUS, cop_status_batches, cop_status_rows),
        TableSource(REPRESENTATIVES, representative_batches, representative_rows),
    ),
    rows_are="organisations",
)
