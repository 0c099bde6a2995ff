"""What /platform shows: the platform and its links as embeds, and the join preview that
joining asks to confirm (with the confirmation of cogs/_ui/confirm.py)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Final

import discord

from bot.platforms.values import InvitePreview, LinkedPlatform, Platform
from cogs._ui.embeds import Tone, make_embed

CUSTOM_ID_PREFIX: Final = "platform-ask:"  # of the confirmations (cogs/_ui/confirm.py)
CONFIRM_TIMEOUT_SECONDS: Final = 300.0
FIELD_LIMIT: Final = 1024  # characters of an embed field's value
WHAT_CROSSES: Final = (
    "Only items shared on purpose and a child's digest of group figures cross a link; "
    "no member data, no logs."
)


# --- what the embeds say --------------------------------------------------------------------------


def day(moment: Any) -> str:
    """A date as Discord shows it to each reader, in their own time zone."""
    return discord.utils.format_dt(moment, "D")


def link_line(item: LinkedPlatform) -> str:
    """``Name (server) — parent since <date>``, or with its end for a link of the past."""
    server = f" ({item.server_name})" if item.server_name else ""
    head = f"**{item.platform.name}**{server} — {item.relation.value}"
    if item.link.ended_at is None:
        return f"{head} since {day(item.link.started_at)}"
    return f"{head}, {day(item.link.started_at)} – {day(item.link.ended_at)}"


def joined_lines(lines: Iterable[str], limit: int = FIELD_LIMIT) -> str:
    """Lines for one embed field, cut with a count of what did not fit."""
    every = list(lines)
    kept: list[str] = []
    for index, line in enumerate(every):
        remaining = len(every) - index - 1
        # Room is kept for the "… and N more" that a later cut would add.
        reserve = len(f"\n… and {remaining} more") if remaining else 0
        if len("\n".join([*kept, line])) + reserve > limit:
            kept.append(f"… and {len(every) - index} more")
            break
        kept.append(line)
    return "\n".join(kept)


def platform_embed(
    platform: Platform,
    server_name: str,
    *,
    inbox: str,
    links: list[LinkedPlatform],
) -> discord.Embed:
    live = [link_line(item) for item in links if item.link.ended_at is None]
    ended = [link_line(item) for item in links if item.link.ended_at is not None]
    fields = [
        ("Level", platform.level.label),
        ("Where", f"{server_name}: {platform.where}"),
        ("Inbox", inbox),
        ("Harvests shared automatically", "on" if platform.autoshare_harvests else "off"),
        ("Links", joined_lines(live) if live else "None yet: `/platform invite` makes one."),
    ]
    if ended:
        fields.append(("Links of the past", joined_lines(ended)))
    return make_embed(
        f"{platform.name} · {platform.level.label} platform",
        f"Created {day(platform.created_at)}.",
        fields=fields,
        footer=WHAT_CROSSES,
    )


def join_preview_embed(preview: InvitePreview, joining: Platform, *, footer: str) -> discord.Embed:
    other = preview.inviting
    relation = preview.relation.value
    sits = {
        "parent": "above",
        "child": "below",
        "peer": "beside",
    }[relation]
    return make_embed(
        f"Link {joining.name} to {other.name}?",
        f"**{other.name}** ({preview.inviting_server}), "
        f"{'an' if other.level.value[0] in 'aeiou' else 'a'} "
        f"{other.level.label.lower()} platform, would be linked to **{joining.name}** as its "
        f"**{relation}**: it sits {sits} this one.",
        fields=[
            ("What crosses the link", WHAT_CROSSES),
            (
                "What the link does",
                "Members and moderators can share items with the linked platform on purpose; "
                "copies arrive in its inbox with a thread for responses. Either side can end "
                "the link at any time with `/platform unlink`.",
            ),
            ("The code expires", discord.utils.format_dt(preview.expires_at, "R")),
        ],
        tone=Tone.WARNING,
        footer=footer,
    )
