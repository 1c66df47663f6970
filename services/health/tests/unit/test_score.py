"""Weighted average, renormalisation over missing data, segments, bands and drivers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest

from pulse.common.events import Event
from pulse.health.scoring.model import ScoringModel, load_model
from pulse.health.scoring.score import (
    NO_EVIDENCE_SCORE,
    Component,
    Driver,
    drivers,
    score_account,
)
from pulse.health.scoring.state import AccountState

Make = Callable[..., Event]
DAY = timedelta(days=1)


def model(nps_missing: str = "missing: drop", segment_weights: str = "") -> ScoringModel:
    return load_model(
        f"""
version: score-test
groups:
  a: {{weight: 3}}
  b: {{weight: 1}}
{segment_weights}
measures:
  - name: tickets
    group: a
    description: 0 tickets 100, 1 or more 50.
    reads: [{{type: support.ticket.opened}}]
    aggregation: {{kind: count}}
    window_days: 30
    scoring: {{steps: [{{min: 0, score: 100}}, {{min: 1, score: 50}}]}}
  - name: csat
    group: a
    description: CSAT 1 scores 0, 5 scores 100.
    reads: [{{type: support.ticket.resolved}}]
    aggregation: {{kind: average}}
    window_days: 90
    scoring: {{linear: [[1, 0], [5, 100]]}}
  - name: nps
    group: b
    description: NPS times ten.
    reads: [{{type: survey.response, where: {{kind: nps}}}}]
    aggregation: {{kind: latest}}
    scoring: {{linear: [[0, 0], [10, 100]]}}
    {nps_missing}
"""
    )


def account(event: Make, now: datetime, *, csat: bool = True, nps: bool = True) -> AccountState:
    state = AccountState()
    state.apply(event("support.ticket.opened", now - DAY, ticket_id="t1"))  # tickets: 50
    if csat:
        state.apply(event("support.ticket.resolved", now, ticket_id="t0", csat=4))  # csat: 75
    if nps:
        state.apply(event("survey.response", now, kind="nps", score=8))  # nps: 80
    return state


def test_weighted_average_with_group_weight_split_among_measures(
    event: Make, now: datetime
) -> None:
    result = score_account(model(), account(event, now), now)
    # group a (3) is shared by tickets and csat, 1.5 each; b (1) is nps alone; total 4
    # (1.5 * 50 + 1.5 * 75 + 1 * 80) / 4 = 267.5 / 4 = 66.875
    assert result.score == 66.9
    assert result.band == "yellow"
    assert result.model_version == "score-test"
    assert result.segment == "tech_touch"
    assert result.components == [
        Component("tickets", "a", 1.0, 50.0, 0.375, 18.75),
        Component("csat", "a", 4.0, 75.0, 0.375, 28.125),
        Component("nps", "b", 8.0, 80.0, 0.25, 20.0),
    ]


def test_missing_measure_is_dropped_and_its_group_share_renormalised(
    event: Make, now: datetime
) -> None:
    result = score_account(model(), account(event, now, csat=False), now)
    # csat has no rating: tickets carries group a alone (3), nps 1: (3 * 50 + 80) / 4 = 57.5
    assert result.score == 57.5
    assert result.components[1] == Component("csat", "a", None, None, 0.0, 0.0, "no_value")
    assert result.components[0].weight == 0.75
    assert sum(c.weight for c in result.components) == pytest.approx(1.0)


def test_a_group_with_nothing_present_hands_its_weight_to_the_others(
    event: Make, now: datetime
) -> None:
    result = score_account(model(), account(event, now, nps=False), now)
    # b has no measure present: a's two measures share everything, 0.5 each
    # 0.5 * 50 + 0.5 * 75 = 62.5
    assert result.score == 62.5
    assert [c.weight for c in result.components] == [0.5, 0.5, 0.0]


def test_missing_with_neutral_policy_scores_the_neutral_score(event: Make, now: datetime) -> None:
    neutral = model("missing: neutral")
    result = score_account(neutral, account(event, now, nps=False), now)
    # (1.5 * 50 + 1.5 * 75 + 1 * 50) / 4 = 237.5 / 4 = 59.375
    assert result.score == 59.4
    assert result.components[2] == Component("nps", "b", None, 50.0, 0.25, 12.5, "no_value")


def test_missing_with_penalise_policy_scores_the_penalty(event: Make, now: datetime) -> None:
    penalised = model("missing: penalise\n    penalty_score: 10")
    result = score_account(penalised, account(event, now, nps=False), now)
    # (1.5 * 50 + 1.5 * 75 + 1 * 10) / 4 = 197.5 / 4 = 49.375
    assert result.score == 49.4
    assert result.band == "yellow"


def test_segment_weights_override_group_weights(event: Make, now: datetime) -> None:
    weighted = model(segment_weights="segment_weights:\n  high_touch: {b: 2}")
    state = account(event, now)
    state.apply(event("account.updated", now, arr="750000"))
    result = score_account(weighted, state, now)
    # high touch (ARR >= 500k): a 3, b 2; (1.5 * 50 + 1.5 * 75 + 2 * 80) / 5 = 69.5
    assert (result.segment, result.score, result.band) == ("high_touch", 69.5, "yellow")


def test_contributions_add_up_to_the_score(event: Make, now: datetime) -> None:
    result = score_account(model(), account(event, now), now)
    assert sum(c.contribution for c in result.components) == pytest.approx(result.score, abs=0.05)


def test_no_measure_present_scores_no_evidence(now: datetime) -> None:
    only_average = load_model(
        """
