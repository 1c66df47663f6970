"""Time-driven evaluation: each tick, adopt a rule set another process stored, then step
the accounts that are due, a chunk per transaction so that batches go on between.

Each transaction runs between batches (the consumer runner's `run_exclusive`). One that
does not commit makes the keeper forget the accounts it touched; they are read again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from pulse.alerts import metrics
from pulse.alerts.evaluation.rulebook import Rulebook
from pulse.alerts.keeping import rule_book
from pulse.alerts.keeping.keeper import TICK_CHUNK, AlertKeeper
from pulse.alerts.storage import rule_sets
from pulse.alerts.storage.alert_rows import STATES
from pulse.alerts.storage.tables import alerts
from pulse.common.kafka.failures import is_transient

log = logging.getLogger(__name__)

Work = Callable[[AsyncSession], Awaitable[Any]]
RunExclusive = Callable[[Work], Awaitable[None]]
#: Ticks between refreshes of the open-alerts gauge.
GAUGE_EVERY_TICKS = 10
SEVERITIES = ("info", "warning", "critical")


class Ticker:
    """Steps the keeper's due accounts and adopts new rule sets, on a timer."""

    def __init__(self, keeper: AlertKeeper, run_exclusive: RunExclusive, tick_s: float) -> None:
        self._keeper = keeper
        self._run_exclusive = run_exclusive
        self._tick_s = tick_s
        self._wake = asyncio.Event()
        self._stopping = False
        self._ticks = 0

    def wake(self) -> None:
        """Tick now: rules changed, or accounts are due."""
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
                await self.tick_once()
            except Exception as exc:
                log.log(
                    logging.WARNING if is_transient(exc) else logging.ERROR,
                    "alert tick failed (%r); retrying next tick",
                    exc,
                )

    async def tick_once(self) -> None:
        """Adopt a newer rule set, then step every due account, a chunk at a time. When a
        chunk fails, its accounts are stepped one at a time, and one that fails on its own
        is set aside (`AlertKeeper.set_aside`) with an error in the log."""
        await self._run_exclusive(self._adopt_stored_rules)
        while not self._stopping:
            try:
                stepped = await self._step(None)
            except Exception as exc:
                if is_transient(exc):
                    raise
                failed = self._keeper.touched or []
                log.error("stepping %d due accounts failed (%r); one at a time", len(failed), exc)
                await self._one_by_one(list(failed))
                continue
            if stepped < TICK_CHUNK:
                break
        self._ticks += 1
        if self._ticks % GAUGE_EVERY_TICKS == 1:
            await self._run_exclusive(_refresh_open_gauge)

    async def _step(self, only: list[str] | None) -> int:
        stepped = 0

        async def chunk(session: AsyncSession) -> None:
            nonlocal stepped
            stepped = await self._keeper.tick(session, only)

        try:
            await self._run_exclusive(chunk)
        except BaseException:
            self._keeper.forget_touched()
            raise
        return stepped

    async def _one_by_one(self, accounts: list[str]) -> None:
        for account_id in accounts:
            try:
                await self._step([account_id])
            except Exception as exc:
                if is_transient(exc):
                    raise
                log.error(
                    "evaluating an account failed; set aside for an hour",
                    extra={"account_id": account_id, "error": repr(exc)},
                )
                metrics.ACCOUNTS_SET_ASIDE.inc()

                async def set_aside(session: AsyncSession, account: str = account_id) -> None:
                    await self._keeper.set_aside(session, [account])

                await self._run_exclusive(set_aside)

    async def _adopt_stored_rules(self, session: AsyncSession) -> None:
        version = await rule_sets.latest_version(session)
        if version is None or version == self._keeper.rules_version:
            return
        found = await rule_book.in_force(session)
        if found is not None:
            self._keeper.use_rules(Rulebook(found[1].rules), found[0])
            log.info("adopted rule set", extra={"version": found[0]})


async def _refresh_open_gauge(session: AsyncSession) -> None:
    rows = await session.execute(
        select(alerts.c.severity, alerts.c.state, func.count())
        .where(alerts.c.state != "resolved")
        .group_by(alerts.c.severity, alerts.c.state)
    )
    counts = {(severity, state): n for severity, state, n in rows}
    for severity in SEVERITIES:
        for state in STATES[:-1]:
            metrics.OPEN_ALERTS.labels(severity, state).set(counts.get((severity, state), 0))
