"""A rule state stored and read back mid-stream behaves exactly as the one kept in memory."""

from __future__ import annotations

from datetime import timedelta

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from pulse.alerts.rules.definitions import Rule
from pulse.alerts.rules.states import new_state, restore_state
from pulse.common.events import Event

from .conftest import make_event
from .rule_builders import overdue_sum_rule, phone_rule, quiet_rule
from .test_window_properties import START, Step, replay, steps, ticket, usage

RULES: list[tuple[Rule, object]] = [
    (phone_rule(at_least=2, window="3d"), ticket),
    (quiet_rule(silence="3d"), usage),
]


def _through_json(rule: Rule, state: object) -> object:
    snapshot = orjson.loads(orjson.dumps(state.snapshot()))  # type: ignore[attr-defined]
    return restore_state(rule, snapshot)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(range(len(RULES))), steps, st.integers(0, 40))
def test_a_restored_state_agrees_with_the_original_at_every_later_step(
    which: int, run: list[Step], stored_at: int
) -> None:
    rule, make = RULES[which]
    kept = new_state(rule, START)
    restored = new_state(rule, START)
    history: list[tuple[object, bool]] = []
    now = START
    for index, (advance, event) in enumerate(run):
        if index == stored_at:
            restored = _through_json(rule, kept)  # type: ignore[assignment]
        now += timedelta(seconds=advance)
        if event is not None:
            at, watched = replay(history, event, now)  # type: ignore[arg-type]
            history.append((at, watched))
            sent: Event = make(at, watched)  # type: ignore[operator]
            outcome = kept.observe(sent, now)
            if index >= stored_at:
                assert restored.observe(sent, now) == outcome
        if index >= stored_at:
            assert restored.evaluate(now) == kept.evaluate(now)


def test_sums_stay_exact_through_a_snapshot() -> None:
    rule = overdue_sum_rule(at_least=0.3)
    state = new_state(rule, START)
    for n, amount in enumerate((0.1, 0.1, 0.1)):
        at = START + timedelta(hours=n)
        state.observe(
            make_event(
                "invoice.overdue",
                at,
                event_id=f"i{n}",
                invoice_id="i",
                amount=amount,
                currency="USD",
                days_overdue=3,
            ),
            at,
        )
    restored = _through_json(rule, state)
    verdict = restored.evaluate(START + timedelta(hours=3))  # type: ignore[attr-defined]
    assert verdict.holds
    assert verdict == state.evaluate(START + timedelta(hours=3))
