"""Invoices: issued on the contract's cadence, paid on time mostly; an account in billing
trouble pays weeks late or not at all, and each stage of lateness is reported."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from pulse.devtools.simulation.envelopes import stamp, working_hours
from pulse.devtools.simulation.personas import Behaviour
from pulse.devtools.simulation.state import AccountState, OpenInvoice

#: Invoices a year, and days until due, per segment.
INVOICES_PER_YEAR = {"high_touch": 4, "low_touch": 12, "tech_touch": 12}
PAYMENT_TERMS_DAYS = {"high_touch": 30, "low_touch": 14, "tech_touch": 7}
#: Days past due at which `invoice.overdue` is sent again.
OVERDUE_REMINDERS = frozenset({1, 7, 15, 30, 45, 60, 90, 120})
#: Currencies without minor units.
WHOLE_UNITS = frozenset({"JPY"})


def invoice_due_today(state: AccountState, on: date) -> bool:
    """Whether `on` is an invoice date: the renewal's day of month, on the cadence."""
    per_year = INVOICES_PER_YEAR[state.profile.segment]
    months_apart = 12 // per_year
    renewal = state.renewal_date
    if on.day != min(renewal.day, 28):
        return False
    return (on.month - renewal.month) % months_apart == 0


def emit_billing(state: AccountState, day: int, on: date, behaviour: Behaviour) -> None:
    """Issue today's invoice if one is due, then pay or chase the open ones."""
    if invoice_due_today(state, on):
        _issue(state, day, on, behaviour)
    for invoice in list(state.invoices):
        _follow_up(state, day, on, invoice)


def _issue(state: AccountState, day: int, on: date, behaviour: Behaviour) -> None:
    r, segment = state.random, state.profile.segment
    amount = state.arr / INVOICES_PER_YEAR[segment]
    places = Decimal(1) if state.profile.currency in WHOLE_UNITS else Decimal("0.01")
    amount = amount.quantize(places)
    terms = PAYMENT_TERMS_DAYS[segment]
    invoice_id = state.new_id("INV")
    state.log.emit(
        "invoice.issued",
        stamp(on, 5 * 3600 + r.randrange(3600)),
        {
            "invoice_id": invoice_id,
            "amount": str(amount),
            "currency": state.profile.currency,
            "due_at": stamp(on + timedelta(days=terms), 0),
        },
    )
    state.invoices.append(
        OpenInvoice(invoice_id, amount, day + terms, _pay_day(state, day, terms, behaviour))
    )


def _pay_day(state: AccountState, day: int, terms: int, behaviour: Behaviour) -> int | None:
    r = state.random
    if behaviour.pays_late:
        return None if r.random() < 0.35 else day + terms + r.randint(20, 75)
    if r.random() < 0.1:  # a few days late: administration, not trouble
        return day + terms + r.randint(1, 6)
    return day + r.randint(1, terms)


def _follow_up(state: AccountState, day: int, on: date, invoice: OpenInvoice) -> None:
    r = state.random
    if invoice.pay_day == day:
        state.invoices.remove(invoice)
        state.log.emit("invoice.paid", working_hours(r, on), {"invoice_id": invoice.invoice_id})
        return
    late = day - invoice.due_day
    if late <= 0:
        return
    state.days[-1].max_days_overdue = max(state.days[-1].max_days_overdue, late)
    if late in OVERDUE_REMINDERS:
        state.log.emit(
            "invoice.overdue",
            stamp(on, 4 * 3600),
            {
                "invoice_id": invoice.invoice_id,
                "days_overdue": late,
                "amount": str(invoice.amount),
                "currency": state.profile.currency,
            },
        )
