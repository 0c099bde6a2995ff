"""Organisation names: one key per name regardless of case, accents and spacing."""

from __future__ import annotations

import difflib
import unicodedata


def name_key(name: str) -> str:
    """Fold a name for comparison: "IRC", " irc" and "Írc" all give "irc"."""
    decomposed = unicodedata.normalize("NFKD", name)
    without_accents = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(without_accents.casefold().split())


def tidy_name(name: str) -> str:
    """The name as it is shown: inner runs of spaces collapsed, ends trimmed."""
    return " ".join(name.split())


def similar_names(name: str, existing: list[str], *, limit: int = 3) -> list[str]:
    """Existing names close to ``name`` (for "did you mean" answers), closest first."""
    keyed = {name_key(candidate): candidate for candidate in existing}
    wanted = name_key(name)
    close = difflib.get_close_matches(wanted, list(keyed), n=limit, cutoff=0.75)
    contains = [key for key in keyed if len(wanted) >= 3 and (wanted in key or key in wanted)]
    ordered = list(dict.fromkeys(close + contains))[:limit]
    return [keyed[key] for key in ordered]
