"""Errors raised by the sandbox: to its Python users, and to its HTTP clients."""

from __future__ import annotations

from typing import Any


class SandboxError(Exception):
    """The sandbox was used in a way Discord (or its client) would not allow."""


class SandboxTimeout(SandboxError, TimeoutError):
    """The bot did not do what was awaited in time."""


class DiscordHTTPError(Exception):
    """An error answered to a REST client with Discord's JSON error body."""

    def __init__(
        self,
        status: int,
        code: int,
        message: str,
        errors: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(f"{status} {code} {message}")
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"message": self.message, "code": self.code}
        if self.errors:
            body["errors"] = self.errors
        return body


def unauthorized() -> DiscordHTTPError:
    return DiscordHTTPError(401, 0, "401: Unauthorized")


def not_found(code: int, what: str) -> DiscordHTTPError:
    """Unknown <what>, e.g. not_found(10003, "Channel")."""
    return DiscordHTTPError(404, code, f"Unknown {what}")


def missing_permissions() -> DiscordHTTPError:
    return DiscordHTTPError(403, 50013, "Missing Permissions")


def missing_access() -> DiscordHTTPError:
    return DiscordHTTPError(403, 50001, "Missing Access")


def max_roles_reached(limit: int) -> DiscordHTTPError:
    return DiscordHTTPError(400, 30005, f"Maximum number of server roles reached ({limit})")


def max_active_threads_reached() -> DiscordHTTPError:
    return DiscordHTTPError(400, 160006, "Maximum number of active threads reached")


def invalid_role() -> DiscordHTTPError:
    return DiscordHTTPError(400, 50028, "Invalid role")


UNKNOWN_CHANNEL = 10003
UNKNOWN_GUILD = 10004
UNKNOWN_MEMBER = 10007
UNKNOWN_MESSAGE = 10008
UNKNOWN_ROLE = 10011
UNKNOWN_USER = 10013
UNKNOWN_EMOJI = 10014
UNKNOWN_WEBHOOK = 10015
UNKNOWN_INTERACTION = 10062
UNKNOWN_COMMAND = 10063


class FormErrors:
    """Collects field errors into Discord's nested ``errors`` object (code 50035)."""

    def __init__(self) -> None:
        self.errors: dict[str, Any] = {}

    def add(self, path: tuple[str | int, ...], code: str, message: str) -> None:
        node = self.errors
        for part in path:
            node = node.setdefault(str(part), {})
        node.setdefault("_errors", []).append({"code": code, "message": message})

    def max_length(self, path: tuple[str | int, ...], value: Any, limit: int) -> None:
        if value is not None and len(value) > limit:
            self.add(path, "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")

    def length_between(self, path: tuple[str | int, ...], value: Any, low: int, high: int) -> None:
        if value is None or not (low <= len(value) <= high):
            self.add(
                path,
                "BASE_TYPE_BAD_LENGTH",
                f"Must be between {low} and {high} in length.",
            )

    def __bool__(self) -> bool:
        return bool(self.errors)

    def raise_if_any(self) -> None:
        if self.errors:
            raise DiscordHTTPError(400, 50035, "Invalid Form Body", self.errors)
