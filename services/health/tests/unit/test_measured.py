"""Measure results kept between re-scores: evaluating only the measures an event can change
gives exactly what evaluating every measure gives."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pulse.common.events import validate_event
from pulse.devtools.testing.strategies import NOW
from pulse.health.scoring import evaluate
from pulse.health.scoring import measured as measured_module
from pulse.health.scoring.days import day_of
from pulse.health.scoring.evaluate import CSM_SENTIMENT
from pulse.health.scoring.measured import MeasureResults, measure_all
from pulse.health.scoring.model import ScoringModel, default_model, load_model
from pulse.health.scoring.score import score_account
from pulse.health.scoring.state import AccountState

from .event_plans import events

#: With the default model, every aggregation kind and variant scoring can read.
OTHER_KINDS = load_model("""
version: other-kinds
groups: {g: {weight: 1}, h: {weight: 2}}
measures:
  - {name: open_invoices, group: g, description: d, reads: [{type: invoice.issued}],
     aggregation: {kind: open_count}, scoring: {linear: [[0, 100], [5, 0]]}}
  - {name: open_amount, group: g, description: d, reads: [{type: invoice.issued}],
     aggregation: {kind: open_amount}, scoring: {linear: [[0, 100], [1e6, 0]]}}
  - {name: open_phone, group: g, description: d,
     reads: [{type: support.ticket.opened, where: {channel: phone}}],
     aggregation: {kind: open_count}, scoring: {linear: [[0, 100], [3, 0]]}}
  - {name: quantity_trend, group: h, description: d, reads: [{type: usage.activity}],
     aggregation: {kind: trend_ratio, short_days: 3, baseline_days: 9, of: sum},
     scoring: {linear: [[0, 0], [2, 100]]}}
  - {name: spend_per_arr, group: h, description: d, reads: [{type: invoice.issued}],
     aggregation: {kind: ratio_to_attribute, of: sum, attribute: arr}, window_days: 40,
     scoring: {linear: [[0, 100], [1, 0]]}}
  - {name: tickets_per_seat, group: h, description: d,
     reads: [{type: support.ticket.opened}],
     aggregation: {kind: ratio_to_attribute, of: count, attribute: licensed_seats},
     window_days: 10, scoring: {linear: [[0, 100], [1, 0]]}}
  - {name: metric, group: g, description: d, reads: [{type: metric.recorded}],
     aggregation: {kind: latest}, scoring: {linear: [[-100, 0], [100, 100]]},
     missing: penalise}
  - {name: quiet_days, group: g, description: d, reads: [{type: engagement.touchpoint}],
     aggregation: {kind: days_since_last}, scoring: {linear: [[0, 100], [60, 0]]},
     missing: neutral}
  - {name: quantity_per_user, group: h, description: d, reads: [{type: usage.activity}],
     aggregation: {kind: per_distinct, of: sum, field: user_id}, window_days: 5,
     scoring: {log: [[0.5, 0], [50, 100]]}, never_sent: drop}
