"""A real browser for tests: render an HTML file with headless Chromium to a PNG screenshot and
read what the page said in its console.

How console messages are read (Chromium 156 on Debian 12): with ``--enable-logging=stderr
--v=0`` every message the page writes to its console (``console.log`` and ``console.error``
alike) comes out on stderr as a line like ``[...:INFO:CONSOLE:3] "text", source: file:///...
(3)``; the level is not told apart, so any such line counts. A resource that fails to load (a
broken ``<img>``) prints nothing there; a resource refused by the page's Content-Security-Policy
does (``Loading the image '...' violates the following Content Security Policy directive``), which
is why the insights report carries one. The rest of stderr is the browser's own noise (no D-Bus
in a container, no GPU) and is left out.

Without Chromium the tests that need it are skipped, unless CI is set (``CI=true``), where they
fail: ``.ci/run`` installs the ``chromium`` package, so a missing browser there is a broken
setup, not a reason to skip (as tests/databases.py treats PostgreSQL).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
CONSOLE_MARK = ":CONSOLE"
RENDER_SECONDS = 60


def find_chromium() -> str | None:
    """The path of the first Chromium on PATH, or None."""
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found is not None:
            return found
    return None


def chromium_or_skip() -> str:
    """Chromium's path; without one, skip the test (fail it when CI is set)."""
    found = find_chromium()
    if found is None:
        message = f"no Chromium on PATH (looked for {', '.join(CHROMIUM_NAMES)})"
        if IN_CI:
            pytest.fail(message + " (CI=true: the browser tests must run)", pytrace=False)
        pytest.skip(message + ": apt-get install chromium (set CI=true to make this a failure)")
    return found


def render(
    page: Path, *, width: int = 1200, height: int = 2000, chromium: str | None = None
) -> tuple[bytes, list[str]]:
    """Render ``page`` at ``width`` × ``height`` CSS pixels: the screenshot's PNG bytes, and the
    console lines plus any browser error line that names the page."""
    browser = chromium or chromium_or_skip()
    url = page.resolve().as_uri()
    with tempfile.TemporaryDirectory(prefix="copbot-chromium-") as work:
        screenshot = Path(work) / "page.png"
        command = [
            browser,
            "--headless=new",
            "--disable-gpu",
            "--no-sandbox",
            f"--screenshot={screenshot}",
            f"--window-size={width},{height}",
            "--enable-logging=stderr",
            "--v=0",
            # A profile of its own: parallel test workers do not share one, and ~ stays clean.
            f"--user-data-dir={Path(work) / 'profile'}",
            "--no-first-run",
            "--disable-extensions",
            "--disable-background-networking",
            "--disable-component-update",
            "--hide-scrollbars",
            url,
        ]
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=RENDER_SECONDS, check=False
        )
        if done.returncode != 0 or not screenshot.exists():
            raise RuntimeError(
                f"Chromium exited with {done.returncode} and no screenshot:\n{done.stderr[-3000:]}"
            )
        said = [
            line
            for line in done.stderr.splitlines()
            if CONSOLE_MARK in line or (url in line and ("ERROR:" in line or "FATAL:" in line))
        ]
        return screenshot.read_bytes(), said
