"""``copbot import-questions FILE --guild ID`` as an operator runs it, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Callable
from pathlib import Path

from bot.prompts.values import Question, QuestionStatus
from storage import prompts as queries
from storage.communities import ensure_community
from storage.db import Database
from tests.storage.helpers import write

Copbot = Callable[..., subprocess.CompletedProcess[str]]
QUESTIONS = (
    "text,theme\n"
    '"How do you fund knowledge management when projects only pay for implementation?",'
    "Funding  KM\n"
    '"Which resource centre helped you most this year, and how?",Resource centres\n'
    "Who pays for the learning in your projects?,funding km\n"
)


def questions_in(url: str, guild_id: int) -> list[Question]:
    async def read() -> list[Question]:
        db = Database.connect(url)
        try:
            await db.migrate()
            async with db.session() as session:
                found, _ = await queries.list_questions(session, guild_id)
            return found
        finally:
            await db.dispose()

    return asyncio.run(read())


def test_import_questions_adds_every_row_approved(copbot: Copbot, url: str, tmp_path) -> None:
    file = write(tmp_path / "questions.csv", QUESTIONS)
    done = copbot("import-questions", file, "--guild", "7")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == (
        "copbot: imported into Community 7. Questions: 3 added, 0 updated, 0 unchanged."
    )
    found = questions_in(url, 7)
    assert [q.text for q in found] == [
        "How do you fund knowledge management when projects only pay for implementation?",
        "Which resource centre helped you most this year, and how?",
        "Who pays for the learning in your projects?",
    ]
    assert all(q.status == QuestionStatus.APPROVED for q in found)
    assert all(q.author_id is None and q.reviewed_by is None for q in found)
    assert [q.theme for q in found] == ["Funding KM", "Resource centres", "Funding KM"]
    assert questions_in(url, 8) == []  # another community's bank is untouched

    # Importing again: every row is a duplicate of the bank, so nothing is added twice.
    again = copbot("import-questions", file, "--guild", "7")
    assert again.returncode == 2
    lines = again.stderr.strip().splitlines()
    assert lines[0] == "copbot: Nothing was imported: the file has 3 problems."
    assert lines[1:] == [
        f"line {line}, column text: already in the bank as #{q.id}."
        for line, q in zip((2, 3, 4), found, strict=True)
    ]
    assert len(questions_in(url, 7)) == 3


def test_any_bad_row_imports_nothing_and_prints_every_problem(
    copbot: Copbot, url: str, tmp_path: Path
) -> None:
    file = write(
        tmp_path / "questions.csv",
        "text;theme\n"
        "Which resource centre helped you most this year?;Resource centres\n"
        ";Funding\n"
        f"{'y' * 301};Funding\n"
        "WHICH resource centre helped you most this year;Other\n"
        "What did your utility learn from its last audit?;\n",
    )
    done = copbot("import-questions", file, "--guild", "7")
    assert done.returncode == 2
    assert "Traceback" not in done.stderr and done.stdout == ""
    assert done.stderr.strip().splitlines() == [
        "copbot: Nothing was imported: the file has 4 problems.",
        "line 3, column text: Nothing in the question can be seen: it is empty, or only "
        "spaces and invisible characters.",
        "line 4, column text: The question is 301 characters long; the most is 300.",
        "line 5, column text: the same question as line 2.",
        "line 6, column theme: Nothing in the theme can be seen: it is empty, or only spaces "
        "and invisible characters.",
    ]
    assert questions_in(url, 7) == []


def test_from_stdin_into_a_known_community(copbot: Copbot, url: str) -> None:
    async def prepare() -> None:
        db = Database.connect(url)
        try:
            await db.migrate()
            async with db.session() as session:
                await ensure_community(session, 42, "Wasser CoP")
                await session.commit()
        finally:
            await db.dispose()

    asyncio.run(prepare())
    # "ß" folds to "ss": the question's key is longer than the question (PostgreSQL bounds it).
    german = ("Was heißt groß? " * 30)[:299] + "?"
    done = copbot("import-questions", "-", "--guild", "42", stdin=f"text,theme\n{german},Straße\n")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == (
        "copbot: imported into Wasser CoP. Questions: 1 added, 0 updated, 0 unchanged."
    )
    [question] = questions_in(url, 42)
    assert question.text == german and len(question.text_key) <= 300


def test_a_file_without_the_columns_is_one_line_per_problem(copbot: Copbot) -> None:
    done = copbot("import-questions", "-", "--guild", "1", stdin="question\nWhat now, then?\n")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines() == [
        "copbot: Nothing was imported: the file has 2 problems.",
        "line 1: unknown column question; the columns are: text, theme.",
        "line 1: missing columns text, theme; the first line must name the columns, "
        "e.g. text,theme.",
    ]
