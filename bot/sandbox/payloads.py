"""Discord JSON payloads for the sandbox's models (keys as discord.py 2.7 reads them)."""

from __future__ import annotations

from typing import Any

from bot.sandbox.models import (
    Attachment,
    BotAccount,
    Channel,
    Guild,
    Member,
    Message,
    Role,
    User,
    iso,
    snowflake_time,
)


def user(u: User) -> dict[str, Any]:
    return {
        "id": str(u.id),
        "username": u.name,
        "global_name": u.global_name,
        "discriminator": "0",
        "avatar": u.avatar,
        "bot": u.bot,
        "system": False,
        "public_flags": 0,
        "flags": 0,
        "banner": None,
        "accent_color": None,
        "avatar_decoration_data": None,
        "primary_guild": None,
        "collectibles": None,
    }


def current_user(u: User) -> dict[str, Any]:
    data = user(u)
    data.update({"verified": True, "mfa_enabled": False, "locale": "en-US", "email": None})
    return data


def application(bot: BotAccount, owner: User | None) -> dict[str, Any]:
    return {
        "id": str(bot.application_id),
        "name": bot.user.name,
        "description": "",
        "icon": None,
        "rpc_origins": [],
        "bot_public": True,
        "bot_require_code_grant": False,
        "bot": user(bot.user),
        "owner": user(owner or bot.user),
        "team": None,
        "summary": "",
        "verify_key": "0" * 64,
        "flags": bot.application_flags,
        "tags": [],
        "redirect_uris": [],
        "interactions_endpoint_url": None,
        "approximate_guild_count": 0,
    }


def role(r: Role) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": str(r.id),
        "name": r.name,
        "color": r.color,
        "colors": {"primary_color": r.color, "secondary_color": None, "tertiary_color": None},
        "hoist": r.hoist,
        "icon": None,
        "unicode_emoji": None,
        "position": r.position,
        "permissions": str(r.permissions),
        "managed": r.managed,
        "mentionable": r.mentionable,
        "flags": 0,
    }
    if r.bot_id is not None:
        data["tags"] = {"bot_id": str(r.bot_id)}
    return data


def member(m: Member, *, with_user: bool = True, permissions: int | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "roles": [str(r.id) for r in m.roles],
        "nick": m.nick,
        "avatar": None,
        "banner": None,
        "joined_at": iso(m.joined_at),
        "premium_since": None,
        "deaf": False,
        "mute": False,
        "flags": 0,
        "pending": False,
        "communication_disabled_until": None,
    }
    if with_user:
        data["user"] = user(m.user)
    if permissions is not None:
        data["permissions"] = str(permissions)
    return data


def overwrites(c: Channel) -> list[dict[str, Any]]:
    guild = c.guild
    out = []
    for target, (allow, deny) in c.overwrites.items():
        is_role = guild is not None and guild.get_role(target) is not None
        out.append(
            {"id": str(target), "type": 0 if is_role else 1, "allow": str(allow), "deny": str(deny)}
        )
    return out


def thread_member(
    thread: Channel, user_id: int, member_obj: Member | None = None
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": str(thread.id),
        "user_id": str(user_id),
        "join_timestamp": iso(thread.thread_members[user_id]),
        "flags": 0,
    }
    if member_obj is not None:
        data["member"] = member(member_obj)
    return data


def channel(c: Channel, *, me: int | None = None) -> dict[str, Any]:
    if c.type == 1:
        return {
            "id": str(c.id),
            "type": 1,
            "last_message_id": str(c.last_message_id) if c.last_message_id else None,
            "recipients": [user(c.recipient)] if c.recipient else [],
            "flags": 0,
        }
    data: dict[str, Any] = {
        "id": str(c.id),
        "type": c.type,
        "guild_id": str(c.guild.id) if c.guild else None,
        "name": c.name,
        "parent_id": str(c.parent.id) if c.parent else None,
        "last_message_id": str(c.last_message_id) if c.last_message_id else None,
        "rate_limit_per_user": 0,
        "flags": 0,
        "nsfw": False,
    }
    if c.is_thread:
        data.update(
            {
                "owner_id": str(c.owner_id),
                "message_count": c.message_count,
                "member_count": min(len(c.thread_members), 50),
                "total_message_sent": c.total_message_sent,
                "applied_tags": [],
                "thread_metadata": {
                    "archived": c.archived,
                    "auto_archive_duration": c.auto_archive_duration,
                    "archive_timestamp": iso(c.archive_timestamp),
                    "locked": c.locked,
                    "create_timestamp": iso(snowflake_time(c.id)),
                    **({"invitable": c.invitable} if c.type == 12 else {}),
                },
            }
        )
        if me is not None and me in c.thread_members:
            data["member"] = {
                "id": str(c.id),
                "user_id": str(me),
                "join_timestamp": iso(c.thread_members[me]),
                "flags": 0,
            }
    else:
        data.update(
            {
                "position": c.position,
                "permission_overwrites": overwrites(c),
                "topic": c.topic,
                "default_auto_archive_duration": 1440,
                "default_thread_rate_limit_per_user": 0,
            }
        )
    return data


def attachment(a: Attachment) -> dict[str, Any]:
    return {
        "id": str(a.id),
        "filename": a.filename,
        "size": a.size,
        "url": a.url,
        "proxy_url": a.url,
        "content_type": a.content_type,
        "description": a.description,
        "height": None,
        "width": None,
        "ephemeral": False,
        "flags": 0,
    }


