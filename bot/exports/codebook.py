"""``codebook.csv``: every column of every file of an export, with its type, meaning and example.

Made from the same :class:`~bot.exports.tables.Table` descriptions as the files themselves, so a
column cannot be added to a file without appearing here.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import IO

from bot.exports.csv_writer import write_csv
from bot.exports.tables import CODEBOOK, Table, codebook_rows

CODEBOOK_FILE = CODEBOOK.file_name("csv")


def write_codebook(tables: Iterable[Table], out: IO[bytes], extension: str = "csv") -> int:
    """Write the codebook of ``tables`` (files named with ``extension``) as CSV to ``out``;
    return the number of columns described (the codebook's own included)."""
    return write_csv(CODEBOOK, codebook_rows(tables, extension), out)
