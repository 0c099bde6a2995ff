"""Excel workbooks: strings and numbers, never formulas; long tables continue on more sheets."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bot.exports.tables import Table
from bot.exports.xlsx_writer import EXCEL_ROWS_PER_SHEET, sheet_name, write_xlsx
from tests.unit.exports.helpers import SAMPLE, sample_row

FORMULAS = ["=1+1", "+1", "-1", "@SUM(A1)", "\tcmd", "\rcmd"]


def text(value: object) -> object:
    """The cell's text as Excel shows it: XlsxWriter writes a carriage return as the OOXML
    escape ``_x000D_``, which Excel decodes and openpyxl leaves as it is in inline strings."""
    return value.replace("_x000D_", "\r") if isinstance(value, str) else value


def test_excel_limit() -> None:
    assert EXCEL_ROWS_PER_SHEET == 1_048_576


def test_cells_are_strings_and_numbers_never_formulas(tmp_path: Path) -> None:
    path = tmp_path / "contributions.xlsx"
    rows = [sample_row(formula, message=formula) for formula in FORMULAS]
    rows.append(sample_row("=\x01still text", message=123456789012345678))
    assert write_xlsx(SAMPLE, rows, path) == len(rows)
    sheet = load_workbook(path)["contributions"]
    note = SAMPLE.header.index("note") + 1
    message = SAMPLE.header.index("message") + 1
    for row_number, formula in enumerate(FORMULAS, start=2):
        for column in (note, message):
            cell = sheet.cell(row_number, column)
            assert cell.data_type == "s"
            assert text(cell.value) == "'" + formula
    last = sheet.max_row
    assert sheet.cell(last, note).value == "'=still text"  # control character dropped first
    assert sheet.cell(last, message).value == "123456789012345678"
    assert sheet.cell(last, message).data_type == "s"


def test_numbers_stay_numbers_and_times_are_text(tmp_path: Path) -> None:
    path = tmp_path / "contributions.xlsx"
    write_xlsx(SAMPLE, [sample_row(None)], path)
    sheet = load_workbook(path)["contributions"]
    header = [cell.value for cell in sheet[1]]
    values = dict(zip(header, (cell.value for cell in sheet[2]), strict=True))
    assert header == list(SAMPLE.header)
    assert values["characters"] == -3
    assert values["score"] == -0.25
    assert values["posted_at"] == "2026-12-07T09:30:00Z"
    assert values["posted_at_local"] == "2026-12-07T10:30:00+01:00"
    assert values["from_bot"] == "false"
    assert values["note"] is None


def test_rows_past_the_sheet_limit_continue_on_further_sheets_with_the_header(
    tmp_path: Path,
) -> None:
    path = tmp_path / "contributions.xlsx"
    rows = [sample_row(f"row {number}") for number in range(7)]
    assert write_xlsx(SAMPLE, rows, path, rows_per_sheet=3) == 7  # header + 2 rows a sheet
    workbook = load_workbook(path)
    assert workbook.sheetnames == [
        "contributions",
        "contributions (2)",
        "contributions (3)",
        "contributions (4)",
    ]
    notes = []
    for sheet in workbook.worksheets:
        lines = [[cell.value for cell in row] for row in sheet.iter_rows()]
        assert lines[0] == list(SAMPLE.header)
        assert 2 <= len(lines) <= 3
        notes += [line[-1] for line in lines[1:]]
    assert notes == [f"row {number}" for number in range(7)]


def test_exactly_full_sheets_make_no_empty_sheet(tmp_path: Path) -> None:
    path = tmp_path / "contributions.xlsx"
    write_xlsx(SAMPLE, [sample_row("x")] * 4, path, rows_per_sheet=3)
    assert load_workbook(path).sheetnames == ["contributions", "contributions (2)"]


def test_an_empty_table_is_one_sheet_with_the_header() -> None:
    out = io.BytesIO()
    assert write_xlsx(SAMPLE, [], out) == 0
    workbook = load_workbook(out)
    assert workbook.sheetnames == ["contributions"]
    assert [cell.value for cell in workbook.active[1]] == list(SAMPLE.header)  # type: ignore[index]


def test_sheet_names_keep_within_excel_31_characters() -> None:
    long = Table("organisation_representatives_history", SAMPLE.columns)
    assert sheet_name(long, 1) == "organisation_representatives_hi"
    assert sheet_name(long, 12) == "organisation_representativ (12)"
    assert all(len(sheet_name(long, number)) <= 31 for number in (1, 9, 100))


def test_a_sheet_needs_room_for_a_row() -> None:
    with pytest.raises(ValueError, match="header"):
        write_xlsx(SAMPLE, [], io.BytesIO(), rows_per_sheet=1)
