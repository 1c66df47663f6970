"""What one delivery attempt's result means for the message and the subscription."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class TransportFailure(Enum):
    """An attempt that got no HTTP response at all."""

    TIMEOUT = "timeout"
    CONNECTION_ERROR = "connection_error"


@dataclass(frozen=True, slots=True)
class Response:
    """The parts of an HTTP response that decide what happens next."""

    status: int
    retry_after: str | None = None


class Outcome(Enum):
    DELIVERED = "delivered"
    #: 410 Gone: the receiver says the endpoint is no more; the subscription is disabled at once.
    GONE = "gone"
    FAILED = "failed"
    #: A failure where the receiver asked us to slow down (429, 503); `Retry-After` applies.
    THROTTLED = "throttled"


#: Statuses whose `Retry-After` is honoured.
THROTTLING_STATUSES = frozenset({429, 503})


def classify(result: Response | TransportFailure) -> Outcome:
    """2xx delivers; 410 is gone; anything else is a failure, redirects included.

    Redirects are not followed: a 3xx could send the signed payload to a host the address
    guard never checked, so the receiver has to register its final URL.
    """
    if isinstance(result, TransportFailure):
        return Outcome.FAILED
    if 200 <= result.status < 300:
        return Outcome.DELIVERED
    if result.status == 410:
        return Outcome.GONE
    if result.status in THROTTLING_STATUSES:
        return Outcome.THROTTLED
    return Outcome.FAILED
