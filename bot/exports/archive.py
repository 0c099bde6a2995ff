"""Zips: an export of several files (``README.txt`` and ``codebook.csv`` included), and a file
zipped to fit an upload limit.

``zipfile`` writes each member as it is produced (``ZipFile.open(name, "w")``), so no member is
ever held whole in memory, and the zip may go to a stream that cannot seek, such as standard
output. Members are written with ZIP64 headers: a member's size is not known before it is
written, and one over 2 GiB would otherwise fail at the end. ``README.txt`` is written last, so
that it can say how many rows each file holds.
"""

from __future__ import annotations

import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO

README_FILE = "README.txt"
_COPY_CHUNK = 1 << 20


@dataclass(frozen=True)
class ArchiveMember:
    """A file of the zip: its name, and what writes it to a binary stream (returning rows)."""

    name: str
    write: Callable[[IO[bytes]], int]


def write_archive(
    out: str | Path | IO[bytes],
    members: Iterable[ArchiveMember],
    readme: Callable[[Mapping[str, int]], str],
) -> dict[str, int]:
    """Write each member, then ``README.txt`` (``readme`` of the rows written per member,
    UTF-8), to a zip at ``out`` (a path or a binary stream, left open); return the rows
    written per member."""
    rows_by_member: dict[str, int] = {}
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for member in members:
            if member.name == README_FILE or member.name in rows_by_member:
                raise ValueError(f"the zip already has a file named {member.name!r}")
            with archive.open(member.name, "w", force_zip64=True) as stream:
                rows_by_member[member.name] = member.write(stream)
        archive.writestr(README_FILE, readme(rows_by_member).encode())
    return rows_by_member


def through_file(name: str, write: Callable[[Path], int]) -> ArchiveMember:
    """A member whose writer needs a file it can seek in (XLSX, Parquet): written to a temporary
    file first, then copied into the zip."""

    def copy(stream: IO[bytes]) -> int:
        with tempfile.TemporaryDirectory(prefix="copbot-member-") as folder:
            path = Path(folder) / name
            rows = write(path)
            with path.open("rb") as written:
                shutil.copyfileobj(written, stream, _COPY_CHUNK)
        return rows

    return ArchiveMember(name, copy)


def zipped(path: Path) -> Path:
    """``path`` compressed into ``<name>.zip`` beside it (for a file too large to send as it
    is); the zip's path."""
    target = path.with_name(path.name + ".zip")
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.write(path, arcname=path.name)
    return target
