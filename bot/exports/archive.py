"""The ``all`` export: one zip with every file, ``codebook.csv`` and a ``README.txt``.

``zipfile`` writes each member as it is produced (``ZipFile.open(name, "w")``), so no member is
ever held whole in memory or in a temporary file, and the zip may go to a stream that cannot
seek, such as standard output. Members are written with ZIP64 headers: a member's size is not
known before it is written, and one over 2 GiB would otherwise fail at the end.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from bot.exports.codebook import CODEBOOK_FILE, write_codebook
from bot.exports.csv_writer import write_csv
from bot.exports.tables import Row, Table

README_FILE = "README.txt"


@dataclass(frozen=True)
class ArchiveMember:
    """A file of the zip: its name, and what writes it to a binary stream (returning rows)."""

    name: str
    write: Callable[[IO[bytes]], int]


def csv_member(table: Table, rows: Iterable[Row]) -> ArchiveMember:
    """``table`` as a CSV member of the zip."""
    return ArchiveMember(table.file_name("csv"), lambda out: write_csv(table, rows, out))


def write_archive(
    out: str | Path | IO[bytes], readme: str, members: Iterable[ArchiveMember]
) -> dict[str, int]:
    """Write ``README.txt`` (the text ``readme``, UTF-8) and then each member to a zip at
    ``out`` (a path or a binary stream, left open); return the rows written per member."""
    rows_by_member: dict[str, int] = {}
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(README_FILE, readme.encode())
        for member in members:
            if member.name == README_FILE or member.name in rows_by_member:
                raise ValueError(f"the zip already has a file named {member.name!r}")
            with archive.open(member.name, "w", force_zip64=True) as stream:
                rows_by_member[member.name] = member.write(stream)
    return rows_by_member


def write_all(
    out: str | Path | IO[bytes], readme: str, exports: Sequence[tuple[Table, Iterable[Row]]]
) -> dict[str, int]:
    """The ``all`` zip: each table as CSV, then ``codebook.csv`` describing every column of
    every file (its own included); return the rows written per file."""
    members = [csv_member(table, rows) for table, rows in exports]
    tables = [table for table, _ in exports]
    codebook = ArchiveMember(CODEBOOK_FILE, lambda stream: write_codebook(tables, stream))
    return write_archive(out, readme, [*members, codebook])


def zipped(path: Path) -> Path:
    """``path`` compressed into ``<name>.zip`` beside it (for a file too large to send as it
    is); the zip's path."""
    target = path.with_name(path.name + ".zip")
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.write(path, arcname=path.name)
    return target
