"""Rows read on the event loop reach a writer in a worker thread, in order, file by file; a
failure on either side ends the export with that failure instead of a hang."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Sequence

import pytest

from bot.exports.bridge import FileRows, write_in_thread
from bot.exports.tables import Row


async def batches(
    *sizes: int, start: int = 0, fail_after: int | None = None
) -> AsyncIterator[Sequence[Row]]:
    value = start
    for number, size in enumerate(sizes):
        if fail_after is not None and number == fail_after:
            raise ConnectionError("the database went away")
        yield [(value + i,) for i in range(size)]
        value += size
        await asyncio.sleep(0)


async def test_each_file_gets_its_own_rows_in_order_off_the_event_loop() -> None:
    loop_thread = threading.get_ident()
    seen: list[tuple[int, list[int]]] = []
    counted: list[int] = []

    def write(files: list[FileRows]) -> int:
        assert threading.get_ident() != loop_thread
        for number, rows in enumerate(files):
            seen.append((number, [row[0] for row in rows]))
        return sum(len(values) for _, values in seen)

    total = await write_in_thread(
        [batches(3, 0, 2), batches(1, start=100)], write, on_rows=counted.append
    )
    assert seen == [(0, [0, 1, 2, 3, 4]), (1, [100])]
    assert total == 6 and counted == [3, 2, 1]


async def test_many_batches_pass_through_a_small_queue() -> None:
    def write(files: list[FileRows]) -> int:
        return sum(1 for _ in files[0])

    assert await write_in_thread([batches(*[100] * 200)], write) == 20_000


async def test_a_reading_failure_ends_the_writer_and_is_raised() -> None:
    finished = threading.Event()

    def write(files: list[FileRows]) -> int:
        try:
            return sum(1 for _ in files[0])
        finally:
            finished.set()

    with pytest.raises(ConnectionError):
        await asyncio.wait_for(write_in_thread([batches(5, 5, 5, fail_after=2)], write), 10)
    assert finished.is_set()


async def test_a_writing_failure_stops_the_reading_and_is_raised() -> None:
    def write(files: list[FileRows]) -> int:
        for row in files[0]:
            if row[0] == 150:
                raise OSError(28, "No space left on device")
        return 0

    with pytest.raises(OSError, match="No space left"):
        await asyncio.wait_for(write_in_thread([batches(*[100] * 1000)], write), 10)
