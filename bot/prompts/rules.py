"""The question bank's rules for text and themes. Pure: no Discord, no database."""

from __future__ import annotations

import hashlib
import re

from bot.errors import BadInput
from bot.text import collapse_spaces, fold

MAX_QUESTION = 300  # a question people read at a glance; the post's embed title holds 256
MIN_QUESTION = 10
MAX_THEME = 50

_TRAILING_PUNCTUATION = re.compile(r"[\s?.!…]+$")


def clean_question(text: str) -> str:
    """The question as it is kept and shown: spacing tidied, nothing else changed."""
    clean = collapse_spaces(text)
    if not clean:
        raise BadInput(
            "The question is empty.", "Write the question you want the community to answer."
        )
    if len(clean) < MIN_QUESTION:
        raise BadInput(
            f"“{clean}” is too short to be a question ({len(clean)} characters).",
            f"Write at least {MIN_QUESTION} characters.",
        )
    if len(clean) > MAX_QUESTION:
        raise BadInput(
            f"The question is {len(clean)} characters long; the most is {MAX_QUESTION}.",
            "Shorten it: a good prompt can be read at a glance.",
        )
    return clean


def question_key(text: str) -> str:
    """What makes two questions the same: case, accents, spacing and the final ``?`` aside."""
    return _bounded(_TRAILING_PUNCTUATION.sub("", fold(text)), MAX_QUESTION)


def clean_theme(text: str) -> tuple[str, str]:
    """(the theme as shown, its key): "Funding  KM" and "funding km" are one theme."""
    shown = collapse_spaces(text)
    if not shown:
        raise BadInput("The theme is empty.", "Give a short theme, e.g. `funding` or `monitoring`.")
    if len(shown) > MAX_THEME:
        raise BadInput(
            f"The theme is {len(shown)} characters long; the most is {MAX_THEME}.",
            "Use a word or two; the question carries the detail.",
        )
    return shown, theme_key(shown)


def theme_key(text: str) -> str:
    return _bounded(collapse_spaces(text).casefold(), MAX_THEME)


def _bounded(key: str, limit: int) -> str:
    """The key within its column's length. Folding can lengthen text ("ß" becomes "ss", "…"
    becomes "..."), so a key over the limit keeps its start and a digest of the whole."""
    if len(key) <= limit:
        return key
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    return f"{key[: limit - len(digest) - 1]}~{digest}"
