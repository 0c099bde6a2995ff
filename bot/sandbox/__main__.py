"""``python -m bot.sandbox [--port N]``: a loopback Discord with the sample community."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys

from bot.sandbox.sample import build_sample_community
from bot.sandbox.sandbox import Sandbox


async def serve(port: int) -> None:
    sandbox = Sandbox()
    await sandbox.start(port)
    community = build_sample_community(sandbox)
    print(f"DISCORD_API_BASE={sandbox.api_base}")
    print(f"DISCORD_GATEWAY_URL={sandbox.gateway_url}")
    print(f"DISCORD_TOKEN={community.bot.token}")
    print(
        f"# guild {community.guild.name!r} ({community.guild.id}), "
        f"{len(community.guild.members)} members; Ctrl-C to stop",
        flush=True,
    )
    try:
        await asyncio.Event().wait()
    finally:
        await sandbox.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.sandbox", description=__doc__)
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: any free)")
    parser.add_argument("--verbose", action="store_true", help="log gateway traffic too")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(name)s %(message)s",
        stream=sys.stderr,
    )
    logging.getLogger("aiohttp").setLevel(logging.WARNING)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args.port))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
