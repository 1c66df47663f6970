"""The synthetic customer base: each account's attributes, persona and contract.

Each account is drawn from its own random stream (`account_random`), so account
`sim-00042` is the same whatever the size of the base or the order it is generated in.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from pulse.devtools.simulation.personas import PERSONA_WEIGHTS, Persona

SEGMENTS = ("high_touch", "low_touch", "tech_touch")
SEGMENT_WEIGHTS = (12, 33, 55)
#: Median ARR in USD and the spread (sigma of its logarithm) of each segment.
ARR_USD = {"high_touch": (140_000, 0.6), "low_touch": (24_000, 0.5), "tech_touch": (3_000, 0.7)}
ARR_FLOOR_USD = {"high_touch": 40_000, "low_touch": 6_000, "tech_touch": 300}
PLANS = {
    "high_touch": ("business", "enterprise", "enterprise"),
    "low_touch": ("team", "business", "business"),
    "tech_touch": ("starter", "starter", "team"),
}
#: List price per seat and year (USD): seats follow from ARR.
SEAT_PRICE_USD = {"starter": 180, "team": 360, "business": 540, "enterprise": 780}
OWNERS = {
    "high_touch": ("ana.silva", "ben.okafor", "chloe.martin", "dev.patel"),
    "low_touch": ("eva.novak", "farid.haddad", "grace.kim"),
    "tech_touch": ("digital-cs",),
}
#: Currency, share of accounts, units per USD (rounded: the simulation's own rates).
CURRENCIES = (("USD", 86, 1.0), ("EUR", 8, 0.92), ("GBP", 4, 0.79), ("JPY", 2, 150.0))
INDUSTRIES = ("software", "retail", "manufacturing", "healthcare", "finance", "education")
FEATURES = (
    "dashboards", "reports", "search", "alerts", "export", "api", "integrations",
    "workflows", "sso", "audit_log", "forecasting", "mobile",
)  # fmt: skip
_NAME_FIRST = ("North", "Blue", "Iron", "Bright", "Silver", "Oak", "Red", "Summit", "Delta")
_NAME_SECOND = ("river", "stone", "field", "point", "wave", "forge", "leaf", "bridge", "peak")
_NAME_SUFFIX = ("Ltd", "Inc", "GmbH", "Group", "Labs", "Systems", "Co")


@dataclass(frozen=True, slots=True)
class AccountProfile:
    """Who an account is at the start of the simulation, and the story it will follow."""

    account_id: str
    name: str
    segment: str
    plan: str
    industry: str
    owner: str
    currency: str
    arr: Decimal  # in `currency`
    seats: int
    renewal_date: date
    persona: Persona
    onset_day: int  # the day the persona's turn begins (negative: before day 0)
    ramp_days: int  # how long the turn takes
    features: tuple[str, ...]  # what the account uses when all is well, most used first
    daily_active_share: float  # of seats, on a weekday, when all is well
    actions_per_user: float  # median actions per active user per day
    reports_metrics: bool  # sends `metric.recorded`


def account_id_of(index: int) -> str:
    """`sim-00042`: stable, sortable account ids."""
    return f"sim-{index:05d}"


def account_random(seed: int, account_id: str, stream: str) -> random.Random:
    """An account's own random stream (seeded by a string: stable across processes)."""
    return random.Random(f"pulse-simulation/{seed}/{account_id}/{stream}")


def generate_base(
    seed: int, accounts: int, start: date, days: int, *, usd_only: bool = False
) -> tuple[AccountProfile, ...]:
    """`accounts` profiles, `sim-00000` onwards, for a simulation of `days` from `start`."""
    return tuple(
        generate_profile(seed, index, start, days, usd_only=usd_only) for index in range(accounts)
    )


def generate_profile(
    seed: int, index: int, start: date, days: int, *, usd_only: bool = False
) -> AccountProfile:
    """The profile of account number `index`, from its own random stream (`usd_only`:
    every account in USD, the rest of the profile unchanged)."""
    account_id = account_id_of(index)
    r = account_random(seed, account_id, "profile")
    segment = r.choices(SEGMENTS, SEGMENT_WEIGHTS)[0]
    plan = r.choice(PLANS[segment])
    median, sigma = ARR_USD[segment]
    arr_usd = max(ARR_FLOOR_USD[segment], median * math.exp(r.gauss(0, sigma)))
    currency, _, per_usd = r.choices(CURRENCIES, [c[1] for c in CURRENCIES])[0]
    if usd_only:
        currency, per_usd = "USD", 1.0
    seats = max(1, round(arr_usd / SEAT_PRICE_USD[plan]))
    renewal_day = _renewal_day(r, days)
    persona = r.choices(list(PERSONA_WEIGHTS), list(PERSONA_WEIGHTS.values()))[0]
    onset, ramp = _turn(r, persona, renewal_day, days)
    return AccountProfile(
        account_id=account_id,
        name=f"{r.choice(_NAME_FIRST)}{r.choice(_NAME_SECOND)} {r.choice(_NAME_SUFFIX)}",
        segment=segment,
        plan=plan,
        industry=r.choice(INDUSTRIES),
        owner=r.choice(OWNERS[segment]),
        currency=currency,
        arr=Decimal(round(arr_usd * per_usd)),
        seats=seats,
        renewal_date=start + timedelta(days=renewal_day),
        persona=persona,
        onset_day=onset,
        ramp_days=ramp,
        features=_features(r, segment),
        daily_active_share=r.uniform(0.12, 0.5),
        # Log-normal: usage intensity spans orders of magnitude across accounts.
        actions_per_user=math.exp(r.gauss(math.log(12), 1.0)),
        reports_metrics=r.random() < 0.4,
    )


def _renewal_day(r: random.Random, days: int) -> int:
    """Annual contracts spread over a year that starts a third into the simulation, so
    the renewals that fall inside it have some history before them."""
    first = max(1, days // 3)
    return first + r.randrange(365)


def _turn(r: random.Random, persona: Persona, renewal_day: int, days: int) -> tuple[int, int]:
    """When the persona's story turns and how long the turn takes (days)."""
    if persona is Persona.HEALTHY_GROWING:
        return 0, max(30, days)
    # Troubles start months before the renewal they threaten: for an early renewal, before
    # the simulation does (a negative onset), so the account is already on its way down.
    return renewal_day - r.randint(45, 200), r.randint(30, 120)


def _features(r: random.Random, segment: str) -> tuple[str, ...]:
    count = {"high_touch": (6, 12), "low_touch": (4, 9), "tech_touch": (2, 6)}[segment]
    return tuple(r.sample(FEATURES, r.randint(*count)))
