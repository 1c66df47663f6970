"""Product usage, custom metrics, support tickets and outages of one account on one day."""

from __future__ import annotations

import math
from datetime import date

from pulse.devtools.simulation.base import FEATURES
from pulse.devtools.simulation.envelopes import poisson, stamp, working_hours
from pulse.devtools.simulation.incidents import Incident
from pulse.devtools.simulation.personas import Behaviour
from pulse.devtools.simulation.state import AccountState, DayRecord, OpenTicket

WEEKEND_SHARE = 0.2  # of a weekday's active users
PRIORITIES = ("low", "normal", "high", "urgent")
CHANNELS = ("email", "web", "chat", "phone")
#: Days a ticket of each priority stays open (low, high).
RESOLUTION_DAYS = {"low": (2, 14), "normal": (1, 7), "high": (0, 3), "urgent": (0, 1)}


def emit_usage(state: AccountState, on: date, behaviour: Behaviour) -> DayRecord:
    """One `usage.activity` per active user (quantity: that user's actions of the day)."""
    profile, r = state.profile, state.random
    weekday_share = profile.daily_active_share * (1.0 if on.weekday() < 5 else WEEKEND_SHARE)
    nominal = state.seats * weekday_share
    active = min(state.seats, poisson(r, nominal * max(0.0, behaviour.activity)))
    # Disengaging teams shrink to a core: fewer distinct users, not just fewer visits.
    pool = max(active, min(state.seats, math.ceil(state.seats * min(1.0, behaviour.activity))))
    usable = _usable_features(profile.features, behaviour.breadth)
    used: set[str] = set()
    for user in r.sample(range(pool), active):
        # The first features are the account's most used: min() of two draws favours them.
        feature = usable[int(min(r.random(), r.random()) * len(usable))]
        used.add(feature)
        actions = max(1, round(profile.actions_per_user * r.lognormvariate(0, 0.6)))
        state.log.emit(
            "usage.activity",
            working_hours(r, on),
            {"user_id": f"user-{user + 1}", "feature": feature, "quantity": float(actions)},
        )
    return DayRecord(active_users=active, nominal_active_users=nominal, features=frozenset(used))


def _usable_features(features: tuple[str, ...], breadth: float) -> tuple[str, ...]:
    ordered = features + tuple(f for f in FEATURES if f not in features)
    count = max(1, min(len(ordered), round(len(features) * breadth)))
    return ordered[:count]


def emit_metrics(state: AccountState, on: date, record: DayRecord) -> None:
    """Weekly custom measures (Mondays), from the accounts that report them."""
    if not state.profile.reports_metrics or on.weekday() != 0:
        return
    r = state.random
    calls = record.active_users * state.profile.actions_per_user * 7 * r.uniform(2, 6)
    at = stamp(on, 6 * 3600 + r.randrange(3600))
    state.log.emit("metric.recorded", at, {"name": "api_calls_7d", "value": float(round(calls))})
    storage = state.seats * 0.8 * (1 + day_fraction(on)) * r.uniform(0.9, 1.1)
    state.log.emit("metric.recorded", at, {"name": "storage_gb", "value": round(storage, 2)})


def day_fraction(on: date) -> float:
    """How far through the year `on` is (storage grows slowly)."""
    return on.timetuple().tm_yday / 366


def emit_support(state: AccountState, day: int, on: date, behaviour: Behaviour, extra: int) -> None:
    """New tickets (the rate grows with seats) and the resolutions falling due today."""
    r = state.random
    rate = 0.004 * state.seats**0.6 * behaviour.tickets
    for _ in range(poisson(r, rate) + extra):
        _open_ticket(state, day, on, behaviour.urgency)
    for ticket in [t for t in state.tickets if t.resolve_day <= day]:
        state.tickets.remove(ticket)
        data: dict[str, object] = {"ticket_id": ticket.ticket_id}
        if ticket.csat is not None:
            data["csat"] = ticket.csat
        state.log.emit("support.ticket.resolved", working_hours(r, on), data)


def _open_ticket(state: AccountState, day: int, on: date, urgency: float) -> None:
    r = state.random
    u = urgency * 10
    priority = r.choices(PRIORITIES, (30, 50, 15 + u * 2, 5 + u))[0]
    channel = r.choices(CHANNELS, (45, 25, 20, 10 + (30 if priority == "urgent" else 0)))[0]
    ticket_id = state.new_id("T")
    state.log.emit(
        "support.ticket.opened",
        working_hours(r, on),
        {"ticket_id": ticket_id, "priority": priority, "channel": channel},
    )
    low, high = RESOLUTION_DAYS[priority]
    csat = None
    if r.random() < 0.6:
        csat = min(5, max(1, round(r.gauss(4.3 - 1.2 * urgency, 0.8))))
    state.tickets.append(OpenTicket(ticket_id, day + r.randint(low, high), csat))
    state.days[-1].tickets += 1
    if priority in {"high", "urgent"}:
        state.days[-1].urgent_tickets += 1


def emit_outage(state: AccountState, on: date, incident: Incident) -> None:
    """An incident this account felt: started, then resolved the same day."""
    data = {
        "incident_id": incident.incident_id,
        "severity": incident.severity,
        "component": incident.component,
    }
    state.log.emit("outage.started", stamp(on, incident.start_second), data)
    end = incident.start_second + incident.duration_s
    state.log.emit("outage.resolved", stamp(on, end), data)
    state.days[-1].outages += 1
