"""Errors that users see, and the error ids that stand in for the ones they must not see."""

from __future__ import annotations

import secrets


class CopbotError(Exception):
    """An error we expect and can explain: shown to the user, ephemerally, as it is.

    ``problem`` says what is wrong; ``fix`` says how to put it right.
    """

    def __init__(self, problem: str, fix: str | None = None) -> None:
        self.problem = problem
        self.fix = fix
        super().__init__(problem if fix is None else f"{problem} {fix}")

    @property
    def user_message(self) -> str:
        return self.problem if self.fix is None else f"{self.problem}\n{self.fix}"


class BadInput(CopbotError):
    """An option value we cannot use."""


class NotAllowed(CopbotError):
    """The user lacks the role a command needs, or used it where it cannot be used."""


class NotFound(CopbotError):
    """The thing named does not exist in this community."""


def new_error_id() -> str:
    """A short id to put in the log and in front of the user, so the two can be matched."""
    return secrets.token_hex(4)
