"""The REST v10 server: auth, rate limits, Discord's error bodies, and the user/gateway routes."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from aiohttp import web

from bot.sandbox import payloads, rest_channels, rest_guilds, rest_interactions
from bot.sandbox.errors import UNKNOWN_GUILD, DiscordHTTPError, not_found, unauthorized
from bot.sandbox.faults import server_error_body
from bot.sandbox.http_util import (
    BOT_KEY,
    SANDBOX_KEY,
    Handler,
    RouteList,
    current_bot,
    json_response,
    no_content,
    read_body,
    sandbox_of,
    snowflake_param,
    user_for,
)
from bot.sandbox.permissions import base_permissions
from bot.sandbox.ratelimits import retry_after_header

if TYPE_CHECKING:
    from bot.sandbox.gateway import Gateway
    from bot.sandbox.hub import SandboxHub

log = logging.getLogger("bot.sandbox.rest")

API = "/api/v10"

_NO_AUTH = ("/interactions/", "/webhooks/")
_MAJOR = ("channel_id", "guild_id", "webhook_id", "interaction_id")


@web.middleware
async def discord_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    if not request.path.startswith("/api/"):
        return await handler(request)
    sandbox = sandbox_of(request)
    resource = request.match_info.route.resource
    template = resource.canonical if resource is not None else request.path
    template = template.removeprefix(API)
    short = request.path.removeprefix(API)
    headers: dict[str, str] = {}
    response: web.StreamResponse  # ours (a JSON error) or the handler's
    try:
        authenticated = not any(part in template for part in _NO_AUTH)
        identity = ""
        if authenticated:
            auth = request.headers.get("Authorization", "")
            bot = (
                sandbox.bot_by_token(auth.removeprefix("Bot ").strip())
                if auth.startswith("Bot ")
                else None
            )
            if bot is None:
                raise unauthorized()
            request[BOT_KEY] = bot
            identity = bot.token
        major = ":".join(request.match_info.get(k, "") for k in _MAJOR)
        if "webhook_token" in request.match_info:
            major += ":" + request.match_info["webhook_token"][:16]
        fault = sandbox.faults.take(request.method, template)
        if fault is not None and fault.status != 429:
            response = json_response(server_error_body(fault.status), status=fault.status)
            response.headers["Via"] = "1.1 google"
            sandbox.requests.append((request.method, short, fault.status))
            log.debug("%s (injected) %s %s", fault.status, request.method, short)
            return response
        if fault is not None:  # a shared bucket Discord says is spent, whatever our count
            decision = sandbox.limiter.refused(
                request.method, template, fault.retry_after, scope="shared"
            )
        else:
            decision = sandbox.limiter.check(
                request.method, template, major, identity, use_global=authenticated
            )
        if not decision.allowed:
            sandbox.rate_limited_count += 1
            body = {
                "message": "You are being rate limited.",
                "retry_after": round(decision.retry_after, 3),
                "global": decision.is_global,
            }
            response = json_response(body, status=429)
            response.headers.update(decision.headers)
            response.headers["Retry-After"] = retry_after_header(decision.retry_after)
            response.headers["Via"] = "1.1 google"
            sandbox.requests.append((request.method, short, 429))
            log.debug("429 %s %s", request.method, short)
            return response
        headers = decision.headers
        await sandbox.holds.wait(request, template)
        response = await handler(request)
    except DiscordHTTPError as exc:
        response = json_response(exc.body(), status=exc.status)
    except web.HTTPNotFound:
        response = json_response({"message": "404: Not Found", "code": 0}, status=404)
    except web.HTTPMethodNotAllowed:
        response = json_response({"message": "405: Method Not Allowed", "code": 0}, status=405)
    for key, value in headers.items():
        response.headers[key] = value
    response.headers.setdefault("Via", "1.1 google")
    sandbox.requests.append((request.method, short, response.status))
    if response.status >= 400:
        log.info("%s %s -> %s", request.method, short, response.status)
    return response


async def get_me(request: web.Request) -> web.Response:
    return json_response(payloads.current_user(current_bot(request).user))


async def get_my_guilds(request: web.Request) -> web.Response:
    """The servers the bot is in, as partial guilds with its permissions in each: at most
    ``limit`` (1 to 200, default 200) in id order, after ``after`` or just before ``before``."""
    bot = current_bot(request)
    query = request.query
    try:
        limit = int(query.get("limit", 200))
        after = int(query["after"]) if "after" in query else None
        before = int(query["before"]) if "before" in query else None
    except ValueError:
        raise DiscordHTTPError(400, 50035, "Invalid Form Body") from None
    if not 1 <= limit <= 200:
        raise DiscordHTTPError(400, 50035, "Invalid Form Body")
    joined = sorted(
        (g for g in sandbox_of(request).guilds if g.get_member(bot.user.id) is not None),
        key=lambda g: g.id,
    )
    if after is not None:
        joined = [g for g in joined if g.id > after][:limit]
    elif before is not None:
        joined = [g for g in joined if g.id < before][-limit:]
    else:
        joined = joined[:limit]
    found: list[dict[str, object]] = []
    for guild in joined:
        member = guild.get_member(bot.user.id)
        assert member is not None
        found.append(
            {
                "id": str(guild.id),
                "name": guild.name,
                "icon": None,
                "banner": None,
                "owner": guild.owner is not None and guild.owner.id == bot.user.id,
                "permissions": str(base_permissions(guild, member)),
                "features": [],
            }
        )
    return json_response(found)


async def leave_guild(request: web.Request) -> web.Response:
    """Leave Guild: 204; a guild the bot is not in is an Unknown Guild."""
    sandbox, bot = sandbox_of(request), current_bot(request)
    guild_id = snowflake_param(request, "guild_id", UNKNOWN_GUILD, "Guild")
    guild = sandbox.get_guild(guild_id)
    if guild is None or bot.user.id not in guild.members:
        raise not_found(UNKNOWN_GUILD, "Guild")
    sandbox.remove_bot_from(guild, bot)
    return no_content()


async def get_user(request: web.Request) -> web.Response:
    return json_response(payloads.user(user_for(request)))


async def get_application(request: web.Request) -> web.Response:
    bot = current_bot(request)
    sandbox = sandbox_of(request)
    owner = next((g.owner for g in sandbox.guilds if bot.user.id in g.members and g.owner), None)
    return json_response(payloads.application(bot, owner))


async def get_gateway(request: web.Request) -> web.Response:
    return json_response({"url": sandbox_of(request).gateway_url})


async def get_gateway_bot(request: web.Request) -> web.Response:
    """The gateway URL, the shard count Discord recommends for the bot's guilds, and its session
    start limit (each identify takes one of the day's starts)."""
    sandbox, bot = sandbox_of(request), current_bot(request)
    return json_response(
        {
            "url": sandbox.gateway_url,
            "shards": sandbox.recommended_shards(bot),
            "session_start_limit": sandbox.session_starts.limit(bot),
        }
    )


async def create_dm(request: web.Request) -> web.Response:
    sandbox, bot = sandbox_of(request), current_bot(request)
    body, _ = await read_body(request)
    try:
        user = sandbox.users.get(int(body.get("recipient_id", 0)))
    except (TypeError, ValueError):
        user = None
    if user is None:
        raise DiscordHTTPError(
            400,
            50035,
            "Invalid Form Body",
            {
                "recipient_id": {
                    "_errors": [
                        {"code": "NUMBER_TYPE_COERCE", "message": "Value is not snowflake."}
                    ]
                }
            },
        )
    return json_response(payloads.channel(sandbox.dm_channel(bot, user)))


async def get_attachment(request: web.Request) -> web.Response:
    sandbox = sandbox_of(request)
    try:
        att = sandbox.attachments_by_id[int(request.match_info["attachment_id"])]
    except (KeyError, ValueError):
        raise web.HTTPNotFound() from None
    if sandbox.attachment_latency:
        await asyncio.sleep(sandbox.attachment_latency)
    return web.Response(body=att.data, content_type=att.content_type or "application/octet-stream")


def _routes() -> RouteList:
    routes: RouteList = [
        ("GET", "/users/@me", get_me),
        ("POST", "/users/@me/channels", create_dm),
        ("GET", "/users/@me/guilds", get_my_guilds),
        ("DELETE", "/users/@me/guilds/{guild_id}", leave_guild),
        ("GET", "/users/{user_id}", get_user),
        ("GET", "/oauth2/applications/@me", get_application),
        ("GET", "/applications/@me", get_application),
        ("GET", "/gateway", get_gateway),
        ("GET", "/gateway/bot", get_gateway_bot),
    ]
    routes += rest_guilds.routes()
    routes += rest_channels.routes()
    routes += rest_interactions.routes()
    return routes


def route_templates() -> set[tuple[str, str]]:
    """Every REST route the sandbox answers, as (method, template without the API prefix)."""
    return {(method, path) for method, path, _ in _routes()}


def build_app(sandbox: SandboxHub, gateway: Gateway) -> web.Application:
    app = web.Application(middlewares=[discord_middleware], client_max_size=64 * 1024 * 1024)
    app[SANDBOX_KEY] = sandbox
    for method, path, handler in _routes():
        app.router.add_route(method, API + path, handler)
    app.router.add_get("/gateway", gateway.handle)
    app.router.add_get("/gateway/", gateway.handle)
    app.router.add_get("/attachments/{attachment_id}/{filename}", get_attachment)
    return app
