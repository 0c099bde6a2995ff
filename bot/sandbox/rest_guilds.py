"""REST routes under /guilds: the guild, its channels, roles, members and active threads."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

from bot.sandbox import payloads
from bot.sandbox.errors import DiscordHTTPError, FormErrors, missing_permissions
from bot.sandbox.http_util import (
    bot_member,
    current_bot,
    guild_for,
    json_response,
    member_for,
    no_content,
    outranks,
    read_body,
    require_guild,
    role_for,
    sandbox_of,
)
from bot.sandbox.models import CATEGORY, TEXT, Channel, Guild, Member, Role, snowflake
from bot.sandbox.permissions import P

if TYPE_CHECKING:
    from bot.sandbox.rest import RouteList


async def get_guild(request: web.Request) -> web.Response:
    guild = guild_for(request)
    data = payloads.guild_rest(guild)
    data["roles"] = [payloads.role(r) for r in guild.roles]
    return json_response(data)


async def get_channels(request: web.Request) -> web.Response:
    guild = guild_for(request)
    return json_response([payloads.channel(c) for c in guild.channels])


async def create_channel(request: web.Request) -> web.Response:
    guild = guild_for(request)
    require_guild(request, guild, P.MANAGE_CHANNELS)
    body, _ = await read_body(request)
    errs = FormErrors()
    errs.length_between(("name",), body.get("name"), 1, 100)
    ctype = int(body.get("type") or TEXT)
    if ctype not in (TEXT, CATEGORY):
        errs.add(("type",), "BASE_TYPE_CHOICES", "The sandbox makes text channels and categories.")
    errs.raise_if_any()
    parent = guild.get_channel(int(body["parent_id"])) if body.get("parent_id") else None
    channel = Channel(
        id=snowflake(),
        type=ctype,
        name=body["name"],
        guild=guild,
        topic=body.get("topic"),
        parent=parent,
        overwrites={
            int(o["id"]): (int(o.get("allow", 0)), int(o.get("deny", 0)))
            for o in body.get("permission_overwrites") or []
        }
        or (dict(parent.overwrites) if parent else {}),
    )
    guild._add_channel(channel)
    return json_response(payloads.channel(channel), status=201)


async def get_roles(request: web.Request) -> web.Response:
    return json_response([payloads.role(r) for r in guild_for(request).roles])


def _check_role_edit(request: web.Request, guild: Guild, role: Role | None) -> Member:
    require_guild(request, guild, P.MANAGE_ROLES)
    me = bot_member(request, guild)
    if role is not None and (role.managed or not outranks(guild, me, role.position)):
        raise missing_permissions()
    return me


async def create_role(request: web.Request) -> web.Response:
    guild = guild_for(request)
    me = _check_role_edit(request, guild, None)
    body, _ = await read_body(request)
    errs = FormErrors()
    errs.max_length(("name",), body.get("name"), 100)
    errs.raise_if_any()
    perms = int(body.get("permissions") or 0)
    from bot.sandbox.permissions import base_permissions

    if perms & ~base_permissions(guild, me):
        raise missing_permissions()
    role = guild.create_role(
        body.get("name") or "new role",
        permissions=perms,
        color=int(body.get("color") or 0),
        hoist=bool(body.get("hoist")),
        mentionable=bool(body.get("mentionable")),
    )
    return json_response(payloads.role(role))


async def edit_role(request: web.Request) -> web.Response:
    guild = guild_for(request)
    role = role_for(request, guild)
    _check_role_edit(request, guild, None if role.is_everyone else role)
    body, _ = await read_body(request)
    if body.get("name"):
        role.name = body["name"]
    if "permissions" in body and body["permissions"] is not None:
        role.permissions = int(body["permissions"])
    if "color" in body and body["color"] is not None:
        role.color = int(body["color"])
    if "hoist" in body:
        role.hoist = bool(body["hoist"])
    if "mentionable" in body:
        role.mentionable = bool(body["mentionable"])
    sandbox_of(request)._role_event("GUILD_ROLE_UPDATE", role)
    return json_response(payloads.role(role))


async def delete_role(request: web.Request) -> web.Response:
    guild = guild_for(request)
    role = role_for(request, guild)
    if role.is_everyone:
        raise DiscordHTTPError(400, 50028, "Invalid role")
    _check_role_edit(request, guild, role)
    guild.roles.remove(role)
    for member in guild.members.values():
        if role in member.roles:
            member.roles.remove(role)
    sandbox_of(request)._role_event("GUILD_ROLE_DELETE", role)
    return no_content()


async def get_member(request: web.Request) -> web.Response:
    guild = guild_for(request)
    return json_response(payloads.member(member_for(request, guild)))


async def list_members(request: web.Request) -> web.Response:
    guild = guild_for(request)
    limit = min(int(request.query.get("limit", 1)), 1000)
    after = int(request.query.get("after", 0))
    members = sorted(guild.members.values(), key=lambda m: m.user.id)
    members = [m for m in members if m.user.id > after][:limit]
    return json_response([payloads.member(m) for m in members])


def _set_roles(request: web.Request, guild: Guild, member: Member, new_roles: list[Role]) -> None:
    me = _check_role_edit(request, guild, None)
    changed = set(map(id, new_roles)) ^ set(map(id, member.roles))
    for role in [*new_roles, *member.roles]:
        if id(role) in changed and (role.managed or not outranks(guild, me, role.position)):
            raise missing_permissions()
    member.roles = new_roles


async def edit_member(request: web.Request) -> web.Response:
    guild = guild_for(request)
    member = member_for(request, guild)
    body, _ = await read_body(request)
    sandbox = sandbox_of(request)
    if "roles" in body and body["roles"] is not None:
        roles: list[Role] = []
        for rid in body["roles"]:
            role = guild.get_role(int(rid))
            if role is None or role.is_everyone:
                raise DiscordHTTPError(
                    400,
                    50035,
                    "Invalid Form Body",
                    {"roles": {"_errors": [{"code": "INVALID_ROLE", "message": "Invalid role"}]}},
                )
            if role not in roles:
                roles.append(role)
        _set_roles(request, guild, member, roles)
    if "nick" in body:
        _check_nick(request, guild, member)
        nick = body["nick"] or None
        if nick is not None and len(nick) > 32:
            raise DiscordHTTPError(
                400,
                50035,
                "Invalid Form Body",
                {
                    "nick": {
                        "_errors": [
                            {
                                "code": "BASE_TYPE_MAX_LENGTH",
                                "message": "Must be 32 or fewer in length.",
                            }
                        ]
                    }
                },
            )
        member.nick = nick
    sandbox._member_event("GUILD_MEMBER_UPDATE", member)
    return json_response(payloads.member(member))


def _check_nick(request: web.Request, guild: Guild, member: Member) -> None:
    me = bot_member(request, guild)
    if member is me:
        require_guild(request, guild, P.CHANGE_NICKNAME)
        return
    require_guild(request, guild, P.MANAGE_NICKNAMES)
    if guild.owner is not None and guild.owner.id == member.user.id:
        raise missing_permissions()
    if not outranks(guild, me, member.top_position):
        raise missing_permissions()


async def add_member_role(request: web.Request) -> web.Response:
    guild = guild_for(request)
    member = member_for(request, guild)
    role = role_for(request, guild)
    if role not in member.roles:
        _set_roles(request, guild, member, [*member.roles, role])
        sandbox_of(request)._member_event("GUILD_MEMBER_UPDATE", member)
    return no_content()


async def remove_member_role(request: web.Request) -> web.Response:
    guild = guild_for(request)
    member = member_for(request, guild)
    role = role_for(request, guild)
    if role in member.roles:
        _set_roles(request, guild, member, [r for r in member.roles if r is not role])
        sandbox_of(request)._member_event("GUILD_MEMBER_UPDATE", member)
    return no_content()


async def kick_member(request: web.Request) -> web.Response:
    guild = guild_for(request)
    member = member_for(request, guild)
    require_guild(request, guild, P.KICK_MEMBERS)
    me = bot_member(request, guild)
    if (guild.owner and guild.owner.id == member.user.id) or not outranks(
        guild, me, member.top_position
    ):
        raise missing_permissions()
    guild.remove_member(member.user)
    return no_content()


async def active_threads(request: web.Request) -> web.Response:
    guild = guild_for(request)
    sandbox, bot = sandbox_of(request), current_bot(request)
    threads = sandbox._visible_threads(guild, bot)
    members: list[dict[str, Any]] = [
        payloads.thread_member(t, bot.user.id) for t in threads if bot.user.id in t.thread_members
    ]
    return json_response(
        {
            "threads": [payloads.channel(t) for t in threads],
            "members": members,
            "has_more": False,
        }
    )


def routes() -> RouteList:
    g = "/guilds/{guild_id}"
    return [
        ("GET", g, get_guild),
        ("GET", g + "/channels", get_channels),
        ("POST", g + "/channels", create_channel),
        ("GET", g + "/roles", get_roles),
        ("POST", g + "/roles", create_role),
        ("PATCH", g + "/roles/{role_id}", edit_role),
        ("DELETE", g + "/roles/{role_id}", delete_role),
        ("GET", g + "/members", list_members),
        ("GET", g + "/members/{user_id}", get_member),
        ("PATCH", g + "/members/{user_id}", edit_member),
        ("DELETE", g + "/members/{user_id}", kick_member),
        ("PUT", g + "/members/{user_id}/roles/{role_id}", add_member_role),
        ("DELETE", g + "/members/{user_id}/roles/{role_id}", remove_member_role),
        ("GET", g + "/threads/active", active_threads),
    ]
