"""Contract outcomes at renewal: what the account's observed path makes likely, plus noise.

The churn odds grow with what a CSM could have seen in the months before: usage fallen
below the account's norm, narrower feature use, urgent tickets and outages, invoices long
overdue, a sponsor gone, a merger. A hidden per-account term keeps it from being certain.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from decimal import Decimal

SEGMENT_BASE_LOGIT = {"high_touch": -4.5, "low_touch": -4.1, "tech_touch": -3.7}
REASONS = {
    "adoption": "usage never took hold across the team",
    "product_fit": "the product no longer fits how they work",
    "price": "budget cut; the price was no longer justified",
    "support": "too many issues and outages",
    "external": "new owners consolidated their vendors",
}


@dataclass(frozen=True, slots=True)
class PathSummary:
    """What the account's last months looked like, as of its renewal date."""

    usage_ratio: float  # active user-days of the last 28 days / the account's norm
    breadth_ratio: float  # distinct features of the last 28 days / the usual ones
    urgent_tickets_90d: int  # urgent or high priority
    tickets_90d: int
    max_days_overdue_90d: int
    sponsor_gone: bool  # a sponsor left and none joined since
    outages_90d: int
    corporate_event: bool  # merger, acquisition, restructuring or bankruptcy in the year
    nps_latest: int | None


@dataclass(frozen=True, slots=True)
class Outcome:
    """One contract decision at a renewal date."""

    change: str  # renewal, expansion, contraction or churn
    arr_before: Decimal
    arr_after: Decimal
    reason_category: str | None  # for contraction and churn
    churn_probability: float  # the model's odds before the draw


def risk_drivers(path: PathSummary) -> dict[str, float]:
    """Each reason category's share of the churn log-odds (≥ 0)."""
    overdue = path.max_days_overdue_90d
    return {
        "adoption": 3.6 * max(0.0, 1 - path.usage_ratio) + 1.2 * max(0.0, 1 - path.breadth_ratio),
        "support": 0.3 * min(path.urgent_tickets_90d, 8)
        + 0.05 * min(path.tickets_90d, 20)
        + 0.4 * min(path.outages_90d, 4),
        "price": 1.6 if overdue >= 30 else 0.7 if overdue >= 10 else 0.0,
        "external": (1.4 if path.sponsor_gone else 0.0) + (1.1 if path.corporate_event else 0.0),
        "product_fit": 0.0,
    }


def churn_logit(segment: str, path: PathSummary, hidden: float) -> float:
    """Log-odds of churn: the segment's base, the drivers, survey sentiment, the hidden term."""
    nps = path.nps_latest
    sentiment = 0.0 if nps is None else 0.6 if nps <= 6 else -0.5 if nps >= 9 else 0.0
    return SEGMENT_BASE_LOGIT[segment] + sum(risk_drivers(path).values()) + sentiment + hidden


def decide_outcome(
    r: random.Random, segment: str, arr: Decimal, path: PathSummary, hidden: float
) -> Outcome:
    """Churn, contraction, expansion or plain renewal, drawn from the path's odds."""
    logit = churn_logit(segment, path, hidden)
    p_churn = _sigmoid(logit)
    if r.random() < p_churn:
        return Outcome("churn", arr, Decimal(0), churn_reason(r, path), p_churn)
    p_expand = _sigmoid(-2.2 + 3.0 * (path.usage_ratio - 1) + 1.5 * (path.breadth_ratio - 1))
    p_contract = 0.6 * _sigmoid(logit + 1.0)
    draw = r.random()
    if draw < p_contract:
        after = _scaled(arr, 1 - r.uniform(0.1, 0.4))
        return Outcome("contraction", arr, after, churn_reason(r, path), p_churn)
    if draw < p_contract + p_expand:
        return Outcome("expansion", arr, _scaled(arr, 1 + r.uniform(0.1, 0.6)), None, p_churn)
    return Outcome("renewal", arr, arr, None, p_churn)


def churn_reason(r: random.Random, path: PathSummary) -> str:
    """A reason category drawn in proportion to what drove the risk (fit and price always
    have a little weight: customers leave for reasons the data never showed)."""
    drivers = risk_drivers(path)
    weights = [
        drivers[reason] + (0.35 if reason in {"product_fit", "price"} else 0.05)
        for reason in REASONS
    ]
    return r.choices(list(REASONS), weights)[0]


def _scaled(arr: Decimal, factor: float) -> Decimal:
    return (arr * Decimal(str(round(factor, 4)))).quantize(Decimal(1))


def _sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x))
