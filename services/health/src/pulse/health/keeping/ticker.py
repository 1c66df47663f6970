"""Time-driven re-scoring: each tick (or sooner when woken), adopt a scoring model another
process stored, then re-score the accounts that are due, a chunk per transaction so that
batches and reads go on between.

Each transaction runs between batches (the consumer runner's `run_exclusive`). One that
does not commit leaves the keeper's memory stale (see `recovery`), and it is reloaded
before its next use.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from pulse.common.kafka.failures import is_transient
from pulse.health.keeping.heap_trim import release_free_memory
from pulse.health.keeping.keeper import ScoreKeeper
from pulse.health.scoring.model import load_model
from pulse.health.storage import model_versions

log = logging.getLogger(__name__)

#: Most accounts re-scored per transaction (a midnight or a model change can make every
#: account due at once).
TICK_CHUNK = 500

#: Work for one transaction.
Work = Callable[[AsyncSession], Awaitable[Any]]
#: Runs work in one transaction, never concurrently with a batch.
RunExclusive = Callable[[Work], Awaitable[None]]


class Ticker:
    """Re-scores the keeper's due accounts and adopts new models, on a timer."""

    def __init__(
        self,
        keeper: ScoreKeeper,
        run_exclusive: RunExclusive,
        tick_s: float,
        after_chunk: Callable[[], None] = lambda: None,
    ) -> None:
        self._keeper = keeper
        self._run_exclusive = run_exclusive
        self._tick_s = tick_s
        self._after_chunk = after_chunk
        self._wake = asyncio.Event()
        self._stopping = False

    def wake(self) -> None:
        """Tick now instead of at the next tick: accounts are due, or a model was stored."""
        self._wake.set()

    def stop(self) -> None:
        """Start no new transaction (the one running finishes)."""
        self._stopping = True
        self._wake.set()

    async def run(self) -> None:
        """Tick until `stop()`; a failed tick is retried at the next one."""
        while not self._stopping:
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=self._tick_s)
            except TimeoutError:
                pass
            self._wake.clear()
            try:
                await self._run_exclusive(self._adopt_stored_model)
                await self._rescore_due()
            except Exception as exc:
                log.log(
                    logging.WARNING if is_transient(exc) else logging.ERROR,
                    "re-scoring tick failed (%r); retrying next tick",
                    exc,
                )

    async def _rescore_due(self) -> None:
        """Re-score every due account, TICK_CHUNK per transaction. When a chunk fails, go on
        one account at a time; an account that fails on its own is set aside till
        tomorrow, so one bad account cannot hold back every other."""
        keeper, limit, chunks = self._keeper, TICK_CHUNK, 0
        while (keeper.has_due() or keeper.recovery.stale) and not self._stopping:
            try:
                await self._run_exclusive(functools.partial(keeper.tick, limit=limit))
                chunks += 1
            except Exception as exc:
                if is_transient(exc):
                    raise
                if limit > 1:
                    log.error("re-scoring %d accounts failed (%r); one at a time", limit, exc)
                    limit = 1
                    continue
                failed = keeper.attempted
                if not failed:
                    raise  # not an account's fault (the reload before it failed)
                # Reload first: a reload after would bring the due time back.
                await self._run_exclusive(keeper.recovery.reload)
                keeper.set_aside(failed)
            self._after_chunk()
        if chunks > 1:  # a midnight or a model change: many states thawed and re-frozen
            release_free_memory()

    async def _adopt_stored_model(self, session: AsyncSession) -> None:
        stored = await model_versions.active_model(session)
        if stored is None or stored[0] == self._keeper.model.version:
            return
        # Parsed in a thread: reads go on meanwhile (it holds only the batches back).
        count = await self._keeper.use_model(await asyncio.to_thread(load_model, stored[1]))
        log.info("scoring model changed", extra={"version": stored[0], "rescored": count})
