"""The webhook dispatcher: claims due deliveries, sends each attempt signed afresh, records
what came back, and keeps the log and the gauges.

Each attempt runs in a task of its own, so a slow endpoint holds only its own slots: the
claim loop keeps claiming for other subscriptions while it waits (see `claims` for the
per-subscription limit). An attempt is recorded in its own transaction after the send; a
process that dies in between leaves the lease to run out and the delivery is sent again with
the same `webhook-id` (at least once; receivers drop the repeat by that id).
"""

from __future__ import annotations

import asyncio
import logging
import random
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from pulse.alerts.delivery import metrics
from pulse.alerts.delivery.claims import ClaimedDelivery, claim_due
from pulse.alerts.delivery.config import WebhookSettings
from pulse.alerts.delivery.decisions import NextState, after_attempt
from pulse.alerts.delivery.housekeeping import purge_delivery_log, queue_figures
from pulse.alerts.delivery.recording import Recorded, record_attempt_outcome
from pulse.alerts.delivery.sender import AttemptResult, WebhookSender, webhook_client
from pulse.alerts.webhooks.outcomes import classify
from pulse.alerts.webhooks.rotation import signing_secrets
from pulse.alerts.webhooks.signing import signature_headers
from pulse.common.clock import Clock

log = logging.getLogger(__name__)

#: How often the queue and subscription gauges are refreshed.
GAUGES_S = 15.0
#: How often the delivery log is purged past its retention.
PURGE_S = 3600.0


class WebhookDispatcher:
    """Sends due deliveries until stopped. `wake()` after a commit that enqueued."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        config: WebhookSettings,
        clock: Clock,
        rng: random.Random | None = None,
    ) -> None:
        self.config = config
        self.clock = clock
        self._sessions = sessions
        self._rng = rng or random.Random()
        self._wake = asyncio.Event()
        self._stopping = False
        self._in_flight: set[asyncio.Task[None]] = set()

    def wake(self) -> None:
        """Look for due deliveries now: a transaction just committed some."""
        self._wake.set()

    def stop(self) -> None:
        """Claim nothing more; `run` returns once the attempts in flight are recorded."""
        self._stopping = True
        self._wake.set()

    async def run(self) -> None:
        """Claim and send until `stop()`; cancelling it abandons the attempts in flight
        (their leases run out and they are sent again)."""
        async with webhook_client(self.config.attempt_timeout_s) as client:
            sender = WebhookSender(
                client,
                timeout_s=self.config.attempt_timeout_s,
                allow_private=self.config.allow_private,
            )
            housekeeping = asyncio.create_task(self._housekeeping(), name="webhook-housekeeping")
            try:
                while not self._stopping:
                    self._wake.clear()
                    claimed = await self._claim()
                    for claim in claimed:
                        self._start(sender, claim)
                    if not claimed or len(self._in_flight) >= self.config.workers:
                        await self._wait()
                if self._in_flight:
                    await asyncio.wait(self._in_flight)
            finally:
                housekeeping.cancel()
                for task in self._in_flight:
                    task.cancel()
                await asyncio.gather(housekeeping, *self._in_flight, return_exceptions=True)

    async def purge_log(self) -> int:
        """Purge the delivery log past its retention now; rows removed."""
        async with self._sessions.begin() as session:
            return await purge_delivery_log(session, self.clock(), self.config.log_retention)

    async def refresh_gauges(self) -> None:
        """Read the queue and subscription figures into the gauges."""
        async with self._sessions() as session:
            figures = await queue_figures(session, self.clock())
        metrics.QUEUE_DEPTH.set(figures.depth)
        metrics.OLDEST_PENDING_AGE.set(figures.oldest_pending_age_s)
        metrics.DISABLED_SUBSCRIPTIONS.set(figures.disabled)
        metrics.WARNED_SUBSCRIPTIONS.set(figures.warned)

    async def _claim(self) -> list[ClaimedDelivery]:
        free = self.config.workers - len(self._in_flight)
        if free <= 0:
            return []
        try:
            async with self._sessions.begin() as session:
                return await claim_due(
                    session,
                    self.clock(),
                    lease=self.config.lease,
                    per_subscription=self.config.per_subscription_concurrency,
                    limit=free,
                )
        except Exception:
            log.exception("claiming webhook deliveries failed; retrying")
            return []

    async def _wait(self) -> None:
        try:
            async with asyncio.timeout(self.config.poll_interval_s):
                await self._wake.wait()
        except TimeoutError:
            pass

    def _start(self, sender: WebhookSender, claim: ClaimedDelivery) -> None:
        task = asyncio.create_task(self._deliver(sender, claim), name=f"webhook-{claim.id}")
        self._in_flight.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._in_flight.discard(task)
        self._wake.set()  # a slot is free

    async def _deliver(self, sender: WebhookSender, claim: ClaimedDelivery) -> None:
        try:
            signed_at = self.clock()
            headers = signature_headers(
                signing_secrets(claim.secrets, signed_at),
                claim.webhook_id,
                int(signed_at.timestamp()),
                claim.body,
            )
            sent = await sender.send(claim.url, headers, claim.body)
            now = self.clock()
            next_state = after_attempt(
                claim.attempt,
                sent.result,
                now,
                self._rng.random,
                first_attempted_at=claim.first_attempted_at,
                single_attempt=claim.single_attempt,
            )
            async with self._sessions.begin() as session:
                recorded = await record_attempt_outcome(session, claim, sent, next_state, now=now)
        except Exception:
            # The lease runs out and the delivery is attempted again: nothing is lost.
            log.exception("webhook attempt failed to run", extra={"delivery_id": claim.id})
            return
        self._observe(claim, sent, next_state, recorded, now)

    def _observe(
        self,
        claim: ClaimedDelivery,
        sent: AttemptResult,
        next_state: NextState,
        recorded: Recorded | None,
        now: datetime,
    ) -> None:
        if recorded is None:
            log.warning("webhook lease lost before recording", extra={"delivery_id": claim.id})
            return
        metrics.ATTEMPTS.labels(classify(sent.result).value).inc()
        if recorded.state in ("delivered", "failed"):
            metrics.DELIVERIES.labels(recorded.state).inc()
            metrics.ATTEMPTS_PER_DELIVERY.observe(claim.attempt)
        if recorded.state == "delivered" and next_state.succeeded:
            latency = (now - claim.message_created_at).total_seconds()
            metrics.DELIVERY_LATENCY.observe(max(latency, 0.0))
        if recorded.warning is not None:
            log.warning(
                "webhook subscription %s: %s",
                recorded.warning.state,
                recorded.warning.reason,
                extra={"subscription_id": recorded.warning.subscription_id},
            )
        if recorded.warning_queued:
            self.wake()

    async def _housekeeping(self) -> None:
        since_purge = PURGE_S  # purge once at start
        while True:
            try:
                await self.refresh_gauges()
                if since_purge >= PURGE_S:
                    since_purge = 0.0
                    removed = await self.purge_log()
                    if removed:
                        log.info("purged the webhook delivery log", extra={"rows": removed})
            except Exception:
                log.exception("webhook housekeeping failed; retrying")
            await asyncio.sleep(GAUGES_S)
            since_purge += GAUGES_S
