"""The score keeper: applies events to the owned accounts in memory and keeps every score
current.

It is the consumer runner's batch handler. For each batch, inside the runner's single
transaction: load the accounts it names (`loading`), claim event ids and apply the new
ones (`applying`), then re-score the accounts that changed (`rescoring`, a chunk of
writes at a time: `chunk_writes`), or, while a backlog drains, defer their re-scores
(`deferral`). The runner adds the offsets and commits once.

Time passes without events: each account has a "next change due" moment (`due`); `tick`
re-scores the accounts that are due, as the ticker asks (`ticker`). A new model makes
every account due (`use_model`). When a transaction leaves memory ahead of what
PostgreSQL committed, `recovery` reloads it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence, Set
from datetime import datetime

from aiokafka import TopicPartition
from sqlalchemy.ext.asyncio import AsyncSession

from pulse.common.clock import Clock, utc_now
from pulse.common.foreground import StepAside, yield_now
from pulse.common.kafka.records import Record
from pulse.common.topics import Topics
from pulse.health import metrics
from pulse.health.keeping.applying import apply_batch
from pulse.health.keeping.cache import AccountCache, CachedAccount
from pulse.health.keeping.chunk_writes import ChunkWrites, Step, write_each
from pulse.health.keeping.deferral import RescoreDeferral
from pulse.health.keeping.due import DueQueue
from pulse.health.keeping.heap_trim import release_free_memory
from pulse.health.keeping.ignored import IgnoredInputs
from pulse.health.keeping.loading import load_missing, load_partitions
from pulse.health.keeping.recovery import Recovery
from pulse.health.keeping.rescoring import RescoreRound, add_state, rescore_account
from pulse.health.messages import Incoming
from pulse.health.scoring.days import day_of, midnight
from pulse.health.scoring.model import ScoringModel

log = logging.getLogger(__name__)

#: Accounts kept decoded (see `cache`): ~7 KiB each, against ~2 KiB frozen.
DEFAULT_HOT_ACCOUNTS = 20_000
#: Accounts scheduled between chances for HTTP requests to run, on a model change.
SCHEDULE_CHUNK = 1_000
#: Re-scored accounts per chunk of writes (see `chunk_writes`).
DEFAULT_WRITE_CHUNK = 500


class ScoreKeeper:
    """Batch handler of the health consumer; also re-scores on time and on model change."""

    def __init__(
        self,
        *,
        model: ScoringModel,
        topics: Topics,
        clock: Clock = utc_now,
        hot_limit: int = DEFAULT_HOT_ACCOUNTS,
        write_chunk: int = DEFAULT_WRITE_CHUNK,
        on_due_now: Callable[[], None] = lambda: None,
        deferral: RescoreDeferral | None = None,
        step_aside: StepAside = yield_now,
    ) -> None:
        self.model = model
        self._topics = topics
        self._clock = clock
        self._accounts = AccountCache(hot_limit)
        self._write_chunk = write_chunk
        self._owned: set[int] = set()
        self._due = DueQueue(self._accounts)
        self._on_due_now = on_due_now
        self._deferral = deferral if deferral is not None else RescoreDeferral()
        self.recovery = Recovery(self._reload_owned)
        #: Accounts the last `tick` tried to re-score.
        self.attempted: list[str] = []
        self._ignored = IgnoredInputs()
        self._step_aside = step_aside

    def now(self) -> datetime:
        """What time the keeper scores at."""
        return self._clock()

    @property
    def cached_accounts(self) -> int:
        """How many accounts are in memory."""
        return len(self._accounts)

    def has_due(self) -> bool:
        """Whether some account's re-score is due now."""
        return self._due.has_due(self._clock())

    async def handle(self, session: AsyncSession, records: Sequence[Record[Incoming]]) -> None:
        """Apply one batch inside the runner's transaction."""
        await self.recovery.reload_if_stale(session)
        now = self._clock()
        partition_of = {r.value.account_id: r.message.partition for r in records}
        await load_missing(session, partition_of, self._accounts, self._due)
        touched, inputs = await apply_batch(
            session, records, now, self._accounts, self.model, self._ignored, self._step_aside
        )
        if self._deferral.applies(now):
            await self._defer(session, touched.values(), now, inputs)
        elif not self._deferral.holding:
            await self._rescore(session, touched.values(), now, "event", inputs)
        else:
            # Deferred accounts of other partitions move on in memory too, and after a
            # failed batch the runner reloads only the batch's partitions.
            self.recovery.until_commit(session)
            due = {**self._deferral.take(), **touched}
            await self._rescore(session, due.values(), now, "event", inputs)

    async def _defer(
        self,
        session: AsyncSession,
        accounts: Iterable[CachedAccount],
        now: datetime,
        inputs: Mapping[str, list[bytes]],
    ) -> None:
        """Store what the batch applied, for a later batch (or a tick) to re-score."""
        until = self._deferral.deadline(now)

        def hold(account: CachedAccount, writes: ChunkWrites) -> None:
            self._deferral.hold(account)
            if account.next_due is None or account.next_due > until:
                self._due.schedule(account, until)
            add_state(account, now, inputs.get(account.account_id, []), False, writes)
            self._accounts.used(account)

        deferred = await self._write_each(session, accounts, hold)
        metrics.RESCORES_DEFERRED.inc(deferred)

    async def on_assigned(self, session: AsyncSession, partitions: Set[TopicPartition]) -> None:
        """Load the state of every account on newly owned partition numbers."""
        await self._load_partitions(session, {tp.partition for tp in partitions} - self._owned)

    async def _load_partitions(self, session: AsyncSession, numbers: set[int]) -> None:
        """Load the accounts of those partitions (see `loading`); wake the ticker for those
        due at once."""
        self._owned |= numbers
        if not numbers:
            return
        now = self._clock()
        with self.recovery.guard():  # partly loaded
            due_now = await load_partitions(
                session, numbers, self._accounts, self._due, self.model.version, now
            )
        release_free_memory()
        if due_now:
            self._on_due_now()

    async def on_revoked(self, partitions: Set[TopicPartition]) -> None:
        """Forget accounts of partition numbers no longer owned (their state is committed)."""
        numbers = {tp.partition for tp in partitions}
        self._owned -= numbers
        self._accounts.drop_partitions(numbers)
        self._deferral.drop_partitions(numbers)

    async def _reload_owned(self, session: AsyncSession) -> None:
        """Drop the cache and load every owned account again (see `recovery`)."""
        numbers = self._owned
        self._accounts.clear()
        self._owned = set()
        self._due.clear()
        self._deferral.clear()
        await self._load_partitions(session, numbers)

    async def tick(self, session: AsyncSession, limit: int | None = None) -> int:
        """Re-score owned accounts whose next change is due (at most `limit`, earliest
        first); how many were re-scored."""
        self.attempted = []
        await self.recovery.reload_if_stale(session)
        now = self._clock()
        due = self._due.pop_due(now, limit)
        self._deferral.release(due)
        self.attempted = list(due)
        # Accounts of every partition move on in memory, and no runner reloads them if the
        # transaction does not commit.
        self.recovery.until_commit(session)
        await self._rescore(session, due.values(), now, "time", {})
        return len(due)

    def set_aside(self, account_ids: Iterable[str]) -> None:
        """Accounts whose re-score fails on its own: log them and try again tomorrow,
        rather than let them block every time-driven re-score behind them."""
        tomorrow = midnight(day_of(self._clock()) + 1)
        for account_id in account_ids:
            account = self._accounts.get(account_id)
            if account is None:
                continue
            log.error(
                "re-scoring an account keeps failing; set aside until tomorrow",
                extra={"account_id": account_id, "retry_at": tomorrow.isoformat()},
            )
            metrics.SET_ASIDE.inc()
            self._due.schedule(account, tomorrow)

    async def use_model(self, model: ScoringModel) -> int:
        """Switch to `model`: every owned account is due for a re-score from its stored
        state now (`tick` works through them); how many."""
        self.model = model
        now = self._clock()
        accounts = list(self._accounts)
        with self.recovery.guard():  # a switch cut short leaves accounts unscheduled
            for count, account in enumerate(accounts, 1):
                self._due.schedule(account, now)
                if count % SCHEDULE_CHUNK == 0:
                    await self._step_aside()  # scheduling every account at once holds up reads
        self._on_due_now()
        return len(accounts)

    async def _rescore(
        self,
        session: AsyncSession,
        accounts: Iterable[CachedAccount],
        now: datetime,
        cause: str,
        inputs: Mapping[str, list[bytes]],
    ) -> None:
        started = time.perf_counter()
        round_ = RescoreRound(
            self.model, self._topics.health_scores, self._accounts, self._due, now, cause
        )

        def rescore(account: CachedAccount, writes: ChunkWrites) -> None:
            rescore_account(round_, account, inputs.get(account.account_id, []), writes)

        rescored = await self._write_each(session, accounts, rescore)
        metrics.RESCORED.labels(cause).inc(rescored)
        metrics.RESCORE_DURATION.observe(time.perf_counter() - started)
        metrics.DUE_ACCOUNTS.set(len(self._due))

    async def _write_each(
        self, session: AsyncSession, accounts: Iterable[CachedAccount], step: Step
    ) -> int:
        return await write_each(
            session,
            accounts,
            step,
            cache=self._accounts,
            chunk=self._write_chunk,
            step_aside=self._step_aside,
        )
