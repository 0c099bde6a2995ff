"""What a cell of an export may hold, and how each kind of file writes it.

Rows are tuples of plain values (:data:`Cell`); a column's :class:`ColumnType` says what its
values mean. Spreadsheet files (CSV, XLSX) get text a spreadsheet cannot mistake: ids as text
(Excel turns an 18-digit number into 1.2E+17), times as ISO 8601 text, and every text cell that
a spreadsheet would run as a formula neutralised with a leading apostrophe (OWASP's advice on CSV
injection). Files for programs (JSON Lines, Parquet) keep text as it is.

Times: a timestamp column holds an aware ``datetime`` and is written in UTC to the second
(``2026-12-07T09:30:00Z``); next to it a local-time column holds the same moment as text in the
community's time zone, with its offset (``2026-12-07T10:30:00+01:00``), so a daylight-saving
change never makes two moments look alike. :func:`time_cells` makes both.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

Cell = str | int | float | bool | datetime | date | None
"""One value of a row, as the caller hands it to a writer."""

CellRenderer = Callable[[Cell], Cell]

# A spreadsheet runs a cell that starts with one of these as a formula ("CSV injection").
FORMULA_STARTS = frozenset(("=", "+", "-", "@", "\t", "\r"))

# XML 1.0 allows no other control characters (and no lone surrogates, which no UTF-8 text can
# carry): XLSX and GraphML are XML, so these are dropped there.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


class ColumnType(StrEnum):
    """What a column's values are; the value is what the codebook's ``type`` column says."""

    TEXT = "text"
    ID = "id"
    """An identifier, always text: a text cell in XLSX, a string in JSON and Parquet. (A CSV file
    has no types: Excel opening one still reads an all-digit id as a number, hence pseudonyms and
    keys that are not all digits.)"""
    INTEGER = "integer"
    NUMBER = "number"
    """A real number; an undefined value (NaN, infinity) is written as an empty cell."""
    BOOLEAN = "boolean"
    """``true`` or ``false``."""
    TIMESTAMP = "timestamp_utc"
    """An aware ``datetime``, written in UTC to the second: ``2026-12-07T09:30:00Z``."""
    LOCAL_TIME = "local_time"
    """Text made by :func:`local_text`: the moment in the community's time zone, with offset."""
    DATE = "date"
    """A ``date``, written ``2026-12-07``."""


def neutralise(text: str) -> str:
    """The text as a spreadsheet cell: a leading apostrophe if a spreadsheet would run it as a
    formula. A text that already starts with apostrophes before such a character gets one more,
    so that taking one apostrophe off (as the register's CSV import does) gives the text back."""
    first = text[:1]
    if first in FORMULA_STARTS or (first == "'" and text.lstrip("'")[:1] in FORMULA_STARTS):
        return "'" + text
    return text


def xml_safe(text: str) -> str:
    """The text without the characters XML 1.0 cannot carry (control characters but tab, line
    feed and carriage return)."""
    return _NOT_XML.sub("", text)


def _aware(moment: datetime) -> datetime:
    if moment.utcoffset() is None:
        # astimezone() would silently read a naive time as the machine's local time
        raise ValueError(f"a time without a time zone cannot be exported: {moment!r}")
    return moment


def utc_text(moment: datetime) -> str:
    """``2026-12-07T09:30:00Z``: the moment in UTC, to the second."""
    utc = moment if moment.tzinfo is UTC else _aware(moment).astimezone(UTC)
    # isoformat is the fastest formatting (a million-row export calls this once per row)
    return utc.isoformat(timespec="seconds")[:19] + "Z"


def local_text(moment: datetime, zone: str) -> str:
    """``2026-12-07T10:30:00+01:00``: the moment in the IANA time zone ``zone``, to the second,
    with the offset in force then."""
    return _aware(moment).astimezone(ZoneInfo(zone)).isoformat(timespec="seconds")


def time_cells(moment: datetime | None, zone: str) -> tuple[datetime | None, str | None]:
    """The two cells of one time: for the timestamp column, the moment in UTC (written
    ``2026-12-07T09:30:00Z``), and for the local-time column, the same moment as text in the
    community's time zone. A missing time (``None``) gives two empty cells."""
    if moment is None:
        return None, None
    return _aware(moment).astimezone(UTC), local_text(moment, zone)


# --- renderers: one per column type and kind of file --------------------------------------------
# Each takes a cell and returns what the writer puts in the file. None stays None (empty cell).


def _sheet_any(value: Cell) -> Cell:
    # any text, in any column, is neutralised: a caller's mistake must not make a formula
    return neutralise(value) if isinstance(value, str) else value


def _sheet_id(value: Cell) -> Cell:
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return _sheet_any(value)


def _finite(value: Cell) -> Cell:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _sheet_number(value: Cell) -> Cell:
    return _sheet_any(_finite(value))


def _boolean_text(value: Cell) -> Cell:
    if isinstance(value, bool):
        return "true" if value else "false"
    return _sheet_any(value)


def _timestamp_text(value: Cell) -> Cell:
    if value is None:
        return None
    if not isinstance(value, datetime):
        raise TypeError(f"a timestamp column holds datetimes, not {value!r}")
    return utc_text(value)


def _date_text(value: Cell) -> Cell:
    if value is None:
        return None
    if isinstance(value, datetime) or not isinstance(value, date):
        raise TypeError(f"a date column holds dates, not {value!r}")
    return value.isoformat()


def _json_id(value: Cell) -> Cell:
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


def _as_is(value: Cell) -> Cell:
    return value


_SHEET: dict[ColumnType, CellRenderer] = {
    ColumnType.TEXT: _sheet_any,
    ColumnType.ID: _sheet_id,
    ColumnType.INTEGER: _sheet_any,
    ColumnType.NUMBER: _sheet_number,
    ColumnType.BOOLEAN: _boolean_text,
    ColumnType.TIMESTAMP: _timestamp_text,
    ColumnType.LOCAL_TIME: _sheet_any,
    ColumnType.DATE: _date_text,
}

_JSON: dict[ColumnType, CellRenderer] = {
    ColumnType.TEXT: _as_is,
    ColumnType.ID: _json_id,
    ColumnType.INTEGER: _as_is,
    ColumnType.NUMBER: _finite,
    ColumnType.BOOLEAN: _as_is,
    ColumnType.TIMESTAMP: _timestamp_text,
    ColumnType.LOCAL_TIME: _as_is,
    ColumnType.DATE: _date_text,
}


def sheet_renderer(column_type: ColumnType) -> CellRenderer:
    """For spreadsheets (CSV, XLSX): text neutralised, ids and times as text, booleans as
    ``true``/``false``, numbers as numbers."""
    return _SHEET[column_type]


def json_renderer(column_type: ColumnType) -> CellRenderer:
    """For JSON Lines: ids and times as text, everything else as JSON's own values."""
    return _JSON[column_type]
