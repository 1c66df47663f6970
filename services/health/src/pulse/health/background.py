"""What runs inside the health process beside HTTP: the consumer feeding the score
keeper, the ticker, the outbox relay, the hourly housekeeping, the account gauges and the
step archive's retention, started and stopped with the app."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime

from fastapi import FastAPI

from pulse.common.clock import Clock, utc_now
from pulse.common.db.dedupe import dedupe_cutoff, forget_event_ids_before
from pulse.common.kafka.admin import ensure_topics
from pulse.common.kafka.consumer import ConsumerRunner
from pulse.common.kafka.outbox import OutboxRelay
from pulse.common.service import ServiceContext, ServiceHook
from pulse.health.config import HealthSettings
from pulse.health.keeping.account_gauges import keep_account_gauges
from pulse.health.keeping.archive_retention import keep_archive_pruned
from pulse.health.keeping.deferral import RescoreDeferral
from pulse.health.keeping.freshness import event_time, record_newest_event
from pulse.health.keeping.keeper import ScoreKeeper
from pulse.health.keeping.ticker import Ticker
from pulse.health.messages import Incoming, decoder
from pulse.health.scoring.model import ScoringModel
from pulse.health.startup_model import ModelFile, initial_model

log = logging.getLogger(__name__)

GROUP_ID = "pulse-health"
STOP_TIMEOUT_S = 8.0
#: How often event ids older than the dedupe window are forgotten.
HOUSEKEEPING_S = 3600.0


class BackgroundLoops:
    """The score keeper and the loops that feed it; what the API reaches at
    `app.state.health`."""

    def __init__(
        self, context: ServiceContext, model: ScoringModel, config: HealthSettings, clock: Clock
    ) -> None:
        topics = context.topics
        self.keeper = ScoreKeeper(
            model=model,
            topics=topics,
            clock=clock,
            hot_limit=config.hot_accounts,
            write_chunk=config.write_chunk,
            on_due_now=lambda: self.ticker.wake(),
            deferral=RescoreDeferral(
                backlog=lambda: self.runner.waiting,
                min_backlog=config.rescore_defer_backlog,
                defer_s=config.rescore_defer_s,
            ),
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
            message_time=event_time,
            on_newer_message=record_newest_event,
        )
        self.relay = OutboxRelay(context.sessions, context.producer)
        self.ticker = Ticker(
            self.keeper, self.runner.run_exclusive, config.tick_s, after_chunk=self.relay.wake
        )
        self._context = context
        self.max_model_bytes = config.max_model_bytes

    def now(self) -> datetime:
        """What time it is for scores."""
        return self.keeper.now()

    @property
    def model(self) -> ScoringModel:
        """The model scores are computed with."""
        return self.keeper.model

    async def apply_model_now(self) -> None:
        """A new model was stored: switch at once instead of at the next tick."""
        self.ticker.wake()

    async def housekeeping(self) -> None:
        """Hourly: forget event ids older than the dedupe window (design §2), so the
        table holds about a window's worth of ids instead of growing for ever."""
        window = self._context.settings.dedupe_window_days
        while True:
            try:
                async with self._context.sessions.begin() as session:
                    # Ids are stamped by the database's (wall) clock, whatever the keeper's.
                    cutoff = dedupe_cutoff(utc_now(), window)
                    forgotten = await forget_event_ids_before(session, cutoff)
                if forgotten:
                    log.info("forgot old event ids", extra={"count": forgotten})
            except Exception:
                log.exception("forgetting old event ids failed; retrying next hour")
            await asyncio.sleep(HOUSEKEEPING_S)


def health_hook(
    config: HealthSettings, model_file: ModelFile | None = None, clock: Clock = utc_now
) -> ServiceHook:
    """Start the background loops with the app; stop them cleanly with it.

    `clock` says what time it is for windows and due dates (tests move it forward).
    """

    @asynccontextmanager
    async def hook(app: FastAPI, context: ServiceContext) -> AsyncIterator[None]:
        await ensure_topics(context.settings, context.topics.all)
        model = await initial_model(context, model_file)
        loops = BackgroundLoops(context, model, config, clock)
        app.state.health = loops
        consumer = asyncio.create_task(loops.runner.run(), name="health-consumer")
        others = [
            asyncio.create_task(loops.relay.run(), name="health-outbox"),
            asyncio.create_task(loops.ticker.run(), name="health-ticker"),
            asyncio.create_task(loops.housekeeping(), name="health-housekeeping"),
            asyncio.create_task(
                keep_account_gauges(context.reads, config.account_gauges_s),
                name="health-account-gauges",
            ),
            asyncio.create_task(
                keep_archive_pruned(
                    context.sessions, loops.now, config.archive_days, config.archive_prune_s
                ),
                name="health-archive-retention",
            ),
        ]
        try:
            yield
        finally:
            # The ticker first starts no new transaction, the consumer finishes its batch,
            # and only then is anything cancelled: a transaction cut short leaves memory
            # ahead of Postgres, and a batch must never commit on top of that.
            loops.ticker.stop()
            loops.runner.stop()
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
