"""`copbot demo` plays every scene to the end and tells the story it should."""

from __future__ import annotations

from pathlib import Path

from bot.config import Settings
from bot.demo import Transcript, run_demo


async def test_the_demo_plays_to_the_end(tmp_path: Path) -> None:
    lines: list[str] = []
    settings = Settings.from_env({})
    code = await run_demo(settings, keep_dir=str(tmp_path), transcript=Transcript(lines.append))
    text = "\n".join(lines)
    assert code == 0
    assert "Only moderators can use this command." in text
    assert "Roles saved" in text and "@Moderators" in text
    assert "Organisations: 9 added, 0 updated, 0 unchanged." in text
    assert "There is already an organisation called **Eau Vive**" in text
    assert "You left **SNV** and joined **Akvo**." in text
    assert "Belongs to the CoP: On their own and through IRC WASH" in text
    summary = [line.split() for line in lines if line.strip().startswith(("IRC WASH", "Akvo"))]
    assert ["IRC", "WASH", "1", "1", "1", "0", "1", "0"] in summary  # a reply with a link
    assert ["Akvo", "1", "1", "1", "0", "0", "0"] in summary
    assert "In the contribution log:" in text  # /privacy show
    assert "Traceback" not in text and "error id" not in text.lower()
    assert (tmp_path / "demo.sqlite3").exists()
