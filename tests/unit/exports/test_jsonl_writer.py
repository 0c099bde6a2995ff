"""JSON Lines: one object per line, keys the column names, UTF-8 without a byte-order mark."""

from __future__ import annotations

import io
import json

from bot.exports.jsonl_writer import write_jsonl
from tests.unit.exports.helpers import SAMPLE, sample_row


def test_round_trip() -> None:
    out = io.BytesIO()
    rows = [
        sample_row("=1+1 stays as it is: JSON is for programs", message=123456789012345678),
        sample_row(None, score=float("nan")),
        sample_row("Ministère de l'Eau\nsecond line"),
    ]
    assert write_jsonl(SAMPLE, rows, out) == 3
    data = out.getvalue()
    assert not data.startswith(b"\xef\xbb\xbf")
    lines = data.decode("utf-8").split("\n")
    assert lines[-1] == ""  # every record ends its line, the last one too
    records = [json.loads(line) for line in lines[:-1]]
    assert records[0] == {
        "message": "123456789012345678",
        "author": "m-3f9a1c2b7d4e",
        "posted_at": "2026-12-07T09:30:00Z",
        "posted_at_local": "2026-12-07T10:30:00+01:00",
        "kind": "reply",
        "characters": -3,
        "score": -0.25,
        "from_bot": False,
        "day": "2026-12-07",
        "note": "=1+1 stays as it is: JSON is for programs",
    }
    assert records[1]["note"] is None and records[1]["score"] is None
    assert records[2]["note"] == "Ministère de l'Eau\nsecond line"
    assert "Ministère".encode() in data  # UTF-8 as it is, not \u escapes


def test_no_rows_no_lines() -> None:
    out = io.BytesIO()
    assert write_jsonl(SAMPLE, [], out) == 0
    assert out.getvalue() == b""
