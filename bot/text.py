"""Text every feature takes, shows or compares: the one rule for text people type (printable
content, no control characters), one line, shortened, folded for comparison, safe to post (no
mass pings, names shown literally). Pure: no Discord."""

from __future__ import annotations

import re
import unicodedata

from bot.errors import BadInput

ELLIPSIS = "…"
ZERO_WIDTH_SPACE = "\u200b"

# Characters that show nothing although Unicode does not call them spaces: zero-width spaces and
# joiners, direction marks and embeddings, the byte-order mark, the soft hyphen, invisible
# operators, fillers that are letters (Hangul) or symbols (the blank Braille pattern). Text made
# only of these looks empty in Discord; at either end of a text they are trimmed.
INVISIBLE = frozenset(
    "\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b\u200c\u200d\u200e\u200f"
    "\u202a\u202b\u202c\u202d\u202e\u2060\u2061\u2062\u2063\u2064\u2066\u2067\u2068"
    "\u2069\u2800\u3164\ufeff\uffa0"
)
# The control characters that are whitespace people type; every other one is refused: a
# terminal's colour codes, a NUL (which PostgreSQL cannot store in text), a bell.
_LINE_BREAKS_AND_TABS = frozenset("\t\n\r")

_MASS_MENTION = re.compile(r"@(everyone|here)", re.IGNORECASE)
_MARKDOWN_SPECIAL = re.compile(r"([\\*_~`|\[\]<>#])")


def collapse_spaces(text: str) -> str:
    """One line: newlines and runs of whitespace become single spaces, ends trimmed."""
    return " ".join(text.split())


def fold(text: str) -> str:
    """``text`` for comparison: case, accents, spacing and invisible characters aside ("Írc
    WASH" and "I\u200brc wash" are "irc wash")."""
    decomposed = unicodedata.normalize("NFKD", text)
    without_accents = "".join(
        c
        for c in decomposed
        if not unicodedata.combining(c) and c not in INVISIBLE and unicodedata.category(c) != "Cf"
    )
    return collapse_spaces(without_accents.casefold())


def is_visible(char: str) -> bool:
    """Whether one character shows something: a letter, digit, punctuation mark or symbol
    (emoji included), not a space, control, format character, lone mark or invisible filler."""
    return unicodedata.category(char)[0] in "LNPS" and char not in INVISIBLE


def has_visible(text: str) -> bool:
    return any(is_visible(char) for char in text)


def control_characters(text: str) -> list[str]:
    """The control characters of ``text`` that no one means to type, in order: C0 and C1
    controls but tabs and line breaks (whitespace: kept in multi-line text, made spaces in one
    line), and lone surrogates."""
    return [
        char
        for char in text
        if unicodedata.category(char) in ("Cc", "Cs") and char not in _LINE_BREAKS_AND_TABS
    ]


def tidy(text: str, *, multiline: bool = False) -> str:
    """``text`` as it is kept: one line (runs of whitespace become one space) or, multi-line,
    with line breaks as ``\\n``; invisible characters and spaces trimmed at both ends (inside,
    they stay: a zero-width joiner holds an emoji together)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n") if multiline else collapse_spaces(text)
    start, end = 0, len(text)
    while start < end and (text[start].isspace() or text[start] in INVISIBLE):
        start += 1
    while end > start and (text[end - 1].isspace() or text[end - 1] in INVISIBLE):
        end -= 1
    return text[start:end]


def clean_text(
    text: str,
    what: str,
    *,
    limit: int | None = None,
    minimum: int = 1,
    multiline: bool = False,
    example: str | None = None,
) -> str:
    """The one rule for text people type: ``text`` tidied (see :func:`tidy`), or BadInput when
    it holds a control character, shows nothing (empty, spaces, invisible characters), or has
    fewer than ``minimum`` or more than ``limit`` characters once tidied.

    ``what`` names the text in the answer ("the title", "`name`");
    ``example`` (Markdown) shows a value that works.
    """
    controls = control_characters(text)
    if controls:
        codes = ", ".join(dict.fromkeys(f"U+{ord(char):04X}" for char in controls))
        raise BadInput(
            f"There is a control character ({codes}) in {what}, which Discord cannot show.",
            "Type it again without it: text copied from a terminal or a program can carry "
            "such characters.",
        )
    clean = tidy(text, multiline=multiline)
    if not has_visible(clean):
        hint = f", e.g. {example}" if example else ""
        raise BadInput(
            f"Nothing in {what} can be seen: it is empty, or only spaces and invisible "
            "characters.",
            f"Type it in letters, digits or symbols{hint}.",
        )
    if len(clean) < minimum:
        raise BadInput(
            f"That is {len(clean)} characters for {what}; the least is {minimum}.",
            "Write a little more.",
        )
    if limit is not None and len(clean) > limit:
        raise BadInput(
            f"That is {len(clean)} characters for {what}; the most is {limit}.",
            f"Shorten it to {limit} characters or fewer.",
        )
    return clean


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
