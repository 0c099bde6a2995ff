"""REST routes under /channels: channels, messages, reactions, pins, threads and thread members."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from aiohttp import web

from bot.sandbox import payloads
from bot.sandbox.errors import (
    UNKNOWN_EMOJI,
    UNKNOWN_MEMBER,
    DiscordHTTPError,
    FormErrors,
    max_active_threads_reached,
    missing_permissions,
    not_found,
)
from bot.sandbox.http_util import (
    channel_for,
    current_bot,
    json_response,
    message_for,
    no_content,
    read_body,
    require,
    sandbox_of,
    user_for,
)
from bot.sandbox.models import (
    ANNOUNCEMENT,
    CATEGORY,
    GATEWAY_MESSAGE_CONTENT,
    GATEWAY_MESSAGE_CONTENT_LIMITED,
    PRIVATE_THREAD,
    PUBLIC_THREAD,
    TEXT,
    Attachment,
    BotAccount,
    Channel,
    Message,
    iso,
    now,
    snowflake_time,
)
from bot.sandbox.permissions import P
from bot.sandbox.validation import check_message, check_thread

if TYPE_CHECKING:
    from bot.sandbox.http_util import RouteList, UploadedFile

THREAD_ARCHIVED = DiscordHTTPError(400, 50083, "Thread is archived")
WRONG_CHANNEL_TYPE = DiscordHTTPError(400, 50024, "Cannot execute action on this channel type")
# Discord checks an enforced nonce against "the past few minutes".
NONCE_WINDOW = dt.timedelta(minutes=5)


def _out(request: web.Request, message: Message) -> dict[str, Any]:
    bot = current_bot(request)
    return payloads.message(
        message, viewer_id=bot.user.id, hide_content=_content_withheld_from(bot, message)
    )


def _content_withheld_from(bot: BotAccount, message: Message) -> bool:
    """Over REST too, an app not approved for the Message Content intent gets no text,
    attachments or embeds of guild messages, except its own and those that mention it."""
    approved = bot.application_flags & (GATEWAY_MESSAGE_CONTENT | GATEWAY_MESSAGE_CONTENT_LIMITED)
    return (
        not approved
        and message.channel.guild is not None
        and message.author.id != bot.user.id
        and all(user.id != bot.user.id for user in message.mentions)
    )


# channels ------------------------------------------------------------------
async def get_channel(request: web.Request) -> web.Response:
    channel = channel_for(request)
    return json_response(payloads.channel(channel, me=current_bot(request).user.id))


async def edit_channel(request: web.Request) -> web.Response:
    sandbox = sandbox_of(request)
    channel = channel_for(request)
    body, _ = await read_body(request)
    if channel.guild is None:
        raise WRONG_CHANNEL_TYPE
    if channel.is_thread:
        _edit_thread(request, channel, body)
        sandbox.thread_event("THREAD_UPDATE", channel)
    else:
        require(request, channel, P.MANAGE_CHANNELS)
        errs = FormErrors()
        if "name" in body:
            errs.length_between(("name",), body["name"], 1, 100)
        errs.max_length(("topic",), body.get("topic"), 1024)
        errs.raise_if_any()
        if "name" in body:
            channel.name = body["name"]
        if "topic" in body:
            channel.topic = body["topic"]
        if "parent_id" in body:
            channel.parent = (
                channel.guild.get_channel(int(body["parent_id"])) if body["parent_id"] else None
            )
        if "permission_overwrites" in body:
            require(request, channel, P.MANAGE_ROLES)
            channel.overwrites = {
                int(o["id"]): (int(o.get("allow", 0)), int(o.get("deny", 0)))
                for o in body["permission_overwrites"] or []
            }
        sandbox.channel_event("CHANNEL_UPDATE", channel)
    return json_response(payloads.channel(channel, me=current_bot(request).user.id))


def _edit_thread(request: web.Request, thread: Channel, body: dict[str, Any]) -> None:
    check_thread(body)
    perms = sandbox_of(request).permissions_for(current_bot(request).user, thread)
    manages = bool(perms & P.MANAGE_THREADS)
    owner = thread.owner_id == current_bot(request).user.id
    if ("locked" in body or "invitable" in body) and not manages:
        raise missing_permissions()
    if not (manages or owner):
        raise missing_permissions()
    if thread.locked and not manages:
        raise THREAD_ARCHIVED
    unarchiving = body.get("archived") is False
    if thread.archived and not unarchiving and "archived" not in body:
        raise THREAD_ARCHIVED
    if "name" in body:
        thread.name = body["name"]
    if "auto_archive_duration" in body:
        thread.auto_archive_duration = int(body["auto_archive_duration"])
    if "locked" in body:
        thread.locked = bool(body["locked"])
    if "invitable" in body and thread.type == PRIVATE_THREAD:
        thread.invitable = bool(body["invitable"])
    if "archived" in body and bool(body["archived"]) != thread.archived:
        thread.archived = bool(body["archived"])
        thread.archive_timestamp = now()


async def delete_channel(request: web.Request) -> web.Response:
    sandbox = sandbox_of(request)
    channel = channel_for(request)
    guild = channel.guild
    if guild is None:
        raise WRONG_CHANNEL_TYPE
    if channel.is_thread:
        require(request, channel, P.MANAGE_THREADS)
        guild.threads.remove(channel)
        sandbox.thread_event("THREAD_DELETE", channel)
    else:
        require(request, channel, P.MANAGE_CHANNELS)
        guild.channels.remove(channel)
        for thread in [t for t in guild.threads if t.parent is channel]:
            guild.threads.remove(thread)
        sandbox.channel_event("CHANNEL_DELETE", channel)
    return json_response(payloads.channel(channel))


# messages ------------------------------------------------------------------
def _check_can_send(request: web.Request, channel: Channel, files: int) -> None:
    if channel.guild is None:
        if channel.recipient is not None and not channel.recipient.accepts_dms:
            raise DiscordHTTPError(403, 50007, "Cannot send messages to this user")
        return
    if channel.type == CATEGORY:
        raise DiscordHTTPError(400, 50008, "Cannot send messages in a non-text channel")
    if channel.is_thread:
        perms = require(request, channel, P.SEND_MESSAGES_IN_THREADS)
        if channel.locked and not perms & P.MANAGE_THREADS:
            raise THREAD_ARCHIVED
    else:
        require(request, channel, P.SEND_MESSAGES)
    if files:
        require(request, channel, P.ATTACH_FILES)


def make_attachments(
    request: web.Request,
    body: dict[str, Any],
    files: list[tuple[int, UploadedFile]],
    keep: list[Attachment] | None = None,
) -> list[Attachment]:
    sandbox = sandbox_of(request)
    meta = {str(a.get("id")): a for a in body.get("attachments") or [] if isinstance(a, dict)}
    out: list[Attachment] = []
    if keep is not None:
        wanted = set(meta)
        out = [a for a in keep if str(a.id) in wanted] if "attachments" in body else list(keep)
    for index, (filename, data, ctype) in files:
        info = meta.get(str(index), {})
        out.append(
            sandbox.new_attachment(
                info.get("filename") or filename, data, ctype, info.get("description")
            )
        )
    return out


def _reference(channel: Channel, body: dict[str, Any]) -> Message | None:
    ref = body.get("message_reference")
    if not ref or not ref.get("message_id"):
        return None
    target = channel.get_message(int(ref["message_id"]))
    if target is None and ref.get("fail_if_not_exists", True):
        raise DiscordHTTPError(
            400,
            50035,
            "Invalid Form Body",
            {
                "message_reference": {
                    "_errors": [
                        {"code": "MESSAGE_REFERENCE_UNKNOWN_MESSAGE", "message": "Unknown message"}
                    ]
                }
            },
        )
    return target


async def create_message(request: web.Request) -> web.Response:
    sandbox, bot = sandbox_of(request), current_bot(request)
    channel = channel_for(request)
    body, files = await read_body(request)
    _check_can_send(request, channel, len(files))
    check_message(body, files=len(files))
    reference = _reference(channel, body)
    if reference is not None and channel.guild is not None:
        require(request, channel, P.READ_MESSAGE_HISTORY)
    earlier = _same_nonce(channel, bot.user.id, body)
    if earlier is not None:
        return json_response(_out(request, earlier))
    attachments = make_attachments(request, body, files)
    message = sandbox.new_message(
        channel,
        bot.user,
        body,
        attachments=attachments,
        reference=reference,
        message_type=19 if reference else 0,
    )
    if body.get("nonce") is not None:
        message.nonce = str(body["nonce"])
    return json_response(_out(request, message))


def _same_nonce(channel: Channel, author_id: int, body: dict[str, Any]) -> Message | None:
    """Discord: with ``enforce_nonce``, a message the same author sent with the same nonce in
    the past few minutes is returned instead of creating another."""
    if not body.get("enforce_nonce") or body.get("nonce") is None:
        return None
    nonce = str(body["nonce"])
    since = now() - NONCE_WINDOW
    for message in reversed(channel.messages):
        if message.created_at < since:
            break
        if message.nonce == nonce and message.author.id == author_id and not message.deleted:
            return message
    return None


async def get_message(request: web.Request) -> web.Response:
    channel = channel_for(request)
    if channel.guild is not None:
        require(request, channel, P.READ_MESSAGE_HISTORY)
    return json_response(_out(request, message_for(request, channel)))


async def history(request: web.Request) -> web.Response:
    channel = channel_for(request)
    if (
        channel.guild is not None
        and not sandbox_of(request).permissions_for(current_bot(request).user, channel)
        & P.READ_MESSAGE_HISTORY
    ):
        return json_response([])
    q = request.query
    limit = max(1, min(int(q.get("limit", 50)), 100))
    msgs = channel.messages  # oldest first
    if "around" in q:
        around = int(q["around"])
        before = [m for m in msgs if m.id < around][-(limit // 2) :] if limit // 2 else []
        after = [m for m in msgs if m.id >= around][: limit - len(before)]
        chosen = before + after
    elif "after" in q:
        chosen = [m for m in msgs if m.id > int(q["after"])][:limit]
    else:
        before_id = int(q["before"]) if "before" in q else None
        chosen = [m for m in msgs if before_id is None or m.id < before_id][-limit:]
    return json_response([_out(request, m) for m in reversed(chosen)])


async def edit_message(request: web.Request) -> web.Response:
    sandbox, bot = sandbox_of(request), current_bot(request)
    channel = channel_for(request)
    message = message_for(request, channel)
    body, files = await read_body(request)
    if message.author.id != bot.user.id:
        if set(body) - {"flags"}:
            raise DiscordHTTPError(403, 50005, "Cannot edit a message authored by another user")
        require(request, channel, P.MANAGE_MESSAGES)
    if channel.is_thread and channel.archived:
        raise THREAD_ARCHIVED
    check_message(body, files=len(files), editing=True)
    attachments = None
    if files or "attachments" in body:
        attachments = make_attachments(request, body, files, keep=message.attachments)
    sandbox.apply_message_edit(message, body, attachments)
    return json_response(_out(request, message))


async def delete_message(request: web.Request) -> web.Response:
    sandbox, bot = sandbox_of(request), current_bot(request)
    channel = channel_for(request)
    message = message_for(request, channel)
    if message.author.id != bot.user.id:
        if channel.guild is None:
            raise DiscordHTTPError(403, 50003, "Cannot execute action on a DM channel")
        require(request, channel, P.MANAGE_MESSAGES)
    if channel.is_thread and channel.archived:
        raise THREAD_ARCHIVED
    sandbox.remove_message(message)
    return no_content()


async def bulk_delete(request: web.Request) -> web.Response:
    sandbox = sandbox_of(request)
    channel = channel_for(request)
    if channel.guild is None:
        raise DiscordHTTPError(403, 50003, "Cannot execute action on a DM channel")
    require(request, channel, P.MANAGE_MESSAGES)
    body, _ = await read_body(request)
    ids = [int(i) for i in body.get("messages") or []]
    if not 2 <= len(ids) <= 100:
        raise DiscordHTTPError(
            400,
            50035,
            "Invalid Form Body",
            {
                "messages": {
                    "_errors": [
                        {
                            "code": "BASE_TYPE_BAD_LENGTH",
                            "message": "Must be between 2 and 100 in length.",
                        }
                    ]
                }
            },
        )
    cutoff = now() - dt.timedelta(days=14)
    if any(snowflake_time(i) < cutoff for i in ids):
        raise DiscordHTTPError(
            400, 50034, "You can only bulk delete messages that are under 14 days old."
        )
    deleted = []
    for mid in ids:
        message = channel.get_message(mid)
        if message is not None:
            message.deleted = True
            channel.messages.remove(message)
            deleted.append(str(mid))
    data: dict[str, Any] = {
        "ids": deleted,
        "channel_id": str(channel.id),
        "guild_id": str(channel.guild.id),
    }
    sandbox.emit("MESSAGE_DELETE_BULK", lambda s: data, guild=channel.guild, channel=channel)
    return no_content()


# reactions -----------------------------------------------------------------
def _emoji(request: web.Request) -> str:
    raw = unquote(request.match_info["emoji"])
    if not raw:
        raise not_found(UNKNOWN_EMOJI, "Emoji")
    if ":" in raw:
        # custom emoji "name:id": the sandbox has no custom emojis
        raise not_found(UNKNOWN_EMOJI, "Emoji")
    return raw


def _react_target(request: web.Request) -> tuple[Channel, Message, str]:
    channel = channel_for(request)
    if channel.guild is not None:
        require(request, channel, P.READ_MESSAGE_HISTORY)
    return channel, message_for(request, channel), _emoji(request)


async def add_reaction(request: web.Request) -> web.Response:
    sandbox, bot = sandbox_of(request), current_bot(request)
    channel, message, emoji = _react_target(request)
    users = message.reactions.get(emoji)
    if not users and channel.guild is not None:
        require(request, channel, P.ADD_REACTIONS)
    if len(message.reactions) >= 20 and emoji not in message.reactions:
        raise DiscordHTTPError(400, 30010, "Maximum number of reactions reached (20)")
    users = message.reactions.setdefault(emoji, [])
    if bot.user.id not in users:
        users.append(bot.user.id)
        sandbox.reaction_event("MESSAGE_REACTION_ADD", message, bot.user, emoji)
    return no_content()


async def remove_own_reaction(request: web.Request) -> web.Response:
    _channel, message, emoji = _react_target(request)
    _remove_reaction(request, message, current_bot(request).user.id, emoji)
    return no_content()


async def remove_user_reaction(request: web.Request) -> web.Response:
    channel, message, emoji = _react_target(request)
    user = user_for(request)
    if user.id != current_bot(request).user.id:
        require(request, channel, P.MANAGE_MESSAGES)
    _remove_reaction(request, message, user.id, emoji)
    return no_content()


def _remove_reaction(request: web.Request, message: Message, user_id: int, emoji: str) -> None:
    sandbox = sandbox_of(request)
    users = message.reactions.get(emoji, [])
    if user_id in users:
        users.remove(user_id)
        if not users:
            del message.reactions[emoji]
        sandbox.reaction_event("MESSAGE_REACTION_REMOVE", message, sandbox.users[user_id], emoji)


async def get_reactions(request: web.Request) -> web.Response:
    sandbox = sandbox_of(request)
    _channel, message, emoji = _react_target(request)
    limit = min(int(request.query.get("limit", 25)), 100)
    after = int(request.query.get("after", 0))
    ids = sorted(u for u in message.reactions.get(emoji, []) if u > after)[:limit]
    return json_response([payloads.user(sandbox.users[u]) for u in ids])


async def clear_reactions(request: web.Request) -> web.Response:
    channel = channel_for(request)
    require(request, channel, P.MANAGE_MESSAGES)
    message = message_for(request, channel)
    emoji = _emoji(request) if "emoji" in request.match_info else None
    sandbox_of(request).remove_reactions(message, emoji)
    return no_content()


# pins ----------------------------------------------------------------------
def _pin_perm(request: web.Request, channel: Channel) -> None:
    if channel.guild is None:
        return
    perms = require(request, channel, P.VIEW_CHANNEL)
    if not perms & (P.MANAGE_MESSAGES | P.PIN_MESSAGES):
        raise missing_permissions()


async def pin(request: web.Request) -> web.Response:
    channel = channel_for(request)
    _pin_perm(request, channel)
    message = message_for(request, channel)
    if not message.pinned:
        if sum(m.pinned for m in channel.messages) >= 250:
            raise DiscordHTTPError(400, 30003, "Maximum number of pins reached (250)")
        message.pinned = True
        _pins_changed(request, channel, message)
    return no_content()


async def unpin(request: web.Request) -> web.Response:
    channel = channel_for(request)
    _pin_perm(request, channel)
    message = message_for(request, channel)
    if message.pinned:
        message.pinned = False
        _pins_changed(request, channel, message)
    return no_content()


def _pins_changed(request: web.Request, channel: Channel, message: Message) -> None:
    sandbox = sandbox_of(request)
    data: dict[str, Any] = {"channel_id": str(channel.id), "last_pin_timestamp": iso(now())}
    if channel.guild is not None:
        data["guild_id"] = str(channel.guild.id)
    sandbox.emit("CHANNEL_PINS_UPDATE", lambda s: data, guild=channel.guild, channel=channel)
    sandbox.dispatch_message("MESSAGE_UPDATE", message)


async def list_pins(request: web.Request) -> web.Response:
    channel = channel_for(request)
    pinned = [m for m in reversed(channel.messages) if m.pinned]
    if request.path.endswith("/messages/pins"):
        limit = min(int(request.query.get("limit", 50)), 50)
        return json_response(
            {
                "items": [
                    {"pinned_at": iso(now()), "message": _out(request, m)} for m in pinned[:limit]
                ],
                "has_more": len(pinned) > limit,
            }
        )
    return json_response([_out(request, m) for m in pinned])


# threads -------------------------------------------------------------------
def _new_thread(
    request: web.Request,
    parent: Channel,
    body: dict[str, Any],
    ttype: int,
    starter: Message | None = None,
) -> Channel:
    """The thread, once the request passed its checks and permissions: Discord then refuses
    it only when the server has as many active threads as it allows."""
    guild = parent.guild
    assert guild is not None
    if sum(1 for thread in guild.threads if not thread.archived) >= guild.max_active_threads:
        raise max_active_threads_reached()
    return sandbox_of(request).start_thread(
        parent,
        current_bot(request).user,
        body["name"],
        ttype,
        starter=starter,
        auto_archive_duration=int(body.get("auto_archive_duration") or 1440),
        invitable=bool(body.get("invitable", True)),
    )


def _thread_parent_checks(request: web.Request, channel: Channel, body: dict[str, Any]) -> None:
    if channel.type not in (TEXT, ANNOUNCEMENT):
        raise WRONG_CHANNEL_TYPE
    check_thread({**body, "_creating": True})


async def create_thread(request: web.Request) -> web.Response:
    channel = channel_for(request)
    body, _ = await read_body(request)
    _thread_parent_checks(request, channel, body)
    # Discord: without a message, a thread is private unless the type says otherwise
    ttype = int(body.get("type") or PRIVATE_THREAD)
    if ttype not in (PUBLIC_THREAD, PRIVATE_THREAD, 10):
        raise WRONG_CHANNEL_TYPE
    if ttype == 10:
        ttype = PUBLIC_THREAD
    if ttype == PRIVATE_THREAD and channel.type == ANNOUNCEMENT:
        raise WRONG_CHANNEL_TYPE
    require(
        request,
        channel,
        P.CREATE_PUBLIC_THREADS if ttype == PUBLIC_THREAD else P.CREATE_PRIVATE_THREADS,
    )
    thread = _new_thread(request, channel, body, ttype)
    return json_response(payloads.channel(thread, me=current_bot(request).user.id), status=201)


async def create_thread_from_message(request: web.Request) -> web.Response:
    channel = channel_for(request)
    message = message_for(request, channel)
    body, _ = await read_body(request)
    _thread_parent_checks(request, channel, body)
    require(request, channel, P.CREATE_PUBLIC_THREADS, P.READ_MESSAGE_HISTORY)
    if message.thread is not None:
        raise DiscordHTTPError(400, 160004, "A thread has already been created for this message")
    thread = _new_thread(request, channel, body, PUBLIC_THREAD, starter=message)
    return json_response(payloads.channel(thread, me=current_bot(request).user.id), status=201)


def _thread_for(request: web.Request) -> Channel:
    thread = channel_for(request)
    if not thread.is_thread:
        raise WRONG_CHANNEL_TYPE
    return thread


async def join_thread(request: web.Request) -> web.Response:
    thread = _thread_for(request)
    if thread.archived:
        raise THREAD_ARCHIVED
    _add_thread_member(request, thread, current_bot(request).user.id)
    return no_content()


async def add_thread_member(request: web.Request) -> web.Response:
    thread = _thread_for(request)
    user = user_for(request)
    if thread.archived:
        raise THREAD_ARCHIVED
    perms = require(request, thread, P.SEND_MESSAGES_IN_THREADS)
    if thread.type == PRIVATE_THREAD and not thread.invitable and not perms & P.MANAGE_THREADS:
        raise missing_permissions()
    assert thread.guild is not None
    if thread.guild.get_member(user.id) is None:
        raise not_found(UNKNOWN_MEMBER, "Member")
    _add_thread_member(request, thread, user.id)
    return no_content()


def _add_thread_member(request: web.Request, thread: Channel, user_id: int) -> None:
    if user_id in thread.thread_members:
        return
    thread.thread_members[user_id] = now()
    sandbox_of(request).thread_members_event(thread, [user_id], [])


async def leave_thread(request: web.Request) -> web.Response:
    thread = _thread_for(request)
    _remove_thread_member(request, thread, current_bot(request).user.id)
    return no_content()


async def remove_thread_member(request: web.Request) -> web.Response:
    thread = _thread_for(request)
    user = user_for(request)
    me = current_bot(request).user.id
    if user.id != me:
        perms = sandbox_of(request).permissions_for(current_bot(request).user, thread)
        owner_of_private = thread.type == PRIVATE_THREAD and thread.owner_id == me
        if not (perms & P.MANAGE_THREADS or owner_of_private):
            raise missing_permissions()
    if thread.archived:
        raise THREAD_ARCHIVED
    _remove_thread_member(request, thread, user.id)
    return no_content()


def _remove_thread_member(request: web.Request, thread: Channel, user_id: int) -> None:
    if thread.thread_members.pop(user_id, None) is not None:
        sandbox_of(request).thread_members_event(thread, [], [user_id])


async def get_thread_member(request: web.Request) -> web.Response:
    thread = _thread_for(request)
    user = user_for(request)
    if user.id not in thread.thread_members:
        raise not_found(UNKNOWN_MEMBER, "Member")
    assert thread.guild is not None
    member = (
        thread.guild.get_member(user.id)
        if request.query.get("with_member") in ("true", "True", "1")
        else None
    )
    return json_response(payloads.thread_member(thread, user.id, member))


async def archived_public_threads(request: web.Request) -> web.Response:
    """A channel's archived public threads, the most recently archived first, those archived
    before ``before`` (an ISO 8601 time) when given; Discord asks READ_MESSAGE_HISTORY."""
    sandbox, bot = sandbox_of(request), current_bot(request)
    channel = channel_for(request)
    if not sandbox.permissions_for(bot.user, channel) & P.READ_MESSAGE_HISTORY:
        raise DiscordHTTPError(403, 50001, "Missing Access")
    limit = max(2, min(int(request.query.get("limit", 50)), 100))
    before = request.query.get("before")
    threads = sorted(
        (
            t
            for t in channel.threads
            if t.type == PUBLIC_THREAD
            and t.archived
            and (before is None or t.archive_timestamp < dt.datetime.fromisoformat(before))
        ),
        key=lambda t: t.archive_timestamp,
        reverse=True,
    )
    page = threads[:limit]
    members = [
        payloads.thread_member(t, bot.user.id) for t in page if bot.user.id in t.thread_members
    ]
    return json_response(
        {
            "threads": [payloads.channel(t) for t in page],
            "members": members,
            "has_more": len(threads) > limit,
        }
    )


async def list_thread_members(request: web.Request) -> web.Response:
    thread = _thread_for(request)
    assert thread.guild is not None
    with_member = request.query.get("with_member") in ("true", "True", "1")
    return json_response(
        [
            payloads.thread_member(
                thread, uid, thread.guild.get_member(uid) if with_member else None
            )
            for uid in thread.thread_members
        ]
    )


def routes() -> RouteList:
    c = "/channels/{channel_id}"
    m = c + "/messages/{message_id}"
    return [
        ("GET", c, get_channel),
        ("PATCH", c, edit_channel),
        ("DELETE", c, delete_channel),
        ("GET", c + "/messages", history),
        ("POST", c + "/messages", create_message),
        ("POST", c + "/messages/bulk-delete", bulk_delete),
        ("POST", c + "/messages/bulk_delete", bulk_delete),
        ("GET", c + "/messages/pins", list_pins),
        ("PUT", c + "/messages/pins/{message_id}", pin),
        ("DELETE", c + "/messages/pins/{message_id}", unpin),
        ("GET", c + "/pins", list_pins),
        ("PUT", c + "/pins/{message_id}", pin),
        ("DELETE", c + "/pins/{message_id}", unpin),
        ("GET", m, get_message),
        ("PATCH", m, edit_message),
        ("DELETE", m, delete_message),
        ("POST", m + "/threads", create_thread_from_message),
        ("DELETE", m + "/reactions", clear_reactions),
        ("GET", m + "/reactions/{emoji}", get_reactions),
        ("DELETE", m + "/reactions/{emoji}", clear_reactions),
        ("PUT", m + "/reactions/{emoji}/@me", add_reaction),
        ("DELETE", m + "/reactions/{emoji}/@me", remove_own_reaction),
        ("DELETE", m + "/reactions/{emoji}/{user_id}", remove_user_reaction),
        ("POST", c + "/threads", create_thread),
        ("GET", c + "/threads/archived/public", archived_public_threads),
        ("GET", c + "/thread-members", list_thread_members),
        ("PUT", c + "/thread-members/@me", join_thread),
        ("DELETE", c + "/thread-members/@me", leave_thread),
        ("GET", c + "/thread-members/{user_id}", get_thread_member),
        ("PUT", c + "/thread-members/{user_id}", add_thread_member),
        ("DELETE", c + "/thread-members/{user_id}", remove_thread_member),
        ("POST", c + "/typing", typing),
    ]


async def typing(request: web.Request) -> web.Response:
    channel_for(request)
    return no_content()
