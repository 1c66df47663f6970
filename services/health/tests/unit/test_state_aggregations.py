"""Aggregations over what an account has open or last did (days since, open items,
overdue invoices) and manual values, with the numbers worked out in the test."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from pulse.common.events import Event
from pulse.health.scoring.days import day_of, midnight
from pulse.health.scoring.state import AccountState

from .one_measure import fed, one_measure, value

Make = Callable[..., Event]
DAY = timedelta(days=1)


# -- days since, open items ------------------------------------------------------------


def test_days_since_last_executive_touchpoint(event: Make, now: datetime) -> None:
    model = one_measure(
        "reads:\n  - {type: engagement.touchpoint, where: {with_executive: true}}\n"
        "  - {type: account.signal, where: {kind: executive_sponsor_meeting}}\n"
        "aggregation: {kind: days_since_last}"
    )
    state = AccountState()
    assert value(model, state, now) is None
    state.apply(event("engagement.touchpoint", now - 12 * DAY, kind="qbr", with_executive=True))
    state.apply(event("engagement.touchpoint", now - 2 * DAY, kind="call", with_executive=False))
    state.apply(event("account.signal", now - 20 * DAY, kind="executive_sponsor_meeting"))
    assert value(model, state, now) == 12.0
    assert value(model, state, now + 10 * DAY) == 22.0
    assert state.next_change_at(model, now) == midnight(day_of(now) + 1)


def test_days_since_last_reaches_beyond_the_kept_days(event: Make, now: datetime) -> None:
    model = one_measure(
        "reads: [{type: engagement.touchpoint}]\naggregation: {kind: days_since_last}"
    )
    state = fed(event("engagement.touchpoint", now, kind="qbr"))
    state.prune(now + 400 * DAY)
    assert value(model, state, now + 400 * DAY) == 400.0


def test_open_urgent_and_high_tickets(event: Make, now: datetime) -> None:
    model = one_measure(
        "reads: [{type: support.ticket.opened, where: {priority: [urgent, high]}}]\n"
        "aggregation: {kind: open_count}"
    )
    state = fed(
        event("support.ticket.opened", now - 9 * DAY, ticket_id="t1", priority="urgent"),
        event("support.ticket.opened", now - 8 * DAY, ticket_id="t2", priority="high"),
        event("support.ticket.resolved", now - 7 * DAY, ticket_id="t2"),
        event("support.ticket.opened", now - 6 * DAY, ticket_id="t3", priority="low"),
        event("support.ticket.resolved", now - 5 * DAY, ticket_id="t4"),  # resolution first,
        event("support.ticket.opened", now - 6 * DAY, ticket_id="t4", priority="urgent"),  # late
        event("support.ticket.resolved", now - 4 * DAY, ticket_id="t5"),
        event("support.ticket.opened", now - 3 * DAY, ticket_id="t5", priority="high"),  # reopened
    )
    assert value(model, state, now) == 2.0  # t1 and t5
    assert state.next_change_at(model, now) is None


def test_open_invoice_amount_in_the_account_currency(event: Make, now: datetime) -> None:
    model = one_measure("reads: [{type: invoice.issued}]\naggregation: {kind: open_amount}")
    due = (now + 30 * DAY).isoformat()
    state = AccountState()
    assert value(model, state, now) is None  # no invoice ever: billing unknown
    for e in (
        event("account.updated", now, currency="EUR"),
        event("invoice.issued", now, invoice_id="a", amount="100", currency="EUR", due_at=due),
        event("invoice.issued", now, invoice_id="b", amount="50", currency="EUR", due_at=due),
        event("invoice.paid", now + timedelta(hours=1), invoice_id="b"),
        event("invoice.issued", now, invoice_id="c", amount="30", currency="USD", due_at=due),
    ):
        state.apply(e)
    assert value(model, state, now) == 100.0


def test_largest_days_overdue_grows_each_day(event: Make, now: datetime) -> None:
    model = one_measure(
        "reads: [{type: invoice.issued}]\naggregation: {kind: max_days_overdue}\n"
        "scoring: {steps: [{min: 0, score: 100}, {min: 30, score: 0}]}"
    )
    state = fed(
        event("invoice.issued", now - 40 * DAY, invoice_id="a", amount=1, currency="EUR",
              due_at=(now - 10 * DAY).isoformat()),
        event("invoice.issued", now - 30 * DAY, invoice_id="b", amount=1, currency="EUR",
              due_at=(now - 3 * DAY).isoformat()),
        event("invoice.issued", now - 60 * DAY, invoice_id="c", amount=1, currency="EUR",
              due_at=(now - 40 * DAY).isoformat()),
        event("invoice.paid", now - 20 * DAY, invoice_id="c"),
    )  # fmt: skip
    assert value(model, state, now) == 10.0
    assert value(model, state, now + 5 * DAY) == 15.0
    assert state.next_change_at(model, now) == midnight(day_of(now) + 1)
    state.apply(event("invoice.paid", now, invoice_id="a"))
    state.apply(event("invoice.paid", now, invoice_id="b"))
    assert value(model, state, now) == 0.0
    assert state.next_change_at(model, now) is None


def test_overdue_notice_of_an_unknown_invoice(event: Make, now: datetime) -> None:
    model = one_measure("reads: [{type: invoice.overdue}]\naggregation: {kind: max_days_overdue}")
    state = fed(event("invoice.overdue", now - DAY, invoice_id="x", days_overdue=5, amount="10"))
    assert value(model, state, now) == 6.0  # 5 days overdue yesterday


def test_a_due_date_in_the_future_is_when_the_value_next_changes(
    event: Make, now: datetime
) -> None:
    model = one_measure("reads: [{type: invoice.issued}]\naggregation: {kind: max_days_overdue}")
    due = now + 5 * DAY
    state = fed(
        event(
            "invoice.issued", now, invoice_id="a", amount=1, currency="EUR", due_at=due.isoformat()
        )
    )
    assert value(model, state, now) == 0.0
    assert state.next_change_at(model, now) == midnight(day_of(due) + 1)
    assert value(model, state, midnight(day_of(due) + 1)) == 1.0


def test_overdue_amount_over_arr(event: Make, now: datetime) -> None:
    model = one_measure(
        "reads: [{type: invoice.issued}]\naggregation: {kind: overdue_amount_ratio}"
    )
    state = fed(
        event("account.updated", now - 50 * DAY + DAY, arr="100000", currency="EUR"),
        event("invoice.issued", now - 20 * DAY, invoice_id="a", amount="10000", currency="EUR",
              due_at=(now - DAY).isoformat()),
        event("invoice.issued", now - 20 * DAY, invoice_id="b", amount="5000", currency="EUR",
              due_at=now.isoformat()),
    )  # fmt: skip
    assert value(model, state, now) == 0.1  # b is due today: not overdue yet
    assert state.next_change_at(model, now) == midnight(day_of(now) + 1)
    assert value(model, state, now + DAY) == 0.15


def test_overdue_ratio_without_arr_is_missing(event: Make, now: datetime) -> None:
    model = one_measure(
        "reads: [{type: invoice.issued}]\naggregation: {kind: overdue_amount_ratio}"
    )
    state = fed(
        event("invoice.issued", now, invoice_id="a", amount="1", currency="EUR",
              due_at=(now - DAY).isoformat()),
    )  # fmt: skip
    assert value(model, state, now) is None


# -- manual ----------------------------------------------------------------------------


def test_csm_sentiment_and_its_staleness(now: datetime) -> None:
    model = one_measure(
        "aggregation: {kind: manual, values: {green: 100, yellow: 50, red: 0}}\nwindow_days: 90"
    )
    state = AccountState()
    assert value(model, state, now) is None
    assert state.set_csm_sentiment("yellow", "budget cut", now)
    assert value(model, state, now) == 50.0
    assert value(model, state, now + 89 * DAY) == 50.0
    assert value(model, state, now + 90 * DAY) is None
    assert state.next_change_at(model, now) == midnight(day_of(now) + 90)


def test_open_invoices_count(event: Make, now: datetime) -> None:
    model = one_measure("reads: [{type: invoice.issued}]\naggregation: {kind: open_count}")
    due = now.isoformat()
    state = fed(
        event("invoice.issued", now, invoice_id="a", amount=1, currency="EUR", due_at=due),
        event("invoice.issued", now, invoice_id="b", amount=1, currency="EUR", due_at=due),
        event("invoice.paid", now + timedelta(minutes=1), invoice_id="b"),
    )
    assert value(model, state, now) == 1.0
