"""World Café sessions as a service: creating cafés, sign-ups, seating each round, timers, the
tablecloth and the harvest. Plain values in and out, no Discord: the café cog calls this and
does the Discord side (threads, messages) in between.

State moves forward only, inside a transaction that re-reads the café (locked on PostgreSQL),
so a round timer and a moderator's ``/cafe next`` racing each other move it once.
"""

from __future__ import annotations

import asyncio
import random
from collections import defaultdict
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.cafe import seating as planner
from bot.cafe.harvest import Harvest, HarvestItem, TableTurnout
from bot.cafe.text import check_round_minutes, check_rounds, split_questions
from bot.cafe.values import (
    ACTIVE_STATES,
    Cafe,
    CafeNote,
    CafeNotice,
    CafeParticipant,
    CafeRole,
    CafeSeat,
    CafeState,
    CafeTable,
    NoteKind,
)
from bot.claims import Leases
from bot.errors import BadInput, NotAllowed, NotFound
from bot.scheduling.scheduler import Scheduler
from bot.scheduling.when import WhenError, describe_gap, parse_when
from bot.text import clean_text
from storage import audit, cafes, schedules
from storage.communities import ensure_community
from storage.db import Database
from storage.models import MisfirePolicy, Schedule
from storage.types import row_id, utc_now

# Schedule kinds the café registers with the scheduler.
ROUND_END = "cafe.round_end"
ROUND_WARNING = "cafe.round_warning"
CAFE_START = "cafe.start"  # a café's one start time (timer)
SERIES_START = "cafe.series"  # a recurring café: starts the series' open café
# Discord work cut short (its rate limit spent, an outage): a timer to finish it, moved later
# at every failure. A row like the round's timers, so a restart resumes it.
RESUME = "cafe.resume"
RESUME_GRACE = timedelta(days=1)
SERIES_MEMORY = 3  # a recurring café seats apart who met at the series' last this many cafés

# A round must end even if the bot was down far longer than the round.
ROUND_END_GRACE = timedelta(days=30)
# A café that should have started while the bot was down still starts, within this.
START_GRACE = timedelta(hours=2)

MAX_TITLE = 100
# Tables a café may have. Each table is a thread, open through its round, and Discord allows a
# server 1000 active threads in all (its other channels' threads count too); 200 tables seat
# 1000 people at five a table. A café is never seated at more tables than people signed up
# (checked at the start), so this bounds what a café can be asked for before anyone joins.
MAX_TABLES = 200
# How far ahead a café may be planned: far enough for a yearly event, near enough that a typo
# in the year (2062 for 2026) is caught.
MAX_PLAN_AHEAD = timedelta(days=3 * 366)
# A café that comes back comes back at most once a day: it runs rounds for hours, and a series
# seats people apart from who they met at the last cafés.
MIN_REPEAT_GAP = timedelta(days=1)
DEFAULT_WARNING_MINUTES = 2
MAX_NOTE = 1000
MAX_EXTEND_MINUTES = 120
SEATS_PER_TABLE = 5
THREAD_TYPES = ("public", "private")
FORGOTTEN_NAME = "a participant"


# --- creating ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CafeRequest:
    """A café as a moderator asked for it, every option checked."""

    title: str
    questions: tuple[str, ...]
    rounds: int
    round_minutes: int
    tables: int | None
    starts_at: datetime | None
    repeat_when: str | None
    thread_type: str
    timezone: str
    warning_minutes: int = 2


def read_cafe_request(
    *,
    title: str,
    questions: str,
    rounds: int,
    round_minutes: int,
    tables: int | None,
    starts_at: str | None,
    repeat: str | None,
    thread_type: str | None,
    timezone: str,
    now: datetime,
    warning_minutes: int | None = None,
) -> CafeRequest:
    """Check every option of ``/cafe create``; raise BadInput saying what is wrong and how to
    put it right, before anything is written."""
    clean_title = clean_text(title, "the title", example="`Funding KM`")
    if len(clean_title) > MAX_TITLE:
        raise BadInput(
            f"The title is {len(clean_title)} characters long; the most is {MAX_TITLE}.",
            "Shorten it; the questions carry the detail.",
        )
    check_rounds(rounds)
    check_round_minutes(round_minutes)
    if tables is not None and tables < 1:
        raise BadInput(
            f"A café needs at least one table; you asked for {tables}.",
            "Leave `tables` out to get about five seats per table.",
        )
    if tables is not None and tables > MAX_TABLES:
        raise BadInput(
            f"A café has at most {MAX_TABLES} tables (each is a thread, and Discord limits a "
            f"server's open threads); you asked for {tables}.",
            f"Ask for {MAX_TABLES} or fewer, or leave `tables` out to get about "
            f"{SEATS_PER_TABLE} seats per table.",
        )
    if warning_minutes is None:  # short rounds get a shorter warning, or none
        warning = min(DEFAULT_WARNING_MINUTES, round_minutes - 1)
    else:
        warning = warning_minutes
    if not 0 <= warning < round_minutes:
        raise BadInput(
            f"The warning comes {warning} minutes before the end of a {round_minutes}-minute "
            "round: it must be at least 0 and less than the round.",
            "Two minutes is usual; 0 means no warning.",
        )
    kind = (thread_type or "public").strip().lower()
    if kind not in THREAD_TYPES:
        raise BadInput(f"`{thread_type}` is not a thread type.", "Use `public` or `private`.")
    start = None
    if starts_at:
        start = _read_start(starts_at, timezone, now)
    repeat_when = None
    if repeat:
        try:
            when = parse_when(repeat, timezone, now=now)
        except WhenError as error:
            raise BadInput(f"I can't read the repeat schedule: {error}") from error
        if not when.is_recurring:
            raise BadInput(
                "`repeat` is for a café that comes back, but that is a single date.",
                "Use `starts_at` for one date, or a rule like `monthly first tue 14:00`.",
            )
        gap = when.shortest_gap(now)
        if gap is not None and gap < MIN_REPEAT_GAP:
            raise BadInput(
                f"`{when.text}` would start cafés {describe_gap(gap)} apart; a café comes back "
                "at most once a day.",
                "Use a daily or rarer rule, e.g. `weekly tue 14:00` or "
                "`monthly first tue 14:00`.",
            )
        repeat_when = when.text
    return CafeRequest(
        title=clean_title,
        questions=split_questions(questions, rounds),
        rounds=rounds,
        round_minutes=round_minutes,
        tables=tables,
        starts_at=start,
        repeat_when=repeat_when,
        thread_type=kind,
        timezone=timezone,
        warning_minutes=warning,
    )