""")
MODELS = (default_model(), OTHER_KINDS)

hours = st.one_of(st.integers(-40 * 24, 20), st.integers(-48, 20))  # from the clock
event_steps = st.tuples(st.just("event"), events, hours)
steps = st.one_of(
    *[event_steps] * 6,  # mostly events, several between re-scores
    st.tuples(st.just("sentiment"), st.sampled_from(["green", "yellow", "red"]), st.just(0)),
    st.tuples(st.just("later"), st.just({}), st.integers(0, 3 * 24)),  # hours on
    st.tuples(st.just("rescore"), st.just({}), st.just(0)),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plan=st.lists(steps, min_size=20, max_size=80))
def test_measuring_only_what_changed_equals_measuring_everything(
    plan: list[tuple[str, Any, int]],
) -> None:
    state = AccountState()
    kept = [MeasureResults() for _ in MODELS]
    clock = NOW - timedelta(days=30)
    for step, argument, hours in [*plan, ("rescore", {}, 0)]:
        if step == "event":
            at = clock + timedelta(hours=hours)
            raw = {**argument, "occurred_at": at.isoformat()}
            event = validate_event(raw, now=clock)
            if state.apply(event, clock):
                for model, results in zip(MODELS, kept, strict=True):
                    results.changed(model, event.type)
        elif step == "sentiment":
            if state.set_csm_sentiment(argument, None, clock):
                for model, results in zip(MODELS, kept, strict=True):
                    results.changed(model, CSM_SENTIMENT)
        elif step == "later":
            clock += timedelta(hours=hours)
        else:
            if state.prune(clock):  # as the keeper does before each re-score
                for results in kept:
                    results.forget()
            for model, results in zip(MODELS, kept, strict=True):
                assert_same(model, state, results, clock)


def assert_same(
    model: ScoringModel, state: AccountState, results: MeasureResults, clock: datetime
) -> None:
    today = day_of(clock)
    incremental = results.measure(model, state, today)
    assert incremental == measure_all(model, state, today)
    assert score_account(model, state, clock, incremental) == score_account(model, state, clock)
    assert state.next_change_at(model, clock, results) == state.next_change_at(model, clock)


@pytest.fixture
def evaluated(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Names of the measures evaluated, in order."""
    names: list[str] = []
    original = evaluate.measure_value

    def counting(reading: Any) -> float | None:
        names.append(reading.measure.name)
        return original(reading)

    monkeypatch.setattr(measured_module, "measure_value", counting)
    return names


def valued(model: ScoringModel, state: AccountState) -> list[str]:
    """The measures whose value is worked out: all but those absent because the account
    never sent an event of a type they read (`never_sent: drop`)."""
    sent = state.types_sent()
    return [
        m.name
        for m in model.measures
        if m.never_sent == "score" or not sent.isdisjoint(r.type for r in m.reads)
    ]


def busy_state(event: Callable[..., Any], now: datetime) -> AccountState:
    state = AccountState()
    state.apply(event("usage.activity", now - timedelta(days=2), user_id="u1", feature="f"))
    state.apply(event("support.ticket.opened", now - timedelta(days=1), ticket_id="t1"))
    return state


def test_an_event_re_evaluates_only_the_measures_reading_its_type(
    event: Callable[..., Any], now: datetime, evaluated: list[str]
) -> None:
    model = default_model()
    state, results = busy_state(event, now), MeasureResults()
    results.measure(model, state, day_of(now))
    assert evaluated == valued(model, state)
    evaluated.clear()
    state.apply(event("support.ticket.opened", now, ticket_id="t2", channel="phone"))
    results.changed(model, "support.ticket.opened")
    after = results.measure(model, state, day_of(now))
    assert evaluated == ["tickets_opened_30d", "phone_tickets_14d", "open_urgent_tickets"]
    assert after == measure_all(model, state, day_of(now))


def test_a_new_day_or_model_or_forget_re_evaluates_everything(
    event: Callable[..., Any], now: datetime, evaluated: list[str]
) -> None:
    model = default_model()
    state, results = busy_state(event, now), MeasureResults()
    results.measure(model, state, day_of(now))
    evaluated.clear()
    results.measure(model, state, day_of(now))
    assert evaluated == []  # nothing changed
    results.measure(model, state, day_of(now) + 1)
    assert evaluated == valued(model, state)
    evaluated.clear()
    results.measure(OTHER_KINDS, state, day_of(now) + 1)
    assert len(evaluated) == len(OTHER_KINDS.measures)
    evaluated.clear()
    results.forget()
    results.measure(OTHER_KINDS, state, day_of(now) + 1)
    assert len(evaluated) == len(OTHER_KINDS.measures)


def test_attribute_changes_re_evaluate_ratios_and_invoices(
    event: Callable[..., Any], now: datetime, evaluated: list[str]
) -> None:
    state, results = busy_state(event, now), MeasureResults()
    results.measure(OTHER_KINDS, state, day_of(now))
    evaluated.clear()
    state.apply(event("account.updated", now, currency="USD", licensed_seats=5))
    results.changed(OTHER_KINDS, "account.updated")
    results.measure(OTHER_KINDS, state, day_of(now))
    assert evaluated == ["open_invoices", "open_amount", "spend_per_arr", "tickets_per_seat"]


