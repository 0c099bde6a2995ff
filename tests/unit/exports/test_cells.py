"""Cells of export files: formula neutralising, times in UTC and local time, XML-safe text."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from bot.exports.cells import (
    FORMULA_STARTS,
    ColumnType,
    json_renderer,
    local_text,
    neutralise,
    sheet_renderer,
    time_cells,
    utc_text,
    xml_safe,
)
from bot.membership.csv_io import unescape_cell

FORMULAS = ["=1+1", "+1", "-1", "@SUM(A1)", "\tcmd", "\rcmd"]


@pytest.mark.parametrize("text", FORMULAS)
def test_each_formula_start_gets_an_apostrophe(text: str) -> None:
    assert neutralise(text) == "'" + text


def test_the_formula_starts_are_the_owasp_six() -> None:
    assert {"=", "+", "-", "@", "\t", "\r"} == FORMULA_STARTS


@pytest.mark.parametrize("text", ["", "plain", "a=b", "3-1", "'quoted", "m-3f9a1c2b7d4e", "é=x"])
def test_other_text_is_left_alone(text: str) -> None:
    assert neutralise(text) == text


@pytest.mark.parametrize("text", ["'=1+1", "''-3", "'=", "plain", "=x"])
def test_the_register_import_takes_the_apostrophe_off_again(text: str) -> None:
    """A text that already had apostrophes before a formula start gets one more, so the one
    rule of the register's CSV import gives back exactly the text."""
    assert unescape_cell(neutralise(text)) == text


def test_numbers_are_not_neutralised_in_spreadsheets() -> None:
    assert sheet_renderer(ColumnType.INTEGER)(-3) == -3
    assert sheet_renderer(ColumnType.NUMBER)(-0.25) == -0.25


def test_text_in_any_column_is_neutralised_in_spreadsheets() -> None:
    for column_type in (ColumnType.TEXT, ColumnType.ID, ColumnType.INTEGER, ColumnType.NUMBER):
        assert sheet_renderer(column_type)("=HYPERLINK(1)") == "'=HYPERLINK(1)"


def test_ids_are_text_everywhere() -> None:
    discord_id = 123456789012345678
    assert sheet_renderer(ColumnType.ID)(discord_id) == "123456789012345678"
    assert json_renderer(ColumnType.ID)(discord_id) == "123456789012345678"


def test_an_undefined_number_is_an_empty_cell() -> None:
    assert sheet_renderer(ColumnType.NUMBER)(float("nan")) is None
    assert json_renderer(ColumnType.NUMBER)(float("inf")) is None
    assert json_renderer(ColumnType.NUMBER)(0.5) == 0.5


def test_booleans_and_dates_as_text_in_spreadsheets() -> None:
    assert sheet_renderer(ColumnType.BOOLEAN)(True) == "true"
    assert sheet_renderer(ColumnType.BOOLEAN)(False) == "false"
    assert sheet_renderer(ColumnType.DATE)(date(2026, 12, 7)) == "2026-12-07"
    with pytest.raises(TypeError):
        sheet_renderer(ColumnType.DATE)(datetime(2026, 12, 7, tzinfo=UTC))


def test_utc_text_is_iso_8601_with_z_to_the_second() -> None:
    moment = datetime(2026, 12, 7, 10, 30, 0, 999_000, tzinfo=timezone(timedelta(hours=1)))
    assert utc_text(moment) == "2026-12-07T09:30:00Z"


def test_a_time_without_a_zone_is_refused() -> None:
    naive = datetime(2026, 12, 7, 9, 30)
    with pytest.raises(ValueError, match="time zone"):
        utc_text(naive)
    with pytest.raises(ValueError, match="time zone"):
        time_cells(naive, "Europe/Amsterdam")
    with pytest.raises(TypeError):
        sheet_renderer(ColumnType.TIMESTAMP)("2026-12-07T09:30:00Z")


def test_local_time_carries_the_offset_in_force_then() -> None:
    winter = datetime(2026, 12, 7, 9, 30, tzinfo=UTC)
    summer = datetime(2026, 7, 7, 9, 30, tzinfo=UTC)
    assert local_text(winter, "Europe/Amsterdam") == "2026-12-07T10:30:00+01:00"
    assert local_text(summer, "Europe/Amsterdam") == "2026-07-07T11:30:00+02:00"


def test_time_cells_gives_the_utc_moment_and_the_local_text() -> None:
    moment = datetime(2026, 12, 7, 12, 30, tzinfo=timezone(timedelta(hours=3)))
    utc, local = time_cells(moment, "Africa/Nairobi")
    assert utc == datetime(2026, 12, 7, 9, 30, tzinfo=UTC)
    assert utc is not None and utc.tzinfo is UTC
    assert sheet_renderer(ColumnType.TIMESTAMP)(utc) == "2026-12-07T09:30:00Z"
    assert local == "2026-12-07T12:30:00+03:00"
    assert time_cells(None, "Africa/Nairobi") == (None, None)


def test_xml_safe_drops_only_what_xml_cannot_carry() -> None:
    assert xml_safe("a\x00b\x07c\x1fd") == "abcd"
    assert xml_safe("tab\tline\nreturn\r é 🌍") == "tab\tline\nreturn\r é 🌍"
