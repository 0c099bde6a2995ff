"""A loopback Discord (REST v10 + gateway) for end-to-end tests, demos and rehearsals.

The real, unmodified discord.py client connects to it once ``discord.http.Route.BASE`` is
``sandbox.api_base`` and ``discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY`` is
``yarl.URL(sandbox.gateway_url)``.

The modules depend one way (``tests/unit/test_import_cycles.py`` keeps it so): errors, permission
bits and the world (``models``) at the bottom; payloads, permissions, validation, the gateway and
interactions on them; ``hub`` (the Protocol through which the layers above reach the sandbox's
state); the REST handlers and the actors; and ``sandbox`` on top, wiring them together.
"""

from bot.sandbox.errors import DiscordHTTPError, SandboxError, SandboxTimeout
from bot.sandbox.interactions import SandboxInteraction
from bot.sandbox.models import (
    Attachment,
    BotAccount,
    Channel,
    Guild,
    Member,
    Message,
    Role,
    User,
)
from bot.sandbox.ratelimits import RateLimitConfig
from bot.sandbox.sandbox import Sandbox

__all__ = [
    "Attachment",
    "BotAccount",
    "Channel",
    "DiscordHTTPError",
    "Guild",
    "Member",
    "Message",
    "RateLimitConfig",
    "Role",
    "Sandbox",
    "SandboxError",
    "SandboxInteraction",
    "SandboxTimeout",
    "User",
]
