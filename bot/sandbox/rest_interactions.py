"""REST routes for application commands, interaction callbacks and interaction webhooks."""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

from aiohttp import web

from bot.sandbox import payloads
from bot.sandbox.errors import (
    UNKNOWN_INTERACTION,
    UNKNOWN_MESSAGE,
    UNKNOWN_WEBHOOK,
    DiscordHTTPError,
    missing_access,
    not_found,
)
from bot.sandbox.http_util import (
    current_bot,
    guild_for,
    json_response,
    no_content,
    read_body,
    sandbox_of,
)
from bot.sandbox.interactions import (
    APPLICATION_COMMAND,
    AUTOCOMPLETE,
    MESSAGE_COMPONENT,
    MODAL_SUBMIT,
    SandboxInteraction,
)
from bot.sandbox.models import Message, snowflake
from bot.sandbox.rest_channels import make_attachments
from bot.sandbox.validation import check_choices, check_commands, check_message, check_modal

if TYPE_CHECKING:
    from bot.sandbox.http_util import RouteList

ALREADY_ACKNOWLEDGED = DiscordHTTPError(400, 40060, "Interaction has already been acknowledged.")
LOADING = 1 << 7
EPHEMERAL = 1 << 6

_ALLOWED = {
    APPLICATION_COMMAND: {4, 5, 9},
    MESSAGE_COMPONENT: {4, 5, 6, 7, 9},
    AUTOCOMPLETE: {8},
    MODAL_SUBMIT: {4, 5, 6, 7},
}

_COMMAND_KEYS = (
    "type",
    "name",
    "name_localizations",
    "description",
    "description_localizations",
    "options",
    "default_member_permissions",
    "dm_permission",
    "contexts",
    "integration_types",
    "nsfw",
)


# application commands --------------------------------------------------------
def _app_check(request: web.Request) -> int:
    bot = current_bot(request)
    if request.match_info["application_id"] != str(bot.application_id):
        raise missing_access()
    return bot.application_id


def _scope(request: web.Request) -> tuple[int, int | None]:
    app_id = _app_check(request)
    if "guild_id" in request.match_info:
        return app_id, guild_for(request).id
    return app_id, None


async def get_commands(request: web.Request) -> web.Response:
    key = _scope(request)
    return json_response(sandbox_of(request).registered_commands.get(key, []))


async def put_commands(request: web.Request) -> web.Response:
    sandbox = sandbox_of(request)
    key = _scope(request)
    raw, _ = await read_body(request)  # (an array here, though typed as the usual object)
    commands = check_commands(raw)
    old = {(c["type"], c["name"]): c for c in sandbox.registered_commands.get(key, [])}
    stored = []
    for cmd in commands:
        data = {k: cmd.get(k) for k in _COMMAND_KEYS if k in cmd}
        data.setdefault("type", 1)
        data.setdefault("description", "")
        data.setdefault("options", [])
        data.setdefault("default_member_permissions", None)
        data.setdefault("nsfw", False)
        prev = old.get((data["type"], data["name"]))
        same = prev is not None and _comparable(prev) == _comparable(data)
        data["id"] = prev["id"] if prev else str(snowflake())
        data["version"] = prev["version"] if same and prev else str(snowflake())
        data["application_id"] = str(key[0])
        if key[1] is not None:
            data["guild_id"] = str(key[1])
        stored.append(data)
    sandbox.registered_commands[key] = stored
    sandbox.command_sync_count += 1
    sandbox.log_commands(key, stored)
    return json_response(stored)


def _comparable(cmd: dict[str, Any]) -> str:
    return json.dumps({k: cmd.get(k) for k in _COMMAND_KEYS}, sort_keys=True)


async def get_command(request: web.Request) -> web.Response:
    key = _scope(request)
    for cmd in sandbox_of(request).registered_commands.get(key, []):
        if cmd["id"] == request.match_info["command_id"]:
            return json_response(cmd)
    raise not_found(10063, "application command")