def _read_start(text: str, timezone: str, now: datetime) -> datetime:
    try:
        when = parse_when(text, timezone, now=now)
    except WhenError as error:
        raise BadInput(
            f"I can't read `{text}` as a start time.",
            f"Write a date and time in {timezone}, e.g. `2026-12-01 14:30`.",
        ) from error
    if when.is_recurring:
        raise BadInput(
            "`starts_at` is one date and time.",
            "For a café that comes back, use `repeat` (e.g. `monthly first tue 14:00`).",
        )
    upcoming = when.upcoming(now, 1)
    if not upcoming:
        raise BadInput(
            f"{text} ({timezone}) has already passed.",
            "Give a time in the future, or leave `starts_at` out and use `/cafe start`.",
        )
    if upcoming[0] > now + MAX_PLAN_AHEAD:
        latest = (now + MAX_PLAN_AHEAD).astimezone(ZoneInfo(timezone))
        raise BadInput(
            f"{text} ({timezone}) is more than three years away: a café is planned at most "
            f"until {latest:%Y-%m-%d}.",
            "Check the year, or plan it nearer the time.",
        )
    return upcoming[0]


# --- what the Discord side is given ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Retry:
    """A failed try of a café's Discord work, counted, and when it is tried again."""

    due: datetime
    attempt: int  # failed tries since the work last finished
    spell: str | None  # names this spell of failures (its timer), for messages' nonces
    told_round: int | None  # the round the café channel was told of it in (None: not told)


def _spell(timer: Schedule) -> str:
    # A timer's id may come back once it is deleted (SQLite reuses the highest rowid): with
    # its creation second, it names one spell of failures for Discord's few minutes of nonces.
    return f"{row_id(timer)}t{int(timer.created_at.timestamp()) % 1_000_000}"


@dataclass(frozen=True, slots=True)
class TableInRound:
    table: CafeTable
    seats: tuple[CafeSeat, ...]

    @property
    def host_ids(self) -> tuple[int, ...]:
        return tuple(seat.user_id for seat in self.seats if seat.is_host)

    @property
    def user_ids(self) -> tuple[int, ...]:
        return tuple(seat.user_id for seat in self.seats)


@dataclass(frozen=True, slots=True)
class RoundView:
    cafe: Cafe
    round_number: int
    question: str
    tables: tuple[TableInRound, ...]
    earlier_notes: dict[int, list[CafeNote]]  # table number -> its notes of earlier rounds

    def table_of(self, user_id: int) -> TableInRound | None:
        for table in self.tables:
            if user_id in table.user_ids:
                return table
        return None

    @property
    def unopened(self) -> int:
        """Tables whose thread is not open yet (a start cut short: Discord's thread limit)."""
        return sum(1 for table in self.tables if not table.table.opened)


@dataclass(frozen=True, slots=True)
class SignUp:
    cafe: Cafe
    participant: CafeParticipant
    already: bool  # nothing changed: they were signed up like this already
    participants: int
    hosts: int


@dataclass(frozen=True, slots=True)
class SeatingPreview:
    cafe: Cafe
    tables: int
    seating: planner.Seating
    quality: planner.SeatingQuality
    first_round: int  # the first round the preview plans (earlier ones were held)


# --- the service -------------------------------------------------------------------------------


