"""Window and silence semantics against a reference that recounts from scratch.

Each example is a run of steps; a step moves `now` forward (by chance exactly onto window
and lateness edges) and may bring an event stamped before or after `now`, some of them
replays of earlier events. After every step the state must agree with a brute-force
recount over every event it took, and its `next_change` must be the real next edge.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from pulse.alerts.rules.intake import MAX_LATENESS, Outcome
from pulse.alerts.rules.states import RuleState, new_state
from pulse.alerts.rules.verdict import MAX_EVIDENCE
from pulse.common.events import Event

from .conftest import NOW, make_event
from .rule_builders import overdue_sum_rule, phone_rule, quiet_rule

START = NOW - timedelta(days=100)
WINDOW = timedelta(days=3)
SILENCE = timedelta(days=3)
SECOND = timedelta(seconds=1)
DAY_S = 86_400
LATE_S = int(MAX_LATENESS.total_seconds())
WINDOW_S = int(WINDOW.total_seconds())

#: Offsets of an event from `now`, in seconds: anywhere, or exactly on an edge.
offsets = st.one_of(
    st.integers(-35 * DAY_S, 2 * DAY_S),
    st.sampled_from(
        [0, 1, -1, -WINDOW_S, -WINDOW_S + 1, -WINDOW_S - 1, -LATE_S, -LATE_S - 1, -LATE_S + 1]
    ),
)
#: How far `now` moves in a step, in seconds.
advances = st.one_of(
    st.integers(0, 2 * DAY_S), st.sampled_from([0, 1, WINDOW_S - 1, WINDOW_S, WINDOW_S + 1])
)
#: An event of a step: offset from now, watched or not, and maybe an earlier one to replay.
Sent = tuple[int, bool, int | None]
Step = tuple[int, Sent | None]
#: A step: how far now moves, then maybe an event (offset, watched or not, replay index).
steps = st.lists(
    st.tuples(
        advances,
        st.none() | st.tuples(offsets, st.booleans(), st.none() | st.integers(0, 30)),
    ),
    max_size=40,
)


@dataclass
class Reference:
    """Every event taken, and the account's latest moment, recounted from scratch."""

    taken: dict[str, datetime] = field(default_factory=dict)
    latest: datetime = START

    def offer(self, event_id: str, at: datetime, watched: bool, now: datetime) -> Outcome:
        self.latest = max(self.latest, now)
        if not watched:
            return Outcome.NOT_WATCHED
        if at < self.latest - MAX_LATENESS:
            return Outcome.TOO_LATE
        if event_id in self.taken:
            return Outcome.DUPLICATE
        self.taken[event_id] = at
        self.latest = max(self.latest, at)
        return Outcome.TAKEN

    def inside(self, now: datetime) -> list[tuple[datetime, str]]:
        return sorted((at, i) for i, at in self.taken.items() if at <= now < at + WINDOW)

    def window_edge(self, now: datetime) -> datetime | None:
        edges = [at + WINDOW for at, _ in self.inside(now)]
        edges += [at for at in self.taken.values() if at > now]
        return min(edges, default=None)

    def last_before(self, now: datetime) -> datetime | None:
        return max((at for at in self.taken.values() if at <= now), default=None)


def ticket(at: datetime, watched: bool) -> Event:
    # The id follows from the time and channel, so a replay is the same event.
    channel = "phone" if watched else "email"
    event_id = f"e{int((at - START).total_seconds())}{channel}"
    opened = "support.ticket.opened"
    return make_event(opened, at, event_id=event_id, ticket_id="t", channel=channel)


def usage(at: datetime, watched: bool) -> Event:
    event_id = f"u{int((at - START).total_seconds())}{watched}"
    if watched:
        return make_event("usage.activity", at, event_id=event_id, user_id="u")
    return make_event("metric.recorded", at, event_id=event_id, name="n", value=1.0)


def replay(
    history: list[tuple[datetime, bool]], event: Sent, now: datetime
) -> tuple[datetime, bool]:
    offset, watched, again = event
    if again is not None and history:
        return history[again % len(history)]
    return now + timedelta(seconds=offset), watched


@settings(max_examples=300, deadline=None)
@given(steps)
def test_counts_match_a_recount_after_every_step(run: list[Step]) -> None:
    state = new_state(phone_rule(at_least=2, window="3d"), START)
    reference = Reference()
    history: list[tuple[datetime, bool]] = []
    now = START
    for advance, event in run:
        now += timedelta(seconds=advance)
        if event is not None:
            at, watched = replay(history, event, now)
            history.append((at, watched))
            sent = ticket(at, watched)
            assert state.observe(sent, now) == reference.offer(sent.id, at, watched, now)
        verdict = state.evaluate(now)
        inside = reference.inside(now)
        assert verdict.count == len(inside)
        assert verdict.holds is (len(inside) >= 2)
        assert [(e.occurred_at, e.event_id) for e in verdict.evidence] == inside[-MAX_EVIDENCE:]
        assert verdict.next_change == reference.window_edge(now)
        _answer_stands_until_next_change(state, verdict.holds, verdict.next_change, now)


