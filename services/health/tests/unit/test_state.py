"""Account state: event time, late events and grace, pruning, attributes, next change.
(Its stored form: `test_state_storage`.)"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pulse.common.events import Event, validate_event
from pulse.devtools.testing.strategies import NOW as STRATEGY_NOW
from pulse.devtools.testing.strategies import raw_events
from pulse.health.scoring.catalog import MAX_METRIC_NAMES
from pulse.health.scoring.days import day_of, midnight
from pulse.health.scoring.model import default_model, load_model
from pulse.health.scoring.score import score_account
from pulse.health.scoring.state import AccountState

from .state_canonical import canonical

Make = Callable[..., Event]
DAY = timedelta(days=1)


def tickets_in(state: AccountState, first: int) -> int:
    series = state.daily.matching(lambda key: key.startswith("support.ticket.opened"))
    return sum(state.daily.count(s, first) for s in series)


# -- event time, lateness and grace ----------------------------------------------------


def test_late_events_within_grace_count_in_their_own_day(event: Make, now: datetime) -> None:
    state = AccountState()
    assert state.apply(event("support.ticket.opened", now, ticket_id="a"), now)
    assert state.apply(event("support.ticket.opened", now - 29 * DAY, ticket_id="b"), now)
    series = state.daily.matching(lambda key: key.startswith("support.ticket.opened"))
    assert [state.daily.earliest_day(s, 0) for s in series] == [day_of(now - 29 * DAY)]
    assert tickets_in(state, day_of(now) - 29) == 2


def test_events_older_than_grace_are_refused_and_change_nothing(event: Make, now: datetime) -> None:
    state = AccountState()
    state.apply(event("usage.activity", now, user_id="u1"), now)
    before = state.to_dict()
    too_late = event("support.ticket.opened", now - 30 * DAY - timedelta(seconds=1), ticket_id="x")
    assert not state.apply(too_late, now)
    assert state.to_dict() == before
    # exactly 30 days late is still in time
    assert state.apply(event("support.ticket.opened", now - 30 * DAY, ticket_id="y"), now)


def test_lateness_is_measured_from_the_latest_moment_seen(event: Make, now: datetime) -> None:
    state = AccountState()
    assert state.apply(event("usage.activity", now, user_id="u1"))  # no as_of: event time
    assert not state.apply(event("usage.activity", now - 31 * DAY, user_id="u2"))
    # an as_of earlier than what the state has seen does not reopen the past
    assert not state.apply(event("usage.activity", now - 31 * DAY, user_id="u2"), now - 40 * DAY)
    assert state.clock == now


def test_grace_days_is_configurable(event: Make, now: datetime) -> None:
    state = AccountState(grace_days=2)
    assert not state.apply(event("usage.activity", now - 3 * DAY, user_id="u"), now)
    assert state.apply(event("usage.activity", now - 2 * DAY, user_id="u"), now)
    assert AccountState.from_dict(state.to_dict()).grace_days == 2


def test_order_of_arrival_within_grace_does_not_matter(event: Make, now: datetime) -> None:
    events = [
        event("support.ticket.opened", now - 5 * DAY, ticket_id="t1", priority="urgent"),
        event("support.ticket.resolved", now - 3 * DAY, ticket_id="t1", csat=2),
        event("support.ticket.opened", now - DAY, ticket_id="t1", priority="high"),
        event("invoice.issued", now - 9 * DAY, invoice_id="i", amount=5, currency="EUR",
              due_at=(now - 2 * DAY).isoformat()),
        event("invoice.overdue", now - DAY, invoice_id="i", days_overdue=1, amount=5),
        event("invoice.paid", now - 4 * DAY, invoice_id="i"),
        event("survey.response", now - 2 * DAY, kind="nps", score=4),
        event("survey.response", now - 2 * DAY, kind="nps", score=9),
        event("account.updated", now - 3 * DAY, owner="ann", arr="100"),
        event("account.updated", now - 2 * DAY, owner="bob"),
        event("contract.changed", now - 4 * DAY, change="expansion", arr_after="300",
              effective_at=now.isoformat()),
        event("usage.activity", now - 6 * DAY, user_id="u1", feature="f"),
        event("usage.activity", now - DAY, user_id="u1", feature="f", quantity=3),
    ]  # fmt: skip
    forward, backward = AccountState(), AccountState()
    for e in events:
        forward.apply(e, now)
    for e in reversed(events):
        backward.apply(e, now)
    assert canonical(forward) == canonical(backward)
    assert forward.owner == "bob"
    assert forward.arr == 100.0  # account.updated 3 days ago is newer than the contract
    model = default_model()
    assert score_account(model, forward, now) == score_account(model, backward, now)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raws=st.lists(raw_events(), max_size=25), data=st.data())
def test_any_order_gives_the_same_state(raws: list[dict[str, Any]], data: st.DataObject) -> None:
    # every event within the grace period of the others: only order differs
    events = [validate_event(raw, now=STRATEGY_NOW) for raw in raws]
    recent = [e for e in events if e.occurred_at >= STRATEGY_NOW - timedelta(days=29)]
    shuffled = data.draw(st.permutations(recent))
    one, other = AccountState(), AccountState()
    for e in recent:
        one.apply(e, STRATEGY_NOW)
    for e in shuffled:
        other.apply(e, STRATEGY_NOW)
    assert canonical(one) == canonical(other)


# -- pruning ---------------------------------------------------------------------------


def test_prune_drops_days_beyond_the_window_limit_and_grace(event: Make, now: datetime) -> None:
    state = AccountState()
    opened = [now - days * DAY for days in (150, 121, 120, 60, 0)]
    for at in opened:
        state.apply(event("support.ticket.opened", at, ticket_id=at.isoformat()))
    assert state.prune(now)
    # tickets are kept 90 days (the longest window) + 30 days grace: 120 days back
    assert tickets_in(state, 0) == 3
    assert not state.prune(now + timedelta(hours=1))  # once a day
    assert state.prune(now + DAY)  # the ticket of 120 days ago is now 121 days old
    assert tickets_in(state, 0) == 2


def test_pruning_never_changes_a_score(event: Make, now: datetime) -> None:
    state = AccountState()
    for days in range(200, -1, -7):
        at = now - days * DAY
        state.apply(event("usage.activity", at, user_id=f"u{days % 5}", feature=f"f{days % 3}"))
        state.apply(event("support.ticket.opened", at, ticket_id=f"t{days}", channel="phone"))
        state.apply(event("account.signal", at, kind="merger"))
        state.apply(event("engagement.touchpoint", at, kind="qbr", with_executive=True))
    model = default_model()
    before = score_account(model, state, now)
    assert state.prune(now)
    assert score_account(model, state, now) == before


def test_prune_forgets_closed_items_after_grace_but_keeps_open_ones(
    event: Make, now: datetime
) -> None:
    state = AccountState()
    state.apply(event("support.ticket.opened", now - 100 * DAY, ticket_id="old-open"))
    state.apply(event("support.ticket.opened", now - 60 * DAY, ticket_id="closed"))
    state.apply(event("support.ticket.resolved", now - 31 * DAY, ticket_id="closed"))
    state.apply(event("support.ticket.opened", now - 20 * DAY, ticket_id="recent"))
    state.apply(event("support.ticket.resolved", now - 10 * DAY, ticket_id="recent"))
    state.prune(now)
    assert state.tickets is not None
    assert len(state.tickets) == 2  # old-open (open) and recent (closed 10 days ago)
    assert sum(1 for _ in state.tickets.open_items()) == 1


def test_prune_forgets_users_not_seen_for_the_kept_days(event: Make, now: datetime) -> None:
    state = AccountState()
    state.apply(event("usage.activity", now - 125 * DAY, user_id="gone"))
    state.apply(event("usage.activity", now - 119 * DAY, user_id="kept"))
    state.apply(event("usage.activity", now, user_id="active"))
    state.prune(now)
    users = state.distinct("usage.activity", "user_id")
    assert users is not None
    assert len(users) == 2
    assert users.day_of("gone") is None
    assert users.day_of("kept") == day_of(now - 119 * DAY)


# -- attributes, segment, sentiment ----------------------------------------------------


def test_account_attributes_newest_per_field(event: Make, now: datetime) -> None:
    state = AccountState()
    assert state.apply(event("account.updated", now, owner="bob", licensed_seats=20))
    assert state.apply(
        event("account.updated", now - DAY, owner="ann", plan="pro", renewal_date="2027-03-31")
    )
    assert not state.apply(event("account.updated", now, owner="bob"))  # nothing new
    attributes = state.attributes
    assert (attributes.owner, attributes.licensed_seats, attributes.plan) == ("bob", 20, "pro")
    assert attributes.renewal_date == date(2027, 3, 31)


def test_contract_changes_set_arr(event: Make, now: datetime) -> None:
    state = AccountState()
    state.apply(event("account.updated", now - DAY, arr="1000.50", currency="EUR"))
    state.apply(
        event(
            "contract.changed",
            now,
            change="expansion",
            arr_after="2000",
            effective_at=now.isoformat(),
        )
    )
    assert state.arr == 2000.0


@pytest.mark.parametrize(
    ("data", "segment"),
    [
        ({"segment": "tech_touch", "arr": "900000"}, "tech_touch"),
        ({"arr": "500000"}, "high_touch"),
        ({"arr": "499999.99"}, "low_touch"),
        ({"arr": "50000"}, "low_touch"),
        ({"arr": "49999"}, "tech_touch"),
        ({"owner": "ann"}, "tech_touch"),
    ],
)
def test_segment_from_attribute_else_arr_else_tech_touch(
    event: Make, now: datetime, data: dict[str, str], segment: str
) -> None:
    state = AccountState()
    state.apply(event("account.updated", now, **data))
    assert state.segment_for(500_000, 50_000) == segment
    assert score_account(default_model(), state, now).segment == segment


def test_csm_sentiment_latest_wins(now: datetime) -> None:
    state = AccountState()
    assert state.set_csm_sentiment("red", "exec left", now)
    assert not state.set_csm_sentiment("green", None, now - DAY)  # older
    assert not state.set_csm_sentiment("red", "exec left", now)  # same
    assert (state.csm_sentiment, state.csm_note, state.csm_set_at) == ("red", "exec left", now)
    with pytest.raises(ValueError, match="green, yellow or red"):
        state.set_csm_sentiment("blue", None, now)


def test_metric_names_are_bounded(event: Make, now: datetime) -> None:
    state = AccountState()
    for i in range(MAX_METRIC_NAMES):
        assert state.apply(event("metric.recorded", now, name=f"m{i}", value=1))
    assert not state.apply(event("metric.recorded", now, name="one-too-many", value=1))
    assert state.apply(event("metric.recorded", now, name="m0", value=2))


# -- next change -----------------------------------------------------------------------


def test_an_empty_state_never_changes_by_itself(now: datetime) -> None:
    assert AccountState().next_change_at(default_model(), now) is None


def test_next_change_is_when_the_oldest_counted_day_leaves(event: Make, now: datetime) -> None:
    state = AccountState()
    state.apply(event("marketing.engagement", now - 5 * DAY, kind="bounce"))
    # marketing bounces: 90-day window; the bounce 5 days ago leaves after 85 more days;
    # marketing.engagement is read by nothing else of the default model
    assert state.next_change_at(default_model(), now) == midnight(day_of(now) + 85)


STEADY_MODEL = """
version: steady
groups: {g: {weight: 1}, h: {weight: 2}}
measures:
  - {name: tickets, group: g, description: d, reads: [{type: support.ticket.opened}],
     aggregation: {kind: count}, window_days: 30,
     scoring: {linear: [[0, 100], [10, 0]]}}
  - {name: users, group: g, description: d, reads: [{type: usage.activity}],
     aggregation: {kind: distinct_count, field: user_id}, window_days: 14,
     scoring: {linear: [[0, 0], [5, 100]]}}
  - {name: nps, group: h, description: d, reads: [{type: survey.response, where: {kind: nps}}],
     aggregation: {kind: latest}, window_days: 60, scoring: {linear: [[0, 0], [10, 100]]}}
  - {name: csat, group: h, description: d, reads: [{type: support.ticket.resolved}],
     aggregation: {kind: average}, window_days: 20, scoring: {linear: [[1, 0], [5, 100]]}}
  - {name: overdue, group: h, description: d, reads: [{type: invoice.issued}],
     aggregation: {kind: max_days_overdue},
     scoring: {steps: [{min: 0, score: 100}, {min: 10, score: 40}, {min: 40, score: 0}]}}
  - {name: overdue_ratio, group: h, description: d, reads: [{type: invoice.issued}],
     aggregation: {kind: overdue_amount_ratio}, scoring: {linear: [[0, 100], [1, 0]]}}
  - {name: csm, group: g, description: d, aggregation: {kind: manual}, window_days: 30,
     scoring: {linear: [[0, 0], [100, 100]]}}
  - {name: spend, group: g, description: d, reads: [{type: invoice.issued}],
     aggregation: {kind: sum}, window_days: 45, scoring: {linear: [[0, 0], [1e10, 100]]}}
