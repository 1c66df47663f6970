"""Distinct values by last-seen day: counts and the next drop over any window start,
as a plain scan of the values says, before and after values are seen and forgotten."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from pulse.health.scoring.lastseen import LastSeen

DAYS = st.integers(20_000, 20_100)
STEPS = st.lists(
    st.one_of(
        st.tuples(st.just("see"), st.sampled_from([f"u{i}" for i in range(40)]), DAYS),
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
