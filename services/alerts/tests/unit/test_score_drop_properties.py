"""Score_drop semantics against a reference that recounts every point from scratch.

Each example is a run of steps; a step moves `now` forward (by chance exactly onto the
window's edge) and may bring a score point stamped before or after `now`, some of them
replays of earlier points. After every step the state must agree with a recount over every
point it took, and its `next_change` must be the real next edge.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from pulse.alerts.rules.intake import Outcome
from pulse.alerts.rules.score_drop import ScoreDropState
from pulse.alerts.rules.score_points import ScorePoint, exact_score

from .conftest import NOW, make_point
from .rule_builders import drop_rule

START = NOW - timedelta(days=100)
WITHIN = timedelta(days=3)
WITHIN_S = int(WITHIN.total_seconds())
DAY_S = 86_400
SECOND = timedelta(seconds=1)

#: Offsets of a point from `now`, in seconds: anywhere, or exactly on an edge.
offsets = st.one_of(
    st.integers(-5 * DAY_S, DAY_S),
    st.sampled_from([0, 1, -1, -WITHIN_S, -WITHIN_S + 1, -WITHIN_S - 1]),
)
#: Scores with health's one decimal, and a few close to the 20 points of the rule.
scores = st.one_of(
    st.integers(0, 1000).map(lambda tenths: tenths / 10), st.sampled_from([20.0, 40.0, 60.0])
)
advances = st.one_of(
    st.integers(0, 2 * DAY_S), st.sampled_from([0, 1, WITHIN_S - 1, WITHIN_S, WITHIN_S + 1])
)
#: A step: how far now moves, then maybe a point (offset, score, or an earlier one again).
Step = tuple[int, tuple[int, float, int | None] | None]
steps = st.lists(
    st.tuples(advances, st.none() | st.tuples(offsets, scores, st.none() | st.integers(0, 30))),
    max_size=40,
)


@dataclass
class Reference:
    """Every point taken, in order, and what they say at a moment."""

    taken: list[ScorePoint] = field(default_factory=list)

    def offer(self, point: ScorePoint) -> Outcome:
        if self.taken and point.at <= self.taken[-1].at:
            return Outcome.DUPLICATE
        self.taken.append(point)
        return Outcome.TAKEN

    def latest(self, now: datetime) -> ScorePoint | None:
        return next((p for p in reversed(self.taken) if p.at <= now), None)

    def highest(self, now: datetime) -> ScorePoint | None:
        latest = self.latest(now)
        counted = [p for p in self.taken if p.at <= now < p.at + WITHIN]
        counted += [latest] if latest else []
        return max(counted, key=lambda p: (exact_score(p.score), p.at), default=None)

    def next_change(self, now: datetime) -> datetime | None:
        highest, latest = self.highest(now), self.latest(now)
        edges = [p.at for p in self.taken if p.at > now][:1]
        if highest is not None and highest != latest:
            edges.append(highest.at + WITHIN)
        return min(edges, default=None)


def _point(
    history: list[ScorePoint], sent: tuple[int, float, int | None], now: datetime
) -> ScorePoint:
    offset, score, again = sent
    if again is not None and history:
        return history[again % len(history)]
    return make_point(now + timedelta(seconds=offset), score)


@settings(max_examples=300, deadline=None)
@given(steps)
def test_the_fall_matches_a_recount_after_every_step(run: list[Step]) -> None:
    state = ScoreDropState(drop_rule(points=20, within="3d"), START)
    reference = Reference()
    history: list[ScorePoint] = []
    now = START
    for advance, sent in run:
        now += timedelta(seconds=advance)
        if sent is not None:
            point = _point(history, sent, now)
            history.append(point)
            assert state.observe_score(point, now) == reference.offer(point)
        verdict = state.evaluate(now)
        latest, highest = reference.latest(now), reference.highest(now)
        if latest is None or highest is None:
            assert (verdict.holds, verdict.evidence) == (False, ())
        else:
            fall = exact_score(highest.score) - exact_score(latest.score)
            assert verdict.total == fall
            assert verdict.holds is (fall >= 20)
            shown = [(e.event_id, e.occurred_at) for e in verdict.evidence]
            named = [highest] if highest == latest else [highest, latest]
            assert shown == [(p.message_id, p.at) for p in named]
        assert verdict.next_change == reference.next_change(now)
        _answer_stands_until_next_change(state, verdict.total, verdict.next_change, now)


def _answer_stands_until_next_change(
    state: ScoreDropState, fall: Fraction, next_change: datetime | None, now: datetime
) -> None:
    """With no new point, the fall is the same up to a second before `next_change`."""
    probe = copy.deepcopy(state)
    last_second = (next_change - SECOND) if next_change else now + 10 * WITHIN
    if last_second > now:
        assert probe.evaluate(last_second).total == fall
