"""Distinct values by last-seen day: counts and the next drop over any window start,
as a plain scan of the values says, before and after values are seen and forgotten."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from pulse.health.scoring import lastseen
from pulse.health.scoring.lastseen import LastSeen
from pulse.health.scoring.packing import stable_hash

DAYS = st.integers(20_000, 20_100)
VALUES = [f"u{i}" for i in range(40)]
STEPS = st.lists(
    st.one_of(
        st.tuples(st.just("see"), st.sampled_from(VALUES), DAYS),
        st.tuples(st.just("prune"), st.just(""), DAYS),
        st.tuples(st.just("ask"), st.just(""), DAYS),
    ),
    max_size=120,
)


@given(steps=STEPS, limit=st.integers(1, 50))
def test_counts_and_next_drops_match_a_plain_scan(
    steps: list[tuple[str, str, int]], limit: int
) -> None:
    seen, last = LastSeen(limit=limit), dict[str, int]()
    for step, value, day in steps:
        if step == "see":
            seen.see(value, day)
            last[value] = max(day, last.get(value, day))
            if len(last) > limit:  # the stalest goes (which one of a tie: as LastSeen says)
                last = {v: d for v, d in last.items() if seen.day_of(v) is not None}
        elif step == "prune":
            seen.prune(day)
            last = {v: d for v, d in last.items() if d >= day}
        else:
            since = [d for d in last.values() if d >= day]
            assert seen.count_since(day) == len(since)
            assert seen.earliest_since(day) == min(since, default=None)
            assert seen.count_since(day + 1) == sum(1 for d in since if d > day)
    assert len(seen) == len(last)


def test_a_value_seen_again_moves_the_next_drop() -> None:
    seen = LastSeen()
    for value, day in (("a", 10), ("b", 12), ("c", 15)):
        seen.see(value, day)
    assert (seen.count_since(11), seen.earliest_since(11)) == (2, 12)
    seen.see("b", 16)  # asked again below: the answer must not be the remembered one
    assert (seen.count_since(11), seen.earliest_since(11)) == (2, 15)
    assert (seen.count_since(17), seen.earliest_since(17)) == (0, None)


@given(
    steps=STEPS,
    limit=st.integers(1, 50),
    index_from=st.sampled_from([0, 5, 1000]),  # in order of day from the start, from 5, never
)
def test_the_stalest_value_goes_and_what_is_kept_matches_a_plain_scan(
    steps: list[tuple[str, str, int]], limit: int, index_from: int
) -> None:
    usual, lastseen.INDEX_FROM = lastseen.INDEX_FROM, index_from
    try:
        seen, last = LastSeen(limit=limit), dict[str, int]()
        for step, value, day in steps:
            if step == "see":
                seen.see(value, day)
                last[value] = max(day, last.get(value, day))
                if len(last) > limit:  # the one seen longest ago; of a tie, the lowest hash
                    stalest = min(last, key=lambda v: (last[v], stable_hash(v)))
                    del last[stalest]
            elif step == "prune":
                seen.prune(day)
                last = {v: d for v, d in last.items() if d >= day}
            since = [d for d in last.values() if d >= day]
            assert (seen.count_since(day), seen.earliest_since(day)) == (
                len(since),
                min(since, default=None),
            )
            assert {v: seen.day_of(v) for v in VALUES if seen.day_of(v) is not None} == last
        assert LastSeen.from_text(seen.to_text()).to_text() == seen.to_text()
    finally:
        lastseen.INDEX_FROM = usual
