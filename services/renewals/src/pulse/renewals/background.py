"""What runs inside the renewals process beside HTTP: the consumer feeding the keeper, the
ticker and the outbox relay, started and stopped with the app."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from fastapi import FastAPI

from pulse.common.clock import Clock, utc_now
from pulse.common.kafka.admin import ensure_topics
from pulse.common.kafka.consumer import ConsumerRunner
from pulse.common.kafka.outbox import OutboxRelay
from pulse.common.score_changes import time_of
from pulse.common.service import ServiceContext, ServiceHook
from pulse.renewals.config import RenewalsSettings
from pulse.renewals.forecast.config import ForecastConfig
from pulse.renewals.keeping.keeper import RenewalKeeper
from pulse.renewals.keeping.ticker import Ticker
from pulse.renewals.messages import Incoming, decoder
from pulse.renewals.money.rates import RateTable

log = logging.getLogger(__name__)

GROUP_ID = "pulse-renewals"
STOP_TIMEOUT_S = 8.0
#: The only event types renewals reads; both are on the account domain topic.
EVENT_TYPES = ("account.updated", "contract.changed")


@dataclass(frozen=True, slots=True)
class RenewalsState:
    """What the API reaches at `app.state.renewals`."""

    config: RenewalsSettings
    forecast: ForecastConfig
    rates: RateTable
    clock: Clock


class RenewalLoops:
    """The keeper and the loops that feed it."""

    def __init__(
        self,
        context: ServiceContext,
        config: RenewalsSettings,
        forecast: ForecastConfig,
        rates: RateTable,
        clock: Clock,
    ) -> None:
        topics = context.topics
        self.relay = OutboxRelay(context.sessions, context.producer)
        self.keeper = RenewalKeeper(
            forecast,
            at_risk_topic=topics.renewals_at_risk,
            dlq_topic=topics.dlq,
            group_id=GROUP_ID,
            clock=clock,
            wake_relay=self.relay.wake,
        )
        self.runner: ConsumerRunner[Incoming] = ConsumerRunner(
            settings=context.settings,
            group_id=GROUP_ID,
            topics=sorted({*(topics.for_event_type(t) for t in EVENT_TYPES), topics.health_scores}),
            decoder=decoder(topics.health_scores),
            handler=self.keeper,
            session_factory=context.sessions,
            producer=context.producer,
            dlq_topic=topics.dlq,
            message_time=time_of,
        )
        self.ticker = Ticker(self.keeper, self.runner.run_exclusive, config.tick_s, rates)


def renewals_hook(
    config: RenewalsSettings, forecast: ForecastConfig, rates: RateTable, clock: Clock = utc_now
) -> ServiceHook:
    """Start the consumer, the ticker and the relay with the app; stop them cleanly.

    `clock` says what day it is for the standings (tests move it forward).
    """

    @asynccontextmanager
    async def hook(app: FastAPI, context: ServiceContext) -> AsyncIterator[None]:
        await ensure_topics(context.settings, context.topics.all)
        loops = RenewalLoops(context, config, forecast, rates, clock)
        app.state.renewals = RenewalsState(config, forecast, rates, clock)
        app.state.renewal_loops = loops
        tasks = {
            "consumer": asyncio.create_task(loops.runner.run(), name="renewals-consumer"),
            "ticker": asyncio.create_task(loops.ticker.run(), name="renewals-ticker"),
        }
        relay = asyncio.create_task(loops.relay.run(), name="renewals-relay")
        try:
            yield
        finally:
            loops.ticker.stop()
            loops.runner.stop()
            for name, task in tasks.items():
                try:
                    async with asyncio.timeout(STOP_TIMEOUT_S):
                        await task
                except TimeoutError:
                    log.error("renewals %s did not stop in time; cancelling it", name)
                    task.cancel()
            # The relay holds nothing uncommitted: what it did not publish stays queued.
            relay.cancel()
            await asyncio.gather(relay, return_exceptions=True)

    return hook
