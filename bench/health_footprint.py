"""Health footprint: Postgres bytes and process memory per account.

A real `ScoreKeeper`, in this process, lives through DAYS simulated days of a sample of
accounts (its clock moved day by day, a tick each midnight, the day's events in a few
slots of batches), so every row is in its real format and history has its real density.
The rows are then cloned in SQL to the target count (suffixed ids, spread over the
partitions), and the health tables measured. Memory: a real health process loads every
account of its partitions when assigned; its RSS then, minus that of a process on an
empty database, per account.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from aiokafka.partitioner import murmur2
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bench.health_common import engine_of, execute, fetch_all, with_database
from bench.health_events import Storyteller
from bench.stack import Stack
from pulse.common.db.engine import create_engine, create_session_factory
from pulse.common.events import Event, validate_event
from pulse.common.kafka.records import ConsumedMessage, Record
from pulse.common.settings import Settings
from pulse.common.topics import Topics
from pulse.health.keeping.keeper import DEFAULT_HOT_ACCOUNTS, ScoreKeeper
from pulse.health.messages import Incoming
from pulse.health.scoring.model import default_model

PREFIX = "hfoot"
BATCH = 2000  # the consumer's default most records per batch
#: Tables whose rows are per account, cloned to the target count.
PER_ACCOUNT = ("account_states", "account_changes", "scores", "score_history")
#: Spread of a day's events (06:00 to 22:00 UTC, see Storyteller.day).
DAY_START_S, DAY_END_S = 6 * 3600, 22 * 3600


@dataclass(frozen=True)
class FootprintOptions:
    """Size of the footprint part."""

    simulated_accounts: int = 250
    days: int = 90
    slots_per_day: int = 3
    target_accounts: int = 100_000
    #: Accounts whose history is cloned too: history is ~95% of the bytes, and cloning it
    #: to every account takes long; its bytes per account do not depend on how many.
    history_accounts: int = 10_000
    partitions: int = 6


class SimClock:
    """The keeper's clock, moved by the simulation."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Simulation:
    """A keeper, its database, and where each account's events land."""

    keeper: ScoreKeeper
    clock: SimClock
    sessions: async_sessionmaker[AsyncSession]
    topics: Topics
    partitions: int
    offsets: dict[tuple[str, int], int]
    events: int = 0
    handle_s: float = 0.0

    def records(self, events: Sequence[Event]) -> list[Record[Incoming]]:
        """The events as the consumer runner hands them over: partition by key as Kafka
        would, offsets counting up per partition."""
        out: list[Record[Incoming]] = []
        for event in events:
            key = event.account_id.encode()
            topic = self.topics.for_event_type(event.type)
            partition = (murmur2(key) & 0x7FFFFFFF) % self.partitions
            offset = self.offsets.get((topic, partition), 0)
            self.offsets[(topic, partition)] = offset + 1
            millis = int(event.occurred_at.timestamp() * 1000)
            message = ConsumedMessage(topic, partition, offset, key, None, millis, ())
            out.append(Record(message, event))
        return out

    async def handle(self, events: Sequence[Event]) -> None:
        """Batches of BATCH through `keeper.handle`, one transaction each."""
        for start in range(0, len(events), BATCH):
            records = self.records(events[start : start + BATCH])
            began = time.perf_counter()
            async with self.sessions.begin() as session:
                await self.keeper.handle(session, records)
            self.handle_s += time.perf_counter() - began
            self.events += len(records)

    async def tick(self) -> None:
        """What the service's ticker does: re-score the accounts that are due."""
        async with self.sessions.begin() as session:
            await self.keeper.tick(session)


def slots(
    events: list[Event], midnight: datetime, count: int
) -> Iterator[tuple[datetime, list[Event]]]:
    """The day's events (in time order) cut into `count` slots: (slot end, its events)."""
    span = (DAY_END_S - DAY_START_S) / count
    position = 0
    for n in range(count):
        end = midnight + timedelta(seconds=DAY_START_S + span * (n + 1))
        taken = position
        while taken < len(events) and (n == count - 1 or events[taken].occurred_at <= end):
            taken += 1
        chunk = events[position:taken]
        # The keeper's clock never runs behind the events it is given (the last slot
        # takes every late one).
        yield (max(end, chunk[-1].occurred_at) if chunk else end), chunk
        position = taken


