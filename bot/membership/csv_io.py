"""CSV files of the member register: the columns, reading and checking rows, writing.

Pure: bytes in, checked rows or per-row errors out; rows in, CSV text out. The database-dependent
checks (does the organisation exist, is the person new) live in ``bot.membership.imports``.

Every cell is checked with the field rules of ``bot.membership.fields``, the same ones the slash
commands use, so a value a command refuses is refused in a file too.

An empty cell (or a column left out of the file) leaves an existing value as it is: a partly
filled spreadsheet must not wipe what the register knows. Clearing a value is a command's job.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import TypeVar

from bot.errors import BadInput
from bot.exports.cells import FORMULA_STARTS, neutralise
from bot.membership import fields
from bot.membership.names import name_key
from bot.membership.vocabulary import CopStatus, Level, Stakeholder

ORGANISATION_COLUMNS = (
    "name",
    "stakeholder",
    "level",
    "country",
    "website",
    "description",
    "cop_status",
    "cop_since",
)
MEMBER_COLUMNS = (
    "user_id",
    "display_name",
    "organisation",
    "stakeholder",
    "level",
    "country",
    "expertise",
)
ORGANISATION_REQUIRED = ("name", "stakeholder", "level")
MEMBER_REQUIRED = ("user_id",)

MAX_IMPORT_BYTES = 1_000_000
MAX_IMPORT_ROWS = 5000

# Spreadsheets run a cell that starts with one of these as a formula ("CSV injection"): on
# export such a cell gets a leading apostrophe, which spreadsheets show as text, and on import
# the apostrophe is taken off again.
_DELIMITERS = (",", ";", "\t")
_USER_ID_DIGITS = (17, 20)

T = TypeVar("T")


@dataclass(frozen=True)
class RowError:
    """One thing wrong with a file. ``line`` is the row as a spreadsheet numbers it (header = 1);
    ``column`` is None when the whole row or file is meant."""

    line: int
    column: str | None
    problem: str

    def describe(self) -> str:
        where = f"line {self.line}"
        if self.column is not None:
            where += f", column {self.column}"
        return f"{where}: {self.problem}"


@dataclass(frozen=True)
class CsvRow:
    """A data row: the non-empty cells by column name (unescaped, trimmed)."""

    line: int
    cells: Mapping[str, str]


@dataclass(frozen=True)
class OrganisationRow:
    """A checked organisation row; None means "not given" (leave as is)."""

    line: int
    name: str
    stakeholder: Stakeholder
    level: Level
    country: str | None
    website: str | None
    description: str | None
    cop_status: CopStatus | None
    cop_since: date | None

    @property
    def key(self) -> str:
        return name_key(self.name)


@dataclass(frozen=True)
class MemberRow:
    """A checked member row; None means "not given" (leave as is)."""

    line: int
    user_id: int
    display_name: str | None
    organisation: str | None
    stakeholder: Stakeholder | None
    level: Level | None
    country: str | None
    expertise: tuple[str, ...] | None


# --- cells ---------------------------------------------------------------------------------------


def unescape_cell(value: str) -> str:
    """A cell as read from a file: the apostrophe that neutralised a formula (as every file
    copbot writes does, bot.exports.cells.neutralise) comes off."""
    if value.startswith("'") and value.lstrip("'")[:1] in FORMULA_STARTS:
        return value[1:]
    return value


def parse_user_id(text: str) -> int:
    """A Discord user id: 17 to 20 digits, a positive 64-bit number."""
    value = text.strip()
    shortest, longest = _USER_ID_DIGITS
    if not value.isascii() or not value.isdigit() or not shortest <= len(value) <= longest:
        hint = (
            " Your spreadsheet may have rounded it: format the column as text."
            if "e+" in value.lower() or "," in value or "." in value
            else ""
        )
        raise BadInput(
            f"`{value[:30]}` is not a Discord user id.{hint}",
            f"A user id is {shortest} to {longest} digits "
            "(Discord: Developer Mode on, then right-click the person > Copy User ID).",
        )
    number = int(value)
    if not 0 < number < 2**63:
        raise BadInput(f"`{value}` is too large to be a Discord user id.")
    return number


def parse_date(text: str, *, today: date) -> date:
    """An ISO date (YYYY-MM-DD), not in the future."""
    value = text.strip()
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise BadInput(
            f"`{value[:30]}` is not a date.", "Write dates as YYYY-MM-DD, e.g. 2024-03-31."
        ) from None
    if day > today:
        raise BadInput(
            f"{day.isoformat()} is in the future.", "Give the date the status began, up to today."
        )
    return day


# --- reading -------------------------------------------------------------------------------------


class FileRejected(Exception):
    """The file as a whole cannot be read; ``error`` says why."""

    def __init__(self, error: RowError) -> None:
        super().__init__(error.describe())
        self.error = error


def _decode(data: bytes) -> str:
    if len(data) > MAX_IMPORT_BYTES:
        raise FileRejected(
            RowError(
                1,
                None,
                f"the file is {len(data):,} bytes; the limit is {MAX_IMPORT_BYTES:,}. "
                "Split it into smaller files and import them one after the other.",
            )
        )
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise FileRejected(
            RowError(
                1,
                None,
                "the file is UTF-16 text; save it as CSV UTF-8 "
                "(Excel: Save As > CSV UTF-8 (Comma delimited)).",
            )
        )
    try:
        text = data.decode("utf-8-sig")  # spreadsheets put a byte-order mark in front
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise FileRejected(
            RowError(
                line,
                None,
                "the file is not UTF-8 text; save it as CSV UTF-8 "
                "(Excel: Save As > CSV UTF-8 (Comma delimited); "
                "LibreOffice: character set Unicode (UTF-8)).",
            )
        ) from None
    if "\x00" in text:
        raise FileRejected(RowError(1, None, "this is not a CSV text file."))
    return text


def _header_name(cell: str) -> str:
    return "_".join(cell.strip().strip('"').casefold().replace("-", " ").split())


def _delimiter(first_line: str, columns: tuple[str, ...]) -> str:
    """The delimiter that splits the header into the most known column names.

    Header names contain no delimiters, so this is reliable where sniffing data rows is not
    (European Excel writes semicolons because the comma is its decimal mark).
    """

    def known(delimiter: str) -> int:
        return sum(_header_name(cell) in columns for cell in first_line.split(delimiter))

    return max(_DELIMITERS, key=lambda d: (known(d), d == ","))


def read_rows(
    data: bytes, columns: tuple[str, ...], required: tuple[str, ...]
) -> tuple[list[CsvRow], list[RowError]]:
    """The data rows of a CSV file, or the errors that stop it being read at all."""
    try:
        text = _decode(data)
    except FileRejected as rejected:
        return [], [rejected.error]
    if not text.strip():
        return [], [RowError(1, None, "the file is empty; the first line must name the columns.")]
    first_line = text.splitlines()[0]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(first_line, columns))
    try:
        records = list(reader)
    except csv.Error as error:
        return [], [RowError(reader.line_num, None, f"the CSV cannot be read: {error}.")]

    header = [_header_name(cell) for cell in records[0]]
    errors: list[RowError] = []
    unknown = [
        records[0][i].strip() for i, name in enumerate(header) if name and name not in columns
    ]
    if unknown:
        errors.append(
            RowError(
                1,
                None,
                "unknown column"
                + ("s " if len(unknown) > 1 else " ")
                + ", ".join(f"`{name[:40]}`" for name in unknown)
                + "; the columns are: "
                + ", ".join(columns)
                + ".",
            )
        )
    repeated = sorted({name for name in header if name and header.count(name) > 1})
    if repeated:
        errors.append(RowError(1, None, "columns named twice: " + ", ".join(repeated) + "."))
    missing = [name for name in required if name not in header]
    if missing:
        errors.append(
            RowError(
                1,
                None,
                "missing column"
                + ("s " if len(missing) > 1 else " ")
                + ", ".join(missing)
                + "; the first line must name the columns, e.g. "
                + ",".join(columns)
                + ".",
            )
        )
    if errors:
        return [], errors

    rows: list[CsvRow] = []
    for index, record in enumerate(records[1:], start=2):
        values = [unescape_cell(cell.strip()) for cell in record]
        if not any(values):
            continue  # blank rows between blocks are common in hand-kept sheets
        cells: dict[str, str] = {}
        for position, value in enumerate(values):
            if not value:
                continue
            if position >= len(header) or not header[position]:
                errors.append(
                    RowError(
                        index,
                        None,
                        f"cell {position + 1} (`{value[:30]}`) is in a column without a name "
                        "in the first line.",
                    )
                )
                continue
            cells[header[position]] = value
        rows.append(CsvRow(index, cells))
    if not rows and not errors:
        errors.append(RowError(1, None, "the file has a header but no rows to import."))
    if len(rows) > MAX_IMPORT_ROWS:
        return [], [
            RowError(
                1,
                None,
                f"the file has {len(rows):,} rows; the limit is {MAX_IMPORT_ROWS:,}. "
                "Split it into smaller files and import them one after the other.",
            )
        ]
    return rows, errors


class _RowChecker:
    """Collects the errors of one row while its cells are checked one by one."""

    def __init__(self, row: CsvRow, errors: list[RowError]) -> None:
        self.row = row
        self.errors = errors
        self.failed = False

    def cell(self, column: str) -> str | None:
        return self.row.cells.get(column)

    def required(self, column: str, what: str) -> str | None:
        value = self.cell(column)
        if value is None:
            self.fail(column, f"this row has no {what}.")
        return value

    def fail(self, column: str | None, problem: str) -> None:
        self.failed = True
        self.errors.append(RowError(self.row.line, column, problem))

    def check(self, column: str, rule: Callable[[str], T], value: str | None) -> T | None:
        """``rule(value)``, or None and an error for this column."""
        if value is None:
            return None
        try:
            return rule(value)
        except BadInput as error:
            self.fail(column, _explain(error))
            return None


def _explain(error: BadInput) -> str:
    return error.problem if error.fix is None else f"{error.problem} {error.fix}"


def parse_organisations(
    data: bytes, *, today: date
) -> tuple[list[OrganisationRow], list[RowError]]:
    """Checked organisation rows and every error found; rows are usable only without errors.

    A name used twice in the file (case, accents and spacing ignored) is an error on the second
    line, naming the first.
    """
    raw_rows, errors = read_rows(data, ORGANISATION_COLUMNS, ORGANISATION_REQUIRED)
    first_line_of: dict[str, int] = {}
    rows: list[OrganisationRow] = []
    for raw in raw_rows:
        checker = _RowChecker(raw, errors)
        name = checker.check("name", fields.organisation_name, checker.required("name", "name"))
        stakeholder = checker.check(
            "stakeholder",
            fields.stakeholder,
            checker.required("stakeholder", "stakeholder group"),
        )
        level = checker.check("level", fields.level, checker.required("level", "level"))
        country = checker.check("country", fields.country, checker.cell("country"))
        website = checker.check("website", fields.website, checker.cell("website"))
        description = checker.check("description", fields.description, checker.cell("description"))
        cop_status = checker.check("cop_status", fields.cop_status, checker.cell("cop_status"))
        cop_since = checker.check(
            "cop_since", lambda text: parse_date(text, today=today), checker.cell("cop_since")
        )
        if cop_since is not None and cop_status is None and checker.cell("cop_status") is None:
            checker.fail(
                "cop_since",
                "a date without a cop_status; give the status (applicant, member or lapsed) too.",
            )
        if name is not None:
            key = name_key(name)
            if key in first_line_of:
                checker.fail(
                    "name",
                    f"**{name}** is already on line {first_line_of[key]} "
                    "(names are compared ignoring case, accents and spacing); "
                    "keep one row per organisation.",
                )
            else:
                first_line_of[key] = raw.line
        if checker.failed:
            continue
        assert name is not None and stakeholder is not None and level is not None
        rows.append(
            OrganisationRow(
                line=raw.line,
                name=name,
                stakeholder=stakeholder,
                level=level,
                country=country,
                website=website,
                description=description,
                cop_status=cop_status,
                cop_since=cop_since,
            )
        )
    return rows, errors


def parse_members(data: bytes) -> tuple[list[MemberRow], list[RowError]]:
    """Checked member rows and every error found; rows are usable only without errors.

    Whether a named organisation exists, and whether a new person has a display name, depends
    on the register: ``bot.membership.imports`` checks those.
    """
    raw_rows, errors = read_rows(data, MEMBER_COLUMNS, MEMBER_REQUIRED)
    first_line_of: dict[int, int] = {}
    rows: list[MemberRow] = []
    for raw in raw_rows:
        checker = _RowChecker(raw, errors)
        user_id = checker.check(
            "user_id", parse_user_id, checker.required("user_id", "Discord user id")
        )
        display_name = checker.check(
            "display_name", fields.display_name, checker.cell("display_name")
        )
        organisation = checker.check(
            "organisation", fields.organisation_name, checker.cell("organisation")
        )
        stakeholder = checker.check("stakeholder", fields.stakeholder, checker.cell("stakeholder"))
        level = checker.check("level", fields.level, checker.cell("level"))
        country = checker.check("country", fields.country, checker.cell("country"))
        expertise = checker.check("expertise", fields.expertise, checker.cell("expertise"))
        if user_id is not None:
            if user_id in first_line_of:
                checker.fail(
                    "user_id",
                    f"user {user_id} is already on line {first_line_of[user_id]}; "
                    "keep one row per person.",
                )
            else:
                first_line_of[user_id] = raw.line
        if checker.failed:
            continue
        assert user_id is not None
        rows.append(
            MemberRow(
                line=raw.line,
                user_id=user_id,
                display_name=display_name,
                organisation=organisation,
                stakeholder=stakeholder,
                level=level,
                country=country,
                expertise=tuple(expertise) if expertise else None,
            )
        )
    return rows, errors


# --- writing -------------------------------------------------------------------------------------


def write_csv(columns: tuple[str, ...], rows: Iterable[Mapping[str, str | None]]) -> str:
    """CSV text with a header; cells escaped against formula injection; None is empty."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([neutralise(row.get(column) or "") for column in columns])
    return out.getvalue()


def csv_bytes(text: str) -> bytes:
    """The bytes to hand out as a file: UTF-8 with a byte-order mark, so Excel reads accents."""
    return text.encode("utf-8-sig")
