"""Score_drop rules: the fall from the highest score of the window, at its edges."""

from __future__ import annotations

from datetime import timedelta
from fractions import Fraction

from pulse.alerts.rules.intake import Outcome
from pulse.alerts.rules.score_drop import ScoreDropState

from .conftest import NOW, make_point
from .rule_builders import drop_rule

DAY = timedelta(days=1)
SECOND = timedelta(seconds=1)
START = NOW - 100 * DAY


def test_a_fall_of_20_points_in_30_days_holds_until_the_highest_leaves() -> None:
    state = ScoreDropState(drop_rule(), START)
    high = NOW - 20 * DAY
    state.observe_score(make_point(high - DAY, 70, message_id="m0"), high - DAY)
    state.observe_score(make_point(high, 78, message_id="high"), high)
    state.observe_score(make_point(NOW - 10 * DAY, 66, message_id="m2"), NOW - 10 * DAY)
    state.observe_score(make_point(NOW, 54, message_id="low"), NOW)
    verdict = state.evaluate(NOW)
    assert verdict.holds
    assert (verdict.count, verdict.total) == (2, Fraction(24))
    assert [(e.event_id, e.occurred_at, e.value) for e in verdict.evidence] == [
        ("high", high, Fraction(78)),
        ("low", NOW, Fraction(54)),
    ]
    assert verdict.next_change == high + 30 * DAY
    assert state.evaluate(high + 30 * DAY - SECOND).total == 24
    # 78 has left: the highest is now 66, 10 days before.
    after = state.evaluate(high + 30 * DAY)
    assert not after.holds
    assert after.total == 12
    assert after.next_change == NOW - 10 * DAY + 30 * DAY


def test_the_fall_must_reach_the_points_exactly() -> None:
    state = ScoreDropState(drop_rule(), START)
    state.observe_score(make_point(NOW - DAY, 60.1), NOW - DAY)
    state.observe_score(make_point(NOW, 40.2), NOW)
    assert not state.evaluate(NOW).holds  # 19.9
    state.observe_score(make_point(NOW + SECOND, 40.1), NOW + SECOND)
    verdict = state.evaluate(NOW + SECOND)
    assert verdict.holds  # 60.1 - 40.1 is 20, though not in floats
    assert verdict.total == 20


def test_the_latest_point_counts_however_old() -> None:
    state = ScoreDropState(drop_rule(), START)
    state.observe_score(make_point(NOW, 50, message_id="only"), NOW)
    verdict = state.evaluate(NOW + 400 * DAY)
    assert not verdict.holds
    assert (verdict.count, verdict.total, verdict.band) == (1, Fraction(0), "yellow")
    assert [e.event_id for e in verdict.evidence] == ["only"]
    assert verdict.next_change is None


def test_a_rise_resets_the_highest_and_equal_highs_name_the_newest() -> None:
    state = ScoreDropState(drop_rule(), START)
    for day, score in ((9, 80), (6, 80), (3, 55)):
        at = NOW - day * DAY
        state.observe_score(make_point(at, score, message_id=f"d{day}"), at)
    verdict = state.evaluate(NOW)
    assert [e.event_id for e in verdict.evidence] == ["d6", "d3"]
    assert verdict.next_change == NOW - 6 * DAY + 30 * DAY
    state.observe_score(make_point(NOW, 90, message_id="rise"), NOW)
    risen = state.evaluate(NOW)
    assert not risen.holds
    assert [e.event_id for e in risen.evidence] == ["rise"]
    assert risen.next_change is None


def test_a_point_stamped_ahead_enters_when_now_reaches_it() -> None:
    state = ScoreDropState(drop_rule(), START)
    state.observe_score(make_point(NOW - DAY, 80), NOW - DAY)
    assert state.observe_score(make_point(NOW + DAY, 50), NOW) is Outcome.TAKEN
    waiting = state.evaluate(NOW)
    assert not waiting.holds
    assert waiting.next_change == NOW + DAY
    assert state.evaluate(NOW + DAY).holds


def test_no_score_no_fall() -> None:
    verdict = ScoreDropState(drop_rule(), START).evaluate(NOW)
    assert not verdict.holds
    assert (verdict.count, verdict.total, verdict.evidence, verdict.next_change) == (
        0,
        Fraction(0),
        (),
        None,
    )


def test_memory_follows_the_window_not_the_history() -> None:
    state = ScoreDropState(drop_rule(within="1d"), START)
    for hour in range(24 * 50):
        at = START + timedelta(hours=hour)
        # Scores falling by the hour keep every point inside the window a possible highest.
        state.observe_score(make_point(at, 50 - (hour % 24) / 10), at)
    assert state.held() == 24
    rising = ScoreDropState(drop_rule(), START)
    for hour in range(24 * 50):
        at = START + timedelta(hours=hour)
        rising.observe_score(make_point(at, hour / 12), at)
    assert rising.held() == 1  # a rise leaves no earlier point that could be the highest