def message(
    m: Message,
    *,
    hide_content: bool = False,
    with_reference: bool = True,
    viewer_id: int | None = None,
    hide_reference_content: bool = False,
) -> dict[str, Any]:
    guild = m.channel.guild
    data: dict[str, Any] = {
        "id": str(m.id),
        "channel_id": str(m.channel.id),
        "author": user(m.author),
        "content": "" if hide_content else m.content,
        "timestamp": iso(m.created_at),
        "edited_timestamp": iso(m.edited_at),
        "tts": False,
        "mention_everyone": m.mention_everyone,
        "mentions": [user(u) for u in m.mentions],
        "mention_roles": [str(r) for r in m.mention_roles],
        "attachments": [] if hide_content else [attachment(a) for a in m.attachments],
        "embeds": [] if hide_content else m.embeds,
        "components": [] if hide_content else m.components,
        "pinned": m.pinned,
        "type": m.type,
        "flags": m.flags,
        "reactions": [
            {
                "count": len(users),
                "count_details": {"burst": 0, "normal": len(users)},
                "me": viewer_id in users,
                "me_burst": False,
                "burst_colors": [],
                "emoji": emoji(key),
            }
            for key, users in m.reactions.items()
            if users
        ],
    }
    if guild is not None:
        data["guild_id"] = str(guild.id)
        author_member = guild.get_member(m.author.id)
        if author_member is not None and m.webhook_id is None:
            data["member"] = member(author_member, with_user=False)
    if m.webhook_id is not None:
        data["webhook_id"] = str(m.webhook_id)
    if m.application_id is not None:
        data["application_id"] = str(m.application_id)
    if m.interaction_metadata is not None:
        data["interaction_metadata"] = m.interaction_metadata
    if m.thread is not None:
        data["thread"] = channel(m.thread)
    if m.thread_reference is not None and m.reference is None:
        # Discord's thread-created notice: a reference to the thread, with no message id.
        data["message_reference"] = {
            "type": 0,
            "channel_id": str(m.thread_reference.id),
            **({"guild_id": str(guild.id)} if guild else {}),
        }
    if m.reference is not None:
        data["message_reference"] = {
            "type": 0,
            "message_id": str(m.reference.id),
            "channel_id": str(m.reference.channel.id),
            **({"guild_id": str(guild.id)} if guild else {}),
        }
        if with_reference:
            data["referenced_message"] = (
                None
                if m.reference.deleted
                else message(m.reference, with_reference=False, hide_content=hide_reference_content)
            )
    return data


def emoji(key: str) -> dict[str, Any]:
    """A reaction key is a unicode emoji or ``name:id`` for a custom one."""
    if ":" in key:
        name, _, eid = key.rpartition(":")
        return {"id": eid, "name": name, "animated": False}
    return {"id": None, "name": key}


def guild_create(
    g: Guild, *, me: int, threads: list[Channel], large_threshold: int = 250
) -> dict[str, Any]:
    bot_member = g.get_member(me)
    initial_members = [m for m in g.members.values() if m.user.id in (me, g.owner and g.owner.id)]
    return {
        "id": str(g.id),
        "name": g.name,
        "icon": None,
        "splash": None,
        "discovery_splash": None,
        "banner": None,
        "description": None,
        "owner_id": str(g.owner.id) if g.owner else None,
        "region": None,
        "afk_channel_id": None,
        "afk_timeout": 300,
        "verification_level": 1,
        "default_message_notifications": 1,
        "explicit_content_filter": 2,
        "features": ["COMMUNITY"],
        "mfa_level": 0,
        "application_id": None,
        "system_channel_id": str(g.system_channel.id) if g.system_channel else None,
        "system_channel_flags": 0,
        "rules_channel_id": None,
        "public_updates_channel_id": None,
        "safety_alerts_channel_id": None,
        "vanity_url_code": None,
        "premium_tier": 0,
        "premium_subscription_count": 0,
        "preferred_locale": "en-US",
        "nsfw_level": 0,
        "premium_progress_bar_enabled": False,
        "max_members": 500000,
        "max_video_channel_users": 25,
        "roles": [role(r) for r in g.roles],
        "emojis": [],
        "stickers": [],
        "joined_at": iso(bot_member.joined_at if bot_member else None),
        "large": len(g.members) > large_threshold,
        "unavailable": False,
        "member_count": len(g.members),
        "voice_states": [],
        "members": [member(m) for m in initial_members],
        "channels": [channel(c) for c in g.channels],
        "threads": [channel(t, me=me) for t in threads],
        "presences": [],
        "stage_instances": [],
        "guild_scheduled_events": [],
        "soundboard_sounds": [],
        "lazy": True,
    }


def guild_rest(g: Guild) -> dict[str, Any]:
    data = guild_create(g, me=0, threads=[])
    for key in (
        "joined_at",
        "large",
        "unavailable",
        "member_count",
        "voice_states",
        "members",
        "channels",
        "threads",
        "presences",
        "stage_instances",
        "guild_scheduled_events",
        "soundboard_sounds",
        "lazy",
    ):
        data.pop(key, None)
    data["approximate_member_count"] = len(g.members)
    data["approximate_presence_count"] = 0
    return data
