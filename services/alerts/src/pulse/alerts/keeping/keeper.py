"""The alert keeper: the consumer runner's batch handler, and the stepper of due accounts.

For each batch, inside the runner's one transaction: load the watches of the accounts it
names (from memory, else PostgreSQL, else new), let them observe the events, step them at
`now` and write what changed: alert rows, the watches with their next check, and the
outputs of each change (`AlertOutputs`: webhook messages, playbook tasks). The runner adds
the offsets and commits once, so an alert and the offsets that caused it commit together.

Time passes without events: `tick` steps the accounts whose `next_check` has come (read
from PostgreSQL, so a restarted process needs no warm-up), wakes snoozed alerts, and
adopts a rule set another process stored.

Memory is only a cache of committed watches. When a batch fails, the runner reloads its
partitions (`on_revoked`): their watches are dropped and read again. When a tick fails,
`forget_touched` drops what it touched.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping, Sequence, Set
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from aiokafka import TopicPartition
from sqlalchemy.ext.asyncio import AsyncSession

from pulse.alerts import metrics
from pulse.alerts.evaluation.rulebook import Rulebook
from pulse.alerts.evaluation.watch import AccountWatch, AlertChange
from pulse.alerts.messages import Incoming, score_point
from pulse.alerts.rules.intake import Outcome
from pulse.alerts.rules.transitions import Action
from pulse.alerts.storage import alert_rows, watches
from pulse.alerts.storage.alert_rows import AccountFacts
from pulse.common.clock import Clock, utc_now
from pulse.common.events import Event
from pulse.common.kafka.records import Record
from pulse.common.score_changes import ScoreChange

log = logging.getLogger(__name__)

#: Most due accounts stepped per tick transaction.
TICK_CHUNK = 500
#: Watches kept in memory; past it the cache starts over (watches reload on use).
CACHE_LIMIT = 100_000
#: How long an account whose evaluation fails on its own waits before the next try.
SET_ASIDE = timedelta(hours=1)
#: An event of this type moves the account's facts (segment, owner, name).
ACCOUNT_UPDATED = "account.updated"


@dataclass(frozen=True, slots=True)
class Written:
    """An alert change, what it did to the row (`action`), the row it left, and the
    account's health when known."""

    change: AlertChange
    action: Action
    row: dict[str, Any]
    health: tuple[float, str] | None = None


class AlertOutputs(Protocol):
    """What follows from alert changes, in the same transaction (webhooks, playbooks)."""

    async def alerts_changed(
        self, session: AsyncSession, written: Sequence[Written], now: datetime
    ) -> None: ...

    async def alerts_moved_by_hand(
        self, session: AsyncSession, rows: Sequence[dict[str, Any]], now: datetime
    ) -> None: ...

    async def bands_changed(
        self, session: AsyncSession, changes: Sequence[ScoreChange], now: datetime
    ) -> None: ...


def _watched(book: Rulebook, event: Event) -> bool:
    return event.type in book.event_types or event.type == ACCOUNT_UPDATED


