"""What runs inside the health process beside HTTP: consumer, timer, outbox relay."""

from __future__ import annotations

import asyncio
import functools
import logging
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from pulse.common.db.dedupe import dedupe_cutoff, forget_event_ids_before
from pulse.common.kafka.admin import ensure_topics
from pulse.common.kafka.consumer import ConsumerRunner
from pulse.common.kafka.failures import is_transient
from pulse.common.kafka.outbox import OutboxRelay
from pulse.common.service import ServiceContext, ServiceHook
from pulse.health.config import HealthSettings
from pulse.health.keeping.heap_trim import release_free_memory
from pulse.health.keeping.keeper import Clock, HealthKeeper, utc_now
from pulse.health.messages import Incoming, decoder
from pulse.health.scoring.model import (
    ModelError,
    ScoringModel,
    default_model,
    default_model_text,
    load_model,
)
from pulse.health.storage import model_versions

log = logging.getLogger(__name__)

GROUP_ID = "pulse-health"
STOP_TIMEOUT_S = 8.0
#: How often event ids older than the dedupe window are forgotten.
HOUSEKEEPING_S = 3600.0
#: Most accounts re-scored per transaction by the ticker (a midnight or a model change
#: can make every account due at once).
TICK_CHUNK = 500


class HealthRuntime:
    """The keeper and the loops that feed it, started and stopped with the app."""

    def __init__(
        self, context: ServiceContext, model: ScoringModel, config: HealthSettings, clock: Clock
    ) -> None:
        topics = context.topics
        self._wake = asyncio.Event()
        self.keeper = HealthKeeper(
            model=model,
            topics=topics,
            clock=clock,
            hot_limit=config.hot_accounts,
            write_chunk=config.write_chunk,
            on_due_now=self._wake.set,
            backlog=lambda: self.runner.waiting,
            defer_backlog=config.rescore_defer_backlog,
            defer_s=config.rescore_defer_s,
            step_aside=context.requests.step_aside,
        )
        self.runner: ConsumerRunner[Incoming] = ConsumerRunner(
            settings=context.settings,
            group_id=GROUP_ID,
            topics=[*topics.all_events, topics.health_commands],
            decoder=decoder(topics.health_commands),
            handler=self.keeper,
            session_factory=context.sessions,
            producer=context.producer,
            dlq_topic=topics.dlq,
        )
        self.relay = OutboxRelay(context.sessions, context.producer)
        self._context = context
        self._tick_s = config.tick_s
        self.max_model_bytes = config.max_model_bytes
        self._stopping = False

    async def apply_model_now(self) -> None:
        """A new model was stored: switch at once instead of at the next tick."""
        self._wake.set()

    def stop_ticking(self) -> None:
        """Start no new re-scoring transaction (the one running finishes)."""
        self._stopping = True
        self._wake.set()

    async def ticker(self) -> None:
        """Each tick (or sooner when woken): adopt a newly stored model, then re-score the
        accounts that are due, a chunk per transaction so batches and reads go on between."""
        while not self._stopping:
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=self._tick_s)
            except TimeoutError:
                pass
            self._wake.clear()
            try:
                await self._exclusive(self._adopt_stored_model)
                await self._rescore_due()
            except Exception as exc:
                # Memory is reloaded from Postgres before the next batch or tick.
                log.log(
                    logging.WARNING if is_transient(exc) else logging.ERROR,
                    "re-scoring tick failed (%r); retrying next tick",
                    exc,
                )

    async def _rescore_due(self) -> None:
        """Re-score every due account, TICK_CHUNK per transaction. When a chunk fails, go on
        one account at a time; an account that fails on its own is set aside till
        tomorrow, so one bad account cannot hold back every other."""
        limit, chunks = TICK_CHUNK, 0
        while (self.keeper.has_due() or self.keeper.stale) and not self._stopping:
            try:
                await self._exclusive(functools.partial(self.keeper.tick, limit=limit))
                chunks += 1
            except Exception as exc:
                if is_transient(exc):
                    raise
                if limit > 1:
                    log.error("re-scoring %d accounts failed (%r); one at a time", limit, exc)
                    limit = 1
                    continue
                failed = self.keeper.attempted
                if not failed:
                    raise  # not an account's fault (the reload before it failed)
                # Reload first: a reload after would bring the due time back.
                await self._exclusive(self.keeper.reload)
                self.keeper.set_aside(failed)
            self.relay.wake()
        if chunks > 1:  # a midnight or a model change: many states thawed and re-frozen
            release_free_memory()

    async def _exclusive(self, work: Callable[[AsyncSession], Awaitable[Any]]) -> None:
        """`work` in one transaction between batches. If it fails or is cancelled, even
        while committing, memory may be ahead of Postgres: the keeper reloads first."""
        try:
            await self.runner.run_exclusive(work)
        except BaseException:
            self.keeper.mark_stale()
            raise

    async def housekeeping(self) -> None:
        """Hourly: forget event ids older than the dedupe window (DESIGN §2), so the
        table holds about a window's worth of ids instead of growing for ever."""
        window = self._context.settings.dedupe_window_days
        while True:
            try:
                async with self._context.sessions.begin() as session:
                    cutoff = dedupe_cutoff(self.keeper.now(), window)
                    forgotten = await forget_event_ids_before(session, cutoff)
                if forgotten:
                    log.info("forgot old event ids", extra={"count": forgotten})
            except Exception:
                log.exception("forgetting old event ids failed; retrying next hour")
            await asyncio.sleep(HOUSEKEEPING_S)

    async def _adopt_stored_model(self, session: AsyncSession) -> None:
        stored = await model_versions.active_model(session)
        if stored is None or stored[0] == self.keeper.model.version:
            return
        # Parsed in a thread: reads go on meanwhile (it holds only the batches back).
        count = await self.keeper.use_model(await asyncio.to_thread(load_model, stored[1]))
        log.info("scoring model changed", extra={"version": stored[0], "rescored": count})


