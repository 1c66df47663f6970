"""What a delivery becomes after one attempt. Pure: the moment and randomness are given."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from pulse.alerts.webhooks.outcomes import Outcome, Response, TransportFailure, classify
from pulse.alerts.webhooks.retry import Delivered, GiveUp, RetryAt, Uniform, next_attempt

DeliveryState = Literal["pending", "delivering", "delivered", "failed"]


@dataclass(frozen=True, slots=True)
class NextState:
    """The delivery's state after an attempt; `next_attempt_at` only when it is pending.

    `gone`: the receiver answered 410, so its subscription is disabled at once.
    """

    state: DeliveryState
    next_attempt_at: datetime | None = None
    gone: bool = False

    @property
    def succeeded(self) -> bool:
        return self.state == "delivered"


def after_attempt(
    attempt_number: int,
    result: Response | TransportFailure,
    now: datetime,
    rng: Uniform,
    *,
    first_attempted_at: datetime,
    single_attempt: bool,
) -> NextState:
    """The retry schedule decides, except for a redelivery asked for by hand: that is one
    attempt, delivered or failed, whatever attempts the delivery had before."""
    if single_attempt:
        outcome = classify(result)
        if outcome is Outcome.DELIVERED:
            return NextState("delivered")
        return NextState("failed", gone=outcome is Outcome.GONE)
    decision = next_attempt(attempt_number, result, now, rng, first_attempted_at=first_attempted_at)
    if isinstance(decision, Delivered):
        return NextState("delivered")
    if isinstance(decision, RetryAt):
        return NextState("pending", decision.at)
    assert isinstance(decision, GiveUp)
    return NextState("failed", gone=decision.disable_subscription)
