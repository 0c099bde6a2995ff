"""Organisation names: one key per name regardless of case, accents and spacing."""

from __future__ import annotations

import difflib

from bot.text import fold


def name_key(name: str) -> str:
    """A name's key: "IRC", " irc" and "Írc" all give "irc"."""
    return fold(name)


def similar_names(name: str, existing: list[str], *, limit: int = 3) -> list[str]:
    """Existing names close to ``name`` (for "did you mean" answers), closest first."""
    keyed = {name_key(candidate): candidate for candidate in existing}
    wanted = name_key(name)
    close = difflib.get_close_matches(wanted, list(keyed), n=limit, cutoff=0.75)
    contains = [key for key in keyed if len(wanted) >= 3 and (wanted in key or key in wanted)]
    ordered = list(dict.fromkeys(close + contains))[:limit]
    return [keyed[key] for key in ordered]
