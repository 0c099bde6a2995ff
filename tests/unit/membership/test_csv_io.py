"""Reading and checking register CSV files, and writing them: no database."""

from __future__ import annotations

from datetime import date

import pytest

from bot.exports.cells import neutralise
from bot.membership import csv_io
from bot.membership.csv_io import (
    MAX_IMPORT_BYTES,
    MAX_IMPORT_ROWS,
    MEMBER_COLUMNS,
    ORGANISATION_COLUMNS,
    RowError,
    parse_members,
    parse_organisations,
    unescape_cell,
    write_csv,
)
from bot.membership.imports import ImportRejected
from bot.membership.vocabulary import CopStatus, Level, Stakeholder

TODAY = date(2024, 6, 1)
USER = "123456789012345678"


def orgs(text: str) -> tuple[list[csv_io.OrganisationRow], list[RowError]]:
    return parse_organisations(text.encode("utf-8"), today=TODAY)


def members(text: str) -> tuple[list[csv_io.MemberRow], list[RowError]]:
    return parse_members(text.encode("utf-8"))


def test_a_good_organisation_file_gives_clean_rows() -> None:
    rows, errors = orgs(
        "name,stakeholder,level,country,website,description,cop_status,cop_since\n"
        "  IRC   WASH ,Civil Society,international,Netherlands,ircwash.org,Knowledge,member,"
        "2023-01-15\n"
        "Ministry of Water,government,national,,,,,\n"
    )
    assert errors == []
    assert [row.line for row in rows] == [2, 3]
    irc, ministry = rows
    assert irc.name == "IRC WASH"
    assert irc.stakeholder is Stakeholder.CIVIL_SOCIETY
    assert irc.level is Level.INTERNATIONAL
    assert irc.website == "https://ircwash.org"
    assert (irc.cop_status, irc.cop_since) == (CopStatus.MEMBER, date(2023, 1, 15))
    assert (ministry.country, ministry.cop_status, ministry.cop_since) == (None, None, None)


def test_byte_order_mark_and_semicolons_as_european_excel_writes_them() -> None:
    data = (
        "\ufeffName;Stakeholder;Level\r\nDGRE;government;national\r\nIRC, Ghana;research;local\r\n"
    )
    rows, errors = parse_organisations(data.encode("utf-8"), today=TODAY)
    assert errors == []
    assert [row.name for row in rows] == ["DGRE", "IRC, Ghana"]


def test_tab_separated_is_read_too() -> None:
    rows, errors = orgs("name\tstakeholder\tlevel\nDGRE\tgovernment\tnational\n")
    assert errors == [] and rows[0].name == "DGRE"


def test_headers_in_any_order_and_any_case() -> None:
    rows, errors = orgs("LEVEL,Name,Cop Status,stakeholder\nlocal,IRC,applicant,research\n")
    assert errors == []
    assert (rows[0].name, rows[0].level, rows[0].cop_status) == (
        "IRC",
        Level.LOCAL,
        CopStatus.APPLICANT,
    )


def test_unknown_columns_are_named() -> None:
    rows, errors = orgs("name,stakeholder,level,phone,email\nIRC,research,local,1,a@b\n")
    assert rows == []
    assert len(errors) == 1
    assert errors[0].line == 1
    assert "`phone`" in errors[0].problem and "`email`" in errors[0].problem


def test_missing_required_columns_are_one_error() -> None:
    rows, errors = orgs("name,country\nIRC,Ghana\n")
    assert rows == []
    assert len(errors) == 1
    assert "missing columns stakeholder, level" in errors[0].problem


def test_member_file_needs_only_user_id() -> None:
    _, errors = members("display_name\nAma\n")
    assert len(errors) == 1 and "missing column user_id" in errors[0].problem


def test_empty_file_and_header_only() -> None:
    _, errors = orgs("")
    assert errors[0].problem.startswith("the file is empty")
    _, errors = orgs("\ufeff  \n\n")
    assert errors[0].problem.startswith("the file is empty")
    _, errors = orgs("name,stakeholder,level\n\n")
    assert errors[0].problem == "the file has a header but no rows to import."


