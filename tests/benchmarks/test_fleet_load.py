"""Sustained message traffic through real ``copbot run`` processes into PostgreSQL: the highest
rate at which the contribution log keeps up, with two processes (a shard each) and with one
process running both shards.

BENCH_FLEET_SERVERS servers [200] in one sandbox, split by Discord's formula over 2 shards
(about 100 each). Members send messages through the sandbox (``sandbox.send_message``) at a
steady rate spread over every server (a fifth of them replies), for BENCH_FLEET_SECONDS [60] per
step; the rate goes up through BENCH_FLEET_RATES [200,400,800,1200,1600,2400,3200 messages/s]
until a step falls behind. For a sample of the messages (BENCH_FLEET_SAMPLED a second [200]), the
time from the sandbox sending it to its row being visible to this test's own connection (polled
every BENCH_FLEET_POLL seconds [0.05]: an upper bound, by at most that much; the row's
``logged_at``, taken by the writer just before its transaction, gives a lower bound); every
message is counted in the log at the end of the step. A step keeps up when the sender reached 95%
of its rate, every row arrived (within BENCH_FLEET_DRAIN seconds [20]), and the 99th percentile
of the time to durable is at most 1 s; with BENCH_FLEET_CRITERION=logged the stepping goes on
while the 99th percentile to ``logged_at`` is at most 1 s (the log's own pace, without the
server's commit stalls). Both sustained rates are printed.

Printed next to baselines of the same run:
- the sandbox alone (its own servers, no bot connected): how many messages a second it makes
  with nothing to deliver them to; the benchmark's process holds the sandbox, the sender and the
  poller, so on a two-core machine it competes with the bots for the same cores;
- for each step, the CPU used by this process, by each bot process and by every PostgreSQL
  backend on the machine (other engineers' too), and the machine's busy share: which side limits;
- each process's peak resident memory (VmHWM);
- the PostgreSQL server's checkpoints during each step: on a server shared with other tests
  (each creates and drops databases, and each of those asks for a checkpoint) commits wait while
  one flushes, which lengthens the tail of the time to durable whatever the bot does.

Run: ``python -m pytest tests/benchmarks/test_fleet_load.py -s -n 0`` (about 20 minutes at the
defaults; ``BENCH_FLEET_SECONDS=10`` for a quick look). BENCH_FLEET_MODES [2,1] chooses the
processes run (2: a process per shard; 1: one process for both). No timing assertions.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import random
import time
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import pytest

from bot.sandbox import Sandbox
from bot.sandbox.models import Channel, Member, Message
from bot.sandbox.sample import SampleCommunity, build_many_servers
from tests.e2e.fleet import BotProcess, Fleet, running_fleet

pytestmark = pytest.mark.postgres

SERVERS = int(os.environ.get("BENCH_FLEET_SERVERS", "200"))
SHARDS = 2
SECONDS = float(os.environ.get("BENCH_FLEET_SECONDS", "60"))
RATES = [
    float(rate)
    for rate in os.environ.get("BENCH_FLEET_RATES", "200,400,800,1200,1600,2400,3200").split(",")
]
MODES = [int(mode) for mode in os.environ.get("BENCH_FLEET_MODES", "2,1").split(",")]
POLL = float(os.environ.get("BENCH_FLEET_POLL", "0.05"))
# Messages a second whose time to durable is measured (the rest only counted at the end of the
# step): the poller's own queries stay small at every rate.
SAMPLED_PER_SECOND = float(os.environ.get("BENCH_FLEET_SAMPLED", "200"))
DRAIN = float(os.environ.get("BENCH_FLEET_DRAIN", "20"))  # seconds to wait for the last rows
BASELINE_SECONDS = 5.0
DURABLE_WITHIN = 1.0  # the target: rows durable within 1 s at the 99th percentile
# What ends the stepping: "durable" (the row visible within the target) or "logged" (the
# writer's transaction begun within it: the log's own pace, a shared server's stalls left out).
CRITERION = os.environ.get("BENCH_FLEET_CRITERION", "durable")
REACHED = 0.95  # a step counts only if the sender reached this share of its rate
REPLY_SHARE = 0.2
TEXTS = [
    "Good morning, here is our update from the district team",
    "Has anyone tried solar pumps in schools?",
    "Our guideline: https://example.org/wash/guideline.pdf see section 3",
    "Thanks, that helps a lot",
    "We saw the same in Kumasi. The committee meets on Thursday.",
]
TICKS = os.sysconf("SC_CLK_TCK")


# --- what the machine spends --------------------------------------------------------------------


def cpu_seconds(pid: int | str) -> float:
    """User and system CPU seconds of a process so far (0 if it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime


def postgres_cpu_seconds() -> float:
    """CPU seconds of every PostgreSQL process on the machine (any client's)."""
    total = 0.0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/comm") as comm:
                if comm.read().strip() != "postgres":
                    continue
        except OSError:
            continue
        total += cpu_seconds(pid)
    return total


def machine_times() -> tuple[float, float]:
    """(busy, all) CPU seconds of the whole machine so far, from /proc/stat."""
    with open("/proc/stat") as stat:
        values = [int(v) for v in stat.readline().split()[1:]]
    idle = values[3] + values[4]  # idle, iowait
    return (sum(values) - idle) / TICKS, sum(values) / TICKS


def memory_mb(pid: int | str, key: str) -> float:
    """A memory line of /proc/<pid>/status (VmHWM: peak resident; VmRSS: now), in MB."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(f"{key}:"):
                return int(line.split()[1]) / 1024
    return 0.0


@dataclass
class CpuMeter:
    """CPU shares (of one core) over a stretch of time: this process, the bots, PostgreSQL."""

    bots: list[BotProcess]
    began: float = 0.0
    start: dict[str, float] = field(default_factory=dict)

    def _read(self) -> dict[str, float]:
        busy, everything = machine_times()
        readings = {
            "bench": cpu_seconds("self"),
            "postgres": postgres_cpu_seconds(),
            "machine busy": busy,
            "machine all": everything,
        }
        for bot in self.bots:
            readings[bot.name] = cpu_seconds(bot.process.pid)
        return readings

    def __enter__(self) -> CpuMeter:
        self.began, self.start = time.perf_counter(), self._read()
        return self

    def shares(self) -> dict[str, float]:
        """Cores used by each since the start (1.0: one core all the time)."""
        now, elapsed = self._read(), time.perf_counter() - self.began
        used = {name: (now[name] - self.start[name]) / elapsed for name in now}
        machine = used.pop("machine busy") / max(used.pop("machine all"), 1e-9)
        used["machine busy"] = machine * (os.cpu_count() or 1)
        return used

    def __exit__(self, *_: object) -> None:
        return None


# --- traffic ------------------------------------------------------------------------------------


@dataclass
class Traffic:
    """What the sender sends to: every server's people and channels, servers taken in turn."""

    places: list[tuple[list[Member], list[Channel]]]
    rng: random.Random = field(default_factory=lambda: random.Random(18))
    turn: int = 0
    last: dict[int, Message] = field(default_factory=dict)  # by channel id

    @classmethod
    def over(cls, servers: list[SampleCommunity]) -> Traffic:
        return cls(
            [
                (
                    [m for m in server.members if not m.user.bot],
                    [server.channels["general"], server.channels["cafe"]],
                )
                for server in servers
            ]
        )

    async def send_one(self, sandbox: Sandbox) -> Message:
        people, channels = self.places[self.turn % len(self.places)]
        self.turn += 1
        channel = self.rng.choice(channels)
        earlier = self.last.get(channel.id)
        reply_to = earlier if earlier is not None and self.rng.random() < REPLY_SHARE else None
        message = await sandbox.send_message(
            self.rng.choice(people), channel, self.rng.choice(TEXTS), reply_to=reply_to
        )
        self.last[channel.id] = message
        return message


async def send_at(
    sandbox: Sandbox,
    traffic: Traffic,
    rate: float,
    seconds: float,
    sampled: dict[int, float],
) -> tuple[int, float]:
    """Send ``rate`` messages a second for ``seconds``; every ``sample_every``-th message's id
    goes into ``sampled`` with its wall time. Returns the messages sent and the rate reached."""
    total = max(1, round(rate * seconds))
    sample_every = max(1, math.ceil(rate / SAMPLED_PER_SECOND))
    began = time.perf_counter()
    count = 0
    while count < total:
        due = min(total, int((time.perf_counter() - began) * rate) + 1)
        while count < due:
            message = await traffic.send_one(sandbox)
            if count % sample_every == 0:
                sampled[message.id] = time.time()
            count += 1
        await asyncio.sleep(0.005)  # the gateway's senders and the poller run in between
    return count, count / (time.perf_counter() - began)


@dataclass
class Arrivals:
    """Per sampled message: seconds from sending to visible here, and to the row's
    ``logged_at`` (taken by the writer before its transaction: a lower bound)."""

    seen: list[float] = field(default_factory=list)
    logged: list[float] = field(default_factory=list)


async def watch(
    connection: asyncpg.Connection,
    pending: dict[int, float],
    arrivals: Arrivals,
    stop: asyncio.Event,
) -> None:
    """Poll the log for the pending sampled messages until ``stop`` is set and none are
    pending (the caller bounds the wait)."""
    while not (stop.is_set() and not pending):
        ids = list(pending)
        if ids:
            rows = await connection.fetch(
                "SELECT message_id, logged_at FROM contribution "
                "WHERE message_id = ANY($1::bigint[])",
                ids,
            )
            now = time.time()
            for message_id, logged_at in rows:
                sent = pending.pop(message_id)
                arrivals.seen.append(now - sent)
                arrivals.logged.append(logged_at.timestamp() - sent)
        await asyncio.sleep(POLL)


async def checkpoints(connection: asyncpg.Connection) -> int:
    """Checkpoints the server has made (any database's: another test's CREATE or DROP DATABASE
    asks for one, and commits wait while it flushes)."""
    count: int = await connection.fetchval(
        "SELECT checkpoints_timed + checkpoints_req FROM pg_stat_bgwriter"
    )
    return count


async def stored_rows(connection: asyncpg.Connection) -> int:
    count: int = await connection.fetchval("SELECT count(*) FROM contribution")
    return count


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


@dataclass
class Step:
    rate: float
    reached: float
    messages: int
    missing: int  # rows not in the log DRAIN seconds after the last message was sent
    seen: Arrivals
    cpu: dict[str, float]
    queued: int  # frames waiting in the sandbox's gateway queues when the sending ended
    checkpoints: int  # the server's checkpoints during the sending

    @property
    def p99(self) -> float:
        return percentile(self.seen.seen, 0.99) if not self.missing else float("inf")

    @property
    def p99_logged(self) -> float:
        return percentile(self.seen.logged, 0.99) if not self.missing else float("inf")

    @property
    def verdict(self) -> str:
        if self.reached < REACHED * self.rate:
            return "SENDER SHORT"
        if self.p99_logged > DURABLE_WITHIN:
            return "LOG BEHIND"  # the writer itself starts its batches late
        if self.p99 > DURABLE_WITHIN:
            return "COMMITS LATE"  # the writer keeps up; its commits wait on the server
        return "keeps up"

    def keeps_up(self, criterion: str) -> bool:
        """``durable``: the row visible within the target; ``logged``: the writer's
        transaction begun within it (a server's commit stalls left out)."""
        kept = ("keeps up",) if criterion == "durable" else ("keeps up", "COMMITS LATE")
        return self.verdict in kept


def gateway_backlog(sandbox: Sandbox) -> int:
    return sum(
        session.connection.queue.qsize()
        for session in sandbox.gateway_sessions.values()
        if session.alive and session.connection is not None
    )


async def run_step(
    fleet: Fleet, connection: asyncpg.Connection, traffic: Traffic, rate: float, seconds: float
) -> Step:
    before = await stored_rows(connection)
    checkpoints_before = await checkpoints(connection)
    pending: dict[int, float] = {}
    arrivals = Arrivals()
    stop = asyncio.Event()
    # The poller's own connection: cut off by the DRAIN bound, it may be mid-query.
    polling = await asyncpg.connect(fleet.database_url.replace("+asyncpg", ""))
    poller = asyncio.create_task(watch(polling, pending, arrivals, stop))
    try:
        with CpuMeter(fleet.processes) as meter:
            messages, reached = await send_at(fleet.sandbox, traffic, rate, seconds, pending)
            queued = gateway_backlog(fleet.sandbox)
            cpu = meter.shares()
        checkpointed = await checkpoints(connection) - checkpoints_before
        stop.set()
        deadline = time.perf_counter() + DRAIN
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(DRAIN):
                await asyncio.shield(poller)
    finally:
        poller.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await poller
        polling.terminate()
    stored = await stored_rows(connection) - before
    while stored < messages and time.perf_counter() < deadline:
        await asyncio.sleep(0.2)
        stored = await stored_rows(connection) - before
    return Step(rate, reached, messages, messages - stored, arrivals, cpu, queued, checkpointed)


# --- the runs -----------------------------------------------------------------------------------


async def sandbox_alone() -> float:
    """Messages a second the sandbox makes with no bot connected, as fast as it can."""
    sandbox = Sandbox()
    await sandbox.start()
    try:
        account = sandbox.create_bot("copbot")
        traffic = Traffic.over(build_many_servers(sandbox, account, SERVERS))
        began = time.perf_counter()
        count = 0
        while time.perf_counter() - began < BASELINE_SECONDS:
            for _ in range(100):
                await traffic.send_one(sandbox)
            count += 100
            await asyncio.sleep(0)
        return count / (time.perf_counter() - began)
    finally:
        await sandbox.stop()


@dataclass
class ModeResult:
    processes: int
    steps: list[Step]
    peak_mb: dict[str, float]
    bench_peak_mb: float

    def sustained(self, criterion: str = "durable") -> float:
        kept = [step.rate for step in self.steps if step.keeps_up(criterion)]
        return max(kept) if kept else 0.0


async def warm_up(fleet: Fleet, connection: asyncpg.Connection, traffic: Traffic) -> Step:
    """One message in every server, all durable: each community is in the database and every
    process has finished its start-up work before the first measured step."""
    step = await run_step(fleet, connection, traffic, rate=50, seconds=len(fleet.servers) / 50)
    assert not step.missing, f"{step.missing} warm-up messages never reached the log"
    return step


async def measure_mode(workdir: Path, processes: int) -> ModeResult:
    async with running_fleet(workdir, servers=SERVERS, shard_count=SHARDS) as fleet:
        counts = [len(fleet.servers_on(shard)) for shard in range(SHARDS)]
        if processes == SHARDS:
            for shard in range(SHARDS):
                await fleet.start([shard], name=f"shard {shard} ({counts[shard]} servers)")
        else:
            await fleet.start(list(range(SHARDS)), name=f"both shards ({sum(counts)} servers)")
        connection = await asyncpg.connect(fleet.database_url.replace("+asyncpg", ""))
        try:
            traffic = Traffic.over(fleet.servers)
            warmed = await warm_up(fleet, connection, traffic)
            steps: list[Step] = []
            for rate in RATES:
                step = await run_step(fleet, connection, traffic, rate, SECONDS)
                steps.append(step)
                print(f"  [{processes} process(es)] {describe(step)}", flush=True)
                if not step.keeps_up(CRITERION):
                    break
                await asyncio.sleep(1)
            peaks = {bot.name: memory_mb(bot.process.pid, "VmHWM") for bot in fleet.processes}
            stored = await connection.fetchval("SELECT count(*) FROM contribution")
            expected = sum(step.messages for step in [*steps, warmed])
            # Every message sent is in the log once (the primary key makes twice impossible).
            assert stored == expected, f"{stored} rows for {expected} messages"
        finally:
            await connection.close()
        result = ModeResult(processes, steps, peaks, memory_mb("self", "VmHWM"))
        # Printed before the fleet stops: its checks on the processes' output come after.
        print(f"  [{processes} process(es)] {summary(result)}", flush=True)
        return result


def describe(step: Step) -> str:
    seen, logged = step.seen.seen, step.seen.logged
    cpu = ", ".join(f"{name} {share:.2f}" for name, share in step.cpu.items())
    return (
        f"{step.rate:>6.0f} msg/s asked, {step.reached:>6.0f} reached, {step.messages} sent, "
        f"{step.missing} missing; to durable p50 {percentile(seen, 0.5):.2f} s "
        f"p99 {percentile(seen, 0.99):.2f} s max {max(seen, default=float('nan')):.2f} s "
        f"(logged_at p99 {percentile(logged, 0.99):.2f} s, from logged_at to seen p99 "
        f"{percentile([a - b for a, b in zip(seen, logged, strict=True)], 0.99):.2f} s); "
        f"sandbox queue {step.queued}, "
        f"{step.cpu['bench'] / step.reached * 1e6:.0f} us CPU a message in the benchmark; "
        f"{step.checkpoints} PostgreSQL checkpoints; "
        f"cores: {cpu}; {step.verdict}"
    )


def summary(result: ModeResult) -> str:
    return (
        f"sustained {result.sustained():,.0f} msg/s (p99 to durable <= {DURABLE_WITHIN:.0f} s), "
        f"{result.sustained('logged'):,.0f} msg/s by logged_at (commit stalls left out); "
        "peak memory "
        + ", ".join(f"{name} {mb:.0f} MB" for name, mb in result.peak_mb.items())
        + f"; benchmark process (sandbox, sender, poller) {result.bench_peak_mb:.0f} MB"
    )


def report(alone: float, results: list[ModeResult]) -> None:
    print(f"\nFleet load: {SERVERS} servers on {SHARDS} shards, {SECONDS:.0f} s a step")
    print(
        f"  sandbox alone, no bot connected: {alone:,.0f} msg/s "
        f"({1e6 / alone:.0f} us a message; machine load {load()})"
    )
    for result in results:
        print(f"  {result.processes} process(es): {summary(result)}")
        for step in result.steps:
            print(f"    {describe(step)}")
    for criterion in ("durable", "logged"):
        by_mode = {result.processes: result.sustained(criterion) for result in results}
        if by_mode.get(1) and by_mode.get(2):
            print(
                f"  two processes against one ({criterion}): "
                f"{by_mode[2] / by_mode[1]:.2f}x the sustained rate"
            )


def load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


@pytest.mark.timeout(7200)
async def test_fleet_load(tmp_path: Path) -> None:
    print(f"\n(machine load at start: {load()}; {os.cpu_count()} cores)")
    alone = await sandbox_alone()
    print(f"  sandbox alone: {alone:,.0f} msg/s")
    results = []
    for processes in MODES:
        assert processes in (1, SHARDS), "BENCH_FLEET_MODES holds 1 and/or 2"
        workdir = tmp_path / f"{processes}-processes"
        workdir.mkdir()
        results.append(await measure_mode(workdir, processes))
    print(f"\n(machine load at end: {load()})")
    report(alone, results)
