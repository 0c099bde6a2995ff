"""Every /export subcommand through the real bot and the sandbox, over one seeded community (and
a second one in the same database that must never show): the files a coordinator gets, read back
and compared with what was seeded; `all` with every kind, a codebook and a README; refusals for
everyone else; stable pseudonyms and names only for those who chose them; and the history."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import openpyxl  # type: ignore[import-untyped]
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cafe.values import CafeRole, NoteKind
from bot.contributions.values import Attribution, ContributionRow
from bot.exports.kinds import SOURCES
from bot.exports.naming import Namer
from bot.exports.request import ExportKind, NameMode
from bot.exports.tables import CODEBOOK
from bot.membership.names import name_key
from bot.membership.vocabulary import CopStatus
from bot.prompts.values import QuestionStatus
from bot.sandbox import Member
from bot.sandbox.interactions import SandboxInteraction
from bot.sandbox.models import snowflake
from storage import cafes
from storage import contributions as log_queries
from storage import members as member_queries
from storage import organisations as organisation_queries
from storage import prompts as prompt_queries
from storage.communities import ensure_community, export_key
from tests.e2e.harness import Harness
from tests.e2e.helpers import attached, audit_actions, coordinator, register_caught_up

BOM = "\ufeff"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
MINUTE, DAY = timedelta(minutes=1), timedelta(days=1)

BLUE, DELTA, FORMULA = "Blue River Trust", "Delta Works", "=SUM(A1) Alliance"
SOIL = "Soil"  # every name and text of the second community starts with it
QUESTION = "How do you share what you learn?"
PENDING_QUESTION = "Who reads our reports?"
POSTED = T0 + 2 * DAY  # the question's post
CAFE_TITLE = "Water data café"
BLUE_WEBSITE = "https://blue.example"
CAFE_QUESTIONS = ["What works?", "What gets in the way?"]
SUBCOMMANDS = (
    "contributions",
    "members",
    "organisations",
    "cafes",
    "prompts",
    "network",
    "all",
    "history",
)


# --- people ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class People:
    """Sandbox members with a part in the seed. Blue River Trust: Samuel, María, Tendai and
    Kwame (who opted out); Delta Works: Ahmed and Sofia; the formula organisation: Aisha."""

    samuel: Member
    maria: Member
    tendai: Member
    ahmed: Member
    sofia: Member
    aisha: Member
    kwame: Member


def people_of(harness: Harness) -> People:
    named = harness.community.member
    return People(
        samuel=named("samuel.okello"),
        maria=named("maria.lopez"),
        tendai=named("tendai.moyo"),
        ahmed=named("ahmed.hassan"),
        sofia=named("sofia.rossi"),
        aisha=named("aisha.bello"),
        kwame=named("kwame.mensah"),
    )


def everyone(harness: Harness) -> list[Member]:
    """The people of the server (the bot is no person)."""
    return [m for m in harness.community.guild.members.values() if not m.user.bot]


async def pseudonyms(harness: Harness) -> Namer:
    """A namer with the community's key (the one every export uses), to compute pseudonyms."""
    async with harness.db.transaction() as session:
        key = await export_key(session, harness.community.guild.id)
    return Namer(key, NameMode.PSEUDONYMOUS, visible_names={}, absent=())


# --- the seed -------------------------------------------------------------------------------------


@dataclass
class Seeded:
    people: People
    cafe_id: int = 0
    # (round, table) -> the table's thread
    threads: dict[tuple[int, int], int] = field(default_factory=dict)
    question_id: int = 0
    pending_question_id: int = 0
    post_id: int = 0
    post_thread: int = 0
    message_ids: list[int] = field(default_factory=list)
    """Every message id seeded, in both communities: none may appear in a file."""


def message(
    community_id: int, channel_id: int, author: Member, at: datetime, **fields: Any
) -> ContributionRow:
    return ContributionRow(
        message_id=snowflake(),
        community_id=community_id,
        channel_id=channel_id,
        author_id=author.id,
        created_at=at,
        characters=20,
        words=4,
        **fields,
    )


def reply_to(row: ContributionRow) -> dict[str, Any]:
    return {
        "is_reply": True,
        "reply_to_message_id": row.message_id,
        "reply_to_author_id": row.author_id,
    }


