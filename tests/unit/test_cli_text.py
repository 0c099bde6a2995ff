"""The command line's voice: plain text without Discord's Markdown, the same words as Discord for
the same things, and ``copbot run --help`` naming every setting with its default."""

from __future__ import annotations

import pytest

from bot.cafe.seating import SeatingQuality
from bot.cafe.text import quality_lines
from bot.cli import main, plain_text, run_epilog
from bot.config import SETTING_HELP, setting_names
from bot.errors import BadInput
from bot.membership.imports import ImportResult


@pytest.mark.parametrize(
    ("discord", "plain"),
    [
        (
            "there is no organisation called **IRC** here.",
            "there is no organisation called IRC here.",
        ),
        (
            "line 1: unknown column `colour`; the columns are",
            "line 1: unknown column colour; the columns are",
        ),
        ("***both*** and *one* but 2 * 3 * 4", "both and one but 2 * 3 * 4"),
        ("__under__ ~~struck~~ ||hidden||", "under struck hidden"),
        ("> quoted\n# Heading\nbody", "quoted\nHeading\nbody"),
        ("see [the guide](<https://example.org/a_b>)", "see the guide (https://example.org/a_b)"),
        # A name escaped for Discord is shown as typed; code is kept as written.
        ("**Eau \\*Vive\\*** and `**literal**`", "Eau *Vive* and **literal**"),
        ("```\nrun *this*\n```", "run *this*\n"),
        # Mentions, file names and arithmetic are not Markdown.
        ("in <#123> by <@456>", "in <#123> by <@456>"),
        ("cannot read my__data__.csv", "cannot read my__data__.csv"),
        ("", ""),
    ],
)
def test_plain_text_drops_discord_markers(discord: str, plain: str) -> None:
    assert plain_text(discord) == plain


def test_an_import_result_is_told_in_the_same_words_everywhere() -> None:
    result = ImportResult(created=2, updated=1, unchanged=0)
    assert result.describe() == "2 added, 1 updated, 0 unchanged"
    assert result.summary("Organisations") == "Organisations: 2 added, 1 updated, 0 unchanged."


def test_a_copbot_error_escaping_a_command_is_one_plain_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*_args: object, **_kwargs: object) -> int:
        raise BadInput("**IRC** is not `here`.", "Type *another* name.")

    monkeypatch.setattr("bot.cli.migrate", refuse)
    monkeypatch.setenv("DATABASE_URL", "sqlite+aiosqlite:///:memory:")
    assert main(["migrate"]) == 2
    captured = capsys.readouterr()
    assert captured.err == "copbot: IRC is not here. Type another name.\n"
    assert captured.out == ""


def test_every_setting_has_a_meaning_and_a_default() -> None:
    assert set(SETTING_HELP) == set(setting_names())
    assert all(meaning and default for meaning, default in SETTING_HELP.values())


def test_run_help_lists_every_setting_with_its_default(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as done:
        main(["run", "--help"])
    assert done.value.code == 0
    shown = capsys.readouterr().out
    assert run_epilog() in shown
    lines = shown.splitlines()
    for name in setting_names():
        meaning, default = SETTING_HELP[name]
        at = lines.index(f"  {name}")
        # The meaning, then the default, wrapped under the name.
        block = " ".join(line.strip() for line in lines[at + 1 : at + 6])
        assert block.startswith(f"{meaning} default: {default}"), name
    assert "  LOG_LEVEL" in lines and "default: INFO" in shown


def test_the_seating_figures_read_the_same_in_discord_and_on_the_command_line() -> None:
    quality = SeatingQuality(
        travellers_staying=1,
        travellers_staying_bound=0,
        repeat_pairs=3,
        repeat_pairs_bound=2,
        same_org_pairs=0,
        same_org_pairs_bound=0,
        tables_missing_stakeholder=4,
        tables_missing_stakeholder_bound=1,
        size_spread=1,
    )
    discord = quality_lines(quality, markdown=True)
    command_line = quality_lines(quality, markdown=False)
    assert discord == (
        "Difference between the largest and the smallest table: 1",
        "Pairs meeting twice: **3** (cannot go below 2)",
        "Same-organisation pairs: **0** (cannot go below 0)",
        "Tables missing a stakeholder group: **4** (cannot go below 1)",
        "Travellers back at a table they sat at: **1** (cannot go below 0)",
    )
    assert command_line == tuple(plain_text(line) for line in discord)
