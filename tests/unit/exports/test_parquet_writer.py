"""Parquet: typed columns from the table description, written in row groups."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from bot.exports.parquet_writer import arrow_schema, write_parquet
from tests.unit.exports.helpers import MOMENT, SAMPLE, sample_row


def test_round_trip_with_types() -> None:
    out = io.BytesIO()
    rows = [
        sample_row("=1+1", message=123456789012345678),
        sample_row(None, score=float("nan")),
        sample_row("Ministère"),
    ]
    assert write_parquet(SAMPLE, rows, out) == 3
    table = pq.read_table(io.BytesIO(out.getvalue()))
    assert table.schema.names == list(SAMPLE.header)
    types = {field.name: field.type for field in table.schema}
    assert types["message"] == pa.string()
    assert types["posted_at"] == pa.timestamp("us", tz="UTC")
    assert types["posted_at_local"] == pa.string()
    assert types["characters"] == pa.int64()
    assert types["score"] == pa.float64()
    assert types["from_bot"] == pa.bool_()
    assert types["day"] == pa.date32()
    records = table.to_pylist()
    assert records[0] == {
        "message": "123456789012345678",
        "author": "m-3f9a1c2b7d4e",
        "posted_at": MOMENT,
        "posted_at_local": "2026-12-07T10:30:00+01:00",
        "kind": "reply",
        "characters": -3,
        "score": -0.25,
        "from_bot": False,
        "day": date(2026, 12, 7),
        "note": "=1+1",  # for programs: as it is
    }
    assert records[0]["posted_at"].utcoffset().total_seconds() == 0
    assert records[1]["note"] is None and records[1]["score"] is None
    assert records[2]["note"] == "Ministère"


def test_rows_are_written_in_row_groups() -> None:
    out = io.BytesIO()
    rows = [sample_row(f"row {number}") for number in range(10)]
    assert write_parquet(SAMPLE, rows, out, rows_per_group=4) == 10
    parquet = pq.ParquetFile(io.BytesIO(out.getvalue()))
    assert [parquet.metadata.row_group(i).num_rows for i in range(parquet.num_row_groups)] == [
        4,
        4,
        2,
    ]
    assert parquet.read().column("note").to_pylist() == [f"row {n}" for n in range(10)]


def test_an_empty_table_still_has_its_schema() -> None:
    out = io.BytesIO()
    assert write_parquet(SAMPLE, [], out) == 0
    table = pq.read_table(io.BytesIO(out.getvalue()))
    assert table.num_rows == 0
    assert table.schema.names == list(SAMPLE.header)


def test_a_time_without_a_zone_is_refused() -> None:
    row = list(sample_row("x"))
    row[SAMPLE.header.index("posted_at")] = datetime(2026, 12, 7, 9, 30)
    with pytest.raises(ValueError, match="time zone"):
        write_parquet(SAMPLE, [row], io.BytesIO())


def test_an_aware_time_in_another_zone_is_stored_as_the_same_moment() -> None:
    row = list(sample_row("x"))
    row[SAMPLE.header.index("posted_at")] = MOMENT.astimezone(ZoneInfo("Asia/Kathmandu"))
    out = io.BytesIO()
    write_parquet(SAMPLE, [row], out)
    stored = pq.read_table(io.BytesIO(out.getvalue())).column("posted_at").to_pylist()[0]
    assert stored == MOMENT and stored.tzinfo is not None
    assert stored.astimezone(UTC).hour == 9


def test_the_schema_keeps_each_meaning() -> None:
    field = arrow_schema(SAMPLE).field("posted_at")
    assert field.metadata == {b"meaning": b"When, in UTC."}
