"""Alerts evaluation in process: the pure rule path alone, no Kafka, no SQL, no HTTP.

The mixed stream of the health throughput part (10k accounts, six hours) goes through
`AccountWatch` with the shipped default rules, batch by batch as `AlertKeeper.handle`
drives it: the batch's watched accounts catch up, observe their events, and step once at
the batch's moment. Every account is watched once before the clock starts, as a running
keeper holds them in memory. Snapshots (what the keeper then stores per account) are
timed apart, so the figure of record is evaluation alone.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.health_events import Storyteller
from pulse.alerts.evaluation.rulebook import Rulebook
from pulse.alerts.evaluation.watch import AccountWatch
from pulse.alerts.keeping.keeper import ACCOUNT_UPDATED
from pulse.alerts.rules.loading import default_rules
from pulse.common.events import Event, validate_event

ACCOUNTS = 10_000
#: Time between two batches as the keeper would see them (their `now`).
BATCH_INTERVAL = timedelta(milliseconds=100)


@dataclass(frozen=True)
class EvaluationOptions:
    """Size of the in-process part."""

    events: int = 120_000
    #: One run per batch size: a steady trickle comes in small batches, a backlog in
    #: large ones (up to `consumer_max_batch`), where an account steps once per batch.
    batches: Sequence[int] = (2_000, 24_000)


@dataclass
class Timings:
    """Seconds spent evaluating (catch-up, observe, step) and taking snapshots."""

    evaluating: float = 0.0
    snapshotting: float = 0.0
    changes: int = 0
    steps: int = 0


def mixed_events(count: int, now: datetime) -> list[Event]:
    """The throughput part's mixed stream over ACCOUNTS accounts, validated."""
    raw = Storyteller(seed=11, count=ACCOUNTS).mixed(count, now - timedelta(hours=6), now)
    return [validate_event(r, now=now) for r in raw]


def watched(book: Rulebook, event: Event) -> bool:
    """Whether the keeper gives the event to a watch (as `AlertKeeper.handle` decides)."""
    return event.type in book.event_types or event.type == ACCOUNT_UPDATED


def evaluate_batch(
    book: Rulebook, cache: dict[str, AccountWatch], events: Sequence[Event], now: datetime
) -> tuple[list[AccountWatch], int]:
    """One batch through the watches: the watches touched and the alert changes made."""
    named = {e.account_id: None for e in events if watched(book, e)}
    accounts = []
    for account_id in named:
        watch = cache.get(account_id)
        if watch is None:
            watch = cache[account_id] = AccountWatch(account_id, 0, now)
            watch.follow(book, now)
        accounts.append(watch)
    changes = sum(len(watch.catch_up(book, now)) for watch in accounts)
    for event in events:
        watch = cache.get(event.account_id)
        if watch is not None and watched(book, event):
            watch.note_facts(event)
            watch.observe(event, now)
    for watch in accounts:
        changes += len(watch.step(book, now))
    return accounts, changes


def run_batches(
    book: Rulebook,
    cache: dict[str, AccountWatch],
    events: Sequence[Event],
    batch: int,
    start: datetime,
) -> Timings:
    """Every batch of `events` from `start`, evaluation and snapshots timed apart."""
    timings = Timings()
    for number, first in enumerate(range(0, len(events), batch)):
        now = start + number * BATCH_INTERVAL
        began = time.perf_counter()
        accounts, changes = evaluate_batch(book, cache, events[first : first + batch], now)
        evaluated = time.perf_counter()
        for watch in accounts:
            watch.snapshot()
        timings.evaluating += evaluated - began
        timings.snapshotting += time.perf_counter() - evaluated
        timings.changes += changes
        timings.steps += len(accounts)
    return timings


def watching_every_account(
    book: Rulebook, events: Sequence[Event], at: datetime
) -> dict[str, AccountWatch]:
    """A watch for every account of `events`, following the rules since `at`."""
    cache = {}
    for account_id in sorted({e.account_id for e in events}):
        cache[account_id] = AccountWatch(account_id, 0, at)
        cache[account_id].follow(book, at)
    return cache


def run_batch_size(
    book: Rulebook, events: Sequence[Event], batch: int, now: datetime
) -> dict[str, Any]:
    """One run over fresh watches: events/s of evaluation, and with snapshots."""
    cache = watching_every_account(book, events, now - timedelta(minutes=1))
    timings = run_batches(book, cache, events, batch, now)
    total = len(events)
    with_snapshots = timings.evaluating + timings.snapshotting
    return {
        "batch": batch,
        "account_steps": timings.steps,
        "alert_changes": timings.changes,
        "seconds": round(timings.evaluating, 2),
        "events_per_s": round(total / timings.evaluating),
        "us_per_account_step": round(1e6 * timings.evaluating / timings.steps, 1),
        "with_snapshots_events_per_s": round(total / with_snapshots),
        "us_per_snapshot": round(1e6 * timings.snapshotting / timings.steps, 1),
    }


def run_evaluation(options: EvaluationOptions) -> dict[str, Any]:
    """Each batch size's events/s of the evaluation path with the default rules."""
    now = datetime.now(UTC)
    events = mixed_events(options.events, now)
    book = Rulebook(default_rules().rules)
    return {
        "accounts": len({e.account_id for e in events}),
        "rules": len(book),
        "events": len(events),
        "watched_share": round(sum(watched(book, e) for e in events) / len(events), 3),
        "runs": [run_batch_size(book, events, batch, now) for batch in options.batches],
        "target_events_per_s": 50_000,
    }
