"""``copbot plan MEMBERS.csv``: the seating preview from a members CSV, offline."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main

MEMBERS = "user_id,display_name,organisation,stakeholder,level,host\n" + "".join(
    f"1234567890123456{i:02d},Person {i},Org {i % 3},"
    f"{['research', 'government', 'donor'][i % 3]},local,{'' if i >= 3 else i + 1}\n"
    for i in range(12)
)


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "members.csv"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_prints_every_round_and_table_with_figures(tmp_path: Path, capsys) -> None:
    assert main(["plan", write(tmp_path, MEMBERS), "--tables", "3", "--rounds", "3"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("12 people at 3 tables for 3 rounds (seed 0)")
    for round_number in (1, 2, 3):
        assert f"\nRound {round_number}\n" in out
    tables = [line for line in out.splitlines() if line.startswith("  Table ")]
    assert len(tables) == 9
    assert tables[0].startswith("  Table 1: Person 0 (host), ")
    assert tables[1].startswith("  Table 2: Person 1 (host), ")
    assert all(line.count(",") == 3 for line in tables)  # 4 people at each table
    # The figures in the words of /cafe plan, plain (bot.cafe.text.quality_lines).
    figures = out[out.index("\nQuality\n") :].splitlines()[2:]
    assert figures[0] == "  Difference between the largest and the smallest table: 0"
    assert [line.split(":")[0] for line in figures[1:]] == [
        "  Pairs meeting twice",
        "  Same-organisation pairs",
        "  Tables missing a stakeholder group",
        "  Travellers back at a table they sat at",
    ]
    assert figures[4] == "  Travellers back at a table they sat at: 0 (cannot go below 0)"
    assert all(line.endswith(")") and "cannot go below" in line for line in figures[1:])
    assert "**" not in out


def test_tables_default_to_about_five_seats(tmp_path: Path, capsys) -> None:
    text = "name,organisation\n" + "".join(f"P{i},\n" for i in range(24))
    assert main(["plan", write(tmp_path, text), "--rounds", "2", "--seed", "3"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("24 people at 5 tables for 2 rounds (seed 3)")


@pytest.mark.parametrize(
    ("text", "args", "message"),
    [
        (MEMBERS, ["--tables", "2", "--rounds", "2"], "copbot: Person 2 hosts table 3, but "),
        (MEMBERS, ["--tables", "13", "--rounds", "2"], "copbot: 13 tables for 12 people"),
        (MEMBERS, ["--tables", "3", "--rounds", "0"], "copbot: A café needs at least one round."),
        ("name,host\nA,first\nB,\n", ["--rounds", "1"], "copbot: line 2, column host: first is"),
        ("name,colour\nA,red\n", ["--rounds", "1"], "copbot: line 1: unknown column colour;"),
        (
            "name,stakeholder\nA,governmint\nB,nobody\n",
            ["--rounds", "1"],
            "copbot: line 2, column stakeholder: governmint is not",
        ),
    ],
)
def test_bad_files_and_arguments_print_one_line_and_exit_2(
    tmp_path: Path, capsys, text: str, args: list[str], message: str
) -> None:
    assert main(["plan", write(tmp_path, text), *args]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(message)


def test_two_problems_are_counted_on_the_one_line(tmp_path: Path, capsys) -> None:
    text = "name,stakeholder\nA,governmint\nB,nobody\n"
    assert main(["plan", write(tmp_path, text), "--rounds", "1"]) == 2
    assert capsys.readouterr().err.rstrip().endswith("(and 1 more)")


def test_a_missing_file_is_one_line(tmp_path: Path, capsys) -> None:
    assert main(["plan", str(tmp_path / "absent.csv"), "--rounds", "1"]) == 2
    assert capsys.readouterr().err == (
        f"copbot: cannot read {tmp_path / 'absent.csv'}: No such file or directory\n"
    )
