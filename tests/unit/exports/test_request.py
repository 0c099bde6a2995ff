"""The export request: the command line it names is one the command line accepts, for the same
file; and the row count shown while it runs is shown at most every so often."""

from __future__ import annotations

import time
from datetime import date

from bot.cli import build_parser
from bot.exports.progress import RowProgress, progress_text
from bot.exports.request import ExportKind, ExportRequest, FileFormat, NameMode
from bot.periods import Period


def test_the_command_line_of_a_request_parses_to_the_same_request() -> None:
    request = ExportRequest(
        123456789012345678,
        ExportKind.CONTRIBUTIONS,
        FileFormat.XLSX,
        Period(date(2026, 1, 1), date(2026, 3, 31)),
        NameMode.VISIBLE,
    )
    words = request.command_line().split()
    assert words[0] == "copbot"
    args = build_parser().parse_args(words[1:])
    assert (args.command, args.kind, args.guild) == (
        "export",
        "contributions",
        request.community_id,
    )
    assert (args.format, args.since, args.until, args.names) == (
        "xlsx",
        "2026-01-01",
        "2026-03-31",
        "visible",
    )
    assert args.out == "contributions.xlsx"


def test_progress_is_counted_always_and_shown_at_most_every_interval() -> None:
    shown: list[int] = []
    progress = RowProgress(0.05, shown.append)
    progress.add(10)
    progress.add(5)
    assert progress.rows == 15 and shown == [] and not progress.shown
    time.sleep(0.06)
    progress.add(1)
    progress.add(1)
    assert shown == [16] and progress.rows == 17 and progress.shown


def test_progress_reads_as_a_share_of_the_total_when_it_is_known() -> None:
    assert progress_text(1_234, None) == "1,234 rows"
    assert progress_text(250_000, 1_000_000) == "25% (250,000 of 1,000,000 rows)"
    assert progress_text(250_000, 1_000_000, bar_width=8) == (
        "[##------] 25% (250,000 of 1,000,000 rows)"
    )
    # rows logged while the export runs may pass the count taken at its start
    assert progress_text(12, 10, bar_width=4) == "[####] 100% (12 of 10 rows)"