Logged = list[tuple[ContributionRow, Attribution]]
"""Messages for the log, each with the organisation it was posted from."""


async def seed(harness: Harness) -> Seeded:
    """The community as the tests expect it, and the second one; one transaction. The register
    must have caught up first: the bot writes it in the background."""
    await harness.set_staff_roles()
    await register_caught_up(harness)
    seeded = Seeded(people_of(harness))
    async with harness.db.transaction() as session:
        organisations = await seed_register(session, harness, seeded.people)
        logged = replies(harness, seeded.people, organisations)
        logged += await seed_cafe(session, harness, seeded, organisations[BLUE])
        logged += await seed_prompt(session, harness, seeded, organisations[BLUE])
        await log_queries.store_contributions(
            session, [row for row, _ in logged], attributions=[a for _, a in logged]
        )
        seeded.message_ids += [row.message_id for row, _ in logged]
        seeded.message_ids += await seed_elsewhere(session, seeded.people)
    return seeded


async def seed_register(
    session: AsyncSession, harness: Harness, p: People
) -> dict[str, Attribution]:
    """Three organisations, their people, CoP statuses and representatives; Kwame opted out.
    Each organisation's attribution, by name."""
    guild = harness.community.guild.id
    member_ids = {
        m.id: (await member_queries.ensure_member(session, guild, m.id, m.display_name)).id
        for m in (p.samuel, p.maria, p.tendai, p.ahmed, p.sofia, p.aisha, p.kwame)
    }
    await member_queries.set_opted_out(session, member_ids[p.kwame.id], T0 - 2 * DAY)
    await member_queries.set_member_details(
        session,
        member_ids[p.samuel.id],
        stakeholder="civil society",
        level="national",
        country="Kenya",
        expertise=[],
    )
    details: dict[str, tuple[str, str, str | None, str | None]] = {
        BLUE: ("civil society", "national", "Kenya", BLUE_WEBSITE),
        DELTA: ("government", "local", None, None),
        FORMULA: ("research", "international", None, None),
    }
    organisations: dict[str, Attribution] = {}
    ids: dict[str, int] = {}
    for name, (stakeholder, level, country, website) in details.items():
        made = await organisation_queries.create_organisation(
            session,
            community_id=guild,
            name=name,
            name_key=name_key(name),
            stakeholder=stakeholder,
            level=level,
            country=country,
            website=website,
        )
        organisations[name], ids[name] = Attribution(made.id, stakeholder, level), made.id
    for person, name in (
        (p.samuel, BLUE),
        (p.maria, BLUE),
        (p.tendai, BLUE),
        (p.kwame, BLUE),
        (p.ahmed, DELTA),
        (p.sofia, DELTA),
        (p.aisha, FORMULA),
    ):
        await member_queries.start_membership(
            session, member_ids[person.id], ids[name], T0 - 40 * DAY
        )
    for name, status, at in (
        (BLUE, CopStatus.APPLICANT, T0 - 30 * DAY),
        (BLUE, CopStatus.MEMBER, T0 - 10 * DAY),
        (DELTA, CopStatus.APPLICANT, T0 - 5 * DAY),
    ):
        await organisation_queries.set_cop_status(
            session, ids[name], status, at=at, changed_by=coordinator(harness).id
        )
    for name, person, primary in (
        (BLUE, p.samuel, True),
        (BLUE, p.maria, False),
        (DELTA, p.ahmed, True),
    ):
        await organisation_queries.add_representative(
            session, ids[name], member_ids[person.id], primary=primary, at=T0 - 30 * DAY
        )
    return organisations


def replies(harness: Harness, p: People, organisations: dict[str, Attribution]) -> Logged:
    """Replies in #general: Blue River Trust has three people in them, Delta Works two, the
    formula organisation one; Kwame's reply is left out of every export (he opted out)."""
    guild, general = harness.community.guild.id, harness.general.id
    blue, delta = organisations[BLUE], organisations[DELTA]
    first = message(guild, general, p.samuel, T0)
    to_first = reply_to(first)
    maria_to_samuel = message(guild, general, p.maria, T0 + MINUTE, **to_first)
    ahmed_to_maria = message(guild, general, p.ahmed, T0 + 3 * MINUTE, **reply_to(maria_to_samuel))
    to_ahmed = reply_to(ahmed_to_maria)
    return [
        (first, blue),
        (maria_to_samuel, blue),
        (message(guild, general, p.tendai, T0 + 2 * MINUTE, **to_first), blue),
        (ahmed_to_maria, delta),
        (message(guild, general, p.maria, T0 + 4 * MINUTE, **to_ahmed), blue),
        (message(guild, general, p.maria, T0 + 5 * MINUTE, **to_first), blue),
        (message(guild, general, p.sofia, T0 + 6 * MINUTE, **to_ahmed), delta),
        (message(guild, general, p.aisha, T0 + 7 * MINUTE, **to_first), organisations[FORMULA]),
        (message(guild, general, p.kwame, T0 + 8 * MINUTE, **to_first), blue),
    ]


