"""One-time invite codes: random, shown once, kept only as a hash."""

from __future__ import annotations

import hashlib
import secrets
from typing import Final

PREFIX: Final = "copbot-link-"
CODE_BYTES: Final = 18
"""144 random bits (the issue asks for at least 128)."""


def new_code() -> str:
    """A fresh code for a moderator to pass on: URL-safe, so it survives being pasted anywhere."""
    return PREFIX + secrets.token_urlsafe(CODE_BYTES)


def code_hash(code: str) -> str:
    """What is stored and looked up. The code has 144 random bits, so a plain SHA-256 is enough:
    there is nothing to guess from the hash, and no salt is needed to stop a dictionary."""
    return hashlib.sha256(code.strip().encode()).hexdigest()


def looks_like_code(code: str) -> bool:
    text = code.strip()
    return text.startswith(PREFIX) and 16 <= len(text) <= 80