version: v
groups: {a: {weight: 1}}
measures:
  - name: csat
    group: a
    description: d
    reads: [{type: support.ticket.resolved}]
    aggregation: {kind: average}
    window_days: 90
    scoring: {linear: [[1, 0], [5, 100]]}
"""
    )
    result = score_account(only_average, AccountState(), now)
    assert (result.score, result.band) == (NO_EVIDENCE_SCORE, "yellow")
    assert result.components == [Component("csat", "a", None, None, 0.0, 0.0, "no_value")]


def test_drivers_rank_moves_by_size() -> None:
    past = [
        Component("tickets", "a", 0.0, 100.0, 0.4, 40.0),
        Component("csat", "a", 4.0, 75.0, 0.4, 30.0),
        Component("gone", "c", 1.0, 50.0, 0.2, 10.0),
    ]
    now = [
        Component("tickets", "a", 4.0, 50.0, 0.4, 20.0),
        Component("csat", "a", 4.0, 75.0, 0.4, 30.0),
        Component("nps", "b", 9.0, 90.0, 0.2, 18.0),
    ]
    assert drivers(now, past, "7d") == [
        Driver("tickets", "a", -20.0, 0.0, 4.0, "7d"),
        Driver("nps", "b", 18.0, None, 9.0, "7d"),
        Driver("gone", "c", -10.0, 1.0, None, "7d"),
    ]


def test_drivers_without_a_past_are_the_contributions() -> None:
    now = [
        Component("tickets", "a", 4.0, 50.0, 0.4, 20.0),
        Component("csat", "a", None, None, 0.0, 0.0),
        Component("nps", "b", 9.0, 90.0, 0.6, 54.0),
    ]
    assert [(d.measure, d.contribution_delta) for d in drivers(now, None, "now")] == [
        ("nps", 54.0),
        ("tickets", 20.0),
    ]
    assert drivers(now, None, "now", top=1) == [Driver("nps", "b", 54.0, None, 9.0, "now")]
    assert drivers(now, [], "now") == drivers(now, None, "now")


def test_drivers_without_a_past_rank_equal_moves_by_measure() -> None:
    now = [
        Component("tickets", "a", 4.0, 50.0, 0.4, -20.0),
        Component("csat", "a", 3.0, 50.0, 0.4, 20.0),
    ]
    assert [d.measure for d in drivers(now, None, "now", top=2)] == ["csat", "tickets"]


def test_drivers_take_the_group_from_now_when_the_past_has_none() -> None:
    past = [Component("tickets", "", None, None, 0.0, 30.0)]
    now = [Component("tickets", "a", 2.0, 50.0, 0.5, 25.0)]
    assert drivers(now, past, "30d") == [Driver("tickets", "a", -5.0, None, 2.0, "30d")]