class AlertKeeper:
    """Batch handler of the alerts consumer; also steps due accounts on time."""

    def __init__(self, rulebook: Rulebook, outputs: AlertOutputs, clock: Clock = utc_now) -> None:
        self.rulebook = rulebook
        self.rules_version: int | None = None
        self._outputs = outputs
        self._clock = clock
        self._cache: dict[str, AccountWatch] = {}
        self._owned: set[TopicPartition] = set()
        #: Accounts the last tick touched (dropped from memory if its transaction fails).
        self.touched: list[str] = []

    def now(self) -> datetime:
        """What time the keeper evaluates at."""
        return self._clock()

    async def handle(self, session: AsyncSession, records: Sequence[Record[Incoming]]) -> None:
        """Apply one batch inside the runner's transaction."""
        now = self._clock()
        book = self.rulebook
        partition_of = {
            r.value.account_id: r.message.partition
            for r in records
            if (
                book.watches_scores if isinstance(r.value, ScoreChange) else _watched(book, r.value)
            )
        }
        band_changes = [
            r.value
            for r in records
            if isinstance(r.value, ScoreChange) and r.value.previous_band != r.value.band
        ]
        if band_changes:
            await self._outputs.bands_changed(session, band_changes, now)
        if not partition_of:
            return
        accounts = await self._watches(session, partition_of, now)
        caught_up = [c for watch in accounts.values() for c in watch.catch_up(book, now)]
        moved: set[str] = set()
        for record in records:
            item = record.value
            watch = accounts.get(item.account_id)
            if watch is None:
                continue
            if isinstance(item, ScoreChange):
                watch.observe_score(score_point(item), item.segment, now)
                continue
            if watch.note_facts(item):
                moved.add(item.account_id)
            outcomes = watch.observe(item, now)
            if Outcome.TOO_LATE in outcomes:
                metrics.EVENTS_TOO_LATE.labels(item.type).inc()
        metrics.EVENTS_EVALUATED.inc(len(records))
        await self._step_and_write(session, accounts.values(), now, moved, caught_up)

    async def tick(self, session: AsyncSession, only: Sequence[str] | None = None) -> int:
        """Step the accounts due at `now` (up to TICK_CHUNK, or just `only`) and wake
        snoozed alerts; how many accounts were stepped."""
        now = self._clock()
        self.touched = []
        if only is None:
            woken = await alert_rows.wake_snoozed(session, now)
            if woken:
                await self._outputs.alerts_moved_by_hand(session, woken, now)
        numbers = {tp.partition for tp in self._owned}
        due = list(only) if only is not None else []
        if only is None:
            due = await watches.due_accounts(session, numbers, now, TICK_CHUNK)
        if not due:
            return 0
        self.touched = due
        stored = await watches.load_watches(session, [a for a in due if a not in self._cache])
        partition_of = {
            a: self._cache[a].partition if a in self._cache else stored[a][0] for a in due
        }
        accounts = await self._watches(session, partition_of, now, stored)
        caught_up = [c for watch in accounts.values() for c in watch.catch_up(self.rulebook, now)]
        await self._step_and_write(session, accounts.values(), now, set(), caught_up)
        return len(due)

    async def set_aside(self, session: AsyncSession, account_ids: Sequence[str]) -> None:
        """Accounts that failed on their own wait `SET_ASIDE` before they are tried
        again, so one cannot hold back every other account's time-driven alerts."""
        await watches.postpone(session, account_ids, self._clock() + SET_ASIDE)

    def use_rules(self, rulebook: Rulebook, version: int | None) -> None:
        """Evaluate with a new rule set from now on; cached watches follow it at once."""
        self.rulebook, self.rules_version = rulebook, version
        now = self._clock()
        for watch in self._cache.values():
            watch.follow(rulebook, now)

    def forget_touched(self) -> None:
        """The last tick's transaction did not commit: drop what it touched (`touched`
        still names them)."""
        for account_id in self.touched:
            self._cache.pop(account_id, None)

    async def on_assigned(self, session: AsyncSession, partitions: Set[TopicPartition]) -> None:
        """Own the partitions; their watches load when an event or a due time needs them."""
        self._owned |= set(partitions)

    async def on_revoked(self, partitions: Set[TopicPartition]) -> None:
        """Drop the partitions' watches from memory (what is committed stays)."""
        self._owned -= set(partitions)
        numbers = {tp.partition for tp in partitions}
        for account_id in [a for a, w in self._cache.items() if w.partition in numbers]:
            del self._cache[account_id]

    async def _watches(
        self,
        session: AsyncSession,
        partition_of: Mapping[str, int],
        now: datetime,
        stored: Mapping[str, watches.StoredWatch] | None = None,
    ) -> dict[str, AccountWatch]:
        missing = [a for a in partition_of if a not in self._cache]
        if stored is None:
            stored = await watches.load_watches(session, missing)
        if len(self._cache) + len(missing) > CACHE_LIMIT:
            self._cache.clear()
            missing = list(partition_of)
            stored = {**stored, **await watches.load_watches(session, missing)}
        for account_id in missing:
            if account_id in stored:
                partition, snapshot = stored[account_id]
                watch = AccountWatch.restore(account_id, partition, snapshot, self.rulebook)
            else:
                watch = AccountWatch(account_id, partition_of[account_id], now)
            watch.follow(self.rulebook, now)
            self._cache[account_id] = watch
        metrics.CACHED_WATCHES.set(len(self._cache))
        return {a: self._cache[a] for a in partition_of}

    async def _step_and_write(
        self,
        session: AsyncSession,
        accounts: Collection[AccountWatch],
        now: datetime,
        moved: Set[str],
        caught_up: Sequence[AlertChange] = (),
    ) -> None:
        written: list[Written] = []
        rows = []
        earlier: dict[str, list[AlertChange]] = {}
        for change in caught_up:
            earlier.setdefault(change.account_id, []).append(change)
        for watch in accounts:
            facts = AccountFacts(watch.name or watch.account_id, watch.owner, watch.segment)
            if watch.account_id in moved:
                await alert_rows.move_account(session, watch.account_id, facts)
            changes = earlier.get(watch.account_id, []) + watch.step(self.rulebook, now)
            for change in changes:
                done = await alert_rows.write_change(session, change, facts)
                if done is not None:
                    written.append(Written(change, done[0], done[1], watch.health))
            rows.append((watch.account_id, watch.partition, watch.snapshot(), watch.next_check))
        metrics.RULE_EVALUATIONS.inc(len(accounts) * len(self.rulebook))
        await watches.save_watches(session, rows)
        if written:
            await self._outputs.alerts_changed(session, written, now)
