"""Replaying archived steps: every score the keeper wrote comes back exactly, however
late its time-driven re-scores ran; with no event for months the score still moves at
midnights; a replay starts at a step carrying the state and stops before the end."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pulse.common.events import event_from_json
from pulse.devtools.testing.strategies import NOW
from pulse.health.backtest.replay import UnreplayableSteps, replay_account
from pulse.health.keeping.changes import apply_input, decode_inputs, encode_input
from pulse.health.scoring.model import default_model
from pulse.health.scoring.score import AccountScore, score_account
from pulse.health.scoring.state import AccountState
from pulse.health.storage.step_archive import ArchivedStep

from .event_plans import events

START = NOW - timedelta(days=200)
MODEL = default_model()


def _step(at: datetime, raw_events: list[dict[str, Any]], offsets: list[int]) -> ArchivedStep:
    """A step applying the events at `at`, each `offsets[i]` hours before it."""
    inputs = []
    for raw, hours in zip(raw_events, offsets, strict=True):
        body = orjson.dumps({**raw, "occurred_at": (at - timedelta(hours=hours)).isoformat()})
        inputs.append(encode_input(event_from_json(body), body))
    return ArchivedStep(at, b"".join(inputs), True)


def _run_like_the_keeper(
    plan: list[tuple[int, list[tuple[dict[str, Any], int]], int, bool]],
) -> tuple[list[ArchivedStep], list[tuple[datetime, AccountScore]]]:
    """What the keeper does with `plan`'s batches, and archives: apply a batch's inputs at
    its moment, prune and score (or, deferred, score a few minutes later); re-score when
    the score's next change is due, `late` minutes after it unless a batch comes first.
    The archived steps, and every score the keeper wrote with its moment."""
    state, at = AccountState(), START
    archive = [ArchivedStep(START, b"", True, state.to_dict())]
    written = [(START, score_account(MODEL, state, START))]
    due = state.next_change_at(MODEL, START)

    def rescore(now: datetime, inputs: bytes = b"") -> None:
        nonlocal due
        state.prune(now)
        written.append((now, score_account(MODEL, state, now)))
        archive.append(ArchivedStep(now, inputs, True))
        due = state.next_change_at(MODEL, now)

    for hours, items, late, deferred in plan:
        at += timedelta(hours=hours)
        while due is not None and due + timedelta(minutes=late) < at:
            rescore(due + timedelta(minutes=late))
        step = _step(at, [raw for raw, _ in items], [offset for _, offset in items])
        for item in decode_inputs(step.inputs):
            apply_input(state, item, at)
        if deferred:
            archive.append(ArchivedStep(at, step.inputs, False))
            rescore(at + timedelta(minutes=late))
            at += timedelta(minutes=late)
        else:
            rescore(at, step.inputs)
    return archive, written


batches = st.lists(
    st.tuples(
        st.integers(0, 30 * 24),  # hours after the batch before
        st.lists(st.tuples(events, st.integers(0, 30)), min_size=1, max_size=6),
        st.integers(0, 180),  # minutes the keeper is late
        st.booleans(),  # deferred
    ),
    min_size=1,
    max_size=12,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plan=batches)
def test_the_replay_gives_every_score_the_keeper_wrote(
    plan: list[tuple[int, list[tuple[dict[str, Any], int]], int, bool]],
) -> None:
    archive, written = _run_like_the_keeper(plan)
    end = written[-1][0] + timedelta(days=1)

    replay = replay_account(MODEL, archive, end, [moment for moment, _ in written])

    latest = dict(written)  # a score written later at the same instant replaces the earlier
    for moment, expected in latest.items():
        got = replay.as_of[moment]
        assert got is not None
        assert (got.score, got.band, got.components) == (
            expected.score,
            expected.band,
            expected.components,
        ), moment
        change = replay.score_at(moment)
        assert change is not None
        assert (change.score, change.band) == (expected.score, expected.band)


def test_with_no_event_for_months_the_score_changes_at_midnights(raw_usage: Any) -> None:
    # 10 users, each on 10 features over the last 20 days: usage leaves the windows later.
    raws = [raw_usage(f"u{n % 10}", f"f{n % 7}", n) for n in range(100)]
    busy = _step(START, raws, [n * 5 for n in range(100)])
    state = AccountState()
    for item in decode_inputs(busy.inputs):
        apply_input(state, item, START)
    state.prune(START)
    replay = replay_account(
        MODEL,
        [ArchivedStep(START, busy.inputs, True, state.to_dict())],
        START + timedelta(days=120),
    )
    first, *later = replay.changes
    assert first.score > 0
    assert len(later) >= 2, "usage leaving the windows must move the score"
    assert all(change.at.time() == datetime.min.time() for change in later)


def test_a_replay_starts_at_a_state_and_stops_before_the_end(raw_usage: Any) -> None:
    with pytest.raises(UnreplayableSteps, match="starts at a step that carries"):
        replay_account(MODEL, [_step(START, [raw_usage("u1")], [1])], NOW)
    with pytest.raises(UnreplayableSteps):
        replay_account(MODEL, [], NOW)
    first = ArchivedStep(START, b"", True, AccountState().to_dict())
    late = _step(START + timedelta(days=2), [raw_usage("u1")], [1])
    replay = replay_account(MODEL, [first, late], START + timedelta(days=2))
    assert all(change.at < START + timedelta(days=2) for change in replay.changes)
    assert replay.score_at(START - timedelta(days=1)) is None


@pytest.fixture
def raw_usage() -> Any:
    def make(user: str, feature: str = "export", number: int = 0) -> dict[str, Any]:
        return {
            "id": f"e-{user}-{number}",
            "type": "usage.activity",
            "account_id": "acme",
            "data": {"user_id": user, "feature": feature},
        }

    return make
