"""A rule state stored and read back mid-stream behaves exactly as the one kept in memory."""

from __future__ import annotations

from datetime import timedelta

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from pulse.alerts.rules.definitions import Rule
from pulse.alerts.rules.score_points import ScorePoint
from pulse.alerts.rules.states import ScoreWatcher, new_state, restore_state
from pulse.common.events import Event

from .conftest import make_event, make_point
from .rule_builders import (
    band_rule,
    below_rule,
    drop_rule,
    overdue_sum_rule,
    phone_rule,
    quiet_rule,
    renewal_rule,
)
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


SCORE_RULES: list[Rule] = [
    band_rule(bands=["yellow", "red"]),
    below_rule(below=50),
    drop_rule(points=20, within="3d"),
    renewal_rule(within="5d"),
]
#: A step over scores: seconds now moves, then maybe a point (offset from now in seconds,
#: score in tenths, or the index of one to replay) and maybe a renewal date (days from now).
ScoreStep = tuple[int, tuple[int, int, int | None] | None, int | None]
score_steps = st.lists(
    st.tuples(
        st.integers(0, 2 * 86_400),
        st.none()
        | st.tuples(
            st.integers(-4 * 86_400, 86_400), st.integers(0, 1000), st.none() | st.integers(0, 9)
        ),
        st.none() | st.integers(-3, 10),
    ),
    max_size=30,
)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(range(len(SCORE_RULES))), score_steps, st.integers(0, 30))
def test_a_restored_score_state_agrees_with_the_original_at_every_later_step(
    which: int, run: list[ScoreStep], stored_at: int
) -> None:
    rule = SCORE_RULES[which]
    kept = new_state(rule, START)
    restored = kept
    sent: list[ScorePoint] = []
    now = START
    for index, (advance, point, renewal_in) in enumerate(run):
        if index == stored_at:
            restored = _through_json(rule, kept)  # type: ignore[assignment]
        assert isinstance(kept, ScoreWatcher)
        assert isinstance(restored, ScoreWatcher)
        now += timedelta(seconds=advance)
        if point is not None:
            offset, tenths, again = point
            taken = sent[again % len(sent)] if again is not None and sent else None
            taken = taken or make_point(now + timedelta(seconds=offset), tenths / 10)
            sent.append(taken)
            outcome = kept.observe_score(taken, now)
            if index >= stored_at:
                assert restored.observe_score(taken, now) == outcome
        if renewal_in is not None:
            renews_on = (now + timedelta(days=renewal_in)).date().isoformat()
            update = make_event(
                "account.updated", now, event_id=f"u{index}", renewal_date=renews_on
            )
            outcome = kept.observe(update, now)
            if index >= stored_at:
                assert restored.observe(update, now) == outcome
        if index >= stored_at:
            assert restored.evaluate(now) == kept.evaluate(now)
