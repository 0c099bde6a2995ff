"""Helpers shared by the REST handlers: JSON responses, bodies, lookups and permission checks."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import BodyPartReader, web

from bot.sandbox.errors import (
    UNKNOWN_CHANNEL,
    UNKNOWN_GUILD,
    UNKNOWN_MEMBER,
    UNKNOWN_MESSAGE,
    UNKNOWN_ROLE,
    UNKNOWN_USER,
    DiscordHTTPError,
    missing_access,
    missing_permissions,
    not_found,
)
from bot.sandbox.hub import SandboxHub
from bot.sandbox.models import BotAccount, Channel, Guild, Member, Message, Role, User
from bot.sandbox.permissions import P

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
RouteList = list[tuple[str, str, Handler]]


def json_response(data: Any, status: int = 200) -> web.Response:
    # discord.py reads JSON only when Content-Type is exactly application/json
    return web.Response(
        body=json.dumps(data).encode(), status=status, headers={"Content-Type": "application/json"}
    )


def no_content() -> web.Response:
    return web.Response(status=204)


UploadedFile = tuple[str, bytes, str | None]

# Discord's upload limit per file for a server without boosts (premium tier 0 or 1), which every
# sandbox server is: the size discord.py's Guild.filesize_limit gives for them.
UPLOAD_LIMIT_BYTES = 10 * 1024 * 1024


async def read_body(request: web.Request) -> tuple[dict[str, Any], list[tuple[int, UploadedFile]]]:
    """JSON body, or multipart ``payload_json`` + ``files[n]``."""
    files: list[tuple[int, UploadedFile]] = []
    if request.content_type.startswith("multipart/"):
        body: dict[str, Any] = {}
        reader = await request.multipart()
        while True:
            part = await reader.next()
            if part is None:
                break
            if not isinstance(part, BodyPartReader):  # Discord takes no multipart inside multipart
                raise DiscordHTTPError(400, 50035, "Invalid Form Body")
            name = part.name or ""
            raw = await part.read()
            if name == "payload_json":
                body = _loads(raw)
            elif name.startswith("files[") or name.startswith("file"):
                index = int(name[6:-1]) if name.startswith("files[") else len(files)
                filename = part.filename or f"file{index}"
                ctype = part.headers.get("Content-Type")
                if len(raw) > UPLOAD_LIMIT_BYTES:
                    raise DiscordHTTPError(413, 40005, "Request entity too large")
                files.append((index, (filename, bytes(raw), ctype)))
        return body, files
    if not request.body_exists:  # (not can_read_body: a held request's body is read already)
        return {}, files
    raw = await request.read()
    if not raw:
        return {}, files
    return _loads(raw), files


def _loads(raw: bytes) -> dict[str, Any]:
    try:
        data = json.loads(raw)
    except ValueError:
        raise DiscordHTTPError(400, 50109, "The request body contains invalid JSON.") from None
    return data


def snowflake_param(request: web.Request, name: str, code: int, what: str) -> int:
    raw = request.match_info[name]
    try:
        return int(raw)
    except ValueError:
        raise DiscordHTTPError(
            400,
            50035,
            "Invalid Form Body",
            {
                name: {
                    "_errors": [
                        {
                            "code": "NUMBER_TYPE_COERCE",
                            "message": f'Value "{raw}" is not snowflake.',
                        }
                    ]
                }
            },
        ) from None


BOT_KEY: web.RequestKey[BotAccount] = web.RequestKey("bot", BotAccount)


def current_bot(request: web.Request) -> BotAccount:
    return request[BOT_KEY]


SANDBOX_KEY: web.AppKey[Any] = web.AppKey("sandbox")


def sandbox_of(request: web.Request) -> SandboxHub:
    return request.app[SANDBOX_KEY]


def guild_for(request: web.Request) -> Guild:
    sandbox, bot = sandbox_of(request), current_bot(request)
    gid = snowflake_param(request, "guild_id", UNKNOWN_GUILD, "Guild")
    guild = sandbox.get_guild(gid)
    if guild is None:
        raise not_found(UNKNOWN_GUILD, "Guild")
    if bot.user.id not in guild.members:  # a guild the bot is not (or no longer) in
        raise missing_access()
    return guild


def channel_for(request: web.Request, *, view: bool = True) -> Channel:
    """The channel in the path; 404 if unknown, 403 Missing Access if the bot cannot see it
    (a channel of a guild the bot is not in included)."""
    sandbox, bot = sandbox_of(request), current_bot(request)
    cid = snowflake_param(request, "channel_id", UNKNOWN_CHANNEL, "Channel")
    channel = sandbox.get_channel(cid)
    if channel is None:
        raise not_found(UNKNOWN_CHANNEL, "Channel")
    if channel.guild is not None:
        if bot.user.id not in channel.guild.members:
            raise missing_access()
        if view and not sandbox.permissions_for(bot.user, channel) & P.VIEW_CHANNEL:
            raise missing_access()
    elif (
        sandbox.dm_channels.get((bot.user.id, channel.recipient.id if channel.recipient else 0))
        is not channel
    ):
        raise not_found(UNKNOWN_CHANNEL, "Channel")
    return channel


def message_for(request: web.Request, channel: Channel) -> Message:
    mid = snowflake_param(request, "message_id", UNKNOWN_MESSAGE, "Message")
    message = channel.get_message(mid)
    if message is None:
        raise not_found(UNKNOWN_MESSAGE, "Message")
    return message


def role_for(request: web.Request, guild: Guild) -> Role:
    rid = snowflake_param(request, "role_id", UNKNOWN_ROLE, "Role")
    role = guild.get_role(rid)
    if role is None:
        raise not_found(UNKNOWN_ROLE, "Role")
    return role


def member_for(request: web.Request, guild: Guild, key: str = "user_id") -> Member:
    raw = request.match_info[key]
    uid = (
        current_bot(request).user.id
        if raw == "@me"
        else snowflake_param(request, key, UNKNOWN_MEMBER, "Member")
    )
    member = guild.get_member(uid)
    if member is None:
        raise not_found(UNKNOWN_MEMBER, "Member")
    return member


def user_for(request: web.Request, key: str = "user_id") -> User:
    sandbox = sandbox_of(request)
    raw = request.match_info[key]
    if raw == "@me":
        return current_bot(request).user
    uid = snowflake_param(request, key, UNKNOWN_USER, "User")
    user = sandbox.users.get(uid)
    if user is None:
        raise not_found(UNKNOWN_USER, "User")
    return user


def require(request: web.Request, channel: Channel, *bits: int) -> int:
    """403 Missing Permissions unless the bot holds every bit in ``channel``."""
    perms = sandbox_of(request).permissions_for(current_bot(request).user, channel)
    for bit in bits:
        if perms & bit != bit:
            raise missing_permissions()
    return perms


def require_guild(request: web.Request, guild: Guild, *bits: int) -> int:
    from bot.sandbox.permissions import base_permissions

    member = guild.get_member(current_bot(request).user.id)
    assert member is not None
    perms = base_permissions(guild, member)
    for bit in bits:
        if perms & bit != bit:
            raise missing_permissions()
    return perms


def bot_member(request: web.Request, guild: Guild) -> Member:
    member = guild.get_member(current_bot(request).user.id)
    assert member is not None
    return member


def outranks(guild: Guild, actor: Member, role_position: int) -> bool:
    """Owners outrank everything; others must sit above the role."""
    if guild.owner is not None and guild.owner.id == actor.user.id:
        return True
    return actor.top_position > role_position
