"""`python -m bot ...` as a separate process, as an operator runs it: for the tests that need a
real process (signals, a kill, the command line)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.config import setting_names

ROOT = Path(__file__).resolve().parents[2]


def clean_environment(**settings: str) -> dict[str, str]:
    """This process's environment without any copbot setting, plus the ones given."""
    env = {k: v for k, v in os.environ.items() if k not in setting_names()}
    env["PYTHONPATH"] = str(ROOT)
    env.update(settings)
    return env


async def start_bot_module(
    *args: str, cwd: Path, env: dict[str, str], launcher: Sequence[str] = ()
) -> asyncio.subprocess.Process:
    """`python -m <args>` with stdout and stderr on one pipe.

    Ctrl-C works in the child whatever started the tests: a shell that runs a job in the
    background (`pytest &` in a script) starts it with SIGINT ignored, children inherit that,
    and Python then installs no KeyboardInterrupt handler. ``launcher``: a command to run it
    under (a PID namespace of its own, as in a container)."""
    return await asyncio.create_subprocess_exec(
        *launcher,
        sys.executable,
        "-m",
        *args,
        cwd=cwd,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        preexec_fn=_default_sigint,
    )


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


async def read_until(stream: asyncio.StreamReader, marker: str, seen: list[str]) -> None:
    """Read lines into ``seen`` until one contains ``marker``; fail if the process ends first."""
    while True:
        line = (await stream.readline()).decode(errors="replace")
        if not line:
            raise AssertionError("the process ended early:\n" + "".join(seen))
        seen.append(line)
        if marker in line:
            return


def keep_draining(process: asyncio.subprocess.Process) -> None:
    """Read the rest of its output in the background, so that a full pipe never blocks it."""

    async def drain() -> None:
        assert process.stdout is not None
        with contextlib.suppress(Exception):
            while await process.stdout.readline():
                pass

    asyncio.get_running_loop().create_task(drain())
