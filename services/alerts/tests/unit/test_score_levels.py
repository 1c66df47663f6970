"""Band and score_below rules: they hold from the point that passes to the one that fails."""

from __future__ import annotations

from datetime import timedelta
from fractions import Fraction

import pytest

from pulse.alerts.rules.intake import Outcome
from pulse.alerts.rules.score_levels import ScoreLevelState
from pulse.alerts.rules.states import ScoreWatcher, new_state, watches_scores

from .conftest import NOW, make_event, make_point
from .rule_builders import band_rule, below_rule, phone_rule

DAY = timedelta(days=1)
SECOND = timedelta(seconds=1)
START = NOW - 60 * DAY


def band_state(**changes: object) -> ScoreLevelState:
    return ScoreLevelState(band_rule(**changes), START)


def test_the_band_rule_opens_when_the_band_enters_red_and_names_the_band_before() -> None:
    state = band_state()
    state.observe_score(make_point(NOW - 10 * DAY, 55, message_id="m1"), NOW - 10 * DAY)
    assert not state.evaluate(NOW - 10 * DAY).holds
    state.observe_score(make_point(NOW - 7 * DAY, 38, message_id="m2"), NOW - 7 * DAY)
    state.observe_score(make_point(NOW - 2 * DAY, 35, message_id="m3"), NOW - 2 * DAY)
    verdict = state.evaluate(NOW)
    assert verdict.holds
    assert [(e.event_id, e.occurred_at) for e in verdict.evidence] == [
        ("m2", NOW - 7 * DAY),
        ("m3", NOW - 2 * DAY),
    ]
    assert (verdict.count, verdict.total) == (2, Fraction(35))
    assert (verdict.band, verdict.previous_band) == ("red", "yellow")
    assert verdict.next_change is None  # only a new score changes it


def test_the_band_rule_ends_at_the_first_point_out_of_the_set_and_can_begin_again() -> None:
    state = band_state()
    state.observe_score(make_point(NOW - 3 * DAY, 30, message_id="red1"), NOW - 3 * DAY)
    state.observe_score(make_point(NOW - 2 * DAY, 75, message_id="green"), NOW - 2 * DAY)
    left = state.evaluate(NOW - 2 * DAY)
    assert not left.holds
    assert [e.event_id for e in left.evidence] == ["green"]
    assert (left.band, left.previous_band) == ("green", None)
    state.observe_score(make_point(NOW - DAY, 20, message_id="red2"), NOW - DAY)
    again = state.evaluate(NOW)
    assert [e.event_id for e in again.evidence] == ["red2"]
    assert again.previous_band == "green"


def test_a_first_score_already_red_has_no_band_before() -> None:
    state = band_state()
    state.observe_score(make_point(NOW, 12.5, message_id="m"), NOW)
    verdict = state.evaluate(NOW)
    assert verdict.holds
    assert [e.event_id for e in verdict.evidence] == ["m"]
    assert (verdict.count, verdict.total, verdict.previous_band) == (1, Fraction(25, 2), None)


def test_with_no_score_nothing_holds() -> None:
    verdict = band_state(bands=["green", "yellow", "red"]).evaluate(NOW)
    assert not verdict.holds
    assert (verdict.count, verdict.total, verdict.evidence, verdict.band) == (
        0,
        Fraction(0),
        (),
        None,
    )


def test_a_point_stamped_ahead_of_now_counts_from_its_second() -> None:
    state = band_state()
    assert state.observe_score(make_point(NOW + DAY, 30), NOW) is Outcome.TAKEN
    waiting = state.evaluate(NOW)
    assert not waiting.holds
    assert waiting.next_change == NOW + DAY
    assert not state.evaluate(NOW + DAY - SECOND).holds
    assert state.evaluate(NOW + DAY).holds


def test_points_at_or_before_the_latest_taken_are_duplicates() -> None:
    state = band_state()
    assert state.observe_score(make_point(NOW, 30, message_id="m1"), NOW) is Outcome.TAKEN
    assert state.observe_score(make_point(NOW, 30, message_id="m1"), NOW) is Outcome.DUPLICATE
    earlier = make_point(NOW - SECOND, 80, message_id="m0")
    assert state.observe_score(earlier, NOW) is Outcome.DUPLICATE
    assert state.evaluate(NOW).holds
    later = make_point(NOW + SECOND, 80, message_id="m2")
    assert state.observe_score(later, NOW + SECOND) is Outcome.TAKEN
    assert not state.evaluate(NOW + SECOND).holds


def test_events_are_not_watched_by_score_rules_and_time_cannot_go_back() -> None:
    state = band_state()
    event = make_event("usage.activity", NOW, user_id="u")
    assert state.observe(event, NOW) is Outcome.NOT_WATCHED
    with pytest.raises(ValueError, match="is before"):
        state.evaluate(NOW - SECOND)
    with pytest.raises(ValueError, match="is before"):
        state.observe_score(make_point(NOW, 10), NOW - SECOND)


@pytest.mark.parametrize(
    ("below", "score", "holds"),
    [(40, 39.9, True), (40, 40, False), (40, 40.1, False), (40.1, 40.1, False), (40.1, 40, True)],
)
def test_score_below_compares_the_decimals_exactly(below: float, score: float, holds: bool) -> None:
    state = new_state(below_rule(below=below), START)
    assert isinstance(state, ScoreLevelState)
    state.observe_score(make_point(NOW, score), NOW)
    assert state.evaluate(NOW).holds is holds


def test_score_below_holds_from_the_first_low_point_until_one_is_not() -> None:
    state = ScoreLevelState(below_rule(), START)
    for day, score in ((10, 45), (8, 38), (5, 31), (2, 40)):
        at = NOW - day * DAY
        state.observe_score(make_point(at, score, message_id=f"d{day}"), at)
        if day == 5:
            verdict = state.evaluate(at)
            assert [e.event_id for e in verdict.evidence] == ["d8", "d5"]
            assert verdict.total == 31
    assert not state.evaluate(NOW).holds


def test_only_the_score_kinds_watch_scores_and_their_states_take_points() -> None:
    assert watches_scores(band_rule())
    assert watches_scores(below_rule())
    assert not watches_scores(phone_rule())
    assert isinstance(new_state(below_rule(), START), ScoreWatcher)
    assert not isinstance(new_state(phone_rule(), START), ScoreWatcher)
