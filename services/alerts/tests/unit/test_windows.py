"""Count, sum and match rules over sliding windows: edges, lateness, duplicates, expiry."""

from __future__ import annotations

from datetime import datetime, timedelta
from fractions import Fraction

import pytest

from pulse.alerts.rules.intake import MAX_LATENESS, Outcome
from pulse.alerts.rules.states import new_state
from pulse.alerts.rules.window import WindowState
from pulse.common.events import Event

from .conftest import NOW, make_event
from .rule_builders import detractor_rule, overdue_sum_rule, phone_rule

DAY = timedelta(days=1)
SECOND = timedelta(seconds=1)
START = NOW - 60 * DAY


def phone(at: datetime, event_id: str, channel: str = "phone") -> Event:
    """A support ticket opened at `at` through `channel`."""
    return make_event(
        "support.ticket.opened", at, event_id=event_id, ticket_id="t", channel=channel
    )


def test_three_phone_tickets_in_14_days_hold_with_their_ids_and_dates() -> None:
    state = new_state(phone_rule(), START)
    moments = [NOW - 12 * DAY, NOW - 5 * DAY, NOW - 1 * DAY]
    for i, at in enumerate(moments):
        state.observe(phone(at, f"e{i}"), at)
    verdict = state.evaluate(NOW)
    assert verdict.holds
    assert (verdict.count, verdict.total) == (3, Fraction(3))
    assert [e.event_id for e in verdict.evidence] == ["e0", "e1", "e2"]
    assert [e.occurred_at for e in verdict.evidence] == moments
    # The oldest call leaves 14 days after it was made; nothing else changes before.
    assert verdict.next_change == moments[0] + 14 * DAY


def test_other_channels_are_not_watched() -> None:
    state = new_state(phone_rule(), START)
    assert state.observe(phone(NOW, "e1", "email"), NOW) is Outcome.NOT_WATCHED
    assert state.evaluate(NOW).count == 0


def test_an_event_exactly_one_window_old_has_left() -> None:
    state = new_state(phone_rule(at_least=1), START)
    state.observe(phone(NOW, "e1"), NOW)
    assert state.evaluate(NOW).holds  # counts from the second it happened
    assert state.evaluate(NOW + 14 * DAY - SECOND).holds
    edge = state.evaluate(NOW + 14 * DAY)
    assert not edge.holds
    assert edge.next_change is None


def test_a_late_event_already_outside_the_window_is_taken_but_not_counted() -> None:
    state = new_state(phone_rule(at_least=1), START)
    assert state.observe(phone(NOW - 14 * DAY, "old"), NOW) is Outcome.TAKEN
    assert state.observe(phone(NOW - 14 * DAY + SECOND, "young"), NOW) is Outcome.TAKEN
    verdict = state.evaluate(NOW)
    assert [e.event_id for e in verdict.evidence] == ["young"]
    assert state.observe(phone(NOW - 14 * DAY, "old"), NOW) is Outcome.DUPLICATE


def test_lateness_is_measured_from_the_accounts_latest_moment() -> None:
    state = new_state(phone_rule(window="60d"), START)
    state.observe(phone(NOW, "newest"), NOW - DAY)  # stamped ahead of now
    exactly = phone(NOW - MAX_LATENESS, "exactly")
    too_late = phone(NOW - MAX_LATENESS - SECOND, "too_late")
    assert state.observe(too_late, NOW - DAY) is Outcome.TOO_LATE
    assert state.observe(exactly, NOW - DAY) is Outcome.TAKEN


def test_duplicates_are_ignored() -> None:
    state = new_state(phone_rule(at_least=2), START)
    assert state.observe(phone(NOW, "same"), NOW) is Outcome.TAKEN
    assert state.observe(phone(NOW, "same"), NOW) is Outcome.DUPLICATE
    assert not state.evaluate(NOW).holds


def test_events_stamped_after_now_count_once_now_reaches_them() -> None:
    state = new_state(phone_rule(at_least=1), START)
    state.observe(phone(NOW + DAY, "ahead"), NOW)
    verdict = state.evaluate(NOW)
    assert not verdict.holds
    assert verdict.next_change == NOW + DAY
    assert state.evaluate(NOW + DAY).holds


def test_time_cannot_go_back() -> None:
    state = new_state(phone_rule(), START)
    state.evaluate(NOW)
    with pytest.raises(ValueError, match="is before"):
        state.evaluate(NOW - SECOND)


def test_memory_is_bounded_by_the_window_and_the_lateness_horizon() -> None:
    rule = phone_rule(window="1d")
    state = WindowState(rule, START)
    for hour in range(24 * 50):
        at = START + timedelta(hours=hour)
        state.observe(phone(at, f"e{hour}"), at)
    assert state.held() == 24
    assert state.remembered_ids() == 24 * 30 + 1


def test_sum_adds_the_field_exactly() -> None:
    state = new_state(overdue_sum_rule(), START)
    for i, amount in enumerate(["333.33", "333.33", "333.34"]):
        at = NOW - timedelta(days=3 - i)
        event = make_event(
            "invoice.overdue",
            at,
            event_id=f"i{i}",
            invoice_id=f"inv{i}",
            amount=amount,
            currency="EUR",
        )
        state.observe(event, at)
    verdict = state.evaluate(NOW)
    assert verdict.holds
    assert verdict.total == Fraction(1000)
    assert not state.evaluate(NOW + 4 * DAY).holds  # the first amount has left


def test_sum_skips_events_without_the_field() -> None:
    state = new_state(overdue_sum_rule(), START)
    event = make_event("invoice.overdue", NOW, event_id="i", invoice_id="inv")
    assert state.observe(event, NOW) is Outcome.NOT_WATCHED


def test_a_match_holds_for_its_lasts_and_then_clears() -> None:
    state = new_state(detractor_rule(), START)
    promoter = make_event("survey.response", NOW, event_id="s0", kind="nps", score=9)
    detractor = make_event("survey.response", NOW, event_id="s1", kind="nps", score=3)
    assert state.observe(promoter, NOW) is Outcome.NOT_WATCHED
    state.observe(detractor, NOW)
    verdict = state.evaluate(NOW)
    assert verdict.holds
    assert [e.event_id for e in verdict.evidence] == ["s1"]
    assert verdict.next_change == NOW + 14 * DAY
    assert not state.evaluate(NOW + 14 * DAY).holds
