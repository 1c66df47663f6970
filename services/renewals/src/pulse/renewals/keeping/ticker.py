"""Time-driven looks: each tick, the accounts not evaluated yet today are evaluated again,
a chunk per transaction between batches (the runner's `run_exclusive`), so a renewal
that comes within the at-risk horizon as days pass sends `renewal.at_risk` that day.
The gauges of ARR and upcoming renewals are refreshed on the same timer.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from pulse.common.kafka.failures import is_transient
from pulse.renewals.keeping.gauges import refresh_gauges
from pulse.renewals.keeping.keeper import TICK_CHUNK, RenewalKeeper
from pulse.renewals.money.rates import RateTable

log = logging.getLogger(__name__)

Work = Callable[[AsyncSession], Awaitable[Any]]
RunExclusive = Callable[[Work], Awaitable[None]]


class Ticker:
    """Evaluates the keeper's due accounts and refreshes the gauges, on a timer."""

    def __init__(
        self, keeper: RenewalKeeper, run_exclusive: RunExclusive, tick_s: float, rates: RateTable
    ) -> None:
        self._keeper = keeper
        self._run_exclusive = run_exclusive
        self._tick_s = tick_s
        self._rates = rates
        self._stopping = asyncio.Event()

    def stop(self) -> None:
        """Start no new transaction (the one running finishes)."""
        self._stopping.set()

    async def run(self) -> None:
        """Tick until `stop()`; a failed tick is retried at the next one."""
        while not self._stopping.is_set():
            try:
                await self.tick_once()
            except Exception as exc:
                log.log(
                    logging.WARNING if is_transient(exc) else logging.ERROR,
                    "renewals tick failed (%r); retrying next tick",
                    exc,
                )
            try:
                await asyncio.wait_for(self._stopping.wait(), timeout=self._tick_s)
            except TimeoutError:
                pass

    async def tick_once(self) -> None:
        """Evaluate every due account, a chunk at a time, then refresh the gauges."""
        while not self._stopping.is_set():
            looked = 0

            async def chunk(session: AsyncSession) -> None:
                nonlocal looked
                looked = await self._keeper.tick(session)

            try:
                await self._run_exclusive(chunk)
            except BaseException:
                self._keeper.forget_touched()
                raise
            if looked < TICK_CHUNK:
                break
        today = self._keeper.now().date()

        async def gauges(session: AsyncSession) -> None:
            await refresh_gauges(session, self._rates, today, self._keeper.config)

        await self._run_exclusive(gauges)
