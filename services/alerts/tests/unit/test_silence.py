"""Absence rules: silence opens by time alone, exactly at its edge."""

from __future__ import annotations

from datetime import timedelta

from pulse.alerts.rules.intake import Outcome
from pulse.alerts.rules.states import new_state

from .conftest import NOW, make_event
from .rule_builders import quiet_rule

DAY = timedelta(days=1)
SECOND = timedelta(seconds=1)


def test_silence_opens_with_no_event_exactly_at_its_edge() -> None:
    state = new_state(quiet_rule(), NOW)
    used = make_event("usage.activity", NOW + DAY, event_id="u1", user_id="u")
    state.observe(used, NOW + DAY)
    before = state.evaluate(NOW + 15 * DAY - SECOND)
    assert not before.holds
    assert before.next_change == NOW + 15 * DAY
    at_edge = state.evaluate(NOW + 15 * DAY)
    assert at_edge.holds
    assert at_edge.silent_since == NOW + DAY
    assert [e.event_id for e in at_edge.evidence] == ["u1"]
    assert at_edge.next_change is None  # only a new event ends it


def test_with_no_event_ever_the_silence_runs_from_the_start() -> None:
    state = new_state(quiet_rule(), NOW)
    assert not state.evaluate(NOW + 14 * DAY - SECOND).holds
    verdict = state.evaluate(NOW + 14 * DAY)
    assert verdict.holds
    assert verdict.silent_since == NOW
    assert verdict.evidence == ()


def test_a_new_event_ends_the_silence_and_a_late_older_one_does_not() -> None:
    state = new_state(quiet_rule(), NOW)
    later = NOW + 20 * DAY
    assert state.evaluate(later).holds
    state.observe(make_event("usage.activity", later, event_id="u2", user_id="u"), later)
    assert not state.evaluate(later).holds
    late = make_event("usage.activity", later - 5 * DAY, event_id="u1", user_id="u")
    assert state.observe(late, later) is Outcome.TAKEN
    assert state.evaluate(later + 14 * DAY).holds  # still counted from the newest event


def test_an_event_stamped_ahead_ends_the_silence_when_now_reaches_it() -> None:
    state = new_state(quiet_rule(), NOW)
    at = NOW + 20 * DAY
    state.observe(make_event("usage.activity", at + DAY, event_id="u", user_id="u"), at)
    verdict = state.evaluate(at)
    assert verdict.holds
    assert verdict.next_change == at + DAY
    assert not state.evaluate(at + DAY).holds
