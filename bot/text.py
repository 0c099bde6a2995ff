"""Text every feature shows or compares: one line, shortened, folded for comparison, safe to
post (no mass pings, names shown literally). Pure: no Discord."""

from __future__ import annotations

import re
import unicodedata

ELLIPSIS = "…"
ZERO_WIDTH_SPACE = "\u200b"

_MASS_MENTION = re.compile(r"@(everyone|here)", re.IGNORECASE)
_MARKDOWN_SPECIAL = re.compile(r"([\\*_~`|\[\]<>#])")


def collapse_spaces(text: str) -> str:
    """One line: newlines and runs of whitespace become single spaces, ends trimmed."""
    return " ".join(text.split())


def fold(text: str) -> str:
    """``text`` for comparison: case, accents and spacing aside ("Írc  WASH" is "irc wash")."""
    decomposed = unicodedata.normalize("NFKD", text)
    without_accents = "".join(c for c in decomposed if not unicodedata.combining(c))
    return collapse_spaces(without_accents.casefold())


def shorten(text: str, limit: int) -> str:
    """``text`` on one line, at most ``limit`` characters: cut at a word boundary with an
    ellipsis when too long (mid-word only when the first word alone is too long)."""
    if limit < 1:
        raise ValueError("the limit must leave room for at least one character")
    text = collapse_spaces(text)
    if len(text) <= limit:
        return text
    room = limit - len(ELLIPSIS)
    cut = text.rfind(" ", 0, room + 1)
    kept = text[:cut] if cut > 0 else text[:room]
    # A cut after "fund," or "and -" reads better as "fund…" and "and…".
    kept = kept.rstrip(" ,;:-–—·")
    return (kept or text[:room]) + ELLIPSIS


def neutralise_mentions(text: str) -> str:
    """``text`` with ``@everyone`` and ``@here`` broken by a zero-width space, so they never ping.

    User and role mentions are left as they are: they still show as names, and messages are
    sent with ``allowed_mentions`` none, which keeps them from pinging.
    """
    return _MASS_MENTION.sub(lambda match: f"@{ZERO_WIDTH_SPACE}{match[1]}", text)


def escape_markdown(text: str) -> str:
    """``text`` shown literally inside Markdown: for names, which should never format a line."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)
