"""Per-route and global rate limits, answered with Discord's headers and 429 bodies."""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass, field


@dataclass
class RateLimitConfig:
    """Limits as (requests, per seconds). Tests make them tight to see 429s."""

    global_limit: int = 50
    global_window: float = 1.0
    message_create: tuple[int, float] = (5, 5.0)
    reactions: tuple[int, float] = (1, 0.25)
    default: tuple[int, float] = (50, 1.0)
    routes: dict[str, tuple[int, float]] = field(default_factory=dict)

    def for_route(self, method: str, template: str) -> tuple[str, tuple[int, float]]:
        key = f"{method} {template}"
        if key in self.routes:
            return key, self.routes[key]
        if method == "POST" and template.endswith("/channels/{channel_id}/messages"):
            return "message_create", self.message_create
        if "/reactions/" in template and method in ("PUT", "DELETE"):
            return "reactions", self.reactions
        return key, self.default


@dataclass
class _Window:
    limit: int
    period: float
    remaining: int
    reset_at: float


@dataclass
class Decision:
    allowed: bool
    headers: dict[str, str]
    retry_after: float = 0.0
    is_global: bool = False


class RateLimiter:
    def __init__(self, config: RateLimitConfig, enabled: bool = True) -> None:
        self.config = config
        self.enabled = enabled
        self._buckets: dict[tuple[str, str], _Window] = {}
        self._global: dict[str, _Window] = {}

    def _take(self, window: _Window, now: float) -> bool:
        if now >= window.reset_at:
            window.remaining = window.limit
            window.reset_at = now + window.period
        if window.remaining <= 0:
            return False
        window.remaining -= 1
        return True

    def check(
        self, method: str, template: str, major: str, identity: str, *, use_global: bool = True
    ) -> Decision:
        name, (limit, period) = self.config.for_route(method, template)
        now = time.monotonic()
        bucket_hash = hashlib.sha1(name.encode()).hexdigest()[:16]
        window = self._buckets.get((name, major))
        if window is None:
            window = _Window(limit, period, limit, now + period)
            self._buckets[(name, major)] = window
        if not self.enabled:
            return Decision(True, {})
        if use_global:
            gwin = self._global.get(identity)
            if gwin is None:
                gwin = _Window(
                    self.config.global_limit,
                    self.config.global_window,
                    self.config.global_limit,
                    now + self.config.global_window,
                )
                self._global[identity] = gwin
            if not self._take(gwin, now):
                retry = max(gwin.reset_at - now, 0.001)
                scope = {"X-RateLimit-Global": "true", "X-RateLimit-Scope": "global"}
                return Decision(False, scope, retry, True)
        allowed = self._take(window, now)
        reset_after = max(window.reset_at - now, 0.0)
        headers = {
            "X-RateLimit-Limit": str(window.limit),
            "X-RateLimit-Remaining": str(window.remaining),
            "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Bucket": bucket_hash,
        }
        if not allowed:
            headers["X-RateLimit-Scope"] = "user"
            return Decision(False, headers, max(reset_after, 0.001))
        return Decision(True, headers)

    def refused(self, method: str, template: str, retry_after: float, scope: str) -> Decision:
        """A 429 on a route's bucket whatever its count (an injected failure): the headers
        Discord sends with one, naming the same bucket as the route's other answers."""
        name, (limit, _) = self.config.for_route(method, template)
        headers = {
            "X-RateLimit-Limit": str(limit),
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": f"{time.time() + retry_after:.3f}",
            "X-RateLimit-Reset-After": f"{retry_after:.3f}",
            "X-RateLimit-Bucket": hashlib.sha1(name.encode()).hexdigest()[:16],
            "X-RateLimit-Scope": scope,
        }
        return Decision(False, headers, retry_after)


def retry_after_header(seconds: float) -> str:
    return str(max(1, math.ceil(seconds)))
