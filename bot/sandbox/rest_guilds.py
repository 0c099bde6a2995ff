"""REST routes under /guilds: the guild, its channels, roles, members and active threads."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

from bot.sandbox import payloads
from bot.sandbox.errors import (
    UNKNOWN_ROLE,
    DiscordHTTPError,
    FormErrors,
    invalid_role,
    max_roles_reached,
    missing_permissions,
    not_found,
)
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
from bot.sandbox.models import CATEGORY, MAX_ROLES, TEXT, Channel, Guild, Member, Role, snowflake
from bot.sandbox.permissions import P, base_permissions
from bot.sandbox.validation import check_role

if TYPE_CHECKING:
    from bot.sandbox.http_util import RouteList


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


def _color(body: dict[str, Any]) -> int | None:
    """``colors.primary_color`` (what discord.py 2.7 sends) or the older ``color``."""
    colors = body.get("colors")
    if isinstance(colors, dict) and colors.get("primary_color") is not None:
        return int(colors["primary_color"])
    return None if body.get("color") is None else int(body["color"])


async def create_role(request: web.Request) -> web.Response:
    guild = guild_for(request)
    me = _check_role_edit(request, guild, None)
    body, _ = await read_body(request)
    check_role(body)
    if len(guild.roles) >= MAX_ROLES:
        raise max_roles_reached(MAX_ROLES)
    # Discord's documented default: a new role has @everyone's permissions.
    raw = body.get("permissions")
    perms = guild.everyone.permissions if raw is None else int(raw)
    if perms & ~base_permissions(guild, me):
        raise missing_permissions()
    role = guild.create_role(
        body.get("name") or "new role",
        permissions=perms,
        color=_color(body) or 0,
        hoist=bool(body.get("hoist")),
        mentionable=bool(body.get("mentionable")),
    )
    return json_response(payloads.role(role))


async def edit_role(request: web.Request) -> web.Response:
    guild = guild_for(request)
    role = role_for(request, guild)
    me = _check_role_edit(request, guild, None if role.is_everyone else role)
    body, _ = await read_body(request)
    check_role(body)
    perms = None if body.get("permissions") is None else int(body["permissions"])
    if perms is not None and perms & ~role.permissions & ~base_permissions(guild, me):
        raise missing_permissions()  # a role cannot be given permissions the bot lacks
    guild.update_role(
        role,
        name=body.get("name") or None,
        permissions=perms,
        color=_color(body),
        hoist=None if body.get("hoist") is None else bool(body["hoist"]),
        mentionable=None if body.get("mentionable") is None else bool(body["mentionable"]),
    )
    return json_response(payloads.role(role))


async def move_roles(request: web.Request) -> web.Response:
    """Modify Guild Role Positions: a list of {id, position}; answers every role."""
    guild = guild_for(request)
    me = _check_role_edit(request, guild, None)
    body, _ = await read_body(request)
    entries = body if isinstance(body, list) else None
    if entries is None:
        array = {"_errors": [{"code": "BASE_TYPE_ARRAY", "message": "Must be an array."}]}
        raise DiscordHTTPError(400, 50035, "Invalid Form Body", array)
    wanted: dict[Role, int] = {}
    errs = FormErrors()
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict) or not str(entry.get("id") or "").isdigit():
            errs.add((index, "id"), "BASE_TYPE_REQUIRED", "This field is required")
    errs.raise_if_any()
    for entry in entries:
        role = guild.get_role(int(entry["id"]))
        if role is None:
            raise not_found(UNKNOWN_ROLE, "Role")
        if role.is_everyone:
            raise invalid_role()
        if entry.get("position") is None:
            continue
        position = int(entry["position"])
        moving = position != role.position
        if moving and not (outranks(guild, me, role.position) and outranks(guild, me, position)):
            raise missing_permissions()
        wanted[role] = position  # unchanged ones too: they hold their place
    moved = guild._arrange_roles(wanted) if wanted else []
    for role in moved:
        sandbox_of(request).role_event("GUILD_ROLE_UPDATE", role)
    roles = sorted(guild.roles, key=lambda r: (r.position, r.id))
    return json_response([payloads.role(r) for r in roles])


async def delete_role(request: web.Request) -> web.Response:
    guild = guild_for(request)
    role = role_for(request, guild)
    if role.is_everyone:
        raise invalid_role()
    _check_role_edit(request, guild, role)
    guild.delete_role(role)
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
    sandbox.member_event("GUILD_MEMBER_UPDATE", member)
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
        sandbox_of(request).member_event("GUILD_MEMBER_UPDATE", member)
    return no_content()


async def remove_member_role(request: web.Request) -> web.Response:
    guild = guild_for(request)
    member = member_for(request, guild)
    role = role_for(request, guild)
    if role in member.roles:
        _set_roles(request, guild, member, [r for r in member.roles if r is not role])
        sandbox_of(request).member_event("GUILD_MEMBER_UPDATE", member)
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
    threads = sandbox.visible_threads(guild, bot)
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
        ("PATCH", g + "/roles", move_roles),
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
