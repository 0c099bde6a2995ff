"""How far an export got: rows counted as batches are handed over, shown at most every so often
(a line on a terminal, an edit of a Discord answer)."""

from __future__ import annotations

import time
from collections.abc import Callable


class RowProgress:
    """Counts rows (:meth:`add`, the ``on_rows`` of ``Exports.write``) and calls
    ``show(rows so far)`` at most once every ``every`` seconds, not at the start."""

    def __init__(self, every: float, show: Callable[[int], None]) -> None:
        self.every = every
        self.rows = 0
        self.shown = False
        self._show = show
        self._shown_at = time.monotonic()

    def add(self, rows: int) -> None:
        self.rows += rows
        now = time.monotonic()
        if now - self._shown_at >= self.every:
            self._shown_at = now
            self.shown = True
            self._show(self.rows)


def progress_text(rows: int, total: int | None, *, bar_width: int = 0) -> str:
    """``rows`` so far as text: with a known ``total``, the share done (and a bar of
    ``bar_width`` characters when asked for), else the count alone."""
    if not total:
        return f"{rows:,} rows"
    done = min(rows / total, 1.0)
    text = f"{done:.0%} ({rows:,} of {total:,} rows)"
    if bar_width > 0:
        filled = round(done * bar_width)
        text = "[" + "#" * filled + "-" * (bar_width - filled) + "] " + text
    return text
