"""What Discord checks in bodies the bot sends: messages, embeds, components, threads, commands."""

from __future__ import annotations

import re
from typing import Any

from bot.sandbox.errors import DiscordHTTPError, FormErrors
from bot.sandbox.models import ARCHIVE_DURATIONS, MAX_ROLE_NAME

Path = tuple[str | int, ...]
_ONE_TO_FIVE = "Must be between 1 and 5 in length."

BUTTON, STRING_SELECT, TEXT_INPUT = 2, 3, 4
SELECTS = (3, 5, 6, 7, 8)
ACTION_ROW, LABEL = 1, 18
IS_COMPONENTS_V2 = 1 << 15


NONCE_MAX = 25  # characters, an integer or a string


def check_message(body: dict[str, Any], *, files: int = 0, editing: bool = False) -> None:
    """Content, embeds and components limits; an empty new message is refused (50006)."""
    errs = FormErrors()
    content = body.get("content")
    if content is not None and not isinstance(content, str):
        content = str(content)
    errs.max_length(("content",), content, 2000)
    embeds = body.get("embeds") or []
    if body.get("embed"):
        embeds = [*embeds, body["embed"]]
    check_embeds(errs, embeds)
    components = body.get("components") or []
    v2 = bool(int(body.get("flags") or 0) & IS_COMPONENTS_V2)
    check_components(errs, components, v2=v2)
    nonce = body.get("nonce")
    if nonce is not None and len(str(nonce)) > NONCE_MAX:
        errs.add(("nonce",), "BASE_TYPE_BAD_LENGTH", f"Must be {NONCE_MAX} or fewer in length.")
    errs.raise_if_any()
    if not editing and not (
        content or embeds or components or files or body.get("sticker_ids") or body.get("poll")
    ):
        raise DiscordHTTPError(400, 50006, "Cannot send an empty message")


