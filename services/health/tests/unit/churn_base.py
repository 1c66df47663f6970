"""A seeded, usage-and-subscription-only customer base with churn as ground truth: a test
helper that lets the default model's ranking of churners be measured in-process.

Each account has seats, a share of seats in use, a per-user habit (how many days a user
is active) and a breadth of features, spread as B2B SaaS accounts spread (log-normal seats,
mostly small; adoption anywhere from a tenth of the seats to all of them). Churn within 90
days of the cutoff is drawn from a hazard that is a little higher for small and lightly
engaged accounts; most churners' usage thins out (users drop off, the rest come less
often) from a start 30-150 days before their churn date, with noise, so at the cutoff some
have not started declining yet, and a quarter churn with no usage sign at all (budget, an
acquisition). Retained accounts drift up or down and some take a holiday dip. A few accounts
send support tickets; none sends outages, contacts, marketing or signals.

The base covers 180 days; only the last `REPLAYED_DAYS` before the cutoff are turned into
events, as no usage window of either default model reaches further back (the 28 + 28 days
of `usage_trend_28d` is the longest). One `usage.activity` event is a user's active day.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pulse.common.events import (
    AccountUpdated,
    AccountUpdatedData,
    Event,
    SupportTicketOpened,
    SupportTicketOpenedData,
    UsageActivity,
    UsageActivityData,
)

CUTOFF = datetime(2026, 6, 1, tzinfo=UTC)
HORIZON_DAYS = 90
SIMULATED_DAYS = 180
REPLAYED_DAYS = 60
FEATURES = 40
_WEEKEND_FACTOR = 0.25
_SILENT_SHARE = 0.25  # churners with no usage sign before they leave


@dataclass(frozen=True)
class SimulatedAccount:
    """One account: its events up to the cutoff and whether it churns within the horizon."""

    account_id: str
    churns: bool
    events: list[Event]


@dataclass(frozen=True)
class _Profile:
    seats: int
    users: int  # people who use the product at the start (may exceed seats)
    habit: float  # a user's chance of being active on a weekday
    features: int
    seats_known: bool
    arr: float
    sends_tickets: bool
    churns: bool
    decline_start: int | None  # day (0 = cutoff) usage starts to thin out
    decline_end: int  # day it reaches `floor`
    floor: float  # usage left at the churn date, relative to the start
    drift: float  # retained accounts: log of usage growth over 180 days
    dip: tuple[int, int] | None  # retained accounts: a holiday (first, last day)


def simulate_base(seed: int, accounts: int = 2_000) -> Iterator[SimulatedAccount]:
    """The accounts of a base, in order; the same seed gives the same base."""
    rng = random.Random(seed)
    for n in range(accounts):
        account_id = f"acct-{n:05d}"
        profile = _profile(rng)
        yield SimulatedAccount(account_id, profile.churns, _events(rng, account_id, profile))


def _profile(rng: random.Random) -> _Profile:
    seats = max(1, min(2_000, round(math.exp(rng.gauss(math.log(10), 0.9)))))
    adoption = min(1.2, rng.betavariate(2.0, 2.0) * 1.1)  # share of seats in use
    habit = rng.betavariate(1.5, 3.0)  # mean 0.33: a user active about 1 weekday in 3
    engagement = math.log(max(adoption * habit, 1e-3))
    # 90-day churn hazard: ~5 % overall, higher for small and lightly engaged accounts.
    logit = -3.0 - 0.45 * (engagement + 1.9) - 0.25 * (math.log(seats) - math.log(10))
    churns = rng.random() < 1 / (1 + math.exp(-logit))
    churn_day = rng.randint(1, HORIZON_DAYS)
    silent = churns and rng.random() < _SILENT_SHARE
    return _Profile(
        seats=seats,
        users=max(1, round(seats * adoption)),
        habit=habit,
        features=max(1, min(FEATURES, round(rng.lognormvariate(math.log(9), 0.6)))),
        seats_known=rng.random() < 0.85,
        arr=seats * rng.lognormvariate(math.log(450), 0.5),
        sends_tickets=rng.random() < 0.15,
        churns=churns,
        decline_start=churn_day - rng.randint(30, 150) if churns and not silent else None,
        decline_end=churn_day,
        floor=rng.uniform(0.05, 0.5),
        drift=rng.gauss(0.0, 0.35),
        dip=_dip(rng) if not churns and rng.random() < 0.1 else None,
    )


def _dip(rng: random.Random) -> tuple[int, int]:
    first = -rng.randint(5, REPLAYED_DAYS)
    return first, first + rng.randint(7, 21)


def _level(profile: _Profile, day: int) -> float:
    """Usage on `day` (0 = cutoff) relative to the start of the simulated period."""
    if profile.decline_start is not None:
        if day <= profile.decline_start:
            return 1.0
        done = min(
            1.0, (day - profile.decline_start) / (profile.decline_end - profile.decline_start)
        )
        return float(profile.floor**done)  # a steady exponential decay to the floor
    level = math.exp(profile.drift * (day + SIMULATED_DAYS) / SIMULATED_DAYS)
    if profile.dip is not None and profile.dip[0] <= day <= profile.dip[1]:
        level *= 0.4
    return level


def _events(rng: random.Random, account_id: str, profile: _Profile) -> list[Event]:
    first_moment = CUTOFF - timedelta(days=REPLAYED_DAYS)
    events: list[Event] = [_account(account_id, profile, first_moment)]
    # Each user: a habit around the account's, a feature mix, and a rank deciding when
    # they drop off as usage thins (the lowest ranks stay longest).
    users = [
        (f"u{u}", min(1.0, profile.habit * rng.lognormvariate(0.0, 0.5)), rng.random())
        for u in range(profile.users)
    ]
    features = [f"feature-{f}" for f in rng.sample(range(FEATURES), profile.features)]
    for day in range(-REPLAYED_DAYS, 0):
        moment = CUTOFF + timedelta(days=day, hours=12)
        weekday = moment.weekday() < 5
        level = _level(profile, day)
        # Thinning: a share sqrt(level) of users remain, coming sqrt(level) as often.
        remaining = math.sqrt(min(level, 1.0))
        frequency = math.sqrt(level) * (1.0 if weekday else _WEEKEND_FACTOR)
        for user_id, habit, rank in users:
            if rank <= remaining and rng.random() < habit * frequency:
                data = UsageActivityData.model_construct(
                    user_id=user_id, feature=rng.choice(features), quantity=1.0
                )
                events.append(_usage(account_id, moment, data))
        if profile.sends_tickets and rng.random() < 0.07:
            events.append(_ticket(account_id, moment, f"t{day}"))
    return events


def _account(account_id: str, profile: _Profile, at: datetime) -> Event:
    data = AccountUpdatedData(
        arr=round(profile.arr, 2),
        licensed_seats=profile.seats if profile.seats_known else None,
    )
    return AccountUpdated(account_id=account_id, occurred_at=at, data=data)


def _usage(account_id: str, at: datetime, data: UsageActivityData) -> Event:
    # Built without validation: hundreds of thousands of events, all valid by construction.
    return UsageActivity.model_construct(
        id="", type="usage.activity", account_id=account_id, occurred_at=at, source=None,
        data=data,
    )  # fmt: skip


def _ticket(account_id: str, at: datetime, ticket_id: str) -> Event:
    data = SupportTicketOpenedData(ticket_id=ticket_id)
    return SupportTicketOpened(account_id=account_id, occurred_at=at, data=data)