def test_a_file_that_is_not_utf8() -> None:
    data = "name,stakeholder,level\nDirección,government,national\n".encode("cp1252")
    rows, errors = parse_organisations(data, today=TODAY)
    assert rows == []
    assert errors[0].line == 2
    assert "not UTF-8" in errors[0].problem and "CSV UTF-8" in errors[0].problem


def test_utf16_is_refused_with_a_hint() -> None:
    data = "name,stakeholder,level\nX,government,national\n".encode("utf-16")
    _, errors = parse_organisations(data, today=TODAY)
    assert "UTF-16" in errors[0].problem


def test_too_large_and_too_many_rows() -> None:
    _, errors = parse_organisations(b"x" * (MAX_IMPORT_BYTES + 1), today=TODAY)
    assert "the limit is 1,000,000" in errors[0].problem
    many = "user_id\n" + "".join(f"{10**17 + i}\n" for i in range(MAX_IMPORT_ROWS + 1))
    rows, errors = members(many)
    assert rows == []
    assert len(errors) == 1 and "the limit is 5,000" in errors[0].problem


def test_bad_stakeholder_on_line_5_of_10() -> None:
    lines = ["name,stakeholder,level"]
    for number in range(2, 11):
        stakeholder = "governmint" if number == 5 else "government"
        lines.append(f"Org {number},{stakeholder},national")
    rows, errors = orgs("\n".join(lines) + "\n")
    assert len(errors) == 1
    assert (errors[0].line, errors[0].column) == (5, "stakeholder")
    assert errors[0].describe().startswith("line 5, column stakeholder: `governmint` is not")
    assert len(rows) == 8  # the others are fine, but the caller applies nothing


def test_every_error_of_a_row_is_reported() -> None:
    _, errors = orgs("name,stakeholder,level,website\n,nobody,everywhere,not a site\n")
    assert [(e.line, e.column) for e in errors] == [
        (2, "name"),
        (2, "stakeholder"),
        (2, "level"),
        (2, "website"),
    ]


def test_line_numbers_count_blank_rows_and_follow_the_spreadsheet() -> None:
    _, errors = orgs('name,stakeholder,level\n\n"Two\nlines",research,local\nX,bad,local\n')
    assert [(e.line, e.column) for e in errors] == [(4, "stakeholder")]


def test_duplicate_names_by_key_name_the_first_line() -> None:
    rows, errors = orgs(
        "name,stakeholder,level\n"
        "IRC,research,local\nDGRE,government,national\n Írc ,research,local\n"
    )
    assert len(errors) == 1
    assert (errors[0].line, errors[0].column) == (4, "name")
    assert "already on line 2" in errors[0].problem
    assert [row.name for row in rows] == ["IRC", "DGRE"]


def test_over_long_description() -> None:
    long_text = "x" * 1001
    _, errors = orgs(f"name,stakeholder,level,description\nIRC,research,local,{long_text}\n")
    assert (errors[0].line, errors[0].column) == (2, "description")
    assert "1001 characters long; the limit is 1000" in errors[0].problem


def test_bad_dates_and_a_date_without_status() -> None:
    _, errors = orgs(
        "name,stakeholder,level,cop_status,cop_since\n"
        "A,research,local,member,31/12/2023\n"
        "B,research,local,member,2024-07-01\n"
        "C,research,local,,2024-01-01\n"
        "D,research,local,member,2024-06-01\n"
    )
    assert [(e.line, e.column) for e in errors] == [
        (2, "cop_since"),
        (3, "cop_since"),
        (4, "cop_since"),
    ]
    assert "YYYY-MM-DD" in errors[0].problem
    assert "in the future" in errors[1].problem
    assert "without a cop_status" in errors[2].problem


def test_bad_cop_status() -> None:
    _, errors = orgs("name,stakeholder,level,cop_status\nA,research,local,honorary\n")
    assert errors[0].column == "cop_status" and "applicant, member, lapsed" in errors[0].problem


def test_a_good_member_file() -> None:
    rows, errors = members(
        "user_id,display_name,organisation,stakeholder,level,country,expertise\n"
        f'{USER},Ama  Owusu,irc wash,research,local,Ghana,"sanitation, finance, Sanitation"\n'
        "223456789012345678,,,,,,\n"
    )
    assert errors == []
    ama, other = rows
    assert ama.user_id == int(USER)
    assert ama.display_name == "Ama Owusu"
    assert ama.organisation == "irc wash"
    assert ama.expertise == ("sanitation", "finance")
    assert (other.display_name, other.organisation, other.expertise) == (None, None, None)


