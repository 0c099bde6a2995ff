"""Failures injected on purpose: a route that answers 429 or a server error for a while.

Discord does this under load: a busy channel's shared bucket answers 429 again and again, or an
outage answers 5xx. discord.py retries a 429 four times (after each ``retry_after``) and raises
``discord.HTTPException`` (status 429) on the fifth; a 503 it raises at once; 500, 502, 504 and
524 it retries with a growing pause. Bots must survive all of it, so tests ask for it here.
"""

from __future__ import annotations

from dataclasses import dataclass
from http import HTTPStatus


@dataclass
class Fault:
    status: int
    retry_after: float
    left: int | None  # answers still to fail; None: until cleared


class Faults:
    """Failures waiting per route, as (method, route template) like ``("POST",
    "/channels/{channel_id}/threads")``; the next ``count`` requests to it fail."""

    def __init__(self) -> None:
        self._waiting: dict[tuple[str, str], Fault] = {}
        self.answered = 0  # requests answered with an injected failure

    def inject(
        self,
        method: str,
        template: str,
        count: int | None,
        *,
        status: int = 429,
        retry_after: float = 0.2,
    ) -> None:
        if count is not None and count < 1:
            raise ValueError("count is at least 1 (or None: until cleared)")
        if status != 429 and status < 500:
            raise ValueError("inject 429 or a 5xx; other refusals come from Discord's own rules")
        self._waiting[(method.upper(), template)] = Fault(status, retry_after, count)

    def take(self, method: str, template: str) -> Fault | None:
        """The failure this request gets, if one is waiting (and counted as used)."""
        key = (method, template)
        fault = self._waiting.get(key)
        if fault is None:
            return None
        if fault.left is not None:
            fault.left -= 1
            if fault.left <= 0:
                del self._waiting[key]
        self.answered += 1
        return fault

    def left(self, method: str, template: str) -> int | None:
        """How many failures are still waiting on a route (None: until cleared)."""
        fault = self._waiting.get((method.upper(), template))
        if fault is None:
            return 0
        return fault.left

    def clear(self) -> None:
        self._waiting.clear()


def server_error_body(status: int) -> dict[str, object]:
    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = "Server Error"
    return {"message": f"{status}: {reason}", "code": 0}
