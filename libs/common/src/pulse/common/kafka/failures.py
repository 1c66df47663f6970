"""Telling outages (wait and retry) from bad data (isolate and dead-letter), and backing off."""

from __future__ import annotations

import random
from dataclasses import dataclass

from aiokafka.errors import KafkaError
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from pulse.common.kafka.producer import ProduceError

# SQLSTATE classes that mean "the database cannot do it now", not "this data is wrong":
# connection exceptions, transaction rollbacks (serialization, deadlock), insufficient
# resources, operator intervention (shutdown).
_TRANSIENT_SQLSTATE_PREFIXES = ("08", "40", "53", "57P")


def is_transient(exc: BaseException) -> bool:
    """True when retrying the same work later may succeed (broker or database outage)."""
    if isinstance(exc, OSError | TimeoutError | ConnectionError | KafkaError | ProduceError):
        return True
    if isinstance(exc, OperationalError | InterfaceError):
        return True
    if isinstance(exc, DBAPIError):
        if exc.connection_invalidated:
            return True
        sqlstate = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
        if isinstance(sqlstate, str) and sqlstate.startswith(_TRANSIENT_SQLSTATE_PREFIXES):
            return True
    cause = exc.__cause__
    return cause is not None and cause is not exc and is_transient(cause)


@dataclass(slots=True)
class Backoff:
    """Exponential backoff with full jitter, capped; `reset()` after a success."""

    base: float = 0.2
    cap: float = 30.0
    attempt: int = 0

    def next_delay(self) -> float:
        """The next wait in seconds."""
        ceiling = min(self.cap, self.base * 2**self.attempt)
        self.attempt += 1
        return random.uniform(ceiling / 2, ceiling)

    def reset(self) -> None:
        """Start again from the shortest wait."""
        self.attempt = 0