async def seed_cafe(
    session: AsyncSession, harness: Harness, seeded: Seeded, blue: Attribution
) -> Logged:
    """A closed café of two rounds at two tables, a thread per table: Samuel and Ahmed host,
    María and Tendai travel. Samuel posts once and María twice at table 1 of round 1, María once
    at table 2 of round 2. A tablecloth note, a harvest item, and a note by Kwame."""
    p, guild = seeded.people, harness.community.guild.id
    cafe_channel = harness.community.channels["cafe"].id
    cafe = await cafes.create_cafe(
        session,
        community_id=guild,
        title=CAFE_TITLE,
        questions=CAFE_QUESTIONS,
        rounds=2,
        round_minutes=20,
        channel_id=cafe_channel,
        starts_at=T0 + DAY,
    )
    seeded.cafe_id = cafe.id
    for host, table_number in ((p.samuel, 1), (p.ahmed, 2)):
        await cafes.save_participant(
            session, cafe.id, host.id, role=CafeRole.HOST, host_table=table_number
        )
    for traveller in (p.maria, p.tendai):
        await cafes.save_participant(session, cafe.id, traveller.id, role=CafeRole.TRAVELLER)
    cafe = await cafes.begin_round(
        session, cafe, round_number=1, tables=2, started_at=T0 + DAY, ends_at=T0 + DAY
    )
    seating = {
        1: [(1, [(p.samuel.id, True), (p.maria.id, False)]),
            (2, [(p.ahmed.id, True), (p.tendai.id, False)])],
        2: [(1, [(p.samuel.id, True), (p.tendai.id, False)]),
            (2, [(p.ahmed.id, True), (p.maria.id, False)])],
    }  # fmt: skip
    for round_number, tables in seating.items():
        await cafes.seat_round(session, cafe.id, round_number, tables)
    for table in await cafes.tables_of(session, cafe.id):
        thread = snowflake()
        seeded.threads[(table.round_number, table.table_number)] = thread
        await cafes.set_table_thread(session, table.id, thread)
    cafe = await cafes.move_to_harvest(session, cafe)
    await cafes.close_cafe(session, cafe, ended_at=T0 + DAY + 45 * MINUTE)
    for kind, author, text in (
        (NoteKind.NOTE, p.samuel, "Keep the data open."),
        (NoteKind.INSIGHT, p.maria, "Funders want stories."),
        (NoteKind.NOTE, p.kwame, "Words of someone who opted out."),
    ):
        await cafes.add_note(
            session,
            cafe_id=cafe.id,
            round_number=1,
            table_number=1,
            kind=kind,
            author_id=author.id,
            text=text,
        )
    at_table = T0 + DAY + 5 * MINUTE
    posted = ((p.samuel, (1, 1)), (p.maria, (1, 1)), (p.maria, (1, 1)), (p.maria, (2, 2)))
    return [
        (message(guild, seeded.threads[at], author, at_table, parent_channel_id=cafe_channel), blue)
        for author, at in posted
    ]


