"""The question bank as a service (``bot.question_bank``): adding, submitting, reviewing,
editing, retiring, listing and importing questions. Plain values in and out; every change is
audited. No Discord here."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import BadInput, NotAllowed, NotFound
from bot.membership import csv_io
from bot.membership.csv_io import RowError
from bot.membership.imports import ImportRejected, ImportResult
from bot.prompts.rules import (
    clean_question,
    clean_reason,
    clean_theme,
    question_key,
    theme_key,
)
from bot.prompts.values import Question, QuestionStatus
from storage import audit
from storage import prompts as queries
from storage.communities import ensure_community
from storage.db import Database
from storage.types import utc_now

AUTOCOMPLETE_LIMIT = 25
IMPORT_COLUMNS = ("text", "theme")


@dataclass(frozen=True, slots=True)
class QuestionPage:
    questions: list[Question]
    total: int


@dataclass(frozen=True, slots=True)
class Theme:
    key: str
    name: str
    approved: int


def _duplicate(existing: Question) -> BadInput:
    return BadInput(
        f"That question is in the bank already as #{existing.id} ({existing.status}).",
        f"See it with `/prompt list`; to change it, `/prompt edit id:{existing.id}`.",
    )


async def _theme_name(session: AsyncSession, community_id: int, key: str, typed: str) -> str:
    """A theme keeps the spelling it was first given ("Funding", not "funding" later)."""
    for known_key, name, _ in await queries.themes(session, community_id):
        if known_key == key:
            return name
    return typed


async def _question(
    session: AsyncSession,
    community_id: int,
    question_id: int,
    fix: str = "`/prompt list` shows the questions and their numbers.",
) -> Question:
    """The community's question, or NotFound saying where to look."""
    question = await queries.get_question(session, community_id, question_id)
    if question is None:
        raise NotFound(f"There is no question #{question_id} in this server.", fix)
    return question