def check_embeds(errs: FormErrors, embeds: list[dict[str, Any]]) -> None:
    if len(embeds) > 10:
        errs.add(("embeds",), "BASE_TYPE_MAX_LENGTH", "Must be 10 or fewer in length.")
        return
    total = 0
    for i, embed in enumerate(embeds):
        p: Path = ("embeds", i)
        title, description = embed.get("title"), embed.get("description")
        errs.max_length((*p, "title"), title, 256)
        errs.max_length((*p, "description"), description, 4096)
        total += len(title or "") + len(description or "")
        fields = embed.get("fields") or []
        if len(fields) > 25:
            errs.add((*p, "fields"), "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
        for j, fld in enumerate(fields):
            name, value = fld.get("name"), fld.get("value")
            if not name:
                errs.add((*p, "fields", j, "name"), "BASE_TYPE_REQUIRED", "This field is required")
            if not value:
                errs.add((*p, "fields", j, "value"), "BASE_TYPE_REQUIRED", "This field is required")
            errs.max_length((*p, "fields", j, "name"), name, 256)
            errs.max_length((*p, "fields", j, "value"), value, 1024)
            total += len(name or "") + len(value or "")
        footer = (embed.get("footer") or {}).get("text")
        errs.max_length((*p, "footer", "text"), footer, 2048)
        author = (embed.get("author") or {}).get("name")
        errs.max_length((*p, "author", "name"), author, 256)
        total += len(footer or "") + len(author or "")
    if total > 6000:
        errs.add(("embeds",), "MAX_EMBED_SIZE_EXCEEDED", "Embed size exceeds maximum size of 6000")


def check_components(errs: FormErrors, components: list[dict[str, Any]], *, v2: bool) -> None:
    if not v2 and len(components) > 5:
        errs.add(("components",), "BASE_TYPE_MAX_LENGTH", "Must be 5 or fewer in length.")
    seen: set[str] = set()
    for i, comp in enumerate(components):
        p: Path = ("components", i)
        if not v2 and comp.get("type") != ACTION_ROW:
            errs.add((*p, "type"), "UNION_TYPE_CHOICES", 'Value of field "type" must be 1.')
            continue
        _check_tree(errs, comp, p, seen)


def _check_tree(errs: FormErrors, comp: dict[str, Any], p: Path, seen: set[str]) -> None:
    ctype = comp.get("type")
    if ctype == ACTION_ROW:
        children = comp.get("components") or []
        if not children:
            errs.add((*p, "components"), "BASE_TYPE_BAD_LENGTH", _ONE_TO_FIVE)
        if len(children) > 5:
            errs.add((*p, "components"), "BASE_TYPE_BAD_LENGTH", _ONE_TO_FIVE)
        if any(c.get("type") in SELECTS for c in children) and len(children) > 1:
            errs.add(
                (*p, "components"),
                "COMPONENT_LAYOUT_WIDTH_EXCEEDED",
                "The specified component exceeds the maximum width",
            )
        for j, child in enumerate(children):
            _check_tree(errs, child, (*p, "components", j), seen)
        return
    for key in ("components",):
        for j, child in enumerate(comp.get(key) or []):
            _check_tree(errs, child, (*p, key, j), seen)
    for key in ("accessory", "component"):
        if isinstance(comp.get(key), dict):
            _check_tree(errs, comp[key], (*p, key), seen)
    custom_id = comp.get("custom_id")
    if ctype == BUTTON:
        errs.max_length((*p, "label"), comp.get("label"), 80)
        if comp.get("style") == 5:
            if not comp.get("url"):
                errs.add((*p, "url"), "BASE_TYPE_REQUIRED", "This field is required")
            if custom_id:
                errs.add(
                    (*p, "custom_id"),
                    "COMPONENT_CUSTOM_ID_INVALID",
                    "A link button cannot have a custom id",
                )
            return
        if comp.get("style") == 6:
            return
        if not custom_id:
            errs.add((*p, "custom_id"), "BASE_TYPE_REQUIRED", "This field is required")
    if ctype in SELECTS:
        if not custom_id:
            errs.add((*p, "custom_id"), "BASE_TYPE_REQUIRED", "This field is required")
        options = comp.get("options") or []
        if ctype == STRING_SELECT and not 1 <= len(options) <= 25:
            errs.add((*p, "options"), "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 25 in length.")
        for k, opt in enumerate(options):
            errs.max_length((*p, "options", k, "label"), opt.get("label"), 100)
            errs.max_length((*p, "options", k, "value"), opt.get("value"), 100)
        errs.max_length((*p, "placeholder"), comp.get("placeholder"), 150)
    if ctype == TEXT_INPUT:
        errs.max_length((*p, "label"), comp.get("label"), 45)
        errs.max_length((*p, "placeholder"), comp.get("placeholder"), 100)
        errs.max_length((*p, "value"), comp.get("value"), 4000)
    if custom_id is not None:
        errs.max_length((*p, "custom_id"), custom_id, 100)
        if custom_id in seen:
            errs.add(
                (*p, "custom_id"),
                "COMPONENT_CUSTOM_ID_DUPLICATED",
                "Component custom id cannot be duplicated",
            )
        seen.add(custom_id)


def check_modal(data: dict[str, Any]) -> None:
    errs = FormErrors()
    errs.length_between(("data", "title"), data.get("title"), 1, 45)
    custom_id = data.get("custom_id")
    errs.length_between(("data", "custom_id"), custom_id, 1, 100)
    components = data.get("components") or []
    if not 1 <= len(components) <= 5:
        errs.add(("data", "components"), "BASE_TYPE_BAD_LENGTH", _ONE_TO_FIVE)
    seen: set[str] = set()
    for i, comp in enumerate(components):
        _check_tree(errs, comp, ("data", "components", i), seen)
    errs.raise_if_any()


def check_choices(choices: list[dict[str, Any]]) -> None:
    errs = FormErrors()
    if len(choices) > 25:
        errs.add(("data", "choices"), "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
    for i, choice in enumerate(choices):
        errs.length_between(("data", "choices", i, "name"), choice.get("name"), 1, 100)
        if isinstance(choice.get("value"), str):
            errs.max_length(("data", "choices", i, "value"), choice["value"], 100)
    errs.raise_if_any()


def check_thread(body: dict[str, Any]) -> None:
    errs = FormErrors()
    if "name" in body or body.get("_creating"):
        errs.length_between(("name",), body.get("name"), 1, 100)
    duration = body.get("auto_archive_duration")
    if duration is not None and duration not in ARCHIVE_DURATIONS:
        errs.add(
            ("auto_archive_duration",),
            "BASE_TYPE_CHOICES",
            f"Value must be one of {set(ARCHIVE_DURATIONS)}.",
        )
    errs.raise_if_any()


def check_role(body: dict[str, Any]) -> None:
    """Create / modify role bodies: name length, numeric permissions and color."""
    errs = FormErrors()
    errs.max_length(("name",), body.get("name"), MAX_ROLE_NAME)
    for key in ("permissions", "color"):
        value = body.get(key)
        if value is None:
            continue
        try:
            int(value)
        except (TypeError, ValueError):
            errs.add((key,), "NUMBER_TYPE_COERCE", f'Value "{value}" is not int.')
    errs.raise_if_any()


_NAME = re.compile(r"^[-_'\w]{1,32}$", re.UNICODE)


def check_commands(commands: object) -> list[dict[str, Any]]:
    """Application command bodies (bulk overwrite): a JSON array of them, returned once valid."""
    errs = FormErrors()
    if not isinstance(commands, list):
        array = {"_errors": [{"code": "BASE_TYPE_ARRAY", "message": "Must be an array."}]}
        raise DiscordHTTPError(400, 50035, "Invalid Form Body", array)
    seen: set[tuple[int, str]] = set()
    counts = {1: 0, 2: 0, 3: 0}
    for i, cmd in enumerate(commands):
        ctype = int(cmd.get("type", 1))
        counts[ctype] = counts.get(ctype, 0) + 1
        name = cmd.get("name") or ""
        key = (ctype, name)
        if key in seen:
            errs.add(
                (i, "name"),
                "APPLICATION_COMMANDS_DUPLICATE_NAME",
                f"Application command names must be unique ({name})",
            )
        seen.add(key)
        if ctype == 1:
            _check_chat_input(errs, (i,), cmd, depth=0)
        else:
            errs.length_between((i, "name"), name, 1, 32)
            if cmd.get("description"):
                errs.add(
                    (i, "description"),
                    "APPLICATION_COMMAND_CONTEXT_MENU_DESCRIPTION",
                    "Context menu commands cannot have description",
                )
    if counts.get(1, 0) > 100:
        errs.add(
            (),
            "APPLICATION_COMMAND_TOO_MANY",
            "Maximum number of application commands reached (100)",
        )
    for ctype in (2, 3):
        if counts.get(ctype, 0) > 5:
            errs.add(
                (),
                "APPLICATION_COMMAND_TOO_MANY",
                "Maximum number of context menu commands reached (5)",
            )
    errs.raise_if_any()
    return commands


def _check_chat_input(errs: FormErrors, p: Path, cmd: dict[str, Any], depth: int) -> None:
    name = cmd.get("name") or ""
    if not _NAME.match(name) or name != name.lower():
        errs.add((*p, "name"), "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid")
    errs.length_between((*p, "description"), cmd.get("description"), 1, 100)
    options = cmd.get("options") or []
    if len(options) > 25:
        errs.add((*p, "options"), "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
    names: set[str] = set()
    optional_seen = False
    for j, opt in enumerate(options):
        op: Path = (*p, "options", j)
        otype = int(opt.get("type", 3))
        oname = opt.get("name") or ""
        if oname in names:
            errs.add(
                (*op, "name"),
                "APPLICATION_COMMAND_OPTIONS_NAME_ALREADY_EXISTS",
                "Option names must be unique",
            )
        names.add(oname)
        if otype in (1, 2):
            if depth >= 2 or (otype == 2 and depth >= 1):
                errs.add(
                    (*op, "type"),
                    "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID",
                    "Sub-command and sub-command group option types are mutually exclusive",
                )
            _check_chat_input(errs, op, opt, depth + 1)
            continue
        if not _NAME.match(oname) or oname != oname.lower():
            errs.add((*op, "name"), "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid")
        errs.length_between((*op, "description"), opt.get("description"), 1, 100)
        if len(opt.get("choices") or []) > 25:
            errs.add((*op, "choices"), "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
        if opt.get("required"):
            if optional_seen:
                errs.add(
                    (*op, "required"),
                    "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                    "Required options must be placed before non-required options",
                )
        else:
            optional_seen = True
