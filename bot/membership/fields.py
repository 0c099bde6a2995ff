"""Validation of every field of the register: one rule per field, for commands and CSV alike.

Each function takes what a person typed and returns the clean value, or raises BadInput saying
what is wrong and how to fix it.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from bot.errors import BadInput
from bot.membership.vocabulary import CopStatus, E, Level, Stakeholder, parse_choice
from bot.text import clean_text, has_visible, tidy

NAME_MAX = 100
COUNTRY_MAX = 60
WEBSITE_MAX = 200
DESCRIPTION_MAX = 1000
DISPLAY_NAME_MAX = 100
EXPERTISE_MAX_TAGS = 10
EXPERTISE_TAG_MAX = 40


def organisation_name(text: str) -> str:
    name = clean_text(text, "the organisation's name", example="`IRC WASH`")
    if len(name) > NAME_MAX:
        raise BadInput(
            f"That name is {len(name)} characters long; the limit is {NAME_MAX}.",
            "Use the organisation's short name or acronym.",
        )
    return name


def _one_of(enum: type[E], text: str, what: str) -> E:
    value = parse_choice(enum, text)
    if value is None:
        raise BadInput(
            f"`{text[:40]}` is not {what}.",
            "Choose one of: " + ", ".join(member.value for member in enum) + ".",
        )
    return value


def stakeholder(text: str) -> Stakeholder:
    return _one_of(Stakeholder, text, "a stakeholder group")


def level(text: str) -> Level:
    return _one_of(Level, text, "a level")


def cop_status(text: str) -> CopStatus:
    return _one_of(CopStatus, text, "a CoP membership status")


def country(text: str | None) -> str | None:
    if text is None or not text.strip():
        return None
    value = clean_text(text, "the country", example="`Ghana`")
    if len(value) > COUNTRY_MAX:
        raise BadInput(
            f"A country of {len(value)} characters is too long (at most {COUNTRY_MAX}).",
            "Give the country's common name, e.g. `Ghana`.",
        )
    return value


def website(text: str | None) -> str | None:
    if text is None or not text.strip():
        return None
    value = clean_text(text, "the web address", example="`ircwash.org`")
    if "://" not in value:
        value = "https://" + value
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or "." not in parts.netloc or " " in value:
        raise BadInput(
            f"`{text[:60]}` does not look like a web address.",
            "Give it like `https://www.ircwash.org` or `ircwash.org`.",
        )
    if len(value) > WEBSITE_MAX:
        raise BadInput(f"That web address is longer than {WEBSITE_MAX} characters.")
    return value


def description(text: str | None) -> str | None:
    if text is None or not text.strip():
        return None
    value = clean_text(text, "the description", multiline=True)
    if len(value) > DESCRIPTION_MAX:
        raise BadInput(
            f"The description is {len(value)} characters long; the limit is {DESCRIPTION_MAX}.",
            "Shorten it: a few sentences about what the organisation does is enough.",
        )
    return value


def display_name(text: str) -> str:
    value = clean_text(text, "the display name")
    if len(value) > DISPLAY_NAME_MAX:
        raise BadInput(f"A display name can have at most {DISPLAY_NAME_MAX} characters.")
    return value


def expertise(text: str | None) -> list[str]:
    """Comma-separated tags: trimmed, duplicates (ignoring case) dropped, at most 10."""
    if text is None or not text.strip():
        return []
    clean_text(text, "the expertise", example="`sanitation, monitoring`")
    tags: list[str] = []
    seen: set[str] = set()
    for raw in text.split(","):
        tag = tidy(raw)
        if not has_visible(tag) or tag.casefold() in seen:
            continue
        if len(tag) > EXPERTISE_TAG_MAX:
            raise BadInput(
                f"The expertise tag `{tag[:50]}` is longer than {EXPERTISE_TAG_MAX} characters.",
                "Use short tags separated by commas, e.g. `sanitation, monitoring, finance`.",
            )
        seen.add(tag.casefold())
        tags.append(tag)
    if len(tags) > EXPERTISE_MAX_TAGS:
        raise BadInput(
            f"{len(tags)} expertise tags is too many; the limit is {EXPERTISE_MAX_TAGS}.",
            "Keep the ten that describe you best.",
        )
    return tags