class QuestionBank:
    """The bank of one process, built once on the bot."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(
        self,
        community_id: int,
        community_name: str,
        *,
        actor_id: int,
        text: str,
        theme: str,
        approved: bool,
        show_author: bool = False,
    ) -> Question:
        """A moderator's question (approved at once) or a member's submission (pending)."""
        clean = clean_question(text)
        shown_theme, key_of_theme = clean_theme(theme)
        key = question_key(clean)
        try:
            async with self.db.transaction() as session:
                await ensure_community(session, community_id, community_name)
                existing = await queries.question_by_key(session, community_id, key)
                if existing is not None:
                    raise _duplicate(existing)
                question = await queries.add_question(
                    session,
                    community_id=community_id,
                    text=clean,
                    text_key=key,
                    theme=await _theme_name(session, community_id, key_of_theme, shown_theme),
                    theme_key=key_of_theme,
                    status=QuestionStatus.APPROVED if approved else QuestionStatus.PENDING,
                    author_id=actor_id,
                    show_author=show_author,
                    reviewed_by=actor_id if approved else None,
                    reviewed_at=utc_now() if approved else None,
                )
                await audit.record_audit(
                    session,
                    community_id,
                    actor_id,
                    "prompt.add" if approved else "prompt.submit",
                    question_id=question.id,
                    theme=key_of_theme,
                )
        except IntegrityError:  # the same question, added at the same moment by someone else
            async with self.db.session() as again:
                found = await queries.question_by_key(again, community_id, key)
            if found is not None:
                raise _duplicate(found) from None
            raise
        return question

    async def review(
        self,
        community_id: int,
        question_id: int,
        *,
        reviewer_id: int,
        approve: bool,
        reason: str | None = None,
    ) -> Question:
        """Approve or reject a pending question."""
        reason_kept = clean_reason(reason)
        async with self.db.transaction() as session:
            question = await _question(
                session,
                community_id,
                question_id,
                "`/prompt list status:pending` shows the questions waiting for review.",
            )
            if question.status != QuestionStatus.PENDING:
                raise BadInput(
                    f"Question #{question_id} is {question.status}, not waiting for review.",
                    "Only pending questions are approved or rejected.",
                )
            reviewed = await queries.review_question(
                session, question_id, approve=approve, reviewer_id=reviewer_id, reason=reason_kept
            )
            await audit.record_audit(
                session,
                community_id,
                reviewer_id,
                "prompt.approve" if approve else "prompt.reject",
                question_id=question_id,
            )
        return reviewed

    async def set_review_message(
        self, community_id: int, question_id: int, *, channel_id: int, message_id: int
    ) -> None:
        async with self.db.transaction() as session:
            if await queries.get_question(session, community_id, question_id) is not None:
                await queries.set_review_message(
                    session, question_id, channel_id=channel_id, message_id=message_id
                )

    async def edit(
        self,
        community_id: int,
        question_id: int,
        *,
        editor_id: int,
        is_moderator: bool,
        text: str,
    ) -> tuple[Question, bool]:
        """New text for a question: (the question, whether it went back to review).

        Members edit only their own questions; an approved question its submitter edits goes
        back to review. Moderators edit any question, and it keeps its status.
        """
        clean = clean_question(text)
        key = question_key(clean)
        async with self.db.transaction() as session:
            question = await _question(session, community_id, question_id)
            if not is_moderator and question.author_id != editor_id:
                raise NotAllowed(
                    f"Question #{question_id} is not yours to edit.",
                    "Members edit the questions they submitted; moderators edit any.",
                )
            if question.status in (QuestionStatus.REJECTED, QuestionStatus.RETIRED):
                raise BadInput(
                    f"Question #{question_id} is {question.status}.",
                    "Submit it again as a new question with `/prompt submit`.",
                )
            other = await queries.question_by_key(session, community_id, key)
            if other is not None and other.id != question.id:
                raise _duplicate(other)
            back_to_review = not is_moderator and question.status == QuestionStatus.APPROVED
            edited = await queries.edit_question_text(
                session, question_id, text=clean, text_key=key, back_to_review=back_to_review
            )
            await audit.record_audit(
                session, community_id, editor_id, "prompt.edit", question_id=question_id
            )
        return edited, back_to_review

    async def retire(self, community_id: int, question_id: int, *, actor_id: int) -> Question:
        async with self.db.transaction() as session:
            question = await _question(session, community_id, question_id)
            if question.status == QuestionStatus.RETIRED:
                raise BadInput(f"Question #{question_id} is retired already.")
            retired = await queries.retire_question(session, question_id)
            await audit.record_audit(
                session, community_id, actor_id, "prompt.retire", question_id=question_id
            )
        return retired

    async def list_questions(
        self,
        community_id: int,
        *,
        theme: str | None,
        status: QuestionStatus | None,
        offset: int,
        limit: int,
    ) -> QuestionPage:
        async with self.db.session() as session:
            questions, total = await queries.list_questions(
                session,
                community_id,
                theme_key=theme_key(theme) if theme else None,
                status=status,
                offset=offset,
                limit=limit,
            )
        return QuestionPage(questions, total)

    async def themes(self, community_id: int) -> list[Theme]:
        async with self.db.session() as session:
            rows = await queries.themes(session, community_id)
        return [Theme(key, name, approved) for key, name, approved in rows]

    async def suggest_themes(self, community_id: int, typed: str) -> list[str]:
        wanted = theme_key(typed)
        names = [t.name for t in await self.themes(community_id)]
        starts = [n for n in names if theme_key(n).startswith(wanted)]
        contains = [n for n in names if wanted in theme_key(n) and n not in starts]
        return (starts + contains)[:AUTOCOMPLETE_LIMIT]

    async def import_questions(
        self, community_id: int, community_name: str, data: bytes, *, actor_id: int | None
    ) -> ImportResult:
        """Add every question of the CSV as approved, or none."""
        rows, errors = parse_questions(data)
        async with self.db.transaction() as session:
            await ensure_community(session, community_id, community_name)
            existing = await queries.questions_by_keys(
                session, community_id, [question_key(text) for _, text, _ in rows]
            )
            for line, text, _ in rows:
                found = existing.get(question_key(text))
                if found is not None:
                    errors.append(RowError(line, "text", f"already in the bank as #{found.id}."))
            if errors:
                raise ImportRejected(sorted(errors, key=lambda e: e.line))
            now = utc_now()
            names: dict[str, str] = {}
            for _, text, theme in rows:
                shown, key_of_theme = clean_theme(theme)
                if key_of_theme not in names:
                    names[key_of_theme] = await _theme_name(
                        session, community_id, key_of_theme, shown
                    )
                await queries.add_question(
                    session,
                    community_id=community_id,
                    text=text,
                    text_key=question_key(text),
                    theme=names[key_of_theme],
                    theme_key=key_of_theme,
                    status=QuestionStatus.APPROVED,
                    author_id=actor_id,
                    reviewed_by=actor_id,
                    reviewed_at=now,
                )
            await audit.record_audit(
                session, community_id, actor_id, "prompt.import", added=len(rows)
            )
        return ImportResult(created=len(rows), updated=0, unchanged=0)


# --- import -----------------------------------------------------------------------------------


def parse_questions(data: bytes) -> tuple[list[tuple[int, str, str]], list[RowError]]:
    """Rows of a ``text, theme`` CSV as (line, question, theme), with every problem found:
    empty or over-long cells, and the same question twice in the file."""
    rows, errors = csv_io.read_rows(data, IMPORT_COLUMNS, IMPORT_COLUMNS)
    found: list[tuple[int, str, str]] = []
    seen: dict[str, int] = {}
    for row in rows:
        try:
            text = clean_question(row.cells.get("text", ""))
        except BadInput as error:
            errors.append(RowError(row.line, "text", error.problem))
            continue
        try:
            clean_theme(row.cells.get("theme", ""))
        except BadInput as error:
            errors.append(RowError(row.line, "theme", error.problem))
            continue
        key = question_key(text)
        if key in seen:
            errors.append(RowError(row.line, "text", f"the same question as line {seen[key]}."))
            continue
        seen[key] = row.line
        found.append((row.line, text, row.cells["theme"]))
    return found, errors
