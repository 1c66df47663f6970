"""The usage metrics a customer-success team would compute for an account of the simulated
base (`churn_base`), read from the same events the model scores: the inputs of the
regression yardstick beside the model's ranking. A test helper.

Volumes (events in 7, 28 and 56 days: the base replays 60 days, so no 90-day window),
active users, features used, intensity per active user and per licensed seat, trends of
volume and of active users, and days since the last use. Counts are in logs (they spread
over orders of magnitude) and trends are log ratios. An account whose seats are unknown
gets 0 for the per-seat metrics and a `seats_known` of 0, so a linear fit can tell the
two apart. Only what happened before the cutoff is read; outcomes never are.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from pulse.common.events import AccountUpdated, Event, UsageActivity

USAGE_METRICS = (
    "events_7d",
    "events_28d",
    "events_56d",
    "active_users_7d",
    "active_users_28d",
    "features_28d",
    "events_per_active_user_28d",
    "events_per_seat_28d",
    "active_users_per_seat_28d",
    "seats",
    "seats_known",
    "trend_28d_vs_28d_before",
    "trend_7d_vs_28d_before",
    "active_users_trend_28d",
    "days_since_last_use",
)
_LONGEST_DAYS = 56


@dataclass
class _Window:
    """Usage events, users and features of the days `first`..`last` before the cutoff."""

    first: int
    last: int
    events: int = 0
    users: set[str] = field(default_factory=set)
    features: set[str] = field(default_factory=set)

    def add(self, days_before: int, usage: UsageActivity) -> None:
        if self.first <= days_before <= self.last:
            self.events += 1
            self.users.add(usage.data.user_id)
            self.features.add(usage.data.feature or "")


def usage_metrics(events: Iterable[Event], cutoff: datetime) -> dict[str, float]:
    """The account's metrics named in `USAGE_METRICS`, from its events before `cutoff`."""
    last_7, last_28, before_28 = _Window(1, 7), _Window(1, 28), _Window(29, 56)
    before_7_28 = _Window(8, 35)  # the 28 days before the last 7, as `usage_trend` reads
    seats: int | None = None
    days_since_use = _LONGEST_DAYS + 1
    for event in events:
        if isinstance(event, AccountUpdated):
            seats = event.data.licensed_seats
        elif isinstance(event, UsageActivity) and event.occurred_at < cutoff:
            days_before = (cutoff.date() - event.occurred_at.date()).days
            days_since_use = min(days_since_use, days_before)
            for window in (last_7, last_28, before_28, before_7_28):
                window.add(days_before, event)
    users_28 = len(last_28.users)
    return {
        "events_7d": math.log1p(last_7.events),
        "events_28d": math.log1p(last_28.events),
        "events_56d": math.log1p(last_28.events + before_28.events),
        "active_users_7d": math.log1p(len(last_7.users)),
        "active_users_28d": math.log1p(users_28),
        "features_28d": math.log1p(len(last_28.features)),
        "events_per_active_user_28d": math.log1p(last_28.events / max(users_28, 1)),
        "events_per_seat_28d": math.log1p(last_28.events / seats) if seats else 0.0,
        "active_users_per_seat_28d": users_28 / seats if seats else 0.0,
        "seats": math.log(seats) if seats else 0.0,
        "seats_known": 1.0 if seats else 0.0,
        "trend_28d_vs_28d_before": _log_ratio(last_28.events, before_28.events),
        "trend_7d_vs_28d_before": _log_ratio(4 * last_7.events, before_7_28.events),
        "active_users_trend_28d": _log_ratio(users_28, len(before_28.users)),
        "days_since_last_use": float(days_since_use),
    }


def _log_ratio(now: float, before: float) -> float:
    """log((now + 1) / (before + 1)): 0 when steady, defined when either is 0."""
    return math.log1p(now) - math.log1p(before)
