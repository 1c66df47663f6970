"""Renewal rules: near the renewal date with health in the rule's bands, to the second."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from fractions import Fraction

from pulse.alerts.rules.intake import Outcome
from pulse.alerts.rules.renewal import RenewalState
from pulse.common.events import Event

from .conftest import NOW, make_event, make_point
from .rule_builders import renewal_rule

DAY = timedelta(days=1)
SECOND = timedelta(seconds=1)
START = NOW - 100 * DAY
RENEWAL = datetime(2027, 1, 14, tzinfo=UTC)
OPENS = RENEWAL - 90 * DAY


def renewal_update(at: datetime, renews_on: date | None, event_id: str) -> Event:
    data = {} if renews_on is None else {"renewal_date": renews_on.isoformat()}
    return make_event("account.updated", at, event_id=event_id, **data)


def yellow_state() -> RenewalState:
    state = RenewalState(renewal_rule(), START)
    state.observe(renewal_update(START, RENEWAL.date(), "u1"), START)
    state.observe_score(make_point(START, 55, message_id="m1"), START)
    return state


def test_it_holds_from_90_days_before_the_renewal_until_00_00_utc_of_the_day() -> None:
    state = yellow_state()
    before = state.evaluate(OPENS - SECOND)
    assert not before.holds
    assert before.next_change == OPENS
    opened = state.evaluate(OPENS)
    assert opened.holds
    assert opened.next_change == RENEWAL
    assert (opened.renews_at, opened.band, opened.count, opened.total) == (
        RENEWAL,
        "yellow",
        1,
        Fraction(55),
    )
    assert [(e.event_id, e.occurred_at) for e in opened.evidence] == [
        ("u1", START),
        ("m1", START),
    ]
    assert state.evaluate(RENEWAL - SECOND).holds
    after = state.evaluate(RENEWAL)
    assert not after.holds
    assert after.next_change is None


def test_a_green_account_or_one_with_no_score_is_not_at_risk() -> None:
    state = RenewalState(renewal_rule(), START)
    state.observe(renewal_update(START, RENEWAL.date(), "u1"), START)
    no_score = state.evaluate(OPENS)
    assert not no_score.holds
    assert (no_score.band, no_score.count) == (None, 0)
    state.observe_score(make_point(OPENS + DAY, 80), OPENS + DAY)
    assert not state.evaluate(OPENS + DAY).holds
    state.observe_score(make_point(OPENS + 2 * DAY, 30), OPENS + 2 * DAY)
    assert state.evaluate(OPENS + 2 * DAY).holds


def test_the_bands_can_be_narrowed_to_red() -> None:
    state = RenewalState(renewal_rule(bands=["red"]), START)
    state.observe(renewal_update(START, RENEWAL.date(), "u1"), START)
    state.observe_score(make_point(OPENS, 55), OPENS)
    assert not state.evaluate(OPENS).holds


def test_without_a_renewal_date_nothing_holds_and_nothing_is_due() -> None:
    state = RenewalState(renewal_rule(), START)
    state.observe_score(make_point(START, 10), START)
    verdict = state.evaluate(NOW)
    assert not verdict.holds
    assert (verdict.renews_at, verdict.next_change) == (None, None)


def test_a_newer_date_replaces_the_old_and_an_older_update_changes_nothing() -> None:
    state = yellow_state()
    assert state.evaluate(OPENS).holds
    later = RENEWAL + 30 * DAY
    assert state.observe(renewal_update(OPENS, later.date(), "u2"), OPENS) is Outcome.TAKEN
    moved = state.evaluate(OPENS)
    assert not moved.holds
    assert moved.renews_at == later
    assert moved.next_change == later - 90 * DAY
    stale = renewal_update(START + DAY, RENEWAL.date(), "u0")
    assert state.observe(stale, OPENS) is Outcome.TAKEN
    assert state.evaluate(OPENS).renews_at == later
    replay = renewal_update(OPENS, later.date(), "u2")
    assert state.observe(replay, OPENS) is Outcome.DUPLICATE


def test_only_updates_with_a_renewal_date_are_watched() -> None:
    state = yellow_state()
    assert state.observe(renewal_update(NOW, None, "u9"), NOW) is Outcome.NOT_WATCHED
    usage = make_event("usage.activity", NOW, user_id="u")
    assert state.observe(usage, NOW) is Outcome.NOT_WATCHED
    assert state.evaluate(NOW).renews_at == RENEWAL


def test_a_score_stamped_ahead_is_due_before_the_period_edges() -> None:
    state = RenewalState(renewal_rule(), START)
    state.observe(renewal_update(START, RENEWAL.date(), "u1"), START)
    state.observe_score(make_point(OPENS + DAY, 30), OPENS)
    waiting = state.evaluate(OPENS)
    assert not waiting.holds
    assert waiting.next_change == OPENS + DAY
    assert state.evaluate(OPENS + DAY).holds
