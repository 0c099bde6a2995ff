"""Reading a CSV file attached to a slash command: the one way both import commands do it."""

from __future__ import annotations

import discord

from bot.errors import BadInput
from bot.membership.imports import MAX_IMPORT_BYTES, ImportResult


async def read_csv_attachment(attachment: discord.Attachment) -> bytes:
    """The attached file's bytes, once it looks like a CSV of a size we accept."""
    looks_like_csv = attachment.filename.lower().endswith((".csv", ".txt")) or (
        attachment.content_type or ""
    ).startswith(("text/csv", "text/plain"))
    if not looks_like_csv:
        raise BadInput(
            f"`{attachment.filename[:80]}` is not a CSV file.",
            "In your spreadsheet choose File > Save as (or Download) > CSV UTF-8, "
            "then attach that file.",
        )
    if attachment.size > MAX_IMPORT_BYTES:
        raise BadInput(
            f"The file is {attachment.size:,} bytes; the limit is {MAX_IMPORT_BYTES:,}.",
            "Split it into smaller files and import them one after the other.",
        )
    return await attachment.read()


def describe_import(result: ImportResult, what: str) -> str:
    counts = f"{result.created} added, {result.updated} updated, {result.unchanged} unchanged"
    return f"{what}: {counts}."