async def seed_prompt(
    session: AsyncSession, harness: Harness, seeded: Seeded, blue: Attribution
) -> Logged:
    """A question of the bank posted by hand in #questions by the coordinator, answered in its
    thread by María twice and Tendai once; and a question still waiting for review."""
    p, guild = seeded.people, harness.community.guild.id
    questions_channel = harness.community.channels["questions"].id
    for text, status, author in (
        (QUESTION, QuestionStatus.APPROVED, p.samuel),
        (PENDING_QUESTION, QuestionStatus.PENDING, p.tendai),
    ):
        question = await prompt_queries.add_question(
            session,
            community_id=guild,
            text=text,
            text_key=text.casefold(),
            theme="Learning",
            theme_key="learning",
            status=status,
            author_id=author.id,
        )
        if status is QuestionStatus.APPROVED:
            seeded.question_id = question.id
        else:
            seeded.pending_question_id = question.id
    post_message = snowflake()
    seeded.message_ids.append(post_message)
    post = await prompt_queries.add_post(
        session,
        community_id=guild,
        question_id=seeded.question_id,
        prompt_schedule_id=None,
        theme_key="learning",
        channel_id=questions_channel,
        posted_by=coordinator(harness).id,
        posted_at=POSTED,
        message_id=post_message,
    )
    seeded.post_id, seeded.post_thread = post.id, snowflake()
    await prompt_queries.finish_post(session, post.id, seeded.post_thread)
    return [
        (
            message(
                guild,
                seeded.post_thread,
                author,
                POSTED + minutes * MINUTE,
                parent_channel_id=questions_channel,
            ),
            blue,
        )
        for author, minutes in ((p.maria, 10), (p.tendai, 20), (p.maria, 30))
    ]


async def seed_elsewhere(session: AsyncSession, people: People) -> list[int]:
    """A second community with the same people in it: an organisation, a café, a question and
    replies, all named "Soil ..."; its message ids."""
    other = snowflake()
    channel, thread = snowflake(), snowflake()
    await ensure_community(session, other, f"{SOIL} CoP")
    samuel = await member_queries.ensure_member(session, other, people.samuel.id, "Samuel")
    await member_queries.ensure_member(session, other, people.maria.id, "María")
    org = await organisation_queries.create_organisation(
        session,
        community_id=other,
        name=f"{SOIL} Org",
        name_key=name_key(f"{SOIL} Org"),
        stakeholder="donor",
        level="local",
    )
    await member_queries.start_membership(session, samuel.id, org.id, T0)
    await organisation_queries.set_cop_status(
        session, org.id, CopStatus.MEMBER, at=T0, changed_by=None
    )
    await organisation_queries.add_representative(session, org.id, samuel.id, primary=True, at=T0)
    cafe = await cafes.create_cafe(
        session,
        community_id=other,
        title=f"{SOIL} café",
        questions=[f"{SOIL} round question?"],
        rounds=1,
        round_minutes=15,
        channel_id=channel,
        starts_at=T0 + DAY,
    )
    await cafes.save_participant(session, cafe.id, people.samuel.id, role=CafeRole.HOST)
    await cafes.seat_round(session, cafe.id, 1, [(1, [(people.samuel.id, True)])])
    await cafes.add_note(
        session,
        cafe_id=cafe.id,
        round_number=1,
        table_number=1,
        text=f"{SOIL} note",
        author_id=people.samuel.id,
    )
    question = await prompt_queries.add_question(
        session,
        community_id=other,
        text=f"{SOIL} question?",
        text_key=f"{SOIL} question?".casefold(),
        theme=f"{SOIL} theme",
        theme_key="soil theme",
        status=QuestionStatus.APPROVED,
        author_id=people.samuel.id,
    )
    post_message = snowflake()
    post = await prompt_queries.add_post(
        session,
        community_id=other,
        question_id=question.id,
        prompt_schedule_id=None,
        theme_key="soil theme",
        channel_id=channel,
        posted_at=T0,
        message_id=post_message,
    )
    await prompt_queries.finish_post(session, post.id, thread)
    first = message(other, channel, people.samuel, T0)
    rows = [
        first,
        message(other, channel, people.maria, T0 + MINUTE, **reply_to(first)),
        message(other, thread, people.maria, T0 + 2 * MINUTE),
    ]
    attribution = Attribution(org.id, org.stakeholder, org.level)
    await log_queries.store_contributions(session, rows, attributions=[attribution] * len(rows))
    return [post_message, *(row.message_id for row in rows)]


# --- exporting and reading the files back ---------------------------------------------------------


async def export(
    harness: Harness, kind: str, who: Member | None = None, **options: Any
) -> tuple[SandboxInteraction, str, bytes]:
    """``/export <kind>`` run by a coordinator (or ``who``): the answer, the file's name and
    bytes. The answer is only for whoever asked."""
    itx = await harness.sandbox.slash(
        who or coordinator(harness), harness.general, f"export {kind}", **options
    )
    name, data = await attached(itx)
    assert itx.ephemeral
    return itx, name, data


