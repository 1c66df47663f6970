"""Profile the health keeper alone: batches of mixed events through `ScoreKeeper.handle`
on an embedded PostgreSQL, no Kafka and no HTTP, under cProfile.

    .venv/bin/python -m bench.keeper_profile [--events 40000] [--accounts 10000]
                                             [--batch 2000] [--no-profile] [--backlog]
                                             [--at-limits]

`--at-limits` first stores every account at every per-account limit (full ledgers, the
most distinct users and features: see `bench.health_limits`; about 0.3 MB of state each,
so pair it with fewer accounts, e.g. `--accounts 1000`).

Prints events/s and the functions with the most time of their own. A quick loop for
optimising scoring and state writes; `make bench` remains the figure of record.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import shutil
import tempfile
import time
from pathlib import Path

from bench.health_limits import save_at_limits
from pulse.common.db.engine import create_engine, create_session_factory
from pulse.common.db.migrations import upgrade_to_head
from pulse.common.events import validate_event
from pulse.common.kafka.records import ConsumedMessage, Record
from pulse.common.service_main import tune_garbage_collector
from pulse.common.settings import Settings
from pulse.common.topics import Topics
from pulse.devtools.embedded import EmbeddedPostgres, free_port
from pulse.devtools.samples import SampleEvents
from pulse.health import metrics
from pulse.health.app import MIGRATIONS_DIR, SCHEMA
from pulse.health.keeping.deferral import RescoreDeferral
from pulse.health.keeping.keeper import ScoreKeeper
from pulse.health.messages import Incoming
from pulse.health.scoring.model import default_model

PARTITIONS = 3


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Profile the health keeper alone.")
    parser.add_argument("--events", type=int, default=40_000)
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=2_000)
    parser.add_argument("--no-profile", action="store_true", help="time only")
    parser.add_argument(
        "--backlog",
        action="store_true",
        help="report the records after each batch as waiting, as a runner draining a "
        "backlog does (re-scores are then deferred)",
    )
    parser.add_argument(
        "--at-limits",
        action="store_true",
        help="store every account at its per-account limits before the events",
    )
    return parser.parse_args()


async def run(settings: Settings, args: argparse.Namespace) -> None:
    engine = create_engine(settings, schema=SCHEMA)
    sessions = create_session_factory(engine)
    waiting = [0]
    keeper = ScoreKeeper(
        model=default_model(),
        topics=Topics("profile"),
        deferral=RescoreDeferral(backlog=lambda: waiting[0]),
    )
    samples = SampleEvents(accounts=args.accounts)
    events = [validate_event(r) for r in samples.mixed(args.events)]
    partition_of = {a: hash(a) % PARTITIONS for a in samples.accounts}
    records: list[Record[Incoming]] = [
        Record(ConsumedMessage("t", partition_of[e.account_id], n, None, None, 0, ()), e)
        for n, e in enumerate(events)
    ]
    if args.at_limits:
        end = min(e.occurred_at for e in events)
        async with sessions.begin() as session:
            size = await save_at_limits(
                session, samples.accounts, partition_of, end, keeper.model.version
            )
        print(f"{args.accounts} accounts stored at their limits ({size:,} B of state each)")
    batches = [records[i : i + args.batch] for i in range(0, len(records), args.batch)]
    # Warm up: every account loaded (or created) and scored once, statements compiled.
    warm_up: list[Record[Incoming]] = [
        Record(
            ConsumedMessage("t", partition_of[a], len(records) + n, None, None, 0, ()),
            validate_event(samples.event("usage.activity", a)),
        )
        for n, a in enumerate(samples.accounts)
    ]
    for i in range(0, len(warm_up), args.batch):
        async with sessions.begin() as session:
            await keeper.handle(session, warm_up[i : i + args.batch])
    tune_garbage_collector()  # as a service runs
    profile = cProfile.Profile()
    started = time.perf_counter()
    if not args.no_profile:
        profile.enable()
    for number, batch in enumerate(batches, 1):
        if args.backlog:
            waiting[0] = len(records) - sum(map(len, batches[:number]))
        async with sessions.begin() as session:
            await keeper.handle(session, batch)
    profile.disable()
    elapsed = time.perf_counter() - started
    measured = len(records)
    print(f"{measured} events in {elapsed:.2f} s: {measured / elapsed:,.0f} events/s")
    hits = {
        sample.labels["limit"]: int(sample.value)
        for metric in metrics.LIMITS_HIT.collect()
        for sample in metric.samples
        if sample.name.endswith("_total")
    }
    print(f"limits hit: {hits or 'none'}")
    if not args.no_profile:
        print("(cProfile slows Python code about 2x; compare runs with each other)")
        pstats.Stats(profile).sort_stats("tottime").print_stats(25)
        profile.dump_stats("/tmp/keeper.prof")
    await engine.dispose()


def main() -> None:
    args = arguments()
    workdir = Path(tempfile.mkdtemp(prefix="pulse-keeper-profile-"))
    postgres = EmbeddedPostgres(workdir / "pg", port=free_port(), log_path=workdir / "pg.log")
    postgres.start()
    try:
        postgres.ensure_database("pulse")
        settings = Settings(database_url=postgres.url("pulse"))
        upgrade_to_head(settings, schema=SCHEMA, migrations_dir=MIGRATIONS_DIR)
        asyncio.run(run(settings, args))
    finally:
        postgres.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