@settings(max_examples=300, deadline=None)
@given(steps)
def test_silence_matches_a_recount_after_every_step(run: list[Step]) -> None:
    state = new_state(quiet_rule(silence="3d"), START)
    reference = Reference()
    history: list[tuple[datetime, bool]] = []
    now = START
    for advance, event in run:
        now += timedelta(seconds=advance)
        if event is not None:
            at, watched = replay(history, event, now)
            history.append((at, watched))
            sent = usage(at, watched)
            expected = reference.offer(sent.id, at, watched, now)
            # A silence keeps no ids: a replay is taken again and changes nothing.
            if expected is Outcome.DUPLICATE:
                expected = Outcome.TAKEN
            assert state.observe(sent, now) == expected
        verdict = state.evaluate(now)
        since = reference.last_before(now) or START
        holds = since + SILENCE <= now
        assert verdict.holds is holds
        assert verdict.silent_since == since
        ahead = [at for at in reference.taken.values() if at > now]
        edges = ahead + ([] if holds else [since + SILENCE])
        assert verdict.next_change == min(edges, default=None)
        _answer_stands_until_next_change(state, holds, verdict.next_change, now)


def _answer_stands_until_next_change(
    state: RuleState, holds: bool, next_change: datetime | None, now: datetime
) -> None:
    """With no new event, the answer is the same up to a second before `next_change`."""
    probe = copy.deepcopy(state)
    last_second = (next_change - SECOND) if next_change else now + 10 * WINDOW
    if last_second > now:
        assert probe.evaluate(last_second).holds is holds


@given(st.integers(0, 10 * DAY_S), st.integers(1, 10 * DAY_S))
def test_absence_opens_by_time_alone_exactly_at_its_edge(used_s: int, silence_s: int) -> None:
    state = new_state(quiet_rule(silence=f"{silence_s}s"), START)
    used = START + timedelta(seconds=used_s)
    state.observe(usage(used, True), used)
    opens = used + timedelta(seconds=silence_s)
    assert state.evaluate(used).next_change == opens
    assert not state.evaluate(opens - SECOND).holds
    assert state.evaluate(opens).holds


@given(st.lists(st.integers(0, 5 * DAY_S), min_size=1, max_size=20, unique=True))
def test_every_event_expires_with_no_new_event(moments_s: list[int]) -> None:
    state = new_state(phone_rule(at_least=1, window="3d"), START)
    latest = START + timedelta(seconds=max(moments_s))
    for s in moments_s:
        state.observe(ticket(START + timedelta(seconds=s), True), latest)
    verdict = state.evaluate(latest)
    assert verdict.count == sum(1 for s in moments_s if s > max(moments_s) - WINDOW_S)
    now = latest
    for _ in moments_s:  # walk the edges: each drops at least the oldest event
        if verdict.next_change is None:
            break
        assert verdict.next_change > now
        now = verdict.next_change
        verdict = state.evaluate(now)
    assert verdict.count == 0
    assert now == latest + WINDOW


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 20 * DAY_S), st.decimals("0.01", "99999.99", places=2)),
        max_size=30,
    ),
    st.integers(0, 25 * DAY_S),
)
def test_sums_are_exact_over_the_window(sent: list[tuple[int, Decimal]], probe_s: int) -> None:
    state = new_state(overdue_sum_rule(window="3d", at_least=1000), START)
    taken: dict[str, tuple[datetime, Decimal]] = {}
    latest = START + timedelta(seconds=max((s for s, _ in sent), default=0))
    for i, (s, amount) in enumerate(sent):
        at = START + timedelta(seconds=s)
        event = make_event(
            "invoice.overdue",
            at,
            event_id=f"i{i}",
            invoice_id="i",
            amount=str(amount),
            currency="EUR",
        )
        state.observe(event, latest)
        taken[event.id] = (at, amount)
    now = max(latest, START + timedelta(seconds=probe_s))
    verdict = state.evaluate(now)
    expected = sum(
        (Fraction(amount) for at, amount in taken.values() if at <= now < at + WINDOW),
        Fraction(0),
    )
    assert verdict.total == expected
    assert verdict.holds is (expected >= 1000)
