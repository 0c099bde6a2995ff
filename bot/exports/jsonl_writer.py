"""JSON Lines: one JSON object per line, keys the column names, UTF-8 without a byte-order mark.

For programs, so text is written as it is (no apostrophes against spreadsheet formulas). Ids and
times are strings, as in the other formats; an empty cell is ``null``.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable
from typing import IO

from bot.exports.cells import json_renderer
from bot.exports.tables import Row, Table


def write_jsonl(table: Table, rows: Iterable[Row], out: IO[bytes]) -> int:
    """Write ``rows`` to the binary stream ``out`` (left open); return the number of rows."""
    header = table.header
    renderers = [json_renderer(column_type) for column_type in table.types]
    # allow_nan=False: NaN is not JSON (the renderers already turn it into null)
    encode = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode
    text = io.TextIOWrapper(out, encoding="utf-8", newline="\n")
    try:
        written = 0
        for row in table.checked_rows(rows):
            record = {
                name: render(value)
                for name, render, value in zip(header, renderers, row, strict=True)
            }
            text.write(encode(record))
            text.write("\n")
            written += 1
        text.flush()
    finally:
        text.detach()
    return written
