"""Timelines depend on the set of changes alone: any arrival order, any replay, same answer.

A reference recomputes the ARR at a moment by scanning every change; the timeline must
agree with it at every probe, whatever order the changes arrived in.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from pulse.renewals.contracts.changes import ContractEvent
from pulse.renewals.contracts.timeline import Applied, ContractTimeline

from .builders import change, day

ORIGIN = day(2024, 1, 1)

#: A change: day offset (a few share a day), ARR in cents (0 is churn).
changes = st.lists(
    st.tuples(st.integers(0, 60), st.one_of(st.just(0), st.integers(1, 10**9))),
    max_size=12,
).map(
    lambda rows: [
        change(f"c{i}", ORIGIN + timedelta(days=offset), arr)
        for i, (offset, arr) in enumerate(rows)
    ]
)


def reference_arr(events: list[ContractEvent], moment: datetime) -> int | None:
    before = [e for e in events if e.effective_at < moment]
    if not before:
        return None
    return max(before, key=lambda e: (e.effective_at, e.event_id)).arr_after.minor


@settings(max_examples=200, deadline=None)
@given(changes, st.data())
def test_any_arrival_order_gives_the_same_timeline(
    events: list[ContractEvent], data: st.DataObject
) -> None:
    arrival = data.draw(st.permutations(events))
    replays = data.draw(st.lists(st.sampled_from(events), max_size=5)) if events else []
    in_order, shuffled = ContractTimeline(), ContractTimeline()
    for event in events:
        in_order.apply(event)
    for event in [*arrival, *replays]:
        shuffled.apply(event)
    assert shuffled.steps == in_order.steps
    for offset in range(-1, 62):
        moment = ORIGIN + timedelta(days=offset)
        for probe in (moment, moment + timedelta(hours=12)):
            arr = shuffled.arr_at(probe)
            assert (arr.minor if arr else None) == reference_arr(events, probe)


@given(changes)
def test_a_replay_is_a_duplicate_and_changes_nothing(events: list[ContractEvent]) -> None:
    timeline = ContractTimeline()
    for event in events:
        assert timeline.apply(event) is Applied.TAKEN
    steps = timeline.steps
    for event in events:
        assert timeline.apply(event) is Applied.DUPLICATE
    assert timeline.steps == steps