@dataclass(frozen=True, slots=True)
class ModelFile:
    """A validated scoring model file: the model and its YAML text."""

    model: ScoringModel
    text: str


def model_file_or_exit(path: Path) -> ModelFile:
    """Read and validate the model file; on a problem print one line each and exit 2."""
    try:
        text = path.read_text(encoding="utf-8")
        return ModelFile(load_model(text), text)
    except OSError as error:
        print(f"pulse: PULSE_HEALTH_MODEL_FILE {path}: {error.strerror}", file=sys.stderr)
    except ModelError as error:
        for where, message in error.errors:
            print(f"pulse: scoring model {path}: {where or '(top)'}: {message}", file=sys.stderr)
    raise SystemExit(2)


async def initial_model(context: ServiceContext, model_file: ModelFile | None) -> ScoringModel:
    """The model to start with, stored as the active version.

    A model file wins (stored as a new version when its content is new); otherwise the
    stored active model; on the very first start, the shipped default.
    """
    async with context.sessions.begin() as session:
        if model_file is not None:
            model, body = model_file.model, model_file.text
        else:
            stored = await model_versions.active_model(session)
            if stored is not None:
                return load_model(stored[1])
            model, body = default_model(), default_model_text()
        await model_versions.store_model(session, model.version, model.fingerprint(), body)
        return model


def health_hook(
    config: HealthSettings, model_file: ModelFile | None = None, clock: Clock = utc_now
) -> ServiceHook:
    """Start the runtime with the app; stop its loops cleanly with it.

    `clock` says what time it is for windows and due dates (tests move it forward).
    """

    @asynccontextmanager
    async def hook(app: FastAPI, context: ServiceContext) -> AsyncIterator[None]:
        await ensure_topics(context.settings, context.topics.all)
        model = await initial_model(context, model_file)
        runtime = HealthRuntime(context, model, config, clock)
        app.state.health = runtime
        consumer = asyncio.create_task(runtime.runner.run(), name="health-consumer")
        others = [
            asyncio.create_task(runtime.relay.run(), name="health-outbox"),
            asyncio.create_task(runtime.ticker(), name="health-ticker"),
            asyncio.create_task(runtime.housekeeping(), name="health-housekeeping"),
        ]
        try:
            yield
        finally:
            # The ticker first starts no new transaction, the consumer finishes its batch,
            # and only then is anything cancelled: a transaction cut short leaves memory
            # ahead of Postgres, and a batch must never commit on top of that.
            runtime.stop_ticking()
            runtime.runner.stop()
            try:
                async with asyncio.timeout(STOP_TIMEOUT_S):
                    await consumer
            except TimeoutError:
                log.error("consumer did not stop in time; cancelling it")
                consumer.cancel()
            for task in others:
                task.cancel()
            await asyncio.gather(*others, return_exceptions=True)

    return hook
