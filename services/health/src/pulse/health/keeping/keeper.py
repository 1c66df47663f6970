"""The health keeper: applies events to account state and keeps every score current.

It is the consumer runner's batch handler. For each batch, inside the runner's single
transaction: claim event ids (duplicates change nothing), apply events and commands to
the cached state of their accounts, re-score the accounts that changed, and write their
changes (or snapshots, see `changes`), scores, history and outbox rows. The runner adds
the offsets and commits once.

While a backlog drains (the runner reports many records waiting after the batch), the
re-scores are deferred: the batch commits its events (as changes marked not re-scored)
with its offsets, and the accounts it touched are re-scored with a later batch: the first
with no such backlog, or the first after `defer_s`. An account with an event in each of
several batches is then scored once, not once per batch: re-scoring is most of a batch's
cost. Each deferred account is also due at that deadline, so the ticker re-scores it if
no batch does; a process that loads it after a crash re-scores it at once.

Time passes without events: each account has a "next change due" moment (see `due`);
`tick` re-scores the accounts that are due. One account's re-score is `rescoring`'s.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence, Set
from datetime import UTC, datetime, timedelta

from aiokafka import TopicPartition
from sqlalchemy.ext.asyncio import AsyncSession

from pulse.common.foreground import StepAside, yield_now
from pulse.common.kafka.records import Record
from pulse.common.topics import Topics
from pulse.health import metrics
from pulse.health.keeping.applying import apply_batch
from pulse.health.keeping.cache import AccountCache, CachedAccount, freeze
from pulse.health.keeping.due import DueQueue
from pulse.health.keeping.heap_trim import release_free_memory
from pulse.health.keeping.ignored import IgnoredInputs
from pulse.health.keeping.rescoring import Moment, rescore
from pulse.health.keeping.rows import ChunkWrites, add_state, catch_up, from_rows, snapshot
from pulse.health.messages import Incoming
from pulse.health.scoring.days import day_of, midnight
from pulse.health.scoring.measured import MeasureResults
from pulse.health.scoring.model import ScoringModel
from pulse.health.scoring.state import AccountState
from pulse.health.storage import account_states

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]

#: Accounts kept decoded (see `cache`): ~7 KiB each, against ~2 KiB frozen.
DEFAULT_HOT_ACCOUNTS = 20_000
#: Longest the keeper scores before letting HTTP requests run. By time, not by count: a
#: read takes several turns of the event loop, each waiting out one such slice, and on a
#: busy machine 16 accounts (the count it was) took 20 ms.
YIELD_AFTER_S = 0.002
#: Accounts scheduled between chances for HTTP requests to run, on a model change.
SCHEDULE_CHUNK = 1_000
#: Re-scored accounts per chunk of writes (see `_rescore`).
DEFAULT_WRITE_CHUNK = 500
#: Records waiting after a batch from which its re-scores are deferred (see above).
DEFAULT_DEFER_BACKLOG = 5_000
#: Longest a re-score is deferred while a backlog drains.
DEFAULT_DEFER_S = 5.0


def utc_now() -> datetime:
    """The wall clock, in UTC."""
    return datetime.now(UTC)


class HealthKeeper:
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
        backlog: Callable[[], int] = lambda: 0,
        defer_backlog: int = DEFAULT_DEFER_BACKLOG,
        defer_s: float = DEFAULT_DEFER_S,
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
        self._backlog = backlog
        self._defer_backlog = defer_backlog
        self._defer_for = timedelta(seconds=defer_s)
        # Accounts whose re-score is deferred, and until when (see above).
        self._deferred: dict[str, CachedAccount] = {}
        self._deferred_until: datetime | None = None
        # Memory may differ from what Postgres committed (a load or a re-score failed, or
        # was cancelled): the next batch or tick reloads every owned account first.
        self._stale = False
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

    @property
    def stale(self) -> bool:
        """Whether memory must be reloaded from Postgres before it is used."""
        return self._stale

    def mark_stale(self) -> None:
        """What is in memory may be ahead of Postgres: reload before the next use."""
        self._stale = True

    async def handle(self, session: AsyncSession, records: Sequence[Record[Incoming]]) -> None:
        """Apply one batch inside the runner's transaction."""
        if self._stale:
            await self.reload(session)
        now = self._clock()
        await self._load(session, {r.value.account_id: r.message.partition for r in records})
        touched, inputs = await apply_batch(
            session, records, now, self._accounts, self.model, self._ignored, self._step_aside
        )
        if self._defers(now):
            await self._defer(session, touched.values(), now, inputs)
        elif not self._deferred:
            await self._rescore(session, touched.values(), now, "event", inputs)
        else:
            due = {**self._deferred, **touched}
            self._deferred, self._deferred_until = {}, None
            try:
                await self._rescore(session, due.values(), now, "event", inputs)
            except BaseException:
                # Deferred accounts of other partitions moved on in memory too; the runner
                # reloads only the batch's partitions.
                self._stale = True
                raise

    def _defers(self, now: datetime) -> bool:
        """Whether this batch's re-scores wait for a later one."""
        if not self._defer_for or self._backlog() < self._defer_backlog:
            return False
        return self._deferred_until is None or now < self._deferred_until

    async def _defer(
        self,
        session: AsyncSession,
        accounts: Iterable[CachedAccount],
        now: datetime,
        inputs: Mapping[str, list[bytes]],
    ) -> None:
        """Store what the batch applied, for a later batch (or a tick) to re-score."""
        if self._deferred_until is None:
            self._deferred_until = now + self._defer_for
        until = self._deferred_until

        def hold(account: CachedAccount, writes: ChunkWrites) -> None:
            self._deferred[account.account_id] = account
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
        """Load accounts frozen, as stored: none is scored here (a rebalance must be quick);
        those with changes after their snapshot are decoded to replay them (usually only
        the accounts the previous owner kept decoded: it snapshots those it freezes). Those
        scored by another model, or with events applied but not scored yet (a deferred
        re-score), are due at once; the ticker is woken for them. The rest are due when
        stored."""
        self._owned |= numbers
        if not numbers:
            return
        now = self._clock()
        loaded = stale = due_now = 0
        try:
            changes = await account_states.partition_changes(session, numbers)
            async for rows in account_states.stream_partitions(session, numbers):
                for row in rows:
                    account = CachedAccount(
                        row.account_id,
                        row.partition,
                        frozen=freeze(row.state_json),
                        meta=row.meta,
                        next_due=row.next_change_at,
                    )
                    catch_up(account, changes.get(row.account_id, []))  # decodes if any
                    self._accounts.add(account)
                    if account.model_version != self.model.version:
                        account.next_due = now  # scored by another model: re-score now
                        stale += 1
                    self._due.track(account)
                    if account.next_due is not None and account.next_due <= now:
                        due_now += 1
                loaded += len(rows)
                # Replayed accounts beyond the decoded limit are frozen again. Their changes
                # stay in PostgreSQL until a re-score snapshots them (memory matches it).
                self._accounts.freeze_coldest()
        except BaseException:
            self._stale = True  # partly loaded
            raise
        release_free_memory()
        if due_now:
            self._on_due_now()
        metrics.CACHED_ACCOUNTS.set(len(self._accounts))
        log.info(
            "loaded accounts",
            extra={
                "partitions": sorted(numbers),
                "loaded": loaded,
                "cached": len(self._accounts),
                "scored_by_another_model": stale,
                "due_now": due_now,
            },
        )

    async def on_revoked(self, partitions: Set[TopicPartition]) -> None:
        """Forget accounts of partition numbers no longer owned (their state is committed)."""
        numbers = {tp.partition for tp in partitions}
        self._owned -= numbers
        self._accounts.drop_partitions(numbers)
        self._deferred = {a: c for a, c in self._deferred.items() if c.partition not in numbers}

    async def reload(self, session: AsyncSession) -> None:
        """Drop the cache and reload every owned account from Postgres: after a re-score
        whose transaction failed, memory must not stay ahead of what was committed."""
        numbers = self._owned
        self._accounts.clear()
        self._owned = set()
        self._due.clear()
        self._deferred, self._deferred_until = {}, None
        self._stale = True  # until the load below completes
        await self._load_partitions(session, numbers)
        self._stale = False

    async def tick(self, session: AsyncSession, limit: int | None = None) -> int:
        """Re-score owned accounts whose next change is due (at most `limit`, earliest
        first); how many were re-scored."""
        self.attempted = []
        if self._stale:
            await self.reload(session)
        now = self._clock()
        due = self._due.pop_due(now, limit)
        for account_id in due:
            self._deferred.pop(account_id, None)
        self.attempted = list(due)
        try:
            await self._rescore(session, due.values(), now, "time", {})
        except BaseException:
            # Accounts of every partition moved on in memory; their transaction will not
            # commit. (A failed batch is the runner's: it reloads the batch's partitions.)
            self._stale = True
            raise
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
        for count, account in enumerate(accounts, 1):
            self._due.schedule(account, now)
            if count % SCHEDULE_CHUNK == 0:
                await self._step_aside()  # 20,000 accounts held the loop for 0.3 s at once
        self._on_due_now()
        return len(accounts)

    async def _load(self, session: AsyncSession, partition_of: dict[str, int]) -> None:
        missing = [a for a in partition_of if self._accounts.get(a) is None]
        if not missing:
            return
        stored = await account_states.load_accounts(session, missing)
        changes = await account_states.load_changes(session, stored)
        for account_id in missing:
            row = stored.get(account_id)
            if row is None:
                self._accounts.add(
                    CachedAccount(account_id, partition_of[account_id], AccountState())
                )
                continue
            account = from_rows(row, changes.get(account_id, []))
            self._accounts.add(account)
            self._due.track(account)  # due on time even if no event here changes it

    async def _rescore(
        self,
        session: AsyncSession,
        accounts: Iterable[CachedAccount],
        now: datetime,
        cause: str,
        inputs: Mapping[str, list[bytes]],
    ) -> None:
        started = time.perf_counter()
        moment = Moment(now, cause)

        def rescore_one(account: CachedAccount, writes: ChunkWrites) -> None:
            self._rescore_one(account, moment, inputs.get(account.account_id, []), writes)

        rescored = await self._write_each(session, accounts, rescore_one)
        metrics.RESCORED.labels(cause).inc(rescored)
        metrics.RESCORE_DURATION.observe(time.perf_counter() - started)
        metrics.DUE_ACCOUNTS.set(len(self._due))

    async def _write_each(
        self,
        session: AsyncSession,
        accounts: Iterable[CachedAccount],
        step: Callable[[CachedAccount, ChunkWrites], None],
    ) -> int:
        """`step` adds each account's rows to a chunk of writes; PostgreSQL writes a chunk
        on its core while Python works on the next (statements still go one at a time, in
        the caller's one transaction). Accounts that leave the decoded set are then
        snapshotted. How many accounts were stepped."""
        count = 0
        writes = ChunkWrites()
        writing: asyncio.Task[None] | None = None
        slice_started = time.perf_counter()
        try:
            for account in accounts:
                count += 1
                if time.perf_counter() - slice_started >= YIELD_AFTER_S:
                    await self._step_aside()  # let HTTP requests (and a pending write) run
                    slice_started = time.perf_counter()
                step(account, writes)
                if len(writes) >= self._write_chunk:
                    if writing is not None:
                        await writing
                    writing = asyncio.ensure_future(writes.save(session))
                    writes = ChunkWrites()
            if writing is not None:
                await writing
            # Accounts leaving the decoded set are snapshotted: a partition load then
            # replays changes only for accounts that were decoded (see `_load_partitions`).
            for account, state_json in self._accounts.freeze_coldest():
                if account.steps_since_snapshot != 0:
                    writes.snapshots.append(snapshot(account, state_json))
                    account.steps_since_snapshot = 0
            await writes.save(session)
        except BaseException:
            if writing is not None:
                # Let the statement in flight finish (its outcome no longer matters): the
                # caller rolls back next, which must not race it on the connection.
                await asyncio.gather(writing, return_exceptions=True)
            raise
        metrics.CACHED_ACCOUNTS.set(len(self._accounts))
        metrics.DECODED_ACCOUNTS.set(self._accounts.hot)
        return count

    def _rescore_one(
        self, account: CachedAccount, moment: Moment, inputs: list[bytes], writes: ChunkWrites
    ) -> None:
        results = rescore(self.model, self._topics.health_scores, account, moment, writes)
        self._schedule(account, moment, results)
        add_state(account, moment.now, inputs, True, writes)
        self._accounts.used(account)

    def _schedule(self, account: CachedAccount, moment: Moment, results: MeasureResults) -> None:
        """After a re-score: queue the account for when its score can next change with no
        new event."""
        if account.next_due is not None and account.next_due == moment.tomorrow:
            return  # the earliest a score can change with time alone: nothing can be sooner
        due = account.state.next_change_at(self.model, moment.now, results)
        if due != account.next_due:  # most re-scores leave the next change where it was
            self._due.schedule(account, due)