"""


def recent(raw: dict[str, Any], seconds_ago: int) -> dict[str, Any]:
    """`raw`, moved to `seconds_ago` before the strategies' now."""
    return {**raw, "occurred_at": (STRATEGY_NOW - timedelta(seconds=seconds_ago)).isoformat()}


recent_raw_events = st.builds(recent, raw_events(), st.integers(0, 70 * 24 * 3600))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    raws=st.lists(recent_raw_events, max_size=30),
    sentiment_days=st.one_of(st.none(), st.integers(0, 40)),
    hours=st.integers(0, 23),
)
def test_the_score_holds_until_the_next_change(
    raws: list[dict[str, Any]], sentiment_days: int | None, hours: int
) -> None:
    model = load_model(STEADY_MODEL)
    state = AccountState()
    for raw in sorted(raws, key=lambda r: str(r["occurred_at"])):
        state.apply(validate_event(raw, now=STRATEGY_NOW))
    if sentiment_days is not None:
        state.set_csm_sentiment("green", None, STRATEGY_NOW - timedelta(days=sentiment_days))
    as_of = STRATEGY_NOW + timedelta(days=2, hours=hours)  # after every event
    score = score_account(model, state, as_of).score
    after = state.next_change_at(model, as_of)
    end = after if after is not None else as_of + timedelta(days=400)
    assert end > as_of
    moment = midnight(day_of(as_of) + 1)
    while moment < end:
        assert score_account(model, state, moment).score == score, moment
        moment += DAY
    assert score_account(model, state, end - timedelta(seconds=1)).score == score


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raws=st.lists(raw_events(), max_size=40), later=st.integers(0, 200))
def test_pruning_never_changes_any_score(raws: list[dict[str, Any]], later: int) -> None:
    state = AccountState()
    for raw in sorted(raws, key=lambda r: str(r["occurred_at"])):
        state.apply(validate_event(raw, now=STRATEGY_NOW))
    as_of = STRATEGY_NOW + timedelta(days=later)
    model = default_model()
    before = score_account(model, state, as_of)
    state.prune(as_of)
    assert score_account(model, state, as_of) == before