class CafeService:
    def __init__(
        self,
        db: Database,
        scheduler: Scheduler,
        *,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.db = db
        self.scheduler = scheduler
        self.clock = clock
        self._locks: dict[int, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._leases = Leases(db, process_id=scheduler.process_id)
        # Sign-ups to one café take turns here, not in the database: a burst waiting on the
        # café's row would each hold a pooled connection, and every other command waits on
        # the pool behind them.
        self._sign_up_turns: dict[int, asyncio.Lock] = defaultdict(asyncio.Lock)

    @asynccontextmanager
    async def running(self, cafe_id: int) -> AsyncIterator[None]:
        """One flow at a time per café: in this process (timer vs command), and across the
        processes sharing the database (in an overlapping deploy the new process recovers the
        cafés at start-up while the old one may be opening their tables)."""
        async with self._locks[cafe_id], self._leases.holding(f"cafe:{cafe_id}"):
            yield

    # creating and finding ----------------------------------------------------------------------

    async def create(
        self,
        community_id: int,
        community_name: str,
        *,
        channel_id: int,
        actor_id: int,
        request: CafeRequest,
        series_id: int | None = None,
    ) -> Cafe:
        async with self.db.transaction() as session:
            await ensure_community(session, community_id, community_name)
            cafe = await cafes.create_cafe(
                session,
                community_id=community_id,
                title=request.title,
                questions=list(request.questions),
                rounds=request.rounds,
                round_minutes=request.round_minutes,
                tables=request.tables,
                tables_asked=request.tables,
                thread_type=request.thread_type,
                channel_id=channel_id,
                starts_at=request.starts_at,
                repeat_when=request.repeat_when,
                series_id=series_id,
                warning_minutes=request.warning_minutes,
                seed=random.randrange(2**31),
                created_by=actor_id,
            )
            timers: list[int] = []
            if request.starts_at is not None:
                timer = await schedules.create_schedule(
                    session,
                    community_id=community_id,
                    kind=CAFE_START,
                    target_id=cafe.id,
                    when_text=request.starts_at.isoformat(timespec="seconds"),
                    timezone="UTC",
                    due_at=request.starts_at,
                    grace_seconds=int(START_GRACE.total_seconds()),
                    created_by=actor_id,
                )
                timers.append(row_id(timer))
            if request.repeat_when is not None and series_id is None:
                series = await schedules.create_schedule(
                    session,
                    community_id=community_id,
                    kind=SERIES_START,
                    target_id=cafe.id,
                    when_text=request.repeat_when,
                    timezone=request.timezone,
                    grace_seconds=int(START_GRACE.total_seconds()),
                    created_by=actor_id,
                )
                timers.append(row_id(series))
            await audit.record_audit(
                session,
                community_id,
                actor_id,
                "cafe.create",
                cafe_id=cafe.id,
                title=request.title,
                rounds=request.rounds,
            )
        for timer_id in timers:
            await self.scheduler.sync_schedule(timer_id)
        return cafe

    async def next_of_series(self, finished: Cafe) -> Cafe | None:
        """A recurring café that has ended opens the next one of its series for sign-ups."""
        if finished.repeat_when is None:
            return None
        series_id = finished.series_id if finished.series_id is not None else finished.id
        async with self.db.session() as session:
            timers = await schedules.schedules_for(session, SERIES_START, series_id)
        if not timers or timers[0].paused:
            return None
        request = CafeRequest(
            title=finished.title,
            questions=tuple(finished.questions),
            rounds=finished.rounds,
            round_minutes=finished.round_minutes,
            tables=finished.tables_asked,
            starts_at=None,
            repeat_when=finished.repeat_when,
            thread_type=finished.thread_type,
            timezone=timers[0].timezone,
            warning_minutes=finished.warning_minutes,
        )
        return await self.create(
            finished.community_id,
            "",
            channel_id=finished.channel_id,
            actor_id=finished.created_by or 0,
            request=request,
            series_id=series_id,
        )

    async def open_cafe_of_series(self, series_id: int) -> Cafe | None:
        async with self.db.session() as session:
            first = await cafes.get_cafe_by_id(session, series_id)
            if first is None:
                return None
            candidates = await cafes.list_cafes(
                session, first.community_id, states=(CafeState.OPEN,), limit=100
            )
        for cafe in candidates:
            if cafe.id == series_id or cafe.series_id == series_id:
                return cafe
        return None

    async def get(self, cafe_id: int) -> Cafe | None:
        async with self.db.session() as session:
            return await cafes.get_cafe_by_id(session, cafe_id)

    async def find(
        self,
        community_id: int,
        cafe_id: int | None,
        *,
        states: Sequence[CafeState] = ACTIVE_STATES,
        doing: str = "do that",
    ) -> Cafe:
        """The café a command means: the one named, or the community's only active one."""
        async with self.db.session() as session:
            if cafe_id is not None:
                cafe = await cafes.get_cafe(session, community_id, cafe_id)
                if cafe is None:
                    raise NotFound(
                        f"There is no café #{cafe_id} in this server.",
                        "`/cafe list` shows the cafés and their numbers.",
                    )
                if cafe.state not in states:
                    raise BadInput(
                        f"Café #{cafe_id} ({cafe.title}) is {describe_state(cafe)}: "
                        f"you can't {doing} now."
                    )
                return cafe
            found = await cafes.list_cafes(session, community_id, states=states, limit=2)
        if not found:
            raise NotFound(
                f"There is no café to {doing}.",
                "`/cafe list` shows the cafés; `/cafe create` makes a new one.",
            )
        if len(found) > 1:
            raise BadInput(
                f"Several cafés could be meant ({', '.join(f'#{c.id}' for c in found)}, ...).",
                "Name one with the `cafe` option; `/cafe list` shows their numbers.",
            )
        return found[0]

    async def list_cafes(self, community_id: int) -> list[Cafe]:
        async with self.db.session() as session:
            return await cafes.list_cafes(session, community_id, limit=25)

    async def cafe_of_thread(self, thread_id: int) -> tuple[Cafe, CafeTable] | None:
        async with self.db.session() as session:
            table = await cafes.table_by_thread(session, thread_id)
            if table is None:
                return None
            cafe = await cafes.get_cafe_by_id(session, table.cafe_id)
        return None if cafe is None else (cafe, table)

    async def table_by_id(self, cafe_id: int, table_id: int) -> tuple[Cafe, CafeTable] | None:
        async with self.db.session() as session:
            table = await cafes.get_table(session, cafe_id, table_id)
            cafe = await cafes.get_cafe_by_id(session, cafe_id) if table else None
        return None if cafe is None or table is None else (cafe, table)

    async def cafe_of_reflection(self, thread_id: int) -> Cafe | None:
        async with self.db.session() as session:
            return await cafes.cafe_by_reflection_thread(session, thread_id)

    async def table_thread_ids(self) -> list[int]:
        async with self.db.session() as session:
            return await cafes.all_table_thread_ids(session)

    # sign-ups ------------------------------------------------------------------------------------

    async def join(self, cafe: Cafe, user_id: int) -> SignUp:
        return await self._sign_up(cafe, user_id, as_host=False, table=None, actor_id=user_id)

    async def host(self, cafe: Cafe, user_id: int, *, table: int | None, actor_id: int) -> SignUp:
        return await self._sign_up(cafe, user_id, as_host=True, table=table, actor_id=actor_id)

    async def _sign_up(
        self, cafe: Cafe, user_id: int, *, as_host: bool, table: int | None, actor_id: int
    ) -> SignUp:
        async with self._sign_up_turns[cafe.id], self.db.transaction() as session:
            current = await cafes.lock_cafe(session, cafe.id)
            if current is None or current.state not in (CafeState.OPEN, CafeState.RUNNING):
                raise BadInput(
                    f"{cafe.title} is {describe_state(current or cafe)}: sign-ups are closed."
                )
            existing = await cafes.get_participant(session, cafe.id, user_id)
            present = await cafes.present_participants(session, cafe.id)
            if as_host:
                table = _host_table(current, present, user_id, table)
                role = CafeRole.HOST
            else:
                role = CafeRole.TRAVELLER
                if existing is not None and existing.left_at is None:
                    # Joining again keeps a host a host.
                    role, table = existing.role, existing.host_table
            if (
                existing is not None
                and existing.left_at is None
                and existing.role == role
                and existing.host_table == table
            ):
                participant, already = existing, True
            else:
                participant = await cafes.save_participant(
                    session, cafe.id, user_id, role=role, host_table=table
                )
                already = False
            participants, hosts = await cafes.count_participants(session, cafe.id)
            if not already:
                await audit.record_audit(
                    session,
                    cafe.community_id,
                    actor_id,
                    "cafe.host" if as_host else "cafe.join",
                    cafe_id=cafe.id,
                    user_id=user_id,
                    table=table,
                )
        return SignUp(current, participant, already, participants, hosts)

    async def leave(self, cafe: Cafe, user_id: int) -> SignUp:
        async with self._sign_up_turns[cafe.id], self.db.transaction() as session:
            current = await cafes.lock_cafe(session, cafe.id)
            assert current is not None
            participant = await cafes.get_participant(session, cafe.id, user_id)
            if participant is None or participant.left_at is not None:
                raise BadInput(f"You are not signed up for {cafe.title}.")
            if current.state not in (CafeState.OPEN, CafeState.RUNNING):
                raise BadInput(f"{cafe.title} is {describe_state(current)}.")
            participant = await cafes.mark_left(session, participant)
            # Already seated in a round that has not started yet: take the seat back.
            await cafes.remove_future_seat(session, cafe.id, user_id, current.current_round + 1)
            participants, hosts = await cafes.count_participants(session, cafe.id)
            await audit.record_audit(
                session, cafe.community_id, user_id, "cafe.leave", cafe_id=cafe.id
            )
        return SignUp(current, participant, False, participants, hosts)

    async def counts(self, cafe_id: int) -> tuple[int, int]:
        async with self.db.session() as session:
            return await cafes.count_participants(session, cafe_id)

    async def participant(self, cafe_id: int, user_id: int) -> CafeParticipant | None:
        async with self.db.session() as session:
            found = await cafes.get_participant(session, cafe_id, user_id)
        return found if found is not None and found.left_at is None else None

    # seating -------------------------------------------------------------------------------------

    async def check_can_seat(self, cafe: Cafe) -> None:
        """Raise BadInput if the café could not be seated now (asked before starting it)."""
        async with self.db.session() as session:
            present = await cafes.present_participants(session, cafe.id)
        _check_can_seat(cafe, _table_count(cafe, present), present)

    async def preview(self, cafe: Cafe) -> SeatingPreview:
        """The seating the café would get now, for every round still to come."""
        async with self.db.session() as session:
            _, tables, request = await _seating_now(session, cafe)
        seating = await asyncio.to_thread(planner.plan_seating, request)
        quality = planner.assess(request, seating)
        return SeatingPreview(cafe, tables, seating, quality, len(request.played) + 1)

    async def begin_round(self, cafe_id: int, round_number: int) -> bool:
        """Seat round ``round_number`` and start its clock, if the café is ready for it.

        False (and nothing written) if that round has begun already or the café has moved on:
        this makes a repeated call (a restart, a second process) harmless.
        """
        now = self.clock()
        async with self.db.session() as session:
            cafe = await cafes.get_cafe_by_id(session, cafe_id)
            if cafe is None or not _ready_for_round(cafe, round_number):
                return False
            present, tables, request = await _seating_now(session, cafe)
        _check_can_seat(cafe, tables, present)
        seating = await asyncio.to_thread(planner.plan_seating, request)
        planned = seating.rounds[round_number - 1]
        hosts = {p.user_id for p in present if p.role == CafeRole.HOST}
        async with self.db.transaction() as session:
            cafe = await cafes.lock_cafe(session, cafe_id)
            if cafe is None or not _ready_for_round(cafe, round_number):
                return False
            await cafes.seat_round(
                session,
                cafe_id,
                round_number,
                (
                    (index + 1, [(user_id, user_id in hosts) for user_id in people])
                    for index, people in enumerate(planned)
                ),
            )
            ends_at = now + timedelta(minutes=cafe.round_minutes)
            # Each round lists its tables in a new progress message.
            cafe = await cafes.begin_round(
                session,
                cafe,
                round_number=round_number,
                tables=tables,
                started_at=now,
                ends_at=ends_at,
            )
            timer_ids = await self._set_round_timers(session, cafe, ends_at)
            await audit.record_audit(
                session, cafe.community_id, None, "cafe.round", cafe_id=cafe_id, round=round_number
            )
        for timer_id in timer_ids:
            await self.scheduler.sync_schedule(timer_id)
        return True

    async def _set_round_timers(
        self, session: AsyncSession, cafe: Cafe, ends_at: datetime
    ) -> list[int]:
        """One round-end timer and one warning timer per café, moved for every round."""
        ids: list[int] = []
        for kind, due in (
            (ROUND_END, ends_at),
            (ROUND_WARNING, ends_at - timedelta(minutes=cafe.warning_minutes)),
        ):
            for old in await schedules.schedules_for(session, kind, cafe.id):
                await schedules.delete_schedule(session, row_id(old))
                ids.append(row_id(old))  # resynced: its alarm goes
            if kind == ROUND_WARNING and (cafe.warning_minutes == 0 or due <= self.clock()):
                continue  # no warning wanted, or too late for one
            timer = await schedules.create_schedule(
                session,
                community_id=cafe.community_id,
                kind=kind,
                target_id=cafe.id,
                when_text=due.isoformat(timespec="seconds"),
                timezone="UTC",
                due_at=due,
                misfire_policy=MisfirePolicy.LATE if kind == ROUND_END else MisfirePolicy.SKIP,
                grace_seconds=int(ROUND_END_GRACE.total_seconds()),
            )
            ids.append(row_id(timer))
        return ids

    async def round_view(self, cafe_id: int, round_number: int | None = None) -> RoundView | None:
        async with self.db.session() as session:
            cafe = await cafes.get_cafe_by_id(session, cafe_id)
            if cafe is None:
                return None
            number = round_number or cafe.current_round
            if number < 1:
                return None
            tables = await cafes.tables_of(session, cafe_id, number)
            seats = await cafes.seats_of(session, cafe_id, number)
            notes = await cafes.notes_of(session, cafe_id)
        by_table: dict[int, list[CafeSeat]] = defaultdict(list)
        for seat in seats:
            by_table[seat.table_number].append(seat)
        earlier: dict[int, list[CafeNote]] = defaultdict(list)
        for note in notes:
            if note.round_number < number and note.kind == NoteKind.NOTE:
                earlier[note.table_number].append(note)
        return RoundView(
            cafe,
            number,
            cafe.questions[number - 1],
            tuple(TableInRound(t, tuple(by_table[t.table_number])) for t in tables),
            dict(earlier),
        )

    async def record_table_thread(self, table_id: int, thread_id: int) -> None:
        async with self.db.transaction() as session:
            await cafes.set_table_thread(session, table_id, thread_id)

    async def record_table_opened(self, table_id: int) -> None:
        async with self.db.transaction() as session:
            await cafes.set_table_flags(session, table_id, opened=True)

    async def record_table_warned(self, table_id: int) -> None:
        async with self.db.transaction() as session:
            await cafes.set_table_flags(session, table_id, warned=True)

    async def record_table_closed(self, table_id: int) -> None:
        async with self.db.transaction() as session:
            await cafes.set_table_flags(session, table_id, closed=True)

    # moving on -----------------------------------------------------------------------------------

    async def end_round_now(self, cafe_id: int, round_number: int) -> bool:
        """Bring the end of a running round to now (``/cafe next``, ``/cafe end``): written
        first, so that a restart half-way finishes the change instead of waiting for the old
        end time."""
        async with self.db.transaction() as session:
            cafe = await cafes.lock_cafe(session, cafe_id)
            if cafe is None or cafe.state != CafeState.RUNNING:
                return False
            if cafe.current_round != round_number:
                return False
            now = self.clock()
            if cafe.round_ends_at is None or cafe.round_ends_at > now:
                await cafes.set_round_end(session, cafe, now)
        return True

    async def extend(self, cafe: Cafe, minutes: int, *, actor_id: int) -> Cafe:
        if not 1 <= minutes <= MAX_EXTEND_MINUTES:
            raise BadInput(
                f"Extend by 1 to {MAX_EXTEND_MINUTES} minutes; you asked for {minutes}.",
                "For a longer break, let the round end and start the next with `/cafe next`.",
            )
        return await self.move_round_end(cafe, timedelta(minutes=minutes), actor_id=actor_id)

    async def move_round_end(self, cafe: Cafe, delta: timedelta, *, actor_id: int | None) -> Cafe:
        """Move the running round's end (and its warning) by ``delta``."""
        async with self.db.transaction() as session:
            current = await cafes.lock_cafe(session, cafe.id)
            if current is None or current.state != CafeState.RUNNING:
                raise BadInput(f"{cafe.title} has no round running.", "`/cafe start` starts one.")
            assert current.round_ends_at is not None
            ends_at = max(current.round_ends_at + delta, self.clock())
            current = await cafes.set_round_end(session, current, ends_at)
            timer_ids = await self._set_round_timers(session, current, ends_at)
            await audit.record_audit(
                session,
                current.community_id,
                actor_id,
                "cafe.extend",
                cafe_id=cafe.id,
                seconds=int(delta.total_seconds()),
            )
        for timer_id in timer_ids:
            await self.scheduler.sync_schedule(timer_id)
        return current

    async def restart_round_clock(self, cafe_id: int, *, actor_id: int | None) -> Cafe | None:
        """Give the running round its whole time again, counted from now: tables Discord
        refused to open have opened late. None if the round has that much left already."""
        current = await self.get(cafe_id)
        if current is None or current.state != CafeState.RUNNING or current.round_ends_at is None:
            return None
        whole_round = self.clock() + timedelta(minutes=current.round_minutes)
        if current.round_ends_at >= whole_round - timedelta(seconds=30):
            return None
        return await self.move_round_end(
            current, whole_round - current.round_ends_at, actor_id=actor_id
        )

    async def to_harvest(self, cafe_id: int) -> bool:
        """The rounds are over: the café moves to its harvest (once)."""
        async with self.db.transaction() as session:
            cafe = await cafes.lock_cafe(session, cafe_id)
            if cafe is None or cafe.state != CafeState.RUNNING:
                return False
            await cafes.move_to_harvest(session, cafe)
            await self._drop_round_timers(session, cafe_id)
        return True

    async def close(self, cafe_id: int) -> Cafe | None:
        """The harvest is done: the café closes (once); None if it was not harvesting."""
        async with self.db.transaction() as session:
            cafe = await cafes.lock_cafe(session, cafe_id)
            if cafe is None or cafe.state != CafeState.HARVEST:
                return None
            return await cafes.close_cafe(session, cafe, ended_at=utc_now())

    # What the Discord side posted, recorded on the café (nothing if the café is gone).

    async def set_signup_message(self, cafe_id: int, message_id: int | None) -> None:
        """The café's sign-up message (None: it was deleted)."""
        async with self.db.transaction() as session:
            cafe = await cafes.get_cafe_by_id(session, cafe_id)
            if cafe is not None:
                await cafes.set_signup_message(session, cafe, message_id)

    async def set_progress_message(self, cafe_id: int, message_id: int) -> None:
        """The message listing the running round's tables."""
        async with self.db.transaction() as session:
            cafe = await cafes.get_cafe_by_id(session, cafe_id)
            if cafe is not None:
                await cafes.set_progress_message(session, cafe, message_id)

    async def set_reflection_thread(self, cafe_id: int, thread_id: int) -> None:
        async with self.db.transaction() as session:
            cafe = await cafes.get_cafe_by_id(session, cafe_id)
            if cafe is not None:
                await cafes.set_reflection_thread(session, cafe, thread_id)

    async def record_harvest_posted(self, cafe_id: int) -> None:
        async with self.db.transaction() as session:
            cafe = await cafes.get_cafe_by_id(session, cafe_id)
            if cafe is not None:
                await cafes.mark_harvest_posted(session, cafe)

    async def cancel(self, cafe: Cafe, *, actor_id: int) -> Cafe:
        async with self.db.transaction() as session:
            current = await cafes.lock_cafe(session, cafe.id)
            if current is None or current.state not in (CafeState.OPEN, CafeState.RUNNING):
                raise BadInput(
                    f"{cafe.title} is {describe_state(current or cafe)}: there is nothing to "
                    "cancel."
                )
            current = await cafes.cancel_cafe(session, current, ended_at=utc_now())
            await self._drop_round_timers(session, cafe.id)
            for kind in (CAFE_START, SERIES_START):
                for timer in await schedules.schedules_for(session, kind, cafe.id):
                    await schedules.delete_schedule(session, row_id(timer))
            await audit.record_audit(
                session, current.community_id, actor_id, "cafe.cancel", cafe_id=cafe.id
            )
        await self.scheduler.reload()
        return current

    async def _drop_round_timers(self, session: AsyncSession, cafe_id: int) -> None:
        for kind in (ROUND_END, ROUND_WARNING):
            for timer in await schedules.schedules_for(session, kind, cafe_id):
                await schedules.delete_schedule(session, row_id(timer))

    async def retry_later(self, cafe_id: int, *, first: timedelta, most: timedelta) -> Retry:
        """Count a failed try and set the café's retry timer (one per café, moved later): the
        pause doubles from ``first`` with every try that fails, up to ``most``."""
        async with self.db.transaction() as session:
            cafe = await cafes.lock_cafe(session, cafe_id)
            if cafe is None:
                return Retry(self.clock() + first, 0, None, None)
            attempt = cafe.retry_attempts + 1
            await cafes.set_retry_attempts(session, cafe, attempt)
            told_round = cafe.retry_told_round
            due = self.clock() + min(first * 2 ** (attempt - 1), most)
            existing = await schedules.schedules_for(session, RESUME, cafe_id)
            if existing:
                timer = existing[0]
                await schedules.set_due_at(session, row_id(timer), due)
            else:
                timer = await schedules.create_schedule(
                    session,
                    community_id=cafe.community_id,
                    kind=RESUME,
                    target_id=cafe_id,
                    when_text=due.isoformat(timespec="seconds"),
                    timezone="UTC",
                    due_at=due,
                    misfire_policy=MisfirePolicy.LATE,
                    grace_seconds=int(RESUME_GRACE.total_seconds()),
                )
            timer_id = row_id(timer)
            spell = _spell(timer)
        await self.scheduler.sync_schedule(timer_id)
        return Retry(due, attempt, spell, told_round)

    async def note_retry_told(self, cafe_id: int, round_number: int | None) -> None:
        """Record that the café channel was told of the retry (None: told nothing, after all)."""
        async with self.db.transaction() as session:
            cafe = await cafes.get_cafe_by_id(session, cafe_id)
            if cafe is not None:
                await cafes.set_retry_told_round(session, cafe, round_number)

    async def retry_spell(self, cafe_id: int) -> str | None:
        """The spell of failures the café's retry timer is for (None: no retry waits)."""
        async with self.db.session() as session:
            timers = await schedules.schedules_for(session, RESUME, cafe_id)
        return _spell(timers[0]) if timers else None

    async def retry_due(self, cafe_id: int) -> datetime | None:
        """When the café's cut-short Discord work is tried again (None: nothing waits)."""
        async with self.db.session() as session:
            timers = await schedules.schedules_for(session, RESUME, cafe_id)
        return timers[0].due_at if timers else None

    async def done_retrying(self, cafe_id: int) -> None:
        """The café's Discord work is done (or of no use any more): no timer, no count."""
        async with self.db.transaction() as session:
            timers = await schedules.schedules_for(session, RESUME, cafe_id)
            for timer in timers:
                await schedules.delete_schedule(session, row_id(timer))
            cafe = await cafes.lock_cafe(session, cafe_id)
            if cafe is not None and (cafe.retry_attempts or cafe.retry_told_round is not None):
                await cafes.clear_retry(session, cafe)
        for timer in timers:
            await self.scheduler.sync_schedule(row_id(timer))  # its alarm goes

    async def add_notices(self, cafe_id: int, content: str) -> list[int]:
        """A notice for every table of the running round with a thread and not closed."""
        async with self.db.transaction() as session:
            cafe = await cafes.get_cafe_by_id(session, cafe_id)
            if cafe is None or cafe.state != CafeState.RUNNING:
                return []
            tables = [
                table.id
                for table in await cafes.tables_of(session, cafe_id, cafe.current_round)
                if table.thread_id is not None and not table.closed
            ]
            return await cafes.add_notices(session, cafe_id, tables, content)

    async def unsent_notices(self, cafe_id: int) -> list[tuple[CafeNotice, CafeTable]]:
        async with self.db.session() as session:
            return await cafes.unsent_notices(session, cafe_id)

    async def notice_sent(self, notice_id: int) -> None:
        async with self.db.transaction() as session:
            await cafes.mark_notice_sent(session, notice_id)

    async def drop_notices(self, notice_ids: Sequence[int]) -> None:
        async with self.db.transaction() as session:
            await cafes.drop_notices(session, notice_ids)

    async def unfinished(self) -> list[Cafe]:
        """Cafés a restarted bot must look at: running ones and half-posted harvests."""
        async with self.db.session() as session:
            return await cafes.cafes_in_states(session, (CafeState.RUNNING, CafeState.HARVEST))

    # the tablecloth and the harvest ---------------------------------------------------------------

    async def add_note(
        self, cafe: Cafe, table: CafeTable, *, author_id: int, text: str
    ) -> CafeNote:
        clean = clean_text(text, "the note", multiline=True)
        if len(clean) > MAX_NOTE:
            raise BadInput(
                f"The note is {len(clean)} characters long; the most is {MAX_NOTE}.",
                "Split it into a few notes.",
            )
        if cafe.state not in (CafeState.RUNNING, CafeState.HARVEST):
            raise BadInput(f"{cafe.title} is {describe_state(cafe)}: its tablecloth is closed.")
        async with self.db.transaction() as session:
            return await cafes.add_note(
                session,
                cafe_id=cafe.id,
                round_number=table.round_number,
                table_number=table.table_number,
                kind=NoteKind.NOTE,
                author_id=author_id,
                added_by=author_id,
                text=clean,
            )

    async def add_insight(
        self,
        cafe: Cafe,
        table: CafeTable | None,
        *,
        message_id: int,
        author_id: int,
        text: str,
        jump_url: str,
        marked_by: int,
    ) -> tuple[CafeNote, bool]:
        """Mark a message of the café for the harvest; (note, False) if it was marked before."""
        clean = text.strip()
        if not clean:
            raise BadInput(
                "That message has no text to put in the harvest.",
                "Mark a message that says something, or add a note with `/cafe note`.",
            )
        if cafe.state not in (CafeState.RUNNING, CafeState.HARVEST, CafeState.CLOSED):
            raise BadInput(f"{cafe.title} is {describe_state(cafe)}.")
        async with self.db.transaction() as session:
            existing = await cafes.insight_for_message(session, cafe.id, message_id)
            if existing is not None:
                return existing, False
            note = await cafes.add_note(
                session,
                cafe_id=cafe.id,
                round_number=table.round_number if table else 0,
                table_number=table.table_number if table else 0,
                kind=NoteKind.INSIGHT,
                author_id=author_id,
                added_by=marked_by,
                text=clean[:MAX_NOTE],
                message_id=message_id,
                jump_url=jump_url[:200],
            )
        return note, True

    async def tablecloth_so_far(
        self, view: RoundView, name_of: Callable[[int], str | None]
    ) -> dict[int, list[HarvestItem]]:
        """Each table's notes of earlier rounds, as its newcomers read them (names from
        ``name_of``, else the register)."""
        notes = [note for table_notes in view.earlier_notes.values() for note in table_notes]
        author = await self._namer(view.cafe, notes, name_of)
        return {
            table: [_harvest_item(note, author) for note in table_notes]
            for table, table_notes in view.earlier_notes.items()
        }

    async def _namer(
        self, cafe: Cafe, notes: Sequence[CafeNote], name_of: Callable[[int], str | None]
    ) -> Callable[[int | None], str]:
        """How a person is named in a harvest: ``name_of`` (the server's display name), else
        the register's, else "a participant" (forgotten people too)."""
        async with self.db.session() as session:
            names = await cafes.display_names(
                session, cafe.community_id, {n.author_id for n in notes if n.author_id}
            )

        def author(user_id: int | None) -> str:
            if user_id is None:
                return FORGOTTEN_NAME
            return name_of(user_id) or names.get(user_id) or FORGOTTEN_NAME

        return author

    async def harvest(
        self, cafe: Cafe, name_of: Callable[[int], str | None], *, reflection_link: str | None
    ) -> Harvest:
        """Everything the harvest shows, as plain values (names from ``name_of``)."""
        async with self.db.session() as session:
            notes = await cafes.notes_of(session, cafe.id)
            seats = await cafes.seats_of(session, cafe.id)
            tables = await cafes.tables_of(session, cafe.id)
            posters = await cafes.posters_by_thread(
                session, [t.thread_id for t in tables if t.thread_id is not None]
            )
        author = await self._namer(cafe, notes, name_of)
        seated: dict[tuple[int, int], list[CafeSeat]] = defaultdict(list)
        for seat in seats:
            seated[(seat.round_number, seat.table_number)].append(seat)
        turnout = []
        for table in tables:
            people = seated[(table.round_number, table.table_number)]
            spoke = posters.get(table.thread_id, set()) if table.thread_id is not None else set()
            host = next((s.user_id for s in people if s.is_host), None)
            turnout.append(
                TableTurnout(
                    round_number=table.round_number,
                    table_number=table.table_number,
                    seated=len(people),
                    posted=sum(1 for s in people if s.user_id in spoke),
                    host=None if host is None else author(host),
                )
            )
        items = tuple(_harvest_item(note, author) for note in notes)
        return Harvest(
            title=cafe.title,
            questions=tuple(cafe.questions),
            rounds_held=cafe.current_round,
            tables=cafe.tables or 0,
            items=items,
            turnout=tuple(turnout),
            reflection_link=reflection_link,
            held_on=(cafe.round_started_at or cafe.created_at).strftime("%d %B %Y"),
        )


# --- rules ---------------------------------------------------------------------------------------


def _harvest_item(note: CafeNote, author: Callable[[int | None], str]) -> HarvestItem:
    return HarvestItem(
        round_number=note.round_number,
        table_number=note.table_number,
        author=author(note.author_id),
        text=note.text,
        is_insight=note.kind == NoteKind.INSIGHT,
        link=note.jump_url,
    )


def describe_state(cafe: Cafe) -> str:
    if cafe.state == CafeState.RUNNING:
        return f"in round {cafe.current_round} of {cafe.rounds}"
    return {
        CafeState.OPEN: "open for sign-up",
        CafeState.HARVEST: "harvesting",
        CafeState.CLOSED: "closed",
        CafeState.CANCELLED: "cancelled",
    }[cafe.state]


def _ready_for_round(cafe: Cafe, round_number: int) -> bool:
    if round_number < 1 or round_number > cafe.rounds:
        return False
    if round_number == 1:
        return cafe.state == CafeState.OPEN
    return cafe.state == CafeState.RUNNING and cafe.current_round == round_number - 1


def _table_count(cafe: Cafe, present: Sequence[CafeParticipant]) -> int:
    if cafe.tables:
        return cafe.tables
    hosted = max((p.host_table or 0 for p in present), default=0)
    return max(planner.default_table_count(len(present), SEATS_PER_TABLE), hosted)


def check_table_in_play(cafe: Cafe, table: CafeTable) -> None:
    """Raise BadInput unless ``table`` is a table of the café's running round."""
    if cafe.state != CafeState.RUNNING or table.round_number != cafe.current_round or table.closed:
        raise BadInput(
            f"Round {table.round_number} of **{cafe.title}** is over.",
            f"Ask in <#{cafe.channel_id}> instead.",
        )


def _check_can_seat(cafe: Cafe, tables: int, present: Sequence[CafeParticipant]) -> None:
    if not present:
        raise BadInput(
            f"Nobody has signed up for **{cafe.title}** yet.",
            "Members sign up with the Join button or `/cafe join`.",
        )
    if tables > len(present):
        people = "person" if len(present) == 1 else "people"
        raise BadInput(
            f"**{cafe.title}** has {tables} tables but only {len(present)} {people} signed up.",
            "Wait for more sign-ups, or cancel it and create it with fewer tables.",
        )


def _host_table(
    cafe: Cafe, present: Sequence[CafeParticipant], user_id: int, table: int | None
) -> int:
    """The table a new host takes: the one asked for, else the first without a host."""
    taken = {p.host_table: p.user_id for p in present if p.host_table and p.user_id != user_id}
    if table is not None:
        top = cafe.tables or MAX_TABLES
        if not 1 <= table <= top:
            raise BadInput(
                f"There is no table {table}: {cafe.title} has "
                + (f"{top} tables." if cafe.tables else f"at most {top} tables."),
                f"Choose a table from 1 to {top}, or leave `table` out.",
            )
        if table in taken:
            raise BadInput(
                f"Table {table} has a host already.", "Choose another table, or leave it out."
            )
        return table
    number = 1
    while number in taken:
        number += 1
    if cafe.tables is not None and number > cafe.tables:
        raise NotAllowed(
            f"All {cafe.tables} tables of {cafe.title} have a host.",
            "Join as a traveller: travellers carry ideas from table to table.",
        )
    return number


async def _seating_now(
    session: AsyncSession, cafe: Cafe
) -> tuple[list[CafeParticipant], int, planner.SeatingRequest]:
    """Who is present, how many tables, and what the planner is asked for the café now."""
    present = await cafes.present_participants(session, cafe.id)
    seats = await cafes.seats_of(session, cafe.id)
    facts = await cafes.seating_facts(session, cafe.community_id, [p.user_id for p in present])
    earlier = await cafes.tables_of_earlier_cafes(session, cafe, last=SERIES_MEMORY)
    tables = _table_count(cafe, present)
    return present, tables, _seating_request(cafe, tables, present, seats, facts, earlier)


def _seating_request(
    cafe: Cafe,
    tables: int,
    present: Sequence[CafeParticipant],
    seats: Sequence[CafeSeat],
    facts: dict[int, tuple[str | None, str | None, str | None]],
    earlier_tables: Sequence[Sequence[int]] = (),
) -> planner.SeatingRequest:
    played: dict[int, list[list[int]]] = {}
    for seat in seats:
        table_lists = played.setdefault(seat.round_number, [[] for _ in range(tables)])
        if 1 <= seat.table_number <= tables:
            table_lists[seat.table_number - 1].append(seat.user_id)
    rounds_played = tuple(
        tuple(tuple(sorted(people)) for people in played[number]) for number in sorted(played)
    )
    people = tuple(
        planner.Person(p.user_id, *facts.get(p.user_id, (None, None, None))) for p in present
    )
    hosts = {
        p.user_id: p.host_table - 1
        for p in present
        if p.role == CafeRole.HOST and p.host_table and p.host_table <= tables
    }
    # Who met at the series' earlier cafés should meet new people this time, as in one café.
    met_before = frozenset(planner.table_pairs(earlier_tables))
    return planner.SeatingRequest(
        people=people,
        tables=tables,
        rounds=cafe.rounds,
        hosts=hosts,
        played=rounds_played,
        met_before=met_before,
        seed=cafe.seed,
    )
