"""Changes: a snapshot plus the changes after it rebuilds exactly the state the keeper had."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pulse.common.events import Event, EventValidationError, event_from_json
from pulse.common.kafka.records import UndecodableMessage
from pulse.devtools.testing.strategies import NOW
from pulse.health.keeping.changes import apply_input, decode_inputs, encode_input, replay
from pulse.health.messages import Incoming, SetCsmSentiment
from pulse.health.scoring.state import AccountState

from .event_plans import events

#: Event time of the plans: long enough ago that no replayed event is "in the future".
START = NOW - timedelta(days=400)

hours = st.one_of(st.integers(-40 * 24, 20), st.integers(-48, 20))  # from the clock
steps = st.one_of(
    *[st.tuples(st.just("event"), events, hours)] * 6,
    st.tuples(st.just("sentiment"), st.sampled_from(["green", "yellow", "red"]), hours),
    st.tuples(st.just("later"), st.just({}), st.integers(0, 3 * 24)),
    st.tuples(st.just("rescore"), st.just({}), st.just(0)),
    st.tuples(st.just("defer"), st.just({}), st.just(0)),
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plan=st.lists(steps, min_size=10, max_size=80), snapshot_after=st.integers(0, 8))
def test_a_snapshot_and_the_changes_after_it_rebuild_the_state(
    plan: list[tuple[str, Any, int]], snapshot_after: int
) -> None:
    # As the keeper goes: a batch applies inputs at its moment (even events too late to
    # count, which still move the clock), then re-scores at the same moment: a prune and
    # a change. Time passes between batches; a re-score may have no inputs (a tick). A
    # batch under a backlog defers its re-score: a change with no prune after its inputs.
    state, clock = AccountState(), START
    snapshot, changes, pending = state.to_dict(), [], []
    rescores = 0
    for step, argument, offset in [*plan, ("rescore", {}, 0)]:
        at = clock + timedelta(hours=offset)
        if step in ("event", "sentiment"):
            item, raw = _input(step, argument, at)
            apply_input(state, item, clock)
            pending.append(encode_input(item, raw))
            continue
        if step == "defer":
            changes.append((clock, b"".join(pending), False))
            pending = []
            continue
        if step == "rescore" or pending:  # the batch ends before time passes
            state.prune(clock)
            changes.append((clock, b"".join(pending), True))
            pending, rescores = [], rescores + 1
            if rescores == snapshot_after:
                snapshot, changes = state.to_dict(), []
        if step == "later":
            clock = at
    rebuilt = AccountState.from_dict(orjson.loads(orjson.dumps(snapshot)))
    for at, inputs, rescored in changes:
        replay(rebuilt, at, inputs, rescored)
    assert rebuilt.to_dict() == state.to_dict()


def _input(step: str, argument: Any, at: Any) -> tuple[Incoming, bytes]:
    if step == "event":
        raw = orjson.dumps({**argument, "occurred_at": at.isoformat()})
        return event_from_json(raw), raw
    command = SetCsmSentiment(id=f"s{at}", account_id="acme", value=argument, note="n", at=at)
    return command, command.to_json()


def test_inputs_come_back_in_order_from_their_raw_bytes_or_encoded_again(
    event: Callable[..., Event],
) -> None:
    usage = event("usage.activity", NOW, user_id="u1", feature="export")
    ticket = event("support.ticket.opened", NOW, ticket_id="t1", channel="phone")
    sentiment = SetCsmSentiment(id="c1", account_id="acme", value="red", note=None, at=NOW)
    raw_ticket = orjson.dumps(
        {"type": "support.ticket.opened", "account_id": "acme",
         "occurred_at": NOW.isoformat(), "data": {"ticket_id": "t1", "channel": "phone"}}
    )  # fmt: skip
    inputs = b"".join(
        [
            encode_input(usage, None),  # no raw bytes: encoded again
            encode_input(ticket, raw_ticket),
            encode_input(sentiment, None),
            encode_input(sentiment, sentiment.to_json()),
        ]
    )
    assert list(decode_inputs(inputs)) == [usage, ticket, sentiment, sentiment]
    assert list(decode_inputs(b"")) == []


def test_an_event_stored_before_the_time_floor_existed_still_replays() -> None:
    # Applied by an earlier version that had no floor: replay must not refuse it now.
    year_one = orjson.dumps(
        {"id": "e1", "type": "usage.activity", "account_id": "acme",
         "occurred_at": "0001-01-01T00:00:00Z", "data": {"user_id": "u1"}}
    )  # fmt: skip
    with pytest.raises(EventValidationError, match="earliest event time"):
        event_from_json(year_one)

    (replayed,) = decode_inputs(
        encode_input(event_from_json(year_one, floor=datetime.min.replace(tzinfo=UTC)), year_one)
    )

    assert not isinstance(replayed, SetCsmSentiment)
    assert replayed.occurred_at.year == 1


def test_a_change_that_cannot_be_read_says_why() -> None:
    broken = encode_input(
        SetCsmSentiment(id="c1", account_id="acme", value="red", note=None, at=NOW), b"{}"
    )
    with pytest.raises(UndecodableMessage, match="kind: field required"):
        list(decode_inputs(broken))


def test_a_replay_counts_its_steps_and_prunes_at_the_change(
    event: Callable[..., Event],
) -> None:
    old = event("usage.activity", NOW - timedelta(days=300), user_id="u1")
    state = AccountState()
    state.apply(old, NOW - timedelta(days=300))
    inputs = encode_input(event("usage.activity", NOW, user_id="u2"), None)
    assert replay(state, NOW, inputs) == 2  # one input, one prune
    assert replay(state, NOW, b"") == 1
    assert replay(state, NOW, inputs, rescored=False) == 1  # a deferred re-score: no prune
    fresh = AccountState()
    fresh.apply(event("usage.activity", NOW, user_id="u2"), NOW)
    fresh.prune(NOW)
    fresh.apply(event("usage.activity", NOW, user_id="u2"), NOW)
    assert state.to_dict() == fresh.to_dict()  # the old day was pruned away


def test_a_deferred_change_replays_without_a_prune(event: Callable[..., Event]) -> None:
    long_ago = NOW - timedelta(days=300)
    state = AccountState()
    state.apply(event("usage.activity", long_ago, user_id="u1"), long_ago)
    kept = state.to_dict()
    replay(state, NOW, b"", rescored=False)
    assert state.to_dict() == kept  # the old day waits for the re-score's prune
    replay(state, NOW, b"")
    assert state.to_dict() != kept