#: (model, what the account had, what changes next): each change reaches a measure through
#: something beyond its reads' series. (The property above finds these only by luck.)
Change = tuple[str, dict[str, Any]]
ENTANGLEMENTS: dict[str, tuple[ScoringModel, list[Change], Change]] = {
    "a resolution closes an urgent ticket": (
        default_model(),
        [("support.ticket.opened", {"ticket_id": "t1", "priority": "urgent"})],
        ("support.ticket.resolved", {"ticket_id": "t1"}),
    ),
    "a payment closes an overdue invoice": (
        default_model(),
        [("invoice.overdue", {"invoice_id": "i1", "amount": "90", "days_overdue": 12})],
        ("invoice.paid", {"invoice_id": "i1"}),
    ),
    "a contract change moves the ARR overdue amounts are divided by": (
        default_model(),
        [
            ("account.updated", {"arr": 1000}),
            ("invoice.overdue", {"invoice_id": "i1", "amount": "90", "days_overdue": 12}),
        ],
        (
            "contract.changed",
            {"change": "expansion", "arr_after": 5000, "effective_at": "2026-11-20T00:00:00Z"},
        ),
    ),
    "new seats change the active share": (
        default_model(),
        [("usage.activity", {"user_id": "u1"}), ("account.updated", {"licensed_seats": 2})],
        ("account.updated", {"licensed_seats": 10}),
    ),
    "a currency change leaves out invoices in another currency": (
        OTHER_KINDS,
        [
            (
                "invoice.issued",
                {
                    "invoice_id": "i1",
                    "amount": "90",
                    "currency": "EUR",
                    "due_at": "2026-12-01T00:00:00Z",
                },
            )
        ],
        ("account.updated", {"currency": "USD"}),
    ),
}


@pytest.mark.parametrize("case", ENTANGLEMENTS, ids=list(ENTANGLEMENTS))
def test_changes_beyond_the_reads_reach_their_measures(
    case: str, event: Callable[..., Any], now: datetime
) -> None:
    model, before, change = ENTANGLEMENTS[case]
    state, results = AccountState(), MeasureResults()
    for event_type, data in before:
        state.apply(event(event_type, now - timedelta(hours=2), **data))
    was = results.measure(model, state, day_of(now))
    event_type, data = change
    assert state.apply(event(event_type, now - timedelta(hours=1), **data))
    results.changed(model, event_type)
    after = results.measure(model, state, day_of(now))
    assert after != was  # the change matters to some measure...
    assert after == measure_all(model, state, day_of(now))  # ...and it was re-evaluated


def test_a_csm_sentiment_reaches_the_manual_measure(
    event: Callable[..., Any], now: datetime
) -> None:
    model, state, results = default_model(), AccountState(), MeasureResults()
    was = results.measure(model, state, day_of(now))
    state.set_csm_sentiment("red", "renewal at risk", now)
    results.changed(model, CSM_SENTIMENT)
    after = results.measure(model, state, day_of(now))
    assert after != was
    assert after == measure_all(model, state, day_of(now))


def fresh_default_model() -> ScoringModel:
    """The default model as a new object: its memos start empty."""
    return ScoringModel.model_validate(default_model().model_dump())


def test_accounts_with_the_same_values_share_their_results_and_the_memo_stops_growing(
    event: Callable[..., Any], now: datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    states = [busy_state(event, now), busy_state(event, now), AccountState()]
    for features in range(1, 6):  # distinct features used: five more values of a measure
        states.append(busy_state(event, now - timedelta(days=features)))
        for n in range(features):
            states[-1].apply(event("usage.activity", now, user_id="u1", feature=f"f{n}"))
    today = day_of(now)
    model = fresh_default_model()
    unbounded = [MeasureResults().measure(model, state, today) for state in states]
    assert all(a is b for a, b in zip(unbounded[0], unbounded[1], strict=True))

    monkeypatch.setattr(measured_module, "_MAX_MEMO", 2)
    model = fresh_default_model()
    capped = [MeasureResults().measure(model, state, today) for state in states]
    assert capped == unbounded  # past the cap, results are worked out each time, alike
    memos = model.derived("measured_by_value")
    assert len(memos) == len(valued(model, states[0]))
    assert all(len(memo) <= 2 for memo in memos.values())
    assert any(len({id(entry[i]) for entry in capped}) > 2 for i in range(len(model.measures)))
