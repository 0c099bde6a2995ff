"""Rows read from the database on the event loop, written by a file writer in a worker thread.

The writers (CSV, JSONL, XLSX, Parquet, the zip) are plain blocking code that takes iterables of
rows; the database is async. :func:`write_in_thread` runs the writer in a thread and feeds it
through a small bounded queue, one batch at a time, in the order of the files: memory stays at a
few batches whatever the size, the event loop only reads and hands over (other commands keep
being answered), and a slow disk slows the reading instead of filling memory.
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import AsyncIterable, Callable, Iterator, Sequence
from typing import TypeVar

from bot.exports.tables import Row

Result = TypeVar("Result")

# What the queue carries: a batch of rows, the end of one file's rows, or the end of all.
_END_OF_FILE = object()
_END = object()
_QUEUED_BATCHES = 4
_POLL_SECONDS = 0.1


class FileRows:
    """The rows of one file, handed to the writer in the worker thread as an iterable that
    ends where the file's rows end."""

    def __init__(self, source: queue.Queue[object]) -> None:
        self._source = source

    def __iter__(self) -> Iterator[Row]:
        while True:
            item = self._source.get()
            if item is _END_OF_FILE:
                return
            if item is _END:
                raise RuntimeError("the export ended before this file's rows did")
            yield from item  # type: ignore[misc]  # a batch of rows


async def write_in_thread(
    files: Sequence[AsyncIterable[Sequence[Row]]],
    write: Callable[[list[FileRows]], Result],
    *,
    on_rows: Callable[[int], None] | None = None,
) -> Result:
    """Call ``write`` in a worker thread with one :class:`FileRows` per entry of ``files``, fed
    from them in order (``write`` must read the files in that order); return what it returns.
    ``on_rows(count)`` is called on the event loop after each batch is handed over."""
    handover: queue.Queue[object] = queue.Queue(maxsize=_QUEUED_BATCHES)
    writer_done = threading.Event()
    rows = [FileRows(handover) for _ in files]

    def run_writer() -> Result:
        try:
            return write(rows)
        finally:
            writer_done.set()

    def put(item: object) -> bool:
        """Hand ``item`` over; False when the writer stopped (it failed) and takes no more."""
        while not writer_done.is_set():
            try:
                handover.put(item, timeout=_POLL_SECONDS)
                return True
            except queue.Full:
                continue
        return False

    writing = asyncio.ensure_future(asyncio.to_thread(run_writer))
    try:
        for batches in files:
            async for batch in batches:
                if not batch:
                    continue
                if not await asyncio.to_thread(put, batch):
                    return await writing  # raises the writer's error
                if on_rows is not None:
                    on_rows(len(batch))
            if not await asyncio.to_thread(put, _END_OF_FILE):
                return await writing
    except BaseException:
        # Reading failed (or was cancelled): the writer must not wait for rows for ever.
        await asyncio.to_thread(put, _END)
        await asyncio.gather(writing, return_exceptions=True)
        raise
    return await writing