@pytest.mark.parametrize(
    ("cell", "hint"),
    [
        ("12345", "17 to 20 digits"),
        ("1.23457E+17", "format the column as text"),
        ("abc", "17 to 20 digits"),
        ("１２３４５６７８９０１２３４５６７８", "17 to 20 digits"),  # full-width digits
        ("99999999999999999999", "too large"),
        ("00000000000000000", "too large"),
    ],
)
def test_bad_user_ids(cell: str, hint: str) -> None:
    _, errors = members(f"user_id\n{cell}\n")
    assert (errors[0].line, errors[0].column) == (2, "user_id")
    assert hint in errors[0].problem


def test_duplicate_user_id() -> None:
    _, errors = members(f"user_id,display_name\n{USER},A\n{USER},B\n")
    assert [(e.line, e.column) for e in errors] == [(3, "user_id")]
    assert "already on line 2" in errors[0].problem


def test_too_many_expertise_tags_and_long_display_name() -> None:
    tags = ",".join(f"tag{i}" for i in range(11))
    _, errors = members(f'user_id,display_name,expertise\n{USER},{"n" * 101},"{tags}"\n')
    assert [e.column for e in errors] == ["display_name", "expertise"]


def test_cells_beyond_the_header_are_errors_but_empty_ones_are_not() -> None:
    rows, errors = orgs("name,stakeholder,level\nA,research,local,,\nB,research,local,oops\n")
    assert [row.name for row in rows] == ["A", "B"]
    assert [(e.line, e.column) for e in errors] == [(3, None)]
    assert errors[0].describe().startswith("line 3: cell 4")


def test_csv_injection_is_escaped_on_export_and_undone_on_import() -> None:
    values = ["=HYPERLINK(1)", "+31 20", "-x", "@SUM(A1)", "'=already", "'plain", "plain", ""]
    for value in values:
        assert unescape_cell(neutralise(value)) == value
    assert neutralise("=1+1") == "'=1+1"
    assert neutralise("'plain") == "'plain"
    text = write_csv(("name", "description"), [{"name": "=1+1", "description": "@home"}])
    assert text == "name,description\r\n'=1+1,'@home\r\n"


def test_escaped_cells_import_as_their_values() -> None:
    rows, errors = orgs("name,stakeholder,level,description\n'=X,research,local,'-dash\n")
    assert errors == []
    assert (rows[0].name, rows[0].description) == ("=X", "-dash")


def test_written_files_read_back() -> None:
    text = write_csv(
        ORGANISATION_COLUMNS,
        [
            {
                "name": "IRC; Ghana",
                "stakeholder": "research",
                "level": "local",
                "description": 'Says "hello",\nin two lines',
            }
        ],
    )
    rows, errors = parse_organisations(csv_io.csv_bytes(text), today=TODAY)
    assert errors == []
    assert rows[0].name == "IRC; Ghana"
    assert rows[0].description == 'Says "hello",\nin two lines'
    assert write_csv(MEMBER_COLUMNS, []) == ",".join(MEMBER_COLUMNS) + "\r\n"


def test_rejection_message_fits_in_a_discord_message() -> None:
    errors = [RowError(line, "description", "x" * 300) for line in range(2, 60)]
    rejected = ImportRejected(errors)
    message = rejected.user_message
    assert len(message) < 2000
    assert message.startswith("Nothing was imported: the file has 58 problems.")
    assert "line 2, column description: " in message
    shown = [line for line in message.splitlines() if line.startswith("line ")]
    assert all(len(line) <= 160 for line in shown)
    assert f"and {58 - len(shown)} more." in message
    assert rejected.errors == errors


def test_rejection_message_lists_up_to_fifteen() -> None:
    errors = [RowError(line, "level", "not a level.") for line in range(2, 19)]
    lines = ImportRejected(errors).user_message.splitlines()
    assert lines[1] == "line 2, column level: not a level."
    assert lines[15] == "line 16, column level: not a level."
    assert lines[16] == "and 2 more."
