"""Acting as the community's members: slash commands, clicks, modals, messages, reactions."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any, Protocol

from bot.sandbox import payloads
from bot.sandbox.errors import SandboxError
from bot.sandbox.hub import SandboxHub
from bot.sandbox.interactions import (
    APPLICATION_COMMAND,
    AUTOCOMPLETE,
    MESSAGE_COMPONENT,
    MODAL_SUBMIT,
    SandboxInteraction,
)
from bot.sandbox.models import (
    ANNOUNCEMENT,
    ARCHIVE_DURATIONS,
    PRIVATE_THREAD,
    PUBLIC_THREAD,
    TEXT,
    Attachment,
    BotAccount,
    Channel,
    Guild,
    Member,
    Message,
    Role,
    User,
    snowflake,
    walk_components,
)
from bot.sandbox.permissions import P

if TYPE_CHECKING:
    from bot.sandbox.gateway import GatewaySession

SUB_COMMAND, SUB_COMMAND_GROUP = 1, 2
STRING, INTEGER, BOOLEAN, USER, CHANNEL, ROLE, MENTIONABLE, NUMBER, ATTACHMENT = (
    3,
    4,
    5,
    6,
    7,
    8,
    9,
    10,
    11,
)
_TYPE_NAMES = {
    3: "string",
    4: "integer",
    5: "boolean",
    6: "user",
    7: "channel",
    8: "role",
    9: "mentionable",
    10: "number",
    11: "attachment",
}

Actor = Member | User

# Discord's integer options hold what a JavaScript number holds exactly: -(2^53 - 1) to 2^53 - 1.
MAX_SAFE_INTEGER = 2**53 - 1


class ActorHost(SandboxHub, Protocol):
    """The sandbox as the mixin's methods see it: the hub, plus the mixin's own interaction step."""

    async def _interact(
        self,
        bot: BotAccount,
        itype: int,
        actor: Actor,
        channel: Channel,
        data: dict[str, Any],
        *,
        message: Message | None = None,
        timeout: float,  # noqa: ASYNC109
    ) -> SandboxInteraction: ...


class Actors:
    """Mixed into Sandbox: what a simulated user can do. Async because the bot answers.

    Its methods take ``self`` as an :class:`ActorHost`, so the mixin reaches the sandbox through
    the hub's interface and this module does not import ``sandbox.py``.
    """

    # interactions ----------------------------------------------------------
    async def slash(
        self: ActorHost,
        member: Actor,
        channel: Channel,
        command: str,
        /,
        *,
        timeout: float = 5.0,  # noqa: ASYNC109
        _options: dict[str, Any] | None = None,
        **options: Any,
    ) -> SandboxInteraction:
        """Invoke ``/command`` ("name", "group sub", "group subgroup sub"); options by name."""
        options = {**(_options or {}), **options}
        bot, _cmd, data = _build_command(self, member, channel, command, options, focused=None)
        return await self._interact(
            bot, APPLICATION_COMMAND, member, channel, data, timeout=timeout
        )

    async def autocomplete(
        self: ActorHost,
        member: Actor,
        channel: Channel,
        command: str,
        /,
        *,
        focused: str,
        timeout: float = 5.0,  # noqa: ASYNC109
        _options: dict[str, Any] | None = None,
        **options: Any,
    ) -> SandboxInteraction:
        """Type into option ``focused``; the result's ``.choices`` holds what the bot suggested."""
        options = {**(_options or {}), **options}
        bot, _cmd, data = _build_command(self, member, channel, command, options, focused=focused)
        return await self._interact(bot, AUTOCOMPLETE, member, channel, data, timeout=timeout)

    async def context_menu(
        self: ActorHost,
        member: Actor,
        target: Message | Member | User,
        name: str,
        *,
        channel: Channel | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> SandboxInteraction:
        """A message command (target a Message) or a user command (target a Member/User)."""
        is_message = isinstance(target, Message)
        where = target.channel if isinstance(target, Message) else channel
        if where is None:
            raise SandboxError("a user command needs channel=")
        ctype = 3 if is_message else 2
        found = _find_command(self, where.guild, name, ctype)
        if found is None:
            raise SandboxError(
                f"the bot registered no {'message' if is_message else 'user'} "
                f"command named {name!r}"
            )
        bot, cmd = found
        data: dict[str, Any] = {
            "id": cmd["id"],
            "name": cmd["name"],
            "type": ctype,
            "target_id": str(target.id),
        }
        if cmd.get("guild_id"):
            data["guild_id"] = cmd["guild_id"]
        if isinstance(target, Message):
            data["resolved"] = {"messages": {str(target.id): payloads.message(target)}}
        else:
            resolved: dict[str, Any] = {}
            _resolve_user(resolved, where.guild, target, where, self)
            data["resolved"] = resolved
        return await self._interact(bot, APPLICATION_COMMAND, member, where, data, timeout=timeout)

    async def click(
        self: ActorHost,
        member: Actor,
        message: Message,
        custom_id: str,
        *,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> SandboxInteraction:
        comp = _component(message, custom_id)
        if comp.get("type") != 2 or comp.get("style") == 5:
            raise SandboxError(f"{custom_id!r} is not a button one can click")
        data = {"custom_id": custom_id, "component_type": 2}
        if "id" in comp:
            data["id"] = comp["id"]
        bot = _bot_for_message(self, message)
        return await self._interact(
            bot, MESSAGE_COMPONENT, member, message.channel, data, message=message, timeout=timeout
        )

    async def select(
        self: ActorHost,
        member: Actor,
        message: Message,
        custom_id: str,
        values: list[Any],
        *,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> SandboxInteraction:
        comp = _component(message, custom_id)
        ctype = comp.get("type")
        if ctype not in (3, 5, 6, 7, 8):
            raise SandboxError(f"{custom_id!r} is not a select menu")
        low, high = comp.get("min_values", 1), comp.get("max_values", 1)
        if not low <= len(values) <= high:
            raise SandboxError(f"choose between {low} and {high} values")
        data: dict[str, Any] = {"custom_id": custom_id, "component_type": ctype}
        if ctype == 3:
            allowed = {o["value"] for o in comp.get("options") or []}
            bad = [v for v in values if v not in allowed]
            if bad:
                raise SandboxError(f"not options of {custom_id!r}: {bad}")
            data["values"] = list(values)
        else:
            resolved: dict[str, Any] = {}
            data["values"] = [
                _resolve_any(resolved, message.channel.guild, v, message.channel, self)
                for v in values
            ]
            data["resolved"] = resolved
        bot = _bot_for_message(self, message)
        return await self._interact(
            bot, MESSAGE_COMPONENT, member, message.channel, data, message=message, timeout=timeout
        )

    async def submit_modal(
        self: ActorHost,
        member: Actor,
        opened_by: SandboxInteraction,
        values: dict[str, Any],
        *,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> SandboxInteraction:
        modal = opened_by.modal
        if modal is None:
            raise SandboxError("that interaction did not open a modal")
        known = {c.get("custom_id") for c in walk_components(modal.get("components") or [])}
        unknown = set(values) - known
        if unknown:
            raise SandboxError(f"the modal has no fields {sorted(unknown)}")
        components = [_submitted(c, values) for c in modal.get("components") or []]
        data = {"custom_id": modal.get("custom_id"), "components": components}
        bot = next(b for b in self.bots.values() if b.application_id == opened_by.application_id)
        return await self._interact(
            bot,
            MODAL_SUBMIT,
            member,
            opened_by.channel,
            data,
            message=opened_by.message,
            timeout=timeout,
        )

    async def _interact(
        self: ActorHost,
        bot: BotAccount,
        itype: int,
        actor: Actor,
        channel: Channel,
        data: dict[str, Any],
        *,
        message: Message | None = None,
        timeout: float,  # noqa: ASYNC109
    ) -> SandboxInteraction:
        user, member = _who(channel.guild, actor)
        if channel.guild is not None and not self.permissions_for(user, channel) & P.VIEW_CHANNEL:
            raise SandboxError(f"{user.name} cannot see #{channel.name}")
        itx = SandboxInteraction(
            id=snowflake(),
            token=_interaction_token(),
            type=itype,
            application_id=bot.application_id,
            user=user,
            member=member,
            guild=channel.guild,
            channel=channel,
            data=data,
            message=message,
        )
        self.interactions_by_id[itx.id] = itx
        self.emit(
            "INTERACTION_CREATE",
            lambda s: _interaction_payload(self, itx, s),
            guild=channel.guild,
            only_bot=bot,
        )
        label = data.get("name") or data.get("custom_id")
        self.log_interaction(itx, label)
        return await self.wait_answer(itx, timeout)

    # plain actions -----------------------------------------------------------
    async def send_message(
        self: ActorHost,
        member: Actor,
        channel: Channel,
        content: str,
        reply_to: Message | None = None,
        attachments: list[tuple[str, bytes]] | None = None,
    ) -> Message:
        user, _ = _who(channel.guild, member)
        if channel.guild is not None:
            perms = self.permissions_for(user, channel)
            need = P.SEND_MESSAGES_IN_THREADS if channel.is_thread else P.SEND_MESSAGES
            if not perms & P.VIEW_CHANNEL or not perms & need:
                raise SandboxError(f"{user.name} may not send messages in #{channel.name}")
            if channel.is_thread and channel.locked and not perms & P.MANAGE_THREADS:
                raise SandboxError("that thread is locked")
        if len(content) > 2000:
            raise SandboxError("Discord's client refuses messages over 2000 characters")
        if not content and not attachments:
            raise SandboxError("an empty message cannot be sent")
        if reply_to is not None and reply_to.channel is not channel:
            raise SandboxError("reply_to must be a message of the same channel")
        atts = [self.new_attachment(name, data) for name, data in attachments or []]
        return self.new_message(
            channel,
            user,
            {"content": content},
            attachments=atts,
            reference=reply_to,
            message_type=19 if reply_to else 0,
        )

    async def edit_message(
        self: ActorHost,
        member: Actor,
        message: Message,
        content: str,
    ) -> Message:
        user, _ = _who(message.channel.guild, member)
        if message.author.id != user.id:
            raise SandboxError("only the author can edit a message")
        return self.apply_message_edit(message, {"content": content})

    async def delete_message(
        self: ActorHost,
        member: Actor,
        message: Message,
    ) -> None:
        user, _ = _who(message.channel.guild, member)
        if message.author.id != user.id and not (
            self.permissions_for(user, message.channel) & P.MANAGE_MESSAGES
        ):
            raise SandboxError(f"{user.name} may not delete that message")
        self.remove_message(message)

    async def add_reaction(
        self: ActorHost,
        member: Actor,
        message: Message,
        emoji: str,
    ) -> None:
        user, _ = _who(message.channel.guild, member)
        perms = self.permissions_for(user, message.channel)
        if message.channel.guild is not None:
            if not perms & P.READ_MESSAGE_HISTORY:
                raise SandboxError(f"{user.name} cannot read that channel's history")
            if not message.reactions.get(emoji) and not perms & P.ADD_REACTIONS:
                raise SandboxError(f"{user.name} may not add new reactions there")
        users = message.reactions.setdefault(emoji, [])
        if user.id not in users:
            users.append(user.id)
            self.reaction_event("MESSAGE_REACTION_ADD", message, user, emoji)

    async def remove_reaction(
        self: ActorHost,
        member: Actor,
        message: Message,
        emoji: str,
    ) -> None:
        user, _ = _who(message.channel.guild, member)
        users = message.reactions.get(emoji, [])
        if user.id in users:
            users.remove(user.id)
            if not users:
                del message.reactions[emoji]
            self.reaction_event("MESSAGE_REACTION_REMOVE", message, user, emoji)

    async def clear_reactions(
        self: ActorHost,
        member: Actor,
        message: Message,
        emoji: str | None = None,
    ) -> None:
        """A moderator removes every reaction of a message, or every reaction with ``emoji``:
        MESSAGE_REACTION_REMOVE_ALL or MESSAGE_REACTION_REMOVE_EMOJI (needs Manage Messages)."""
        user, _ = _who(message.channel.guild, member)
        if message.deleted:
            raise SandboxError("that message was deleted")
        if message.channel.guild is None:
            raise SandboxError("reactions are cleared in bulk only in a server")
        if not self.permissions_for(user, message.channel) & P.MANAGE_MESSAGES:
            raise SandboxError(f"{user.name} may not remove others' reactions there")
        self.remove_reactions(message, emoji)

    async def create_thread(
        self: ActorHost,
        member: Actor,
        channel: Channel,
        name: str,
        *,
        from_message: Message | None = None,
        private: bool = False,
        auto_archive_duration: int = 1440,
    ) -> Channel:
        """Start a thread in a text (or announcement) channel, as a member does in Discord's
        client: from a message (public; the thread takes the message's id) or without one
        (public, or private with ``private=True``). The member owns the thread and is its first
        member. Posting in it afterwards needs Send Messages in Threads (``send_message``)."""
        guild = channel.guild
        if guild is None:
            raise SandboxError("threads exist only in servers")
        user, _ = _who(guild, member)
        if channel.type not in (TEXT, ANNOUNCEMENT):
            raise SandboxError(f"#{channel.name} (type {channel.type}) cannot hold threads")
        if not 1 <= len(name) <= 100:
            raise SandboxError("a thread name has 1 to 100 characters")
        if auto_archive_duration not in ARCHIVE_DURATIONS:
            raise SandboxError(f"auto_archive_duration must be one of {ARCHIVE_DURATIONS}")
        perms = self.permissions_for(user, channel)
        if not perms & P.VIEW_CHANNEL:
            raise SandboxError(f"{user.name} cannot see #{channel.name}")
        if from_message is not None:
            if private:
                raise SandboxError("a thread started from a message is always public")
            if from_message.channel is not channel or from_message.deleted:
                raise SandboxError("from_message must be a message of that channel")
            if from_message.ephemeral or from_message.type not in (0, 19):
                raise SandboxError("threads start only from ordinary messages and replies")
            if from_message.thread is not None:
                raise SandboxError("a thread has already been created for this message")
            if not perms & P.READ_MESSAGE_HISTORY:
                raise SandboxError(f"{user.name} cannot read the history of #{channel.name}")
        if private and channel.type == ANNOUNCEMENT:
            raise SandboxError("announcement channels have no private threads")
        need = P.CREATE_PRIVATE_THREADS if private else P.CREATE_PUBLIC_THREADS
        if not perms & need:
            kind = "private" if private else "public"
            raise SandboxError(f"{user.name} may not create {kind} threads in #{channel.name}")
        return self.start_thread(
            channel,
            user,
            name,
            PRIVATE_THREAD if private else PUBLIC_THREAD,
            starter=from_message,
            auto_archive_duration=auto_archive_duration,
        )


# helpers ---------------------------------------------------------------------
def _interaction_token() -> str:
    return "aW50ZXJhY3Rpb24" + secrets.token_urlsafe(96)


def _who(guild: Guild | None, actor: Actor) -> tuple[User, Member | None]:
    user = actor.user if isinstance(actor, Member) else actor
    if guild is None:
        return user, None
    member = guild.get_member(user.id)
    if member is None:
        raise SandboxError(f"{user.name} is not a member of {guild.name}")
    return user, member


def _find_command(
    sandbox: SandboxHub, guild: Guild | None, name: str, ctype: int
) -> tuple[BotAccount, dict[str, Any]] | None:
    bots = sandbox.bot_in(guild) if guild is not None else list(sandbox.bots.values())
    for bot in bots:
        scopes: list[tuple[int, int | None]] = (
            [(bot.application_id, guild.id)] if guild is not None else []
        )
        scopes.append((bot.application_id, None))
        for scope in scopes:
            for cmd in sandbox.registered_commands.get(scope, []):
                if cmd["name"] == name and int(cmd.get("type", 1)) == ctype:
                    return bot, cmd
    return None


def _option_def(defs: list[dict[str, Any]], name: str) -> dict[str, Any] | None:
    for cand in (name, name.replace("_", "-")):
        for opt in defs:
            if opt["name"] == cand:
                return opt
    return None


def _build_command(
    sandbox: SandboxHub,
    actor: Actor,
    channel: Channel,
    path: str,
    options: dict[str, Any],
    focused: str | None,
) -> tuple[BotAccount, dict[str, Any], dict[str, Any]]:
    parts = path.strip().lstrip("/").split()
    if not parts:
        raise SandboxError("empty command")
    found = _find_command(sandbox, channel.guild, parts[0], 1)
    if found is None:
        raise SandboxError(f"the bot registered no slash command /{parts[0]}")
    bot, cmd = found
    defs: list[dict[str, Any]] = cmd.get("options") or []
    chain: list[dict[str, Any]] = []
    for part in parts[1:]:
        sub = next((o for o in defs if o["name"] == part and o.get("type") in (1, 2)), None)
        if sub is None:
            raise SandboxError(f"/{path}: no subcommand {part!r}")
        chain.append(sub)
        defs = sub.get("options") or []
    if any(o.get("type") in (1, 2) for o in defs):
        names = [o["name"] for o in defs]
        raise SandboxError(f"/{path} needs a subcommand: {names}")
    resolved: dict[str, Any] = {}
    given: list[dict[str, Any]] = []
    used: set[str] = set()
    for key, value in options.items():
        opt = _option_def(defs, key)
        if opt is None:
            raise SandboxError(f"/{path} has no option {key!r}")
        used.add(opt["name"])
        entry: dict[str, Any] = {"name": opt["name"], "type": opt["type"]}
        if focused is not None and opt["name"] in (focused, focused.replace("_", "-")):
            if not opt.get("autocomplete"):
                raise SandboxError(f"option {opt['name']!r} has no autocomplete")
            entry["value"] = str(value)
            entry["focused"] = True
        else:
            entry["value"] = _convert(sandbox, opt, value, resolved, channel, path)
        given.append(entry)
    if focused is None:
        missing = [o["name"] for o in defs if o.get("required") and o["name"] not in used]
        if missing:
            raise SandboxError(f"/{path} is missing required options {missing}")
    elif not any(e.get("focused") for e in given):
        raise SandboxError(f"pass a value for the focused option {focused!r}")
    for sub in reversed(chain):
        given = [{"name": sub["name"], "type": sub["type"], "options": given}]
    data: dict[str, Any] = {"id": cmd["id"], "name": cmd["name"], "type": 1, "options": given}
    if resolved:
        data["resolved"] = resolved
    if cmd.get("guild_id"):
        data["guild_id"] = cmd["guild_id"]
    return bot, cmd, data


def _convert(
    sandbox: SandboxHub,
    opt: dict[str, Any],
    value: Any,
    resolved: dict[str, Any],
    channel: Channel,
    path: str,
) -> Any:
    otype = opt["type"]
    name = opt["name"]
    wrong = SandboxError(
        f"/{path} {name}: expected a {_TYPE_NAMES.get(otype, otype)}, got {value!r}"
    )
    guild = channel.guild
    if otype == STRING:
        if not isinstance(value, str):
            raise wrong
        if not opt.get("min_length", 0) <= len(value) <= opt.get("max_length", 6000):
            raise SandboxError(f"/{path} {name}: length out of bounds")
    elif otype == INTEGER:
        if isinstance(value, bool) or not isinstance(value, int):
            raise wrong
        if abs(value) > MAX_SAFE_INTEGER:
            raise SandboxError(
                f"/{path} {name}: {value} is outside Discord's integers "
                f"(-{MAX_SAFE_INTEGER} to {MAX_SAFE_INTEGER})"
            )
    elif otype == NUMBER:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise wrong
    elif otype == BOOLEAN:
        if not isinstance(value, bool):
            raise wrong
    elif otype == USER:
        if not isinstance(value, (Member, User)):
            raise wrong
        return _resolve_user(resolved, guild, value, channel, sandbox)
    elif otype == ROLE:
        if not isinstance(value, Role):
            raise wrong
        return _resolve_role(resolved, value)
    elif otype == MENTIONABLE:
        if not isinstance(value, (Member, User, Role)):
            raise wrong
        return _resolve_any(resolved, guild, value, channel, sandbox)
    elif otype == CHANNEL:
        if not isinstance(value, Channel):
            raise wrong
        types = opt.get("channel_types")
        if types and value.type not in types:
            raise SandboxError(f"/{path} {name}: channel type {value.type} not in {types}")
        return _resolve_channel(resolved, value, channel, sandbox)
    elif otype == ATTACHMENT:
        if isinstance(value, tuple):
            value = sandbox.new_attachment(value[0], value[1])
        if not isinstance(value, Attachment):
            raise wrong
        resolved.setdefault("attachments", {})[str(value.id)] = payloads.attachment(value)
        return str(value.id)
    if otype in (INTEGER, NUMBER):
        low, high = opt.get("min_value"), opt.get("max_value")
        if (low is not None and value < low) or (high is not None and value > high):
            raise SandboxError(f"/{path} {name}: {value} out of [{low}, {high}]")
    choices = opt.get("choices")
    if choices and value not in [c["value"] for c in choices]:
        raise SandboxError(f"/{path} {name}: {value!r} is not one of the choices")
    return value


def _resolve_user(
    resolved: dict[str, Any],
    guild: Guild | None,
    value: Member | User,
    channel: Channel,
    sandbox: SandboxHub,
) -> str:
    user = value.user if isinstance(value, Member) else value
    resolved.setdefault("users", {})[str(user.id)] = payloads.user(user)
    member = guild.get_member(user.id) if guild is not None else None
    if member is not None:
        resolved.setdefault("members", {})[str(user.id)] = payloads.member(
            member, with_user=False, permissions=sandbox.permissions_for(user, channel)
        )
    return str(user.id)


def _resolve_role(resolved: dict[str, Any], role: Role) -> str:
    resolved.setdefault("roles", {})[str(role.id)] = payloads.role(role)
    return str(role.id)


def _resolve_channel(
    resolved: dict[str, Any], target: Channel, channel: Channel, sandbox: SandboxHub
) -> str:
    data = payloads.channel(target)
    data["permissions"] = "0"
    resolved.setdefault("channels", {})[str(target.id)] = data
    return str(target.id)


def _resolve_any(
    resolved: dict[str, Any], guild: Guild | None, value: Any, channel: Channel, sandbox: SandboxHub
) -> str:
    if isinstance(value, Role):
        return _resolve_role(resolved, value)
    if isinstance(value, Channel):
        return _resolve_channel(resolved, value, channel, sandbox)
    if isinstance(value, (Member, User)):
        return _resolve_user(resolved, guild, value, channel, sandbox)
    raise SandboxError(f"cannot select {value!r}")


def _component(message: Message, custom_id: str) -> dict[str, Any]:
    if message.deleted:
        raise SandboxError("that message was deleted")
    comp = message.find_component(custom_id)
    if comp is None:
        ids = [c.get("custom_id") for c in walk_components(message.components) if "custom_id" in c]
        raise SandboxError(f"no component {custom_id!r} on that message (has {ids})")
    if comp.get("disabled"):
        raise SandboxError(f"{custom_id!r} is disabled")
    return comp


def _bot_for_message(sandbox: SandboxHub, message: Message) -> BotAccount:
    for bot in sandbox.bots.values():
        if bot.user.id == message.author.id:
            return bot
    raise SandboxError("only a bot's messages carry components the sandbox can route")


def _submitted(comp: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    ctype = comp.get("type")
    if ctype == 1:
        children = comp.get("components", [])
        return {"type": 1, "components": [_submitted(c, values) for c in children]}
    if ctype == 18:
        out = {"type": 18, "component": _submitted(comp["component"], values)}
        if "id" in comp:
            out["id"] = comp["id"]
        return out
    custom_id: str | None = comp.get("custom_id")
    out = {"type": ctype, "custom_id": custom_id}
    if "id" in comp:
        out["id"] = comp["id"]
    if ctype == 4:
        value = _given(values, custom_id, comp.get("value") or "")
        if not isinstance(value, str):
            raise SandboxError(f"text input {custom_id!r} takes a string")
        if comp.get("required", True) and not value:
            raise SandboxError(f"text input {custom_id!r} is required")
        low, high = comp.get("min_length", 0), comp.get("max_length", 4000)
        if value and not low <= len(value) <= high:
            raise SandboxError(f"text input {custom_id!r} must be {low}-{high} characters")
        out["value"] = value
    elif ctype in (3, 5, 6, 7, 8):
        chosen = _given(values, custom_id, [])
        out["values"] = [str(getattr(v, "id", v)) for v in chosen]
    return out


def _given(values: dict[str, Any], custom_id: str | None, default: Any) -> Any:
    """What the test gave for a field (values are keyed by custom id), else ``default``."""
    return default if custom_id is None else values.get(custom_id, default)


def _interaction_payload(
    sandbox: SandboxHub, itx: SandboxInteraction, session: GatewaySession
) -> dict[str, Any]:
    bot = session.bot
    channel = itx.channel
    guild = itx.guild
    chan = payloads.channel(channel, me=bot.user.id)
    user_perms = sandbox.permissions_for(itx.user, channel)
    chan["permissions"] = str(user_perms)
    data: dict[str, Any] = {
        "id": str(itx.id),
        "application_id": str(itx.application_id),
        "type": itx.type,
        "data": itx.data,
        "channel_id": str(channel.id),
        "channel": chan,
        "token": itx.token,
        "version": 1,
        "locale": "en-US",
        "entitlements": [],
        "entitlement_sku_ids": [],
        "attachment_size_limit": 10 * 1024 * 1024,
        "app_permissions": str(sandbox.permissions_for(bot.user, channel)),
        "context": 0 if guild is not None else 1,
        "authorizing_integration_owners": (
            {"0": str(guild.id)} if guild is not None else {"1": str(itx.user.id)}
        ),
    }
    if guild is not None and itx.member is not None:
        data["guild_id"] = str(guild.id)
        data["guild"] = {"id": str(guild.id), "locale": "en-US", "features": ["COMMUNITY"]}
        data["guild_locale"] = "en-US"
        data["member"] = payloads.member(itx.member, permissions=user_perms)
    else:
        data["user"] = payloads.user(itx.user)
    if itx.message is not None:
        data["message"] = payloads.message(itx.message, viewer_id=bot.user.id)
    return data
