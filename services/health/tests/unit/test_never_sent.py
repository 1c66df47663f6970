"""`never_sent: drop`: a measure is absent while the account never sent an event of a type
it reads, and scores as usual once one arrived, however long ago."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from pulse.common.events import Event
from pulse.health.scoring.model import ScoringModel, default_model, load_model
from pulse.health.scoring.score import Component, score_account
from pulse.health.scoring.state import AccountState

Make = Callable[..., Event]
DAY = timedelta(days=1)
MODEL = load_model("""
version: t
groups: {usage: {weight: 1}, support: {weight: 1}}
measures:
  - name: users
    group: usage
    description: d
    reads: [{type: usage.activity}]
    aggregation: {kind: distinct_count, field: user_id}
    window_days: 30
    scoring: {linear: [[0, 0], [10, 100]]}
  - name: phone_tickets
    group: support
    description: d
    reads: [{type: support.ticket.opened, where: {channel: phone}}]
    aggregation: {kind: count}
    window_days: 14
    scoring: {steps: [{min: 0, score: 100}, {min: 1, score: 50}]}
    never_sent: drop
""")


def using(event: Make, now: datetime, users: int) -> AccountState:
    state = AccountState()
    for i in range(users):
        state.apply(event("usage.activity", now, user_id=f"u{i}"))
    return state


def components(model: ScoringModel, state: AccountState, now: datetime) -> dict[str, Component]:
    return {c.measure: c for c in score_account(model, state, now).components}


def test_a_source_never_sent_is_absent_not_perfect(event: Make, now: datetime) -> None:
    state = using(event, now, 4)
    result = score_account(MODEL, state, now)
    # phone_tickets is absent: users (4 of 10: 40) carries the whole weight
    assert result.score == 40.0
    assert components(MODEL, state, now)["phone_tickets"] == Component(
        "phone_tickets", "support", None, None, 0.0, 0.0, "never_sent"
    )


def test_no_recent_tickets_from_an_account_that_sends_tickets_is_good_news(
    event: Make, now: datetime
) -> None:
    state = AccountState()
    # an email ticket 60 days ago: the account's tickets reach Pulse (any channel counts)
    state.apply(event("support.ticket.opened", now - 60 * DAY, ticket_id="t1", channel="email"))
    for i in range(4):
        state.apply(event("usage.activity", now, user_id=f"u{i}"))
    phone = components(MODEL, state, now)["phone_tickets"]
    assert (phone.value, phone.score, phone.missing) == (0.0, 100.0, None)
    # (40 + 100) / 2
    assert score_account(MODEL, state, now).score == 70.0


def test_the_first_event_brings_the_measure_in_and_pruning_keeps_it(
    event: Make, now: datetime
) -> None:
    state = using(event, now, 4)
    state.apply(event("support.ticket.opened", now, ticket_id="t1", channel="phone"))
    assert score_account(MODEL, state, now).score == 45.0  # (40 + 50) / 2
    later = now + 100 * DAY  # the ticket's days are pruned; that it was sent is not
    state.prune(later)
    assert components(MODEL, state, later)["phone_tickets"].missing is None
    assert components(MODEL, state, later)["phone_tickets"].score == 100.0


def test_the_default_model_scores_a_usage_only_account_on_usage(event: Make, now: datetime) -> None:
    state = using(event, now, 4)
    found = components(default_model(), state, now)
    never_sent = {name for name, c in found.items() if c.missing == "never_sent"}
    assert never_sent == {
        "tickets_opened_30d", "phone_tickets_14d", "open_urgent_tickets", "outages_30d",
        "key_person_departures_90d", "days_since_executive_touchpoint", "qbr_last_120d",
        "marketing_bounces_opt_outs_90d", "advocacy_signals_365d", "corporate_events_180d",
    }  # fmt: skip
    weighed = {name for name, c in found.items() if c.weight > 0}
    assert {found[name].group for name in weighed} == {"usage"}
