"""`renewal.at_risk` is sent when an account enters at risk within the horizon (120 days)."""

from __future__ import annotations

from datetime import date, timedelta

from pulse.renewals.forecast.at_risk import RenewalStanding, enters_at_risk
from pulse.renewals.forecast.config import ForecastCategory

TODAY = date(2026, 12, 1)
HORIZON = 120
AT_RISK, BEST_CASE = ForecastCategory.AT_RISK, ForecastCategory.BEST_CASE


def standing(days_ahead: int, category: ForecastCategory, on: date = TODAY) -> RenewalStanding:
    return RenewalStanding(on, on + timedelta(days=days_ahead), category)


def test_falling_into_at_risk_within_the_horizon_enters() -> None:
    assert enters_at_risk(standing(90, BEST_CASE), standing(90, AT_RISK), HORIZON)
    assert enters_at_risk(None, standing(90, AT_RISK), HORIZON)


def test_staying_at_risk_is_not_entering_again() -> None:
    assert not enters_at_risk(standing(90, AT_RISK), standing(90, AT_RISK), HORIZON)


def test_the_horizon_includes_its_last_day() -> None:
    assert enters_at_risk(standing(120, BEST_CASE), standing(120, AT_RISK), HORIZON)
    assert not enters_at_risk(standing(121, BEST_CASE), standing(121, AT_RISK), HORIZON)


def test_a_day_passing_can_bring_an_at_risk_renewal_into_the_horizon() -> None:
    renews = TODAY + timedelta(days=121)
    before = RenewalStanding(TODAY, renews, AT_RISK)
    after = RenewalStanding(TODAY + timedelta(days=1), renews, AT_RISK)
    assert enters_at_risk(before, after, HORIZON)


def test_a_renewal_date_moved_into_the_horizon_enters() -> None:
    # account.updated moves the renewal from 200 days away to 100.
    assert enters_at_risk(standing(200, AT_RISK), standing(100, AT_RISK), HORIZON)
    assert not enters_at_risk(standing(100, AT_RISK), standing(200, AT_RISK), HORIZON)


def test_a_renewal_that_passed_is_not_at_risk() -> None:
    assert not enters_at_risk(None, standing(-1, AT_RISK), HORIZON)
    # The next renewal coming into the horizon at risk is a new entry.
    assert enters_at_risk(standing(-1, AT_RISK), standing(120, AT_RISK), HORIZON)
