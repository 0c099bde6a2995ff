"""CSV for spreadsheets: the byte-order mark, neutralised formulas, untouched numbers."""

from __future__ import annotations

import csv
import io

import pytest

from bot.exports.csv_writer import write_csv
from tests.unit.exports.helpers import SAMPLE, sample_row

FORMULAS = ["=1+1", "+1", "-1", "@SUM(A1)", "\tcmd", "\rcmd"]


def read_back(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def test_the_file_starts_with_a_byte_order_mark_then_the_header() -> None:
    out = io.BytesIO()
    write_csv(SAMPLE, [], out)
    data = out.getvalue()
    assert data.startswith(b"\xef\xbb\xbf")
    assert data[3:].decode("utf-8") == ",".join(SAMPLE.header) + "\r\n"


def test_accents_survive() -> None:
    out = io.BytesIO()
    write_csv(SAMPLE, [sample_row("Ministère de l'Eau, Bénin")], out)
    assert read_back(out.getvalue())[1][-1] == "Ministère de l'Eau, Bénin"


@pytest.mark.parametrize("formula", FORMULAS)
def test_each_formula_start_is_neutralised(formula: str) -> None:
    out = io.BytesIO()
    write_csv(SAMPLE, [sample_row(formula, message=formula)], out)
    row = read_back(out.getvalue())[1]
    assert row[SAMPLE.header.index("note")] == "'" + formula
    assert row[SAMPLE.header.index("message")] == "'" + formula


def test_values_are_written_as_documented() -> None:
    out = io.BytesIO()
    written = write_csv(
        SAMPLE,
        [sample_row("fine", message=123456789012345678), sample_row(None, score=float("nan"))],
        out,
    )
    header, first, second = read_back(out.getvalue())
    assert written == 2
    cells = dict(zip(header, first, strict=True))
    assert cells == {
        "message": "123456789012345678",
        "author": "m-3f9a1c2b7d4e",
        "posted_at": "2026-12-07T09:30:00Z",
        "posted_at_local": "2026-12-07T10:30:00+01:00",
        "kind": "reply",
        "characters": "-3",  # a number: no apostrophe
        "score": "-0.25",
        "from_bot": "false",
        "day": "2026-12-07",
        "note": "fine",
    }
    empty = dict(zip(header, second, strict=True))
    assert empty["note"] == "" and empty["score"] == ""


def test_the_stream_stays_open_for_the_caller() -> None:
    out = io.BytesIO()
    write_csv(SAMPLE, [sample_row("x")], out)
    out.write(b"more")
    assert out.getvalue().endswith(b"more")
