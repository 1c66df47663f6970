"""What ingest knows of the broker between requests, so a request need not wait to learn it.

Once a produce fails or times out, the broker counts as unreachable: requests are refused
at once (503) instead of queueing more messages into a producer that cannot send them,
while a background probe asks the broker for metadata until it answers again.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)

#: How long one probe may wait for the broker's answer, and the pause between probes.
PROBE_TIMEOUT_S = 1.0
PROBE_INTERVAL_S = 0.5


class BrokerHealth:
    """Reachable until told otherwise; then unreachable until `probe` succeeds."""

    def __init__(
        self,
        probe: Callable[[], Awaitable[None]],
        *,
        probe_timeout_s: float = PROBE_TIMEOUT_S,
        probe_interval_s: float = PROBE_INTERVAL_S,
    ) -> None:
        self._probe = probe
        self._probe_timeout_s = probe_timeout_s
        self._probe_interval_s = probe_interval_s
        self._problem: str | None = None
        self._since = 0.0
        self._prober: asyncio.Task[None] | None = None

    @property
    def problem(self) -> str | None:
        """Why the broker counts as unreachable, and for how long; None while reachable."""
        if self._problem is None:
            return None
        return f"{self._problem}, {time.monotonic() - self._since:.1f}s ago"

    def unreachable(self, problem: str) -> None:
        """A produce failed: refuse requests until the broker answers a probe."""
        if self._problem is None:
            log.warning("broker unreachable: %s; refusing events until it answers", problem)
            self._problem, self._since = problem, time.monotonic()
        if self._prober is None or self._prober.done():
            self._prober = asyncio.create_task(self._probe_until_back(), name="broker-probe")

    async def close(self) -> None:
        """Stop probing."""
        if self._prober is not None:
            self._prober.cancel()
            await asyncio.gather(self._prober, return_exceptions=True)

    async def _probe_until_back(self) -> None:
        while True:
            try:
                async with asyncio.timeout(self._probe_timeout_s):
                    await self._probe()
            except Exception as error:  # any failure means: not back yet
                log.debug("broker probe failed: %r", error)
                await asyncio.sleep(self._probe_interval_s)
                continue
            log.warning("broker answers again; accepting events")
            self._problem = None
            return
