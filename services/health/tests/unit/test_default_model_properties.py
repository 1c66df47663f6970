"""Properties of the shipped model on arbitrary accounts: more trouble never raises a score,
a payment never lowers it."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pulse.common.events import Event, validate_event
from pulse.devtools.testing.strategies import NOW, raw_events
from pulse.health.scoring.model import default_model
from pulse.health.scoring.score import score_account
from pulse.health.scoring.state import AccountState

MODEL = default_model()
PROPERTY_SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)

recent = st.integers(0, 28 * 24 * 3600).map(lambda s: NOW - timedelta(seconds=s))
due_dates = st.integers(-120, 60).map(lambda days: NOW + timedelta(days=days))


def make(event_type: str, at: datetime, **data: Any) -> Event:
    raw = {"type": event_type, "account_id": "acme", "occurred_at": at.isoformat(), "data": data}
    return validate_event(raw, now=NOW)


@st.composite
def invoices(draw: st.DrawFn) -> list[Event]:
    """Invoices issued, some paid or reported overdue, with due dates around now."""
    events: list[Event] = []
    for n in range(draw(st.integers(0, 4))):
        issued = draw(recent)
        due = draw(due_dates)
        amount = draw(st.integers(1, 50_000))
        events.append(
            make("invoice.issued", issued, invoice_id=f"inv-{n}", amount=amount,
                 currency="EUR", due_at=due.isoformat())
        )  # fmt: skip
        if draw(st.booleans()):
            events.append(make("invoice.paid", draw(recent), invoice_id=f"inv-{n}"))
    return events


#: A ticket and an outage a year ago, both closed: the account's tickets and outages reach
#: Pulse. (Until the first of them, the support and reliability measures are absent; the
#: first one brings them in, which can move the score either way.)
A_YEAR_AGO = NOW - timedelta(days=365)
SOURCES_CONNECTED = (
    ("support.ticket.opened", {"ticket_id": "first"}),
    ("support.ticket.resolved", {"ticket_id": "first"}),
    ("outage.started", {"incident_id": "first"}),
    ("outage.resolved", {"incident_id": "first"}),
)


@st.composite
def accounts(draw: st.DrawFn) -> AccountState:
    """An account that sends tickets and outages, with any mix of events of the past year,
    invoices and a CSM sentiment."""
    events = [validate_event(raw, now=NOW) for raw in draw(st.lists(raw_events(), max_size=30))]
    events += [make(event_type, A_YEAR_AGO, **data) for event_type, data in SOURCES_CONNECTED]
    events += draw(invoices())
    if draw(st.booleans()):
        seats = draw(st.integers(1, 200))
        arr = draw(st.integers(1_000, 2_000_000))
        events.append(make("account.updated", NOW - timedelta(days=1), licensed_seats=seats,
                           arr=arr, currency="EUR"))  # fmt: skip
    state = AccountState()
    for event in sorted(events, key=lambda e: e.occurred_at):
        state.apply(event)
    sentiment = draw(st.sampled_from([None, "green", "yellow", "red"]))
    if sentiment is not None:
        state.set_csm_sentiment(sentiment, None, NOW - timedelta(days=draw(st.integers(0, 100))))
    return state


def score_with(state: AccountState, event: Event) -> tuple[float, float]:
    """(score before, score after applying `event` to a copy of `state`)."""
    after = AccountState.from_dict(state.to_dict())
    after.apply(event)
    return score_account(MODEL, state, NOW).score, score_account(MODEL, after, NOW).score


@PROPERTY_SETTINGS
@given(state=accounts(), at=recent, channel=st.sampled_from(["phone", "email", "web", None]))
def test_one_more_urgent_ticket_never_raises_the_score(
    state: AccountState, at: datetime, channel: str | None
) -> None:
    data = {"ticket_id": "extra-urgent", "priority": "urgent"}
    if channel is not None:
        data["channel"] = channel
    before, after = score_with(state, make("support.ticket.opened", at, **data))
    assert after <= before


@PROPERTY_SETTINGS
@given(
    state=accounts(),
    at=recent,
    priority=st.sampled_from(["low", "normal", "high", "urgent", None]),
)
def test_one_more_phone_ticket_never_raises_the_score(
    state: AccountState, at: datetime, priority: str | None
) -> None:
    data = {"ticket_id": "extra-phone", "channel": "phone"}
    if priority is not None:
        data["priority"] = priority
    before, after = score_with(state, make("support.ticket.opened", at, **data))
    assert after <= before


@PROPERTY_SETTINGS
@given(
    state=accounts(),
    at=recent,
    severity=st.sampled_from(["minor", "major", "critical", None]),
)
def test_one_more_outage_never_raises_the_score(
    state: AccountState, at: datetime, severity: str | None
) -> None:
    data = {"incident_id": "extra-incident"}
    if severity is not None:
        data["severity"] = severity
    before, after = score_with(state, make("outage.started", at, **data))
    assert after <= before


@PROPERTY_SETTINGS
@given(state=accounts(), issued=recent, due=due_dates, amount=st.integers(1, 100_000))
def test_one_more_overdue_day_never_raises_the_score(
    state: AccountState, issued: datetime, due: datetime, amount: int
) -> None:
    def with_invoice_due(at: datetime) -> float:
        copy = AccountState.from_dict(state.to_dict())
        copy.apply(
            make("invoice.issued", issued, invoice_id="extra-invoice", amount=amount,
                 currency="EUR", due_at=at.isoformat())
        )  # fmt: skip
        return score_account(MODEL, copy, NOW).score

    assert with_invoice_due(due - timedelta(days=1)) <= with_invoice_due(due)


@PROPERTY_SETTINGS
@given(state=accounts(), paid=st.integers(-1, 4), at=recent)
def test_a_payment_never_lowers_the_score(state: AccountState, paid: int, at: datetime) -> None:
    # pay one of the generated invoices (inv-0 ... inv-3) or one never seen (inv--1)
    before, after = score_with(state, make("invoice.paid", at, invoice_id=f"inv-{paid}"))
    assert after >= before


def test_a_payment_of_the_overdue_invoice_restores_billing(now: datetime) -> None:
    state = AccountState()
    state.apply(make("account.updated", now - timedelta(days=60), arr="120000", currency="EUR"))
    state.apply(
        make("invoice.issued", now - timedelta(days=50), invoice_id="i1", amount="30000",
             currency="EUR", due_at=(now - timedelta(days=20)).isoformat())
    )  # fmt: skip
    overdue = score_account(MODEL, state, now)
    billing = {c.measure: c for c in overdue.components if c.group == "billing"}
    assert billing["max_days_overdue"].value == 20.0
    assert billing["max_days_overdue"].score == 60.0  # 15 to 29 days overdue
    assert billing["overdue_amount_ratio"].value == 0.25  # 30,000 of 120,000 ARR
    assert billing["overdue_amount_ratio"].score == 30.0
    state.apply(make("invoice.paid", now, invoice_id="i1"))
    paid = score_account(MODEL, state, now)
    assert {c.measure: c.score for c in paid.components if c.group == "billing"} == {
        "max_days_overdue": 100.0,
        "overdue_amount_ratio": 100.0,
    }
    assert paid.score > overdue.score