# interaction callback -------------------------------------------------------
def _interaction(request: web.Request) -> SandboxInteraction:
    sandbox = sandbox_of(request)
    try:
        itx = sandbox.interactions_by_id.get(int(request.match_info["interaction_id"]))
    except ValueError:
        itx = None
    if itx is None or itx.token != request.match_info["webhook_token"]:
        raise not_found(UNKNOWN_INTERACTION, "interaction")
    return itx


async def callback(request: web.Request) -> web.Response:
    sandbox = sandbox_of(request)
    itx = _interaction(request)
    if itx.acknowledged:
        raise ALREADY_ACKNOWLEDGED
    if time.monotonic() - itx.created > sandbox.interaction_deadline:
        raise not_found(UNKNOWN_INTERACTION, "interaction")
    body, files = await read_body(request)
    rtype = int(body.get("type") or 0)
    data = body.get("data") or {}
    if rtype not in _ALLOWED.get(itx.type, set()) or (rtype in (6, 7) and itx.message is None):
        raise DiscordHTTPError(
            400,
            50035,
            "Invalid Form Body",
            {
                "type": {
                    "_errors": [
                        {
                            "code": "INTERACTION_RESPONSE_TYPE_INVALID",
                            "message": "Interaction response type is invalid for this interaction.",
                        }
                    ]
                }
            },
        )
    message: Message | None = None
    ephemeral = False
    if rtype == 4:
        check_message(data, files=len(files))
        ephemeral = bool(int(data.get("flags") or 0) & EPHEMERAL)
        message = _interaction_message(request, itx, data, files, ephemeral)
    elif rtype == 5:
        ephemeral = bool(int(data.get("flags") or 0) & EPHEMERAL)
        message = _interaction_message(request, itx, {"flags": LOADING}, [], ephemeral)
    elif rtype == 6:
        message = itx.message
    elif rtype == 7:
        assert itx.message is not None
        check_message(data, files=len(files), editing=True)
        atts = (
            make_attachments(request, data, files, keep=itx.message.attachments)
            if (files or "attachments" in data)
            else None
        )
        message = sandbox.apply_message_edit(itx.message, data, atts)
        ephemeral = message.ephemeral
    elif rtype == 8:
        choices = list(data.get("choices") or [])
        check_choices(choices)
        itx.choices = choices
    elif rtype == 9:
        check_modal(data)
        itx.modal = data
    itx.response_type = rtype
    itx.response_data = data
    itx.ephemeral = ephemeral
    itx.original = message
    itx.answered.set()
    sandbox.log_answer(itx)
    if request.query.get("with_response") not in ("1", "true", "True"):
        return no_content()
    interaction_info: dict[str, Any] = {"id": str(itx.id), "type": itx.type}
    resource: dict[str, Any] = {"type": rtype}
    if message is not None and rtype in (4, 5, 7):
        interaction_info.update(
            {
                "response_message_id": str(message.id),
                "response_message_loading": rtype == 5,
                "response_message_ephemeral": ephemeral,
            }
        )
        resource["message"] = payloads.message(message, viewer_id=itx.application_id)
    return json_response({"interaction": interaction_info, "resource": resource})


def _metadata(itx: SandboxInteraction) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "id": str(itx.id),
        "type": itx.type,
        "user": payloads.user(itx.user),
        "authorizing_integration_owners": {"0": str(itx.guild.id)}
        if itx.guild
        else {"1": str(itx.user.id)},
    }
    if itx.message is not None:
        meta["interacted_message_id"] = str(itx.message.id)
    return meta


def _interaction_message(
    request: web.Request,
    itx: SandboxInteraction,
    data: dict[str, Any],
    files: list[Any],
    ephemeral: bool,
) -> Message:
    sandbox = sandbox_of(request)
    bot_user = sandbox.users[itx.application_id]
    attachments = make_attachments(request, data, files)
    mtype = 0
    if itx.type == APPLICATION_COMMAND:
        mtype = 23 if int(itx.data.get("type", 1)) in (2, 3) else 20
    return sandbox.new_message(
        itx.channel,
        bot_user,
        data,
        attachments=attachments,
        webhook_id=itx.application_id,
        application_id=itx.application_id,
        interaction_metadata=_metadata(itx),
        message_type=mtype,
        ephemeral=ephemeral,
    )