async def simulate(settings: Settings, options: FootprintOptions) -> dict[str, Any]:
    """Live through the days; how many events and how long `handle` took."""
    engine = create_engine(settings, schema="health")
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    first = today - timedelta(days=options.days)  # the last simulated day is yesterday
    clock = SimClock(first)
    topics = Topics(PREFIX)
    # The share of accounts kept decoded that the service measured has (20k of 100k):
    # accounts leaving that set are snapshotted, so the clones carry changes after their
    # snapshot in the same share as a process's own accounts do.
    hot = max(1, options.simulated_accounts * DEFAULT_HOT_ACCOUNTS // options.target_accounts)
    keeper = ScoreKeeper(model=default_model(), topics=topics, clock=clock, hot_limit=hot)
    simulation = Simulation(
        keeper, clock, create_session_factory(engine), topics, options.partitions, {}
    )
    stories = Storyteller(seed=5, count=options.simulated_accounts, prefix="fp")
    real_now = datetime.now(UTC)
    started = time.perf_counter()
    try:
        for day in range(options.days):
            midnight = first + timedelta(days=day)
            clock.now = midnight + timedelta(minutes=1)
            await simulation.tick()
            raw = stories.day(midnight)
            if day == 0:  # the CRM sync: segment, ARR and seats of every account
                crm = midnight + timedelta(seconds=DAY_START_S)
                raw = [stories.account_updated(a, crm) for a in stories.accounts] + raw
            events = [validate_event(r, now=real_now) for r in raw]
            for end, chunk in slots(events, midnight, options.slots_per_day):
                clock.now = end
                await simulation.handle(chunk)
    finally:
        await engine.dispose()
    return {
        "simulated_accounts": options.simulated_accounts,
        "days": options.days,
        "events": simulation.events,
        "events_per_account_day": round(
            simulation.events / options.days / options.simulated_accounts, 1
        ),
        "simulation_s": round(time.perf_counter() - started, 1),
        "keeper_handle_events_per_s": round(simulation.events / simulation.handle_s),
    }


async def columns_of(engine: AsyncEngine, table: str) -> list[str]:
    """The table's columns as they are now (the schema may grow under the benchmark)."""
    rows = await fetch_all(
        engine,
        "SELECT column_name FROM information_schema.columns"
        " WHERE table_schema = 'health' AND table_name = :t ORDER BY ordinal_position",
        t=table,
    )
    return [name for (name,) in rows]


async def clone(engine: AsyncEngine, copies: dict[str, int], partitions: int) -> dict[str, float]:
    """Each simulated account's rows `copies[table]` more times, as accounts `<id>-c<n>`;
    seconds per table."""
    seconds: dict[str, float] = {}
    for table in PER_ACCOUNT:
        # An identity column numbers the clones itself.
        names = [name for name in await columns_of(engine, table) if name != "seq"]
        expressions = [
            "t.account_id || '-c' || n"
            if name == "account_id"
            else f"(t.partition + n) % {partitions}"
            if name == "partition"
            else f"t.{name}"
            for name in names
        ]
        started = time.perf_counter()
        await execute(
            engine,
            f"INSERT INTO {table} ({', '.join(names)}) SELECT {', '.join(expressions)}"
            f" FROM {table} t, generate_series(1, {copies[table]}) n",
        )
        seconds[table] = round(time.perf_counter() - started, 1)
    return seconds


async def vacuum(engine: AsyncEngine, tables: Sequence[str], full: bool) -> None:
    """VACUUM (outside a transaction); FULL rewrites the table compactly."""
    async with engine.connect() as connection:
        autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
        for table in tables:
            await autocommit.exec_driver_sql(f"VACUUM ({'FULL, ' if full else ''}ANALYZE) {table}")


async def write_back(stack: Stack) -> None:
    """VACUUM ANALYZE the per-account tables, then CHECKPOINT: PostgreSQL writes back the
    burst of a load's 100,000 re-scores now, not while the next part measures. (Without
    it, a WAL-triggered checkpoint, writing for 15 s on these 2 cores, fell inside the
    20 s of reads in some runs and not in others: p99 from 5 to 98 ms.)"""
    engine = engine_of(stack)
    try:
        await vacuum(engine, PER_ACCOUNT, full=False)
        async with engine.connect() as connection:
            autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
            await autocommit.exec_driver_sql("CHECKPOINT")
    finally:
        await engine.dispose()


async def sizes(engine: AsyncEngine) -> dict[str, dict[str, int]]:
    """Rows and bytes (heap, TOAST, indexes, total) of every table of the health schema."""
    rows = await fetch_all(
        engine,
        "SELECT c.relname, c.reltuples::bigint, pg_relation_size(c.oid),"
        " COALESCE(pg_total_relation_size(NULLIF(c.reltoastrelid, 0)), 0),"
        " pg_indexes_size(c.oid), pg_total_relation_size(c.oid)"
        " FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace"
        " WHERE s.nspname = 'health' AND c.relkind = 'r' ORDER BY 1",
    )
    return {
        name: {"rows": rows_, "heap": heap, "toast": toast, "indexes": index, "total": total}
        for name, rows_, heap, toast, index, total in rows
    }


async def measure_database(
    stack: Stack, options: FootprintOptions, simulated: dict[str, Any]
) -> dict[str, Any]:
    """Clone to the target, then bytes per account of the per-account tables."""
    engine = engine_of(stack)
    try:
        await execute(engine, "TRUNCATE outbox")  # the relay empties it; none runs here
        await vacuum(engine, [*PER_ACCOUNT, "processed_events"], full=True)
        before = await sizes(engine)
        clone_s = await clone(engine, copies_of(options), options.partitions)
        await vacuum(engine, PER_ACCOUNT, full=False)
        after = await sizes(engine)
    finally:
        await engine.dispose()
    copies = copies_of(options)
    accounts = {t: options.simulated_accounts * (copies[t] + 1) for t in PER_ACCOUNT}
    tables = {
        t: {
            **after[t],
            "accounts": accounts[t],
            "bytes_per_account": round(after[t]["total"] / accounts[t]),
        }
        for t in PER_ACCOUNT
    }
    dedupe = before["processed_events"]
    per_event = dedupe["total"] / max(dedupe["rows"], 1)
    return {
        "accounts": accounts["account_states"],
        "tables": tables,
        "bytes_per_account": sum(t["bytes_per_account"] for t in tables.values()),
        "history_points_per_account_day": round(
            before["score_history"]["rows"] / simulated["days"] / options.simulated_accounts, 2
        ),
        "processed_events": {
            "rows_simulated": dedupe["rows"],
            "bytes_per_event_id": round(per_event),
            # The window's worth of ids at the simulated rate (ids older are forgotten).
            "bytes_per_account_7d_window": round(
                per_event * simulated["events_per_account_day"] * 7
            ),
        },
        "clone_s": clone_s,
    }


def copies_of(options: FootprintOptions) -> dict[str, int]:
    """How many clones of each simulated account each per-account table gets."""
    every = options.target_accounts // options.simulated_accounts - 1
    history = min(options.history_accounts, options.target_accounts)
    return {
        "account_states": every,
        "account_changes": every,
        "scores": every,
        "score_history": history // options.simulated_accounts - 1,
    }


def account_ids(options: FootprintOptions, with_history: bool) -> list[str]:
    """The ids of the cloned database (those with history only, if asked)."""
    copies = copies_of(options)["score_history" if with_history else "account_states"]
    base = [f"fp-{n:05d}" for n in range(options.simulated_accounts)]
    return base + [f"{a}-c{n}" for n in range(1, copies + 1) for a in base]


def migrate(stack: Stack) -> None:
    """Health's migrations, as `python -m pulse.health migrate` runs them."""
    command = [sys.executable, "-m", "pulse.health", "migrate"]
    subprocess.run(command, env=stack.env(), check=True)


def build_database(stack: Stack, options: FootprintOptions) -> tuple[Stack, dict[str, Any]]:
    """A database of `target_accounts` accounts with DAYS of history; its figures."""
    own = with_database(stack, "health_footprint")
    migrate(own)
    settings = Settings(
        database_url=own.database_url,
        kafka_bootstrap_servers=stack.bootstrap_servers,
        topic_prefix=PREFIX,
        topic_partitions=options.partitions,
    )
    simulated = asyncio.run(simulate(settings, options))
    measured = asyncio.run(measure_database(own, options, simulated))
    return own, {"simulation": simulated, "database": measured}
