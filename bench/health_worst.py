"""Health at its per-account limits: the worst case the limits allow, beside the usual one.

The usual mixed backlog (as `health_throughput` makes it) over `accounts` accounts drains
through one health process twice, each on fresh topics and a fresh database: once on new
accounts, once on accounts stored at every per-account limit first (`health_limits`:
ledgers full of open tickets and of open invoices, the most distinct users, features and
metric names), so that every new ticket, invoice, user or feature drops a kept one. It
reports the events/s of both and their ratio, and reads (`health_reads`) against each
process once its backlog is drained and re-scored, and PostgreSQL has written the run back
(as the reads part does): the usual run's reads are the same machine's baseline.

Fewer accounts than the throughput part: an account at its limits holds ~0.3 MB of state.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import async_sessionmaker

from bench.health_common import (
    API_KEYS,
    batch_figures,
    engine_of,
    memory_of,
    profiling,
    scrape,
    service_process,
    temporary_database,
    wait_settled,
)
from bench.health_events import Message, Storyteller, to_messages
from bench.health_footprint import migrate, write_back
from bench.health_limits import save_at_limits
from bench.health_reads import ReadOptions, measure_reads
from bench.health_throughput import BASE_PREFIX, produce, retarget, wait_committed
from bench.stack import Stack, service
from pulse.common.kafka.admin import ensure_topics
from pulse.common.settings import Settings
from pulse.common.topics import Topics
from pulse.devtools.embedded import free_port
from pulse.health.scoring.model import default_model

#: Target: events/s at the limits against the usual run's.
TARGET_RATIO = 0.5
#: How long before the backlog's first event the filling events end.
BACKLOG_HOURS = 6


@dataclass(frozen=True)
class WorstCaseOptions:
    """Size of the worst-case part."""

    accounts: int = 1_000
    events: int = 60_000
    timeout_s: float = 600.0
    reads: ReadOptions = field(default_factory=lambda: ReadOptions(seconds=10.0))


def run_worst_case(
    stack: Stack, options: WorstCaseOptions, env: Mapping[str, str]
) -> dict[str, Any]:
    """The usual run, then the run at the limits, on the same messages."""
    now = datetime.now(UTC)
    start = now - timedelta(hours=BACKLOG_HOURS)
    storyteller = Storyteller(seed=17, count=options.accounts)
    raw = storyteller.mixed(options.events, start, now)
    messages = to_messages(raw, Topics(BASE_PREFIX), now=now)
    accounts = [account.account_id for account in storyteller.accounts]
    usual = one_run(stack, messages, accounts, options, env, None)
    worst = one_run(stack, messages, accounts, options, env, start)
    return {
        "accounts": options.accounts,
        "events_produced": len(messages),
        "usual": usual,
        "at_limits": worst,
        "ratio_to_usual": round(worst["events_per_s"] / usual["events_per_s"], 3),
        "target_ratio": TARGET_RATIO,
    }


def one_run(
    stack: Stack,
    messages: list[Message],
    accounts: list[str],
    options: WorstCaseOptions,
    env: Mapping[str, str],
    limits_before: datetime | None,
) -> dict[str, Any]:
    """One health process draining the messages (1 partition), then reads; with
    `limits_before`, its accounts are stored at their limits first."""
    name = "usual" if limits_before is None else "limits"
    prefix = f"hworst-{name}"
    settings = Settings(
        kafka_bootstrap_servers=stack.bootstrap_servers, topic_prefix=prefix, topic_partitions=1
    )
    asyncio.run(ensure_topics(settings, Topics(prefix).all))
    ends = asyncio.run(produce(settings, retarget(messages, prefix)))
    environment = {
        "PULSE_TOPIC_PREFIX": prefix,
        "PULSE_TOPIC_PARTITIONS": "1",
        "PULSE_API_KEYS": API_KEYS,
        **env,
    }
    figures: dict[str, Any] = {}
    with temporary_database(stack, f"health_worst_{name}") as own:
        if limits_before is not None:
            migrate(own)
            state_bytes = asyncio.run(store_at_limits(own, accounts, limits_before))
            figures["state_bytes_per_account"] = state_bytes
        log_name = f"health-worst-{name}"
        with (
            profiling(limits_before is not None),
            service("health", own, free_port(), log_name=log_name, **environment) as url,
        ):
            before = scrape(url)
            measured = asyncio.run(wait_committed(own, ends, options.timeout_s))
            after = scrape(url)
            memory = memory_of(service_process("health"))
            # As the reads part: on a quiet service (deferred re-scores done) and database
            # (the run's writes vacuumed and checkpointed).
            figures["settled"] = wait_settled(url, options.timeout_s)
            asyncio.run(write_back(own))
            figures["reads"] = asyncio.run(measure_reads(url, accounts, options.reads))
    return {
        **measured,
        **batch_figures(before, after),
        "limits_hit": int(after.get("pulse_health_account_limits_hit_total", 0)),
        "rss_after_mib": round(memory["rss_bytes"] / 2**20, 1),
        **figures,
    }


async def store_at_limits(own: Stack, accounts: list[str], before: datetime) -> int:
    """Every account's snapshot at its limits (1 partition); bytes of one state."""
    engine = engine_of(own)
    try:
        async with async_sessionmaker(engine).begin() as session:
            return await save_at_limits(
                session, accounts, dict.fromkeys(accounts, 0), before, default_model().version
            )
    finally:
        await engine.dispose()