# webhooks (follow-ups and the original response) ------------------------------
def _webhook_interaction(request: web.Request) -> SandboxInteraction:
    sandbox = sandbox_of(request)
    token = request.match_info["webhook_token"]
    itx = next((i for i in sandbox.interactions_by_id.values() if i.token == token), None)
    if itx is None or request.match_info["webhook_id"] != str(itx.application_id):
        raise not_found(UNKNOWN_WEBHOOK, "Webhook")
    if itx.expired_for_followups():
        raise DiscordHTTPError(401, 50027, "Invalid Webhook Token")
    if not itx.acknowledged:
        raise not_found(UNKNOWN_WEBHOOK, "Webhook")
    return itx


async def followup(request: web.Request) -> web.Response:
    sandbox = sandbox_of(request)
    itx = _webhook_interaction(request)
    body, files = await read_body(request)
    check_message(body, files=len(files))
    original = itx.original
    if itx.response_type == 5 and original is not None and original.flags & LOADING:
        # the first follow-up after a deferral replaces the "thinking..." message
        atts = make_attachments(request, body, files)
        message = sandbox.apply_message_edit(original, body, atts)
    else:
        ephemeral = bool(int(body.get("flags") or 0) & EPHEMERAL)
        message = _interaction_message(request, itx, body, files, ephemeral)
    itx.followups.append(message)
    sandbox.log_followup(itx, message)
    return json_response(payloads.message(message, viewer_id=itx.application_id))


def _webhook_message(request: web.Request, itx: SandboxInteraction) -> Message:
    raw = request.match_info["message_id"]
    if raw == "@original":
        message = (
            itx.original
            if itx.original is not None
            else (itx.message if itx.response_type == 6 else None)
        )
    else:
        message = next((m for m in itx.messages() if str(m.id) == raw), None)
    if message is None or message.deleted:
        raise not_found(UNKNOWN_MESSAGE, "Message")
    return message


async def get_webhook_message(request: web.Request) -> web.Response:
    itx = _webhook_interaction(request)
    message = _webhook_message(request, itx)
    return json_response(payloads.message(message, viewer_id=itx.application_id))


async def edit_webhook_message(request: web.Request) -> web.Response:
    sandbox = sandbox_of(request)
    itx = _webhook_interaction(request)
    message = _webhook_message(request, itx)
    body, files = await read_body(request)
    check_message(body, files=len(files), editing=True)
    atts = (
        make_attachments(request, body, files, keep=message.attachments)
        if (files or "attachments" in body)
        else None
    )
    sandbox.apply_message_edit(message, body, atts)
    if itx.original is None and request.match_info["message_id"] == "@original":
        itx.original = message
    return json_response(payloads.message(message, viewer_id=itx.application_id))


async def delete_webhook_message(request: web.Request) -> web.Response:
    sandbox = sandbox_of(request)
    itx = _webhook_interaction(request)
    message = _webhook_message(request, itx)
    sandbox.remove_message(message)
    return no_content()


def routes() -> RouteList:
    app = "/applications/{application_id}"
    wh = "/webhooks/{webhook_id}/{webhook_token}"
    return [
        ("GET", app + "/commands", get_commands),
        ("PUT", app + "/commands", put_commands),
        ("GET", app + "/commands/{command_id}", get_command),
        ("GET", app + "/guilds/{guild_id}/commands", get_commands),
        ("PUT", app + "/guilds/{guild_id}/commands", put_commands),
        ("GET", app + "/guilds/{guild_id}/commands/{command_id}", get_command),
        ("POST", "/interactions/{interaction_id}/{webhook_token}/callback", callback),
        ("POST", wh, followup),
        ("GET", wh + "/messages/{message_id}", get_webhook_message),
        ("PATCH", wh + "/messages/{message_id}", edit_webhook_message),
        ("DELETE", wh + "/messages/{message_id}", delete_webhook_message),
    ]
