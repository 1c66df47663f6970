"""Personas: how an account's behaviour drifts over the simulated period.

A persona fixes a `Behaviour` for each day from the account's `onset` (the day its story
turns) and `ramp` (how many days the turn takes). Pure functions of those numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Persona(StrEnum):
    """The story an account follows; the ground truth names it."""

    STEADY = "steady"
    HEALTHY_GROWING = "healthy_growing"
    SLOWLY_DISENGAGING = "slowly_disengaging"
    SUPPORT_HEAVY = "support_heavy"
    BILLING_TROUBLE = "billing_trouble"
    SPONSOR_LOSS = "sponsor_loss"
    OUTAGE_HIT = "outage_hit"
    MERGER_ACQUISITION = "merger_acquisition"


#: How common each persona is: most accounts are unremarkable.
PERSONA_WEIGHTS: dict[Persona, int] = {
    Persona.STEADY: 40,
    Persona.HEALTHY_GROWING: 20,
    Persona.SLOWLY_DISENGAGING: 13,
    Persona.SUPPORT_HEAVY: 8,
    Persona.BILLING_TROUBLE: 6,
    Persona.SPONSOR_LOSS: 5,
    Persona.OUTAGE_HIT: 4,
    Persona.MERGER_ACQUISITION: 4,
}


@dataclass(frozen=True, slots=True)
class Behaviour:
    """Multipliers of an account's nominal behaviour on one day (1.0 = as usual)."""

    activity: float = 1.0  # share of the usual daily active users
    breadth: float = 1.0  # share of the account's usual features in use
    tickets: float = 1.0  # support ticket rate
    urgency: float = 0.0  # added share of urgent/high tickets
    satisfaction: float = 0.0  # shift of survey and csat scores (negative: unhappier)
    touchpoints: float = 1.0  # CSM meeting rate
    pays_late: bool = False  # invoices go overdue
    marketing: float = 1.0  # marketing engagement rate


def progress(day: int, onset: int, ramp: int) -> float:
    """0 before the onset, rising linearly to 1 over `ramp` days."""
    if day < onset:
        return 0.0
    return min(1.0, (day - onset + 1) / max(1, ramp))


def behaviour_on(persona: Persona, day: int, onset: int, ramp: int) -> Behaviour:
    """The behaviour of an account of `persona` on simulated `day`."""
    p = progress(day, onset, ramp)
    match persona:
        case Persona.STEADY:
            return Behaviour()
        case Persona.HEALTHY_GROWING:
            return Behaviour(activity=1 + 0.5 * p, breadth=1 + 0.3 * p, satisfaction=0.8)
        case Persona.SLOWLY_DISENGAGING:
            return Behaviour(
                activity=1 - 0.75 * p,
                breadth=1 - 0.6 * p,
                satisfaction=-1.5 * p,
                touchpoints=1 - 0.7 * p,
                marketing=1 - 0.8 * p,
            )
        case Persona.SUPPORT_HEAVY:
            return Behaviour(
                activity=1 - 0.25 * p,
                tickets=1 + 5 * p,
                urgency=0.4 * p,
                satisfaction=-2.0 * p,
            )
        case Persona.BILLING_TROUBLE:
            return Behaviour(activity=1 - 0.3 * p, pays_late=p > 0, satisfaction=-0.5 * p)
        case Persona.SPONSOR_LOSS:
            return Behaviour(activity=1 - 0.45 * p, breadth=1 - 0.3 * p, touchpoints=1 - 0.8 * p)
        case Persona.OUTAGE_HIT:
            return Behaviour(
                activity=1 - 0.3 * p, tickets=1 + 2.5 * p, urgency=0.3 * p, satisfaction=-1.5 * p
            )
        case Persona.MERGER_ACQUISITION:
            return Behaviour(activity=1 - 0.2 * p, touchpoints=1 - 0.4 * p, satisfaction=-0.5 * p)
