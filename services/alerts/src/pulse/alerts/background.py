"""What runs inside the alerts process beside HTTP: the consumer feeding the alert keeper
and the ticker, started and stopped with the app."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI

from pulse.alerts.config import AlertsSettings
from pulse.alerts.evaluation.rulebook import Rulebook
from pulse.alerts.keeping import rule_book
from pulse.alerts.keeping.keeper import AlertKeeper
from pulse.alerts.keeping.outputs import AlertOutputs
from pulse.alerts.keeping.ticker import Ticker
from pulse.alerts.messages import Incoming, decoder
from pulse.alerts.rules.definitions import RuleSet
from pulse.common.clock import Clock, utc_now
from pulse.common.kafka.admin import ensure_topics
from pulse.common.kafka.consumer import ConsumerRunner
from pulse.common.score_changes import time_of
from pulse.common.service import ServiceContext, ServiceHook

log = logging.getLogger(__name__)

GROUP_ID = "pulse-alerts"
STOP_TIMEOUT_S = 8.0


class AlertLoops:
    """The alert keeper and the loops that feed it; what the API reaches at
    `app.state.alerts`."""

    def __init__(
        self,
        context: ServiceContext,
        config: AlertsSettings,
        clock: Clock,
        outputs: AlertOutputs,
        wake_delivery: Callable[[], None],
    ) -> None:
        self.outputs = outputs
        self._wake_delivery = wake_delivery
        self.keeper = AlertKeeper(Rulebook([]), outputs, clock)
        self.runner: ConsumerRunner[Incoming] = ConsumerRunner(
            settings=context.settings,
            group_id=GROUP_ID,
            topics=[*context.topics.all_events, context.topics.health_scores],
            decoder=decoder(context.topics.health_scores),
            handler=self.keeper,
            session_factory=context.sessions,
            producer=context.producer,
            dlq_topic=context.topics.dlq,
            message_time=time_of,
        )
        self.ticker = Ticker(self.keeper, self.runner.run_exclusive, config.tick_s)

    def after_commit(self) -> None:
        """A transaction outside the consumer committed alert changes: deliver now."""
        self._wake_delivery()


def alerts_hook(
    config: AlertsSettings, rules: RuleSet, source: str, clock: Clock = utc_now
) -> ServiceHook:
    """Store the rules, start the consumer and the ticker with the app; stop them cleanly.

    `rules` came from `source` (the shipped defaults or the rules file); `clock` says what
    time it is for windows (tests move it forward).
    """

    @asynccontextmanager
    async def hook(app: FastAPI, context: ServiceContext) -> AsyncIterator[None]:
        await ensure_topics(context.settings, context.topics.all)
        # The playbook and webhook hooks, started before this one, share their catalog of
        # playbooks and their dispatcher.
        outputs = AlertOutputs(app.state.playbooks.catalog, app.state.webhooks.wake)
        loops = AlertLoops(context, config, clock, outputs, app.state.webhooks.wake)
        async with context.sessions.begin() as session:
            if config.rules_file is not None or await rule_book.in_force(session) is None:
                version, in_force = await rule_book.ensure_rules(session, rules, source)
            else:
                found = await rule_book.in_force(session)
                assert found is not None
                version, in_force = found
        loops.keeper.use_rules(Rulebook(in_force.rules), version)
        app.state.alerts = loops
        consumer = asyncio.create_task(loops.runner.run(), name="alerts-consumer")
        ticker = asyncio.create_task(loops.ticker.run(), name="alerts-ticker")
        try:
            yield
        finally:
            # The ticker first starts no new transaction and the consumer finishes its
            # batch; only then is anything cancelled.
            loops.ticker.stop()
            loops.runner.stop()
            for task, name in ((consumer, "consumer"), (ticker, "ticker")):
                try:
                    async with asyncio.timeout(STOP_TIMEOUT_S):
                        await task
                except TimeoutError:
                    log.error("alerts %s did not stop in time; cancelling it", name)
                    task.cancel()

    return hook
