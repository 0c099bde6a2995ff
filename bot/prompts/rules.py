"""The question bank's rules for text and themes. Pure: no Discord, no database."""

from __future__ import annotations

import hashlib
import re

from bot.errors import BadInput
from bot.text import clean_text, collapse_spaces, fold

MAX_QUESTION = 300  # a question people read at a glance; the post's embed title holds 256
MIN_QUESTION = 10
MAX_THEME = 50
MAX_REASON = 300  # why a question was rejected: a sentence or two for its submitter

_TRAILING_PUNCTUATION = re.compile(r"[\s?.!…]+$")


def clean_question(text: str) -> str:
    """The question as it is kept and shown: spacing tidied, nothing else changed."""
    clean = clean_text(text, "the question")
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
    shown = clean_text(text, "the theme", example="`funding` or `monitoring`")
    if len(shown) > MAX_THEME:
        raise BadInput(
            f"The theme is {len(shown)} characters long; the most is {MAX_THEME}.",
            "Use a word or two; the question carries the detail.",
        )
    return shown, theme_key(shown)


def clean_reason(text: str | None) -> str | None:
    """Why a question was rejected, as kept; None when no reason was given (left empty)."""
    if text is None or not text.strip():
        return None
    reason = clean_text(text, "the reason")
    if len(reason) > MAX_REASON:
        raise BadInput(
            f"The reason is {len(reason)} characters long; the most is {MAX_REASON}.",
            "Say it in a sentence or two.",
        )
    return reason


def theme_key(text: str) -> str:
    return _bounded(collapse_spaces(text).casefold(), MAX_THEME)


def _bounded(key: str, limit: int) -> str:
    """The key within its column's length. Folding can lengthen text ("ß" becomes "ss", "…"
    becomes "..."), so a key over the limit keeps its start and a digest of the whole."""
    if len(key) <= limit:
        return key
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    return f"{key[: limit - len(digest) - 1]}~{digest}"
