"""Reason sentences name the numbers and the dates behind a verdict."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from pulse.alerts.rules.reasons import reason, spell_days
from pulse.alerts.rules.renewal import RenewalState
from pulse.alerts.rules.score_drop import ScoreDropState
from pulse.alerts.rules.score_levels import ScoreLevelState
from pulse.alerts.rules.states import new_state

from .conftest import make_event, make_point
from .rule_builders import (
    band_rule,
    below_rule,
    detractor_rule,
    drop_rule,
    overdue_sum_rule,
    phone_rule,
    quiet_rule,
    renewal_rule,
)

START = datetime(2026, 10, 1, tzinfo=UTC)


def nov(day: int, hour: int = 12) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=UTC)


def test_phone_calls_with_their_days() -> None:
    rule = phone_rule()
    state = new_state(rule, START)
    for day in (2, 9, 13):
        opened = "support.ticket.opened"
        event = make_event(opened, nov(day), event_id=f"t{day}", ticket_id="t", channel="phone")
        state.observe(event, nov(day))
    assert reason(rule, "acme", state.evaluate(nov(15))) == (
        "acme: 3 phone calls to support in 14 days (2, 9 and 13 Nov)"
    )


def test_sums_show_the_amount() -> None:
    rule = overdue_sum_rule()
    state = new_state(rule, START)
    for day, amount in ((10, "600"), (11, "400.5")):
        event = make_event(
            "invoice.overdue",
            nov(day),
            event_id=f"i{day}",
            invoice_id="i",
            amount=amount,
            currency="EUR",
        )
        state.observe(event, nov(day))
    assert reason(rule, "acme", state.evaluate(nov(12))) == (
        "acme: 1,000.50 overdue in 7 days (10 and 11 Nov)"
    )


def test_silence_names_the_last_event_or_when_watching_began() -> None:
    rule = quiet_rule()
    state = new_state(rule, START)
    assert reason(rule, "acme", state.evaluate(nov(3))) == (
        "acme: no product usage for 33 days (none since watching began on 1 Oct)"
    )
    state.observe(make_event("usage.activity", nov(4), event_id="u", user_id="u"), nov(4))
    assert reason(rule, "acme", state.evaluate(nov(20, 18))) == (
        "acme: no product usage for 16 days (last on 4 Nov)"
    )


def test_a_match_names_its_day() -> None:
    rule = detractor_rule()
    state = new_state(rule, START)
    event = make_event("survey.response", nov(13), event_id="s", kind="nps", score=3)
    state.observe(event, nov(13))
    assert reason(rule, "acme", state.evaluate(nov(14))) == (
        "acme: NPS detractor response on 13 Nov"
    )


def test_days_across_months_and_years() -> None:
    assert spell_days([date(2026, 11, 2), date(2026, 10, 28), date(2026, 11, 2)]) == (
        "28 Oct, 2 Nov"
    )
    assert spell_days([date(2025, 12, 30), date(2026, 1, 2)]) == "30 Dec 2025, 2 Jan 2026"


def test_more_events_than_listed_say_latest() -> None:
    rule = phone_rule(window="30d")
    state = new_state(rule, START)
    moments = [nov(1) + timedelta(hours=h) for h in range(25)]
    for i, at in enumerate(moments):
        opened = "support.ticket.opened"
        state.observe(make_event(opened, at, event_id=f"t{i}", ticket_id="t", channel="phone"), at)
    assert reason(rule, "acme", state.evaluate(nov(3))) == (
        "acme: 25 phone calls to support in 30 days (latest 1 and 2 Nov)"
    )


def test_band_names_since_when_the_score_and_the_band_before() -> None:
    rule = band_rule()
    state = ScoreLevelState(rule, START)
    assert reason(rule, "acme", state.evaluate(nov(1))) == "acme: no health score yet"
    for day, score in ((5, 52), (13, 38)):
        state.observe_score(make_point(nov(day), score), nov(day))
    assert reason(rule, "acme", state.evaluate(nov(20))) == (
        "acme: health band red since 13 Nov (score 38, was yellow)"
    )
    state.observe_score(make_point(nov(21), 71.5), nov(21))
    assert reason(rule, "acme", state.evaluate(nov(21))) == "acme: health band green (score 71.5)"


def test_score_below_names_the_score_the_bound_and_the_day() -> None:
    rule = below_rule()
    state = ScoreLevelState(rule, START)
    state.observe_score(make_point(nov(13), 38), nov(13))
    assert reason(rule, "acme", state.evaluate(nov(20))) == (
        "acme: health score 38 below 40 (13 Nov)"
    )
    state.observe_score(make_point(nov(21), 40), nov(21))
    assert reason(rule, "acme", state.evaluate(nov(21))) == (
        "acme: health score 40 not below 40 (21 Nov)"
    )


def test_score_drop_names_the_highest_and_the_latest_with_their_days() -> None:
    rule = drop_rule()
    state = ScoreDropState(rule, START)
    for day, score in ((2, 78), (15, 66), (28, 54)):
        state.observe_score(make_point(nov(day), score), nov(day))
    assert reason(rule, "acme", state.evaluate(nov(28))) == (
        "acme: health score fell 24 points in 30 days (78 on 2 Nov to 54 on 28 Nov)"
    )
    state.observe_score(make_point(nov(29), 90), nov(29))
    assert reason(rule, "acme", state.evaluate(nov(29))) == (
        "acme: health score 90 has not fallen in 30 days (29 Nov)"
    )


def test_renewal_names_the_days_left_the_date_and_the_band() -> None:
    rule = renewal_rule()
    state = RenewalState(rule, START)
    assert reason(rule, "acme", state.evaluate(nov(1))) == (
        "acme: no renewal date known, no health score yet"
    )
    update = make_event("account.updated", nov(1), event_id="u", renewal_date="2027-01-14")
    state.observe(update, nov(1))
    state.observe_score(make_point(nov(20), 55), nov(20))
    assert reason(rule, "acme", state.evaluate(nov(30))) == (
        "acme: renews in 45 days (14 Jan) with health yellow"
    )
    assert reason(rule, "acme", state.evaluate(datetime(2027, 1, 13, 23, tzinfo=UTC))) == (
        "acme: renews in 1 day (14 Jan) with health yellow"
    )
    assert reason(rule, "acme", state.evaluate(datetime(2027, 1, 14, tzinfo=UTC))) == (
        "acme: renewal on 14 Jan has passed, health yellow"
    )
