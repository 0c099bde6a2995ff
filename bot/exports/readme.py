"""``README.txt`` of a zipped export: what it is, for which period, made when and by whom, how
people were named, and what each file holds. Made by someone (a display name, never an id)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from bot.exports.archive import README_FILE
from bot.exports.codebook import CODEBOOK_FILE
from bot.exports.request import ExportKind
from bot.periods import Period

MESSAGE_TEXT = (
    "No message text is included, except tablecloth notes and harvest items from cafés (written "
    "to be shared) and the questions the community posted; nothing written by people who opted "
    "out or asked to be forgotten."
)


def readme_text(
    *,
    community: str,
    kind: ExportKind,
    period: Period,
    timezone: str,
    made_at: datetime,
    made_by: str,
    names: str,
    rows_by_file: Mapping[str, int],
) -> str:
    lines = [
        f"copbot export: {kind} of {community}",
        "",
        f"Period: {period.describe()} (days in the community's time zone, {timezone}).",
        f"Exported: {made_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC by {made_by}.",
        f"Names: {names}",
        MESSAGE_TEXT,
        "",
        "Files:",
    ]
    for file_name, rows in rows_by_file.items():
        if file_name == CODEBOOK_FILE:
            lines.append(f"  {file_name}: every column of every file, with its type and meaning")
        else:
            lines.append(f"  {file_name}: {rows:,} {'row' if rows == 1 else 'rows'}")
    lines.append(f"  {README_FILE}: this file")
    lines += [
        "",
        "CSV files are UTF-8 with a byte-order mark; times are ISO 8601 in UTC with a local-time "
        "column beside them; ids are text. GraphML files open in Gephi; the edge lists (source, "
        "target, weight) import into Gephi and Kumu.",
        "",
    ]
    return "\n".join(lines)
