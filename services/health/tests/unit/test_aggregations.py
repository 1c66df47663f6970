"""Window aggregations (count, sum, average, latest, distinct, ratios, trends) over
hand-made accounts, with the numbers worked out in the test."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest

from pulse.common.events import Event
from pulse.health.scoring.days import day_of, midnight
from pulse.health.scoring.state import AccountState

from .one_measure import fed, one_measure, value

Make = Callable[..., Event]
DAY = timedelta(days=1)


# -- count -----------------------------------------------------------------------------


def test_count_includes_the_days_of_the_window_ending_today(event: Make, now: datetime) -> None:
    model = one_measure(
        "reads: [{type: support.ticket.opened}]\naggregation: {kind: count}\nwindow_days: 30"
    )
    state = fed(
        *(
            event("support.ticket.opened", now - days * DAY, ticket_id=f"t{days}")
            for days in (45, 30, 29, 14, 13, 0)
        )
    )
    # days 0, 13, 14 and 29 ago fall in the 30 days ending today; 30 and 45 days ago do not
    assert value(model, state, now) == 4.0
    # the day after, the ticket of 29 days ago has left the window
    assert value(model, state, now + DAY) == 3.0


def test_phone_calls_outside_window_do_not_count(event: Make, now: datetime) -> None:
    model = one_measure(
        "reads: [{type: support.ticket.opened, where: {channel: phone}}]\n"
        "aggregation: {kind: count}\nwindow_days: 14"
    )
    state = fed(
        event("support.ticket.opened", now, ticket_id="a", channel="phone"),
        event("support.ticket.opened", now - 13 * DAY, ticket_id="b", channel="phone"),
        event("support.ticket.opened", now - 14 * DAY, ticket_id="c", channel="phone"),
        event("support.ticket.opened", now - DAY, ticket_id="d", channel="email"),
        event("support.ticket.opened", now - DAY, ticket_id="e"),
    )
    assert value(model, state, now) == 2.0


def test_count_weighted_by_severity(event: Make, now: datetime) -> None:
    model = one_measure(
        "reads: [{type: outage.started}]\n"
        "aggregation: {kind: count, weights: {field: severity, "
        "values: {minor: 1, major: 2, critical: 4}, default: 0.5}}\nwindow_days: 30"
    )
    state = fed(
        event("outage.started", now, incident_id="i1", severity="minor"),
        event("outage.started", now - DAY, incident_id="i2", severity="major"),
        event("outage.started", now - 2 * DAY, incident_id="i3", severity="critical"),
        event("outage.started", now - 3 * DAY, incident_id="i4", severity="critical"),
        event("outage.started", now - 4 * DAY, incident_id="i5"),  # no severity: default
    )
    assert value(model, state, now) == 1 + 2 + 4 + 4 + 0.5


def test_counts_of_overlapping_reads_count_each_event_once(event: Make, now: datetime) -> None:
    model = one_measure(
        "reads:\n  - {type: support.ticket.opened, where: {channel: phone}}\n"
        "  - {type: support.ticket.opened, where: {priority: urgent}}\n"
        "aggregation: {kind: count}\nwindow_days: 7"
    )
    state = fed(
        event("support.ticket.opened", now, ticket_id="a", channel="phone", priority="urgent"),
        event("support.ticket.opened", now, ticket_id="b", channel="phone"),
        event("support.ticket.opened", now, ticket_id="c", priority="urgent"),
        event("support.ticket.opened", now, ticket_id="d", priority="low"),
    )
    assert value(model, state, now) == 3.0


# -- sum, average, latest -------------------------------------------------------------


def test_sum_of_invoice_amounts(event: Make, now: datetime) -> None:
    model = one_measure(
        "reads: [{type: invoice.issued}]\naggregation: {kind: sum}\nwindow_days: 90"
    )
    due = (now + 30 * DAY).isoformat()

    def issued(days_ago: int, invoice_id: str, amount: object) -> Event:
        at = now - days_ago * DAY
        return event(
            "invoice.issued", at, invoice_id=invoice_id, amount=amount, currency="EUR", due_at=due
        )

    state = fed(issued(90, "c", 999), issued(89, "b", 200), issued(0, "a", "100.50"))
    assert value(model, state, now) == 300.5


def test_sum_of_usage_quantity_defaults_to_one(event: Make, now: datetime) -> None:
    model = one_measure(
        "reads: [{type: usage.activity}]\naggregation: {kind: sum, field: quantity}\nwindow_days: 7"
    )
    state = fed(
        event("usage.activity", now, user_id="u1", quantity=2.5),
        event("usage.activity", now - DAY, user_id="u1"),
        event("usage.activity", now - 2 * DAY, user_id="u2", quantity=3),
        event("usage.activity", now - 3 * DAY, user_id="u2", quantity=0),
    )
    assert value(model, state, now) == 6.5


def test_average_csat_from_tickets_and_surveys(event: Make, now: datetime) -> None:
    model = one_measure(
        "reads:\n  - {type: support.ticket.resolved}\n"
        "  - {type: survey.response, where: {kind: csat}}\n"
        "aggregation: {kind: average}\nwindow_days: 90"
    )
    state = fed(
        event("support.ticket.resolved", now - 90 * DAY, ticket_id="d", csat=1),  # too old
        event("support.ticket.resolved", now, ticket_id="a", csat=4),
        event("support.ticket.resolved", now - DAY, ticket_id="b"),  # no rating: not averaged
        event("support.ticket.resolved", now - 2 * DAY, ticket_id="c", csat=2),
        event("survey.response", now - 3 * DAY, kind="csat", score=5),
        event("survey.response", now - 3 * DAY, kind="nps", score=0),  # another kind
    )
    assert value(model, state, now) == pytest.approx((4 + 2 + 5) / 3, abs=1e-4)


def test_average_without_values_is_missing(event: Make, now: datetime) -> None:
    model = one_measure(
        "reads: [{type: support.ticket.resolved}]\naggregation: {kind: average}\nwindow_days: 90"
    )
    state = fed(event("support.ticket.resolved", now, ticket_id="a"))
    assert value(model, state, now) is None


def test_latest_is_by_event_time_not_arrival(event: Make, now: datetime) -> None:
    model = one_measure(
        "reads: [{type: survey.response, where: {kind: nps}}]\n"
        "aggregation: {kind: latest}\nwindow_days: 7"
    )
    state = fed(
        event("survey.response", now - 10 * DAY, kind="nps", score=3),
        event("survey.response", now - 2 * DAY, kind="nps", score=9),
        event("survey.response", now - 5 * DAY, kind="nps", score=6),  # arrives last, older
    )
    assert value(model, state, now) == 9.0
    # 7-day window: the answer of 2 days ago is in it until the 6th day after
    assert value(model, state, now + 4 * DAY) == 9.0
    assert value(model, state, now + 5 * DAY) is None
    assert state.next_change_at(model, now) == midnight(day_of(now) + 5)


# -- distinct counts and ratios --------------------------------------------------------


def test_distinct_users_and_features_in_30_days(event: Make, now: datetime) -> None:
    users = one_measure(
        "reads: [{type: usage.activity}]\naggregation: {kind: distinct_count, field: user_id}\n"
        "window_days: 30"
    )
    features = one_measure(
        "reads: [{type: usage.activity}]\naggregation: {kind: distinct_count, field: feature}\n"
        "window_days: 30"
    )
    state = fed(
        event("usage.activity", now - 40 * DAY, user_id="u2"),
        event("usage.activity", now, user_id="u1", feature="reports"),
        event("usage.activity", now - 3 * DAY, user_id="u1", feature="export"),
        event("usage.activity", now - 29 * DAY, user_id="u2", feature="reports"),
        event("usage.activity", now - 30 * DAY, user_id="u3", feature="admin"),
    )
    assert value(users, state, now) == 2.0  # u1, u2 (u3 was 30 days ago)
    assert value(features, state, now) == 2.0  # reports, export
    assert value(users, state, now + DAY) == 1.0  # u2 leaves the window
    assert state.next_change_at(users, now) == midnight(day_of(now) + 1)


def test_active_users_over_licensed_seats(event: Make, now: datetime) -> None:
    model = one_measure(
        "reads: [{type: usage.activity}]\naggregation: {kind: ratio_to_attribute, "
        "of: distinct_count, field: user_id, attribute: licensed_seats}\nwindow_days: 30"
    )
    state = fed(*(event("usage.activity", now, user_id=f"u{i}") for i in range(3)))
    assert value(model, state, now) is None  # seats unknown
    state.apply(event("account.updated", now, licensed_seats=10))
    assert value(model, state, now) == 0.3
    state.apply(event("account.updated", now + timedelta(seconds=1), licensed_seats=0))
    assert value(model, state, now) is None  # no seats: no ratio


def test_usage_events_per_active_user(event: Make, now: datetime) -> None:
    model = one_measure(
        "reads: [{type: usage.activity}]\naggregation: {kind: per_distinct, field: user_id}\n"
        "window_days: 28"
    )
    assert value(model, AccountState(), now) is None  # no active user: no intensity
    state = fed(
        event("usage.activity", now - 40 * DAY, user_id="u3"),  # before the window
        *(event("usage.activity", now - d * DAY, user_id="u1") for d in range(5)),
        event("usage.activity", now - 27 * DAY, user_id="u2"),
    )
    # 6 events in the 28 days ending today by 2 users (u1 5, u2 1): 3 a user
    assert value(model, state, now) == 3.0
    # tomorrow u2's only event leaves the window: 5 events by u1 alone
    assert state.next_change_at(model, now) == midnight(day_of(now) + 1)
    assert value(model, state, now + DAY) == 5.0


def test_usage_quantity_per_active_user(event: Make, now: datetime) -> None:
    model = one_measure(
        "reads: [{type: usage.activity}]\n"
        "aggregation: {kind: per_distinct, of: sum, field: user_id}\nwindow_days: 7"
    )
    state = fed(
        event("usage.activity", now, user_id="u1", quantity=10),
        event("usage.activity", now - DAY, user_id="u2", quantity=4),
        event("usage.activity", now - 2 * DAY, user_id="u2"),  # quantity 1
    )
    assert value(model, state, now) == 7.5  # (10 + 4 + 1) / 2 users


def test_count_over_arr(event: Make, now: datetime) -> None:
    model = one_measure(
        "reads: [{type: support.ticket.opened}]\naggregation: {kind: ratio_to_attribute, "
        "of: count, attribute: arr}\nwindow_days: 30"
    )
    state = fed(
        event("account.updated", now, arr="1000"),
        event("support.ticket.opened", now, ticket_id="a"),
        event("support.ticket.opened", now, ticket_id="b"),
    )
    assert value(model, state, now) == 0.002


def test_usage_trend_compares_complete_days(event: Make, now: datetime) -> None:
    model = one_measure(
        "reads: [{type: usage.activity}]\n"
        "aggregation: {kind: trend_ratio, short_days: 7, baseline_days: 28}"
    )
    events = [event("usage.activity", now - d * DAY, user_id=f"a{d}") for d in range(8, 36)]
    events += [event("usage.activity", now - d * DAY, user_id=f"b{d}") for d in range(1, 8)]
    events += [event("usage.activity", now - d * DAY, user_id=f"c{d}") for d in range(1, 8)]
    events += [event("usage.activity", now, user_id=f"today{i}") for i in range(50)]
    state = fed(*events)
    # last 7 complete days: 14 events, 2 a day; the 28 before: 28 events, 1 a day; today ignored
    assert value(model, state, now) == 2.0
    assert state.next_change_at(model, now) == midnight(day_of(now) + 1)


def test_trend_without_baseline_is_missing(event: Make, now: datetime) -> None:
    model = one_measure("reads: [{type: usage.activity}]\naggregation: {kind: trend_ratio}")
    state = fed(event("usage.activity", now - DAY, user_id="u"))
    assert value(model, state, now) is None


def test_trend_of_summed_quantity(event: Make, now: datetime) -> None:
    model = one_measure(
        "reads: [{type: usage.activity}]\n"
        "aggregation: {kind: trend_ratio, short_days: 2, baseline_days: 4, of: sum}"
    )
    state = fed(
        *(event("usage.activity", now - d * DAY, user_id="u", quantity=10) for d in (6, 5, 4, 3)),
        event("usage.activity", now - 2 * DAY, user_id="u", quantity=5),
        event("usage.activity", now - DAY, user_id="u", quantity=0),
    )
    # last 2 complete days: 5 in all, 2.5 a day; the 4 before: 40, 10 a day
    assert value(model, state, now) == 0.25


def test_ratio_changes_when_its_oldest_day_leaves(event: Make, now: datetime) -> None:
    model = one_measure(
        "reads: [{type: support.ticket.opened}]\naggregation: {kind: ratio_to_attribute, "
        "of: count, attribute: licensed_seats}\nwindow_days: 10"
    )
    state = fed(
        event("account.updated", now - 4 * DAY, licensed_seats=4),
        event("support.ticket.opened", now - 3 * DAY, ticket_id="a"),
    )
    assert value(model, state, now) == 0.25
    assert state.next_change_at(model, now) == midnight(day_of(now) + 7)
