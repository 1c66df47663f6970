"""Backtesting accounts on every core. Replaying is pure CPU work (decoding and applying
each event, scoring at each step and midnight), so chunks of accounts go to worker
processes, each of which parses the models and rules once; the main process only reads
the database and adds up the results."""

from __future__ import annotations

import asyncio
import multiprocessing
from collections import deque
from collections.abc import AsyncIterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from types import TracebackType
from typing import Self

from pulse.alerts.evaluation.rulebook import Rulebook
from pulse.alerts.rules.definitions import Rule
from pulse.devtools.backtest.accounts import AccountBacktest, StoredPoint, Window, backtest_account
from pulse.devtools.backtest.score_alerts import score_rulebook
from pulse.devtools.model_check.observations import Outcome
from pulse.health.scoring.model import ScoringModel, load_model
from pulse.health.storage.step_archive import ArchivedStep

#: One account to backtest: its id, archived steps, stored scores and outcome.
Account = tuple[str, list[ArchivedStep], list[StoredPoint], Outcome | None]


@dataclass(frozen=True, slots=True)
class Job:
    """What every account's backtest shares, as sent to each worker."""

    active_model: str
    candidate_model: str
    rules: Sequence[Rule]
    window: Window


_setting: tuple[ScoringModel, ScoringModel, Rulebook, Window] | None = None


def _start_worker(job: Job) -> None:
    global _setting  # one per worker process, set once
    _setting = (
        load_model(job.active_model),
        load_model(job.candidate_model),
        score_rulebook(job.rules),
        job.window,
    )


def backtest_chunk(accounts: Sequence[Account]) -> list[AccountBacktest]:
    """Backtest a chunk of accounts in a worker (set up by `_start_worker`)."""
    assert _setting is not None, "a worker backtests only once started with its job"
    active, candidate, rulebook, window = _setting
    return [
        backtest_account(
            account_id,
            steps,
            active=active,
            candidate=candidate,
            window=window,
            stored=stored,
            outcome=outcome,
            rulebook=rulebook,
        )
        for account_id, steps, stored, outcome in accounts
    ]


class Backtesters:
    """A pool of worker processes for one backtest job."""

    def __init__(self, job: Job, workers: int) -> None:
        self._workers = workers
        # Started fresh, not forked from a process with an event loop and connections.
        self._pool = ProcessPoolExecutor(
            workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_start_worker,
            initargs=(job,),
        )

    async def backtest(
        self, chunks: AsyncIterator[list[Account]]
    ) -> AsyncIterator[list[AccountBacktest]]:
        """Each chunk's backtests, in order; a few chunks in flight per worker while the
        next are read."""
        loop = asyncio.get_running_loop()
        in_flight: deque[asyncio.Future[list[AccountBacktest]]] = deque()
        async for chunk in chunks:
            in_flight.append(loop.run_in_executor(self._pool, backtest_chunk, chunk))
            if len(in_flight) >= 2 * self._workers:
                yield await in_flight.popleft()
        while in_flight:
            yield await in_flight.popleft()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._pool.shutdown(cancel_futures=True)