def csv_rows(data: bytes) -> list[dict[str, str]]:
    text = data.decode("utf-8")
    assert text.startswith(BOM)
    return list(csv.DictReader(io.StringIO(text.removeprefix(BOM))))


def jsonl_rows(data: bytes) -> list[dict[str, Any]]:
    return [json.loads(line) for line in data.decode("utf-8").splitlines() if line]


def unzipped(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def by(rows: Sequence[dict[str, Any]], *keys: str) -> dict[Any, dict[str, Any]]:
    """Rows keyed by one column (or a tuple of several), each key once."""
    keyed = {(row[keys[0]] if len(keys) == 1 else tuple(row[k] for k in keys)): row for row in rows}
    assert len(keyed) == len(rows), "a key that should be unique is not"
    return keyed


# --- 1. each kind ---------------------------------------------------------------------------------


async def test_members_as_csv(harness: Harness) -> None:
    seeded = await seed(harness)
    p = seeded.people
    names = await pseudonyms(harness)
    itx, name, data = await export(harness, "members")
    assert name == "members.csv"
    rows = by(csv_rows(data), "member")
    # Everyone in the server but Kwame, who opted out.
    present = [m for m in everyone(harness) if m.id != p.kwame.id]
    assert set(rows) == {names.pseudonym(m.id) for m in present}
    assert f"{len(present)} members" in itx.text() and "everything" in itx.text(), itx.text()
    samuel = rows[names.pseudonym(p.samuel.id)]
    assert (
        samuel["organisation"],
        samuel["stakeholder_group"],
        samuel["level"],
        samuel["country"],
        samuel["present"],
        samuel["left_at_utc"],
    ) == (BLUE, "civil society", "national", "Kenya", "true", "")
    organisations = {
        person.id: rows[names.pseudonym(person.id)]["organisation"]
        for person in (p.maria, p.tendai, p.ahmed, p.sofia, p.aisha)
    }
    assert organisations == {
        p.maria.id: BLUE,
        p.tendai.id: BLUE,
        p.ahmed.id: DELTA,
        p.sofia.id: DELTA,
        p.aisha.id: "'" + FORMULA,  # a spreadsheet must not run it
    }
    assert rows[names.pseudonym(coordinator(harness).id)]["organisation"] == ""


async def test_organisations_as_a_workbook(harness: Harness) -> None:
    seeded = await seed(harness)
    p = seeded.people
    names = await pseudonyms(harness)
    _, name, data = await export(harness, "organisations", format="xlsx")
    assert name == "organisations.xlsx"
    workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    assert workbook.sheetnames == [
        "organisations",
        "organisation_cop_status",
        "organisation_representatives",
        "codebook",
    ]

    def sheet(title: str) -> list[dict[str, Any]]:
        header, *rows = workbook[title].iter_rows(values_only=True)
        return [dict(zip(header, row, strict=True)) for row in rows]

    organisations = by(sheet("organisations"), "organisation")
    assert set(organisations) == {BLUE, DELTA, "'" + FORMULA}
    summary = {
        org: (row["cop_status"], row["members"], row["representatives"])
        for org, row in organisations.items()
    }
    # Kwame (opted out) is not counted in Blue River Trust; the primary representative first.
    assert summary == {
        BLUE: ("member", 3, f"{names.pseudonym(p.samuel.id)}; {names.pseudonym(p.maria.id)}"),
        DELTA: ("applicant", 2, names.pseudonym(p.ahmed.id)),
        "'" + FORMULA: (None, 1, None),
    }
    assert organisations[BLUE]["website"] == BLUE_WEBSITE
    assert organisations[BLUE]["cop_status_since_utc"] == "2026-02-20T09:00:00Z"
    statuses = [
        (row["organisation"], row["status"], row["started_at_utc"], row["ended_at_utc"])
        for row in sheet("organisation_cop_status")
    ]
    assert sorted(statuses) == [
        (BLUE, "applicant", "2026-01-31T09:00:00Z", "2026-02-20T09:00:00Z"),
        (BLUE, "member", "2026-02-20T09:00:00Z", None),
        (DELTA, "applicant", "2026-02-25T09:00:00Z", None),
    ]
    representatives = sorted(
        (row["organisation"], row["representative"], row["is_primary"])
        for row in sheet("organisation_representatives")
    )
    assert representatives == sorted(
        [
            (BLUE, names.pseudonym(p.samuel.id), "true"),
            (BLUE, names.pseudonym(p.maria.id), "false"),
            (DELTA, names.pseudonym(p.ahmed.id), "true"),
        ]
    )
    # The codebook sheet describes every column of the three sheets, and its own.
    described = {(row["file"], row["column"]) for row in sheet("codebook")}
    tables = [t.table for t in SOURCES[ExportKind.ORGANISATIONS].tables] + [CODEBOOK]
    assert described == {(table.name, column.name) for table in tables for column in table.columns}


async def test_cafes_as_a_zip_of_csv(harness: Harness) -> None:
    seeded = await seed(harness)
    p = seeded.people
    names = await pseudonyms(harness)
    pseudonym = names.pseudonym
    _, name, data = await export(harness, "cafes")
    assert name == "cafes.zip"
    files = unzipped(data)
    assert set(files) == {
        "cafes.csv",
        "cafe_rounds.csv",
        "cafe_seats.csv",
        "cafe_notes.csv",
        "codebook.csv",
        "README.txt",
    }
    cafe = str(seeded.cafe_id)
    [only] = csv_rows(files["cafes.csv"])
    assert (
        only["cafe"],
        only["title"],
        only["state"],
        only["rounds"],
        only["tables"],
        only["participants"],
        only["hosts"],
        only["channel"],
        only["starts_at_utc"],
        only["ended_at_utc"],
    ) == (
        cafe,
        CAFE_TITLE,
        "closed",
        "2",
        "2",
        "4",
        "2",
        str(harness.community.channels["cafe"].id),
        "2026-03-03T09:00:00Z",
        "2026-03-03T09:45:00Z",
    )
    rounds = [
        (r["cafe"], r["round"], r["question"], r["tables"], r["seated"], r["hosts"])
        for r in csv_rows(files["cafe_rounds.csv"])
    ]
    assert rounds == [
        (cafe, "1", CAFE_QUESTIONS[0], "2", "4", "2"),
        (cafe, "2", CAFE_QUESTIONS[1], "2", "4", "2"),
    ]
    seats = {
        (r["round"], r["table"], r["member"]): (r["role"], r["thread"], r["contributions_at_table"])
        for r in csv_rows(files["cafe_seats.csv"])
    }
    thread = {key: str(value) for key, value in seeded.threads.items()}
    assert seats == {
        ("1", "1", pseudonym(p.samuel.id)): ("host", thread[(1, 1)], "1"),
        ("1", "1", pseudonym(p.maria.id)): ("traveller", thread[(1, 1)], "2"),
        ("1", "2", pseudonym(p.ahmed.id)): ("host", thread[(1, 2)], "0"),
        ("1", "2", pseudonym(p.tendai.id)): ("traveller", thread[(1, 2)], "0"),
        ("2", "1", pseudonym(p.samuel.id)): ("host", thread[(2, 1)], "0"),
        ("2", "1", pseudonym(p.tendai.id)): ("traveller", thread[(2, 1)], "0"),
        ("2", "2", pseudonym(p.ahmed.id)): ("host", thread[(2, 2)], "0"),
        ("2", "2", pseudonym(p.maria.id)): ("traveller", thread[(2, 2)], "1"),
    }
    notes = sorted(
        (r["cafe"], r["round"], r["table"], r["kind"], r["author"], r["text"])
        for r in csv_rows(files["cafe_notes.csv"])
    )
    # Kwame's note is left out: he opted out.
    assert notes == sorted(
        [
            (cafe, "1", "1", "note", pseudonym(p.samuel.id), "Keep the data open."),
            (cafe, "1", "1", "harvest", pseudonym(p.maria.id), "Funders want stories."),
        ]
    )


async def test_prompts_as_json_lines(harness: Harness) -> None:
    seeded = await seed(harness)
    names = await pseudonyms(harness)
    _, name, data = await export(harness, "prompts", format="jsonl")
    assert name == "prompts.zip"
    files = unzipped(data)
    assert set(files) == {
        "prompt_questions.jsonl",
        "prompt_posts.jsonl",
        "prompt_schedules.jsonl",
        "codebook.csv",
        "README.txt",
    }
    questions = [
        (q["question"], q["theme"], q["text"], q["status"], q["times_posted"])
        for q in jsonl_rows(files["prompt_questions.jsonl"])
    ]
    assert questions == [
        (str(seeded.question_id), "Learning", QUESTION, "approved", 1),
        # Written for the moderators only: no text until it is approved.
        (str(seeded.pending_question_id), "Learning", None, "pending", 0),
    ]
    [post] = jsonl_rows(files["prompt_posts.jsonl"])
    assert post == {
        "post": str(seeded.post_id),
        "question": str(seeded.question_id),
        "theme": "Learning",
        "cycle": 1,
        "channel": str(harness.community.channels["questions"].id),
        "thread": str(seeded.post_thread),
        "schedule": None,
        "posted_by": names.pseudonym(coordinator(harness).id),
        "scheduled_for_utc": None,
        "scheduled_for_local": None,
        "posted_at_utc": "2026-03-04T09:00:00Z",
        "posted_at_local": "2026-03-04T09:00:00+00:00",
        "finished": True,
        "answers": 3,
        "distinct_answerers": 2,
        "first_answer_at_utc": "2026-03-04T09:10:00Z",
        "first_answer_at_local": "2026-03-04T09:10:00+00:00",
        "minutes_to_first_answer": 10.0,
    }
    assert jsonl_rows(files["prompt_schedules.jsonl"]) == []


async def test_network_as_edge_lists_and_graphml(harness: Harness) -> None:
    seeded = await seed(harness)
    p = seeded.people
    names = await pseudonyms(harness)
    pseudonym = names.pseudonym
    itx, name, data = await export(harness, "network")
    assert name == "network.zip"
    files = unzipped(data)
    assert set(files) == {
        "network_people.csv",
        "network_people_edges.csv",
        "network_organisations.csv",
        "network_organisation_edges.csv",
        "network_people.graphml",
        "network_organisations.graphml",
        "codebook.csv",
        "README.txt",
    }
    edges = {
        (r["source"], r["target"]): (r["replies"], r["weight"])
        for r in csv_rows(files["network_people_edges.csv"])
    }
    samuel, maria, tendai = pseudonym(p.samuel.id), pseudonym(p.maria.id), pseudonym(p.tendai.id)
    ahmed, sofia, aisha = pseudonym(p.ahmed.id), pseudonym(p.sofia.id), pseudonym(p.aisha.id)
    # Kwame's reply is not there: he opted out.
    assert edges == {
        (maria, samuel): ("2", "2.0"),
        (tendai, samuel): ("1", "1.0"),
        (ahmed, maria): ("1", "1.0"),
        (maria, ahmed): ("1", "1.0"),
        (sofia, ahmed): ("1", "1.0"),
        (aisha, samuel): ("1", "1.0"),
    }
    nodes = {
        r["id"]: (r["label"], r["organisation"], r["replies_sent"], r["replies_received"])
        for r in csv_rows(files["network_people.csv"])
    }
    assert nodes == {
        samuel: (samuel, BLUE, "0", "4"),
        maria: (maria, BLUE, "3", "1"),
        tendai: (tendai, BLUE, "1", "0"),
        ahmed: (ahmed, DELTA, "1", "2"),
        sofia: (sofia, DELTA, "1", "0"),
        aisha: (aisha, "'" + FORMULA, "1", "0"),
    }
    # Delta Works (two people) and the formula organisation (one) are too small to show.
    organisations = csv_rows(files["network_organisations.csv"])
    assert [(r["id"], r["people"]) for r in organisations] == [(BLUE, "3")]
    organisation_edges = [
        (r["source"], r["target"], r["replies"], r["people_source"], r["people_target"])
        for r in csv_rows(files["network_organisation_edges.csv"])
    ]
    assert organisation_edges == [(BLUE, BLUE, "3", "2", "1")]
    graph = files["network_organisations.graphml"].decode("utf-8")
    assert BLUE in graph and DELTA not in graph and "SUM(A1)" not in graph
    people_graph = files["network_people.graphml"].decode("utf-8")
    assert all(pseudonym(m.id) in people_graph for m in (p.samuel, p.sofia, p.aisha))
    assert pseudonym(p.kwame.id) not in people_graph
    assert "network_people_edges.csv (6)" in itx.text(), itx.text()


# --- 2. everything --------------------------------------------------------------------------------


def expected_all_files() -> set[str]:
    tables = {t.table.file_name("csv") for source in SOURCES.values() for t in source.tables}
    graphs = {g.file_name for source in SOURCES.values() for g in source.graphs}
    return tables | graphs | {"codebook.csv", "README.txt"}


async def test_all_holds_every_kind_and_nothing_it_must_not(harness: Harness) -> None:
    seeded = await seed(harness)
    who = coordinator(harness)
    _, name, data = await export(harness, "all", who)
    assert name == "all.zip"
    files = unzipped(data)
    assert set(files) == expected_all_files()
    texts = {file: content.decode("utf-8") for file, content in files.items()}
    readme = texts["README.txt"]
    assert readme.splitlines()[0] == f"copbot export: all of {harness.community.guild.name}"
    assert f"by {who.display_name}." in readme and "cafe_seats.csv: 8 rows" in readme
    forbidden = {m.id for m in harness.community.members} | set(seeded.message_ids)
    for file, text in texts.items():
        leaked = [i for i in forbidden if str(i) in text]
        assert not leaked, f"{file} holds Discord ids {leaked}"
        assert SOIL not in text, f"{file} holds something of the other community"
    organisations = by(csv_rows(files["organisations.csv"]), "organisation")
    assert set(organisations) == {BLUE, DELTA, "'" + FORMULA}
    # 16 messages logged here, Kwame's left out.
    assert len(csv_rows(files["contributions.csv"])) == 15
    assert len(csv_rows(files["cafe_seats.csv"])) == 8
    assert len(csv_rows(files["network_people_edges.csv"])) == 6


# --- 3. refusals ----------------------------------------------------------------------------------


async def test_members_and_moderators_are_refused_every_subcommand(harness: Harness) -> None:
    await seed(harness)
    for member in (harness.plain_member, harness.moderator):
        for subcommand in SUBCOMMANDS:
            refused = await harness.sandbox.slash(member, harness.general, f"export {subcommand}")
            text = await refused.final_text()
            assert refused.ephemeral, (member.display_name, subcommand)
            assert "coordinator" in text.lower(), (subcommand, text)
            assert refused.original is None or not refused.original.attachments
    assert not any(action.startswith("export.") for action in await audit_actions(harness))


# --- 4. pseudonyms and visible names --------------------------------------------------------------


async def test_pseudonyms_are_stable_and_names_only_for_who_chose(harness: Harness) -> None:
    await harness.set_staff_roles()
    await register_caught_up(harness)
    tom = harness.community.member("tom.becker")
    names = await pseudonyms(harness)

    async def members_column(**options: Any) -> list[str]:
        _, _, data = await export(harness, "members", **options)
        return [row["member"] for row in csv_rows(data)]

    first, second = await members_column(), await members_column()
    assert first == second
    assert sorted(first) == sorted(names.pseudonym(m.id) for m in everyone(harness))

    chose = await harness.sandbox.slash(tom, harness.general, "privacy visible", choice="on")
    assert "instead of a pseudonym" in chose.text(), chose.text()
    shown = await members_column(names="visible")
    assert tom.display_name in shown and names.pseudonym(tom.id) not in shown
    assert sorted(shown) == sorted(
        tom.display_name if m.id == tom.id else names.pseudonym(m.id) for m in everyone(harness)
    )
    # Pseudonymous exports still hide Tom.
    assert await members_column() == first


# --- 5. history -----------------------------------------------------------------------------------


async def test_history_lists_every_kind_exported(harness: Harness) -> None:
    await seed(harness)
    made = ["members", "organisations", "cafes", "prompts", "network", "all"]
    for kind in made:
        await export(harness, kind)
    listed = await harness.sandbox.slash(coordinator(harness), harness.general, "export history")
    assert listed.ephemeral
    text = listed.text()
    places = [text.index(f"**{kind}**") for kind in made]
    assert places == sorted(places, reverse=True), text  # newest first
    assert text.count(coordinator(harness).display_name) == len(made)
    assert (await audit_actions(harness))[: len(made)] == [f"export.{k}" for k in reversed(made)]
