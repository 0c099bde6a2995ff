"""Zipped exports: every file, the codebook of every column, and the README written last."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest

from bot.exports.archive import ArchiveMember, write_archive, zipped
from bot.exports.cells import ColumnType
from bot.exports.files import codebook_member, table_member
from bot.exports.request import FileFormat
from bot.exports.tables import CODEBOOK, Column, Row, Table
from tests.unit.exports.helpers import SAMPLE, sample_row

MEMBERS = Table(
    "members",
    (
        Column("member", ColumnType.ID, "The person's pseudonym.", "m-3f9a1c2b7d4e"),
        Column("organisation", ColumnType.TEXT, "Their organisation.", "WaterAid"),
    ),
)
README = "Export of Wash Alliance, 2026-01-01 to 2026-12-07, by Ana.\nNames: pseudonymous.\n"


def readme(rows_by_file: Mapping[str, int]) -> str:
    return README + "".join(f"{name}: {rows}\n" for name, rows in rows_by_file.items())


def csv_member(table: Table, rows: Iterable[Row]) -> ArchiveMember:
    return table_member(FileFormat.CSV, table, rows)


class Unseekable(io.RawIOBase):
    """Standard output piped to another program: written to, never rewound."""

    def __init__(self) -> None:
        self.received = bytearray()

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:  # a bytes-like object
        self.received += data
        return len(data)


def read_csv(archive: zipfile.ZipFile, name: str) -> list[list[str]]:
    text = archive.read(name).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text, newline="")))


def test_the_zip_holds_every_file_the_codebook_and_the_readme_last() -> None:
    out = io.BytesIO()
    counts = write_archive(
        out,
        [
            csv_member(SAMPLE, [sample_row("=1+1"), sample_row("fine")]),
            csv_member(MEMBERS, iter([("m-3f9a1c2b7d4e", "Ministère de l'Eau")])),
            codebook_member([SAMPLE, MEMBERS], "csv"),
        ],
        readme,
    )
    codebook_size = len(SAMPLE.columns) + len(MEMBERS.columns) + len(CODEBOOK.columns)
    assert counts == {"contributions.csv": 2, "members.csv": 1, "codebook.csv": codebook_size}
    with zipfile.ZipFile(io.BytesIO(out.getvalue())) as archive:
        assert archive.testzip() is None
        assert archive.namelist() == [
            "contributions.csv",
            "members.csv",
            "codebook.csv",
            "README.txt",
        ]
        assert archive.read("README.txt").decode("utf-8") == (
            f"{README}contributions.csv: 2\nmembers.csv: 1\ncodebook.csv: {codebook_size}\n"
        )
        assert archive.read("contributions.csv").startswith(b"\xef\xbb\xbf")
        contributions = read_csv(archive, "contributions.csv")
        assert contributions[1][-1] == "'=1+1"
        assert read_csv(archive, "members.csv")[1] == ["m-3f9a1c2b7d4e", "Ministère de l'Eau"]
        codebook = read_csv(archive, "codebook.csv")
        described = {(row[0], row[1]) for row in codebook[1:]}
        for name in ("contributions.csv", "members.csv", "codebook.csv"):
            header = read_csv(archive, name)[0]
            assert {(name, column) for column in header} <= described
        assert len(codebook) - 1 == codebook_size


def test_the_zip_streams_to_a_stream_that_cannot_seek() -> None:
    raw = Unseekable()
    with io.BufferedWriter(raw) as out:  # as sys.stdout.buffer is
        write_archive(out, [csv_member(SAMPLE, [sample_row("x")] * 100)], readme)
    with zipfile.ZipFile(io.BytesIO(bytes(raw.received))) as archive:
        assert archive.testzip() is None
        assert len(read_csv(archive, "contributions.csv")) == 101


def test_a_member_name_is_used_once() -> None:
    twice = [csv_member(MEMBERS, []), csv_member(MEMBERS, [])]
    with pytest.raises(ValueError, match=r"members\.csv"):
        write_archive(io.BytesIO(), twice, readme)
    with pytest.raises(ValueError, match=r"README\.txt"):
        write_archive(io.BytesIO(), [ArchiveMember("README.txt", lambda out: 0)], readme)


def test_a_file_zipped_beside_itself_reads_back_whole(tmp_path: Path) -> None:
    original = tmp_path / "contributions.csv"
    original.write_bytes(b"a,b\r\n" + b"1,2\r\n" * 10_000)
    smaller = zipped(original)
    assert smaller == tmp_path / "contributions.csv.zip"
    assert smaller.stat().st_size < original.stat().st_size
    with zipfile.ZipFile(smaller) as archive:
        assert archive.namelist() == ["contributions.csv"]
        assert archive.read("contributions.csv") == original.read_bytes()
