"""The renewal forecast on 1 Dec 2026, by hand; the configuration; totals per group.

Reporting in EUR (USD at 0.90). Defaults: probability green 0.95, yellow 0.80, red 0.50,
unscored 0.75; expansion green 10 %, yellow 3 %; trend at ±5 points; notice 60 days.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from pydantic import ValidationError

from pulse.renewals.forecast.config import (
    Band,
    CategoryRule,
    ForecastCategory,
    ForecastConfig,
    Trend,
)
from pulse.renewals.forecast.renewals import RenewalAccount, forecast_renewals
from pulse.renewals.forecast.totals import CategoryTotals, ForecastGrouping, forecast_totals
from pulse.renewals.keeping.gauges import at_risk_accounts_by_segment
from pulse.renewals.money.amounts import Amount
from pulse.renewals.money.rates import DatedRate, RateTable

TODAY = date(2026, 12, 1)
RATES = RateTable("EUR", {"USD": (DatedRate(date(2026, 1, 1), Decimal("0.90")),)})
CONFIG = ForecastConfig()
K = 100_000  # 1,000.00 in cents
COMMIT, BEST_CASE = ForecastCategory.COMMIT, ForecastCategory.BEST_CASE
PIPELINE, AT_RISK = ForecastCategory.PIPELINE, ForecastCategory.AT_RISK


def renewing(
    account_id: str,
    arr: int,
    renews: date,
    band: Band,
    change: str | None,
    *,
    currency: str = "EUR",
    notice_days: int | None = None,
    owner: str = "ana",
) -> RenewalAccount:
    return RenewalAccount(
        account_id,
        Amount(arr, currency),
        renews,
        band,
        None if change is None else Decimal(change),
        segment="high_touch" if arr >= 50 * K else "low_touch",
        owner=owner,
        notice_days=notice_days,
    )


BOOK = [
    renewing("G", 100 * K, date(2027, 1, 15), Band.GREEN, "2"),
    renewing("H", 50 * K, date(2027, 2, 28), Band.GREEN, "-8", currency="USD", notice_days=30),
    renewing("Y", 20 * K, date(2026, 12, 1), Band.YELLOW, None, owner="ben"),
    renewing("R", 30 * K, date(2027, 3, 1), Band.RED, "-10", owner="ben"),
    renewing("R2", 10 * K, date(2027, 1, 31), Band.RED, "6"),
    renewing("N", 8 * K + 1, date(2027, 1, 10), Band.UNSCORED, None),
    renewing("late", 1 * K, date(2027, 3, 2), Band.GREEN, "0"),  # 91 days: outside
    renewing("past", 1 * K, date(2026, 11, 30), Band.GREEN, "0"),  # yesterday: outside
]


def test_each_renewal_in_the_window_is_forecast() -> None:
    rows = forecast_renewals(BOOK, TODAY, 90, RATES, CONFIG)
    got = [
        (
            r.account.account_id,
            r.days_to_renewal,
            r.notice_deadline,
            r.trend,
            r.category,
            r.arr,
            r.risk_adjusted_arr,
            r.expected_expansion,
        )
        for r in rows
    ]
    assert got == [
        # today, notice 60 days before; 20,000 * 0.80 = 16,000; * 0.03 = 600
        ("Y", 0, date(2026, 10, 2), Trend.UNKNOWN, BEST_CASE, 20 * K, 16 * K, 600_00),
        # 800,001 cents * 0.75 = 600,000.75 -> 600,001
        ("N", 40, date(2026, 11, 11), Trend.UNKNOWN, PIPELINE, 8 * K + 1, 600_001, 0),
        # 100,000 * 0.95 = 95,000; * 0.10 = 10,000
        ("G", 45, date(2026, 11, 16), Trend.FLAT, COMMIT, 100 * K, 95 * K, 10 * K),
        # red but up 6 points: pipeline; 10,000 * 0.50 = 5,000
        ("R2", 61, date(2026, 12, 2), Trend.RISING, PIPELINE, 10 * K, 5 * K, 0),
        # 50,000 USD * 0.90 = 45,000 EUR; falling green; 45,000 * 0.95 = 42,750; own notice 30
        ("H", 89, date(2027, 1, 29), Trend.FALLING, BEST_CASE, 45 * K, 42_750_00, 4_500_00),
        ("R", 90, date(2026, 12, 31), Trend.FALLING, AT_RISK, 30 * K, 15 * K, 0),
    ]
    assert rows[2].days_to_notice_deadline == -15  # G's notice deadline passed on 16 Nov
    assert rows[2].probability == Decimal("0.95")


def test_totals_per_category_and_overall() -> None:
    totals = forecast_totals(forecast_renewals(BOOK, TODAY, 90, RATES, CONFIG)).total
    assert dict(totals.by_category) == {
        COMMIT: CategoryTotals(1, 100 * K, 95 * K, 10 * K),
        BEST_CASE: CategoryTotals(2, 65 * K, 58_750_00, 5_100_00),  # H + Y
        PIPELINE: CategoryTotals(2, 18 * K + 1, 11 * K + 1, 0),  # R2 + N
        AT_RISK: CategoryTotals(1, 30 * K, 15 * K, 0),  # R
    }
    # 100,000 + 65,000 + 18,000.01 + 30,000 = 213,000.01; expected 179,750.01
    assert totals.overall == CategoryTotals(6, 213 * K + 1, 179_750_01, 15_100_00)
    assert totals.arr_at_risk == 30 * K


@pytest.mark.parametrize("grouping", list(ForecastGrouping))
def test_groups_add_up_to_the_total(grouping: ForecastGrouping) -> None:
    summary = forecast_totals(forecast_renewals(BOOK, TODAY, 90, RATES, CONFIG), grouping)
    groups = list(summary.groups.values())
    assert sum(groups[1:], groups[0]) == summary.total


def test_months_group_by_the_renewal_month() -> None:
    summary = forecast_totals(
        forecast_renewals(BOOK, TODAY, 90, RATES, CONFIG), ForecastGrouping.MONTH
    )
    counts = {month: totals.overall.renewals for month, totals in summary.groups.items()}
    assert counts == {"2026-12": 1, "2027-01": 3, "2027-02": 1, "2027-03": 1}
    owners = forecast_totals(
        forecast_renewals(BOOK, TODAY, 90, RATES, CONFIG), ForecastGrouping.OWNER
    )
    assert owners.groups["ben"].arr_at_risk == 30 * K


@pytest.mark.parametrize(
    ("band", "trend", "category"),
    [
        (Band.GREEN, Trend.RISING, COMMIT),
        (Band.GREEN, Trend.FLAT, COMMIT),
        (Band.GREEN, Trend.UNKNOWN, COMMIT),
        (Band.GREEN, Trend.FALLING, BEST_CASE),
        (Band.YELLOW, Trend.RISING, BEST_CASE),
        (Band.YELLOW, Trend.FALLING, BEST_CASE),
        (Band.RED, Trend.RISING, PIPELINE),
        (Band.RED, Trend.FLAT, AT_RISK),
        (Band.RED, Trend.UNKNOWN, AT_RISK),
        (Band.RED, Trend.FALLING, AT_RISK),
        (Band.UNSCORED, Trend.UNKNOWN, PIPELINE),
    ],
)
def test_default_categories(band: Band, trend: Trend, category: ForecastCategory) -> None:
    assert CONFIG.category_of(band, trend) is category


@pytest.mark.parametrize(
    ("change", "trend"),
    [("5", Trend.RISING), ("4.9", Trend.FLAT), ("-4.9", Trend.FLAT), ("-5", Trend.FALLING)],
)
def test_a_trend_takes_five_points_either_way(change: str, trend: Trend) -> None:
    assert CONFIG.trend_of(Decimal(change)) is trend


def test_rules_must_give_every_band_and_trend_a_category() -> None:
    with pytest.raises(ValidationError, match="no rule gives a category to unscored/rising"):
        ForecastConfig(rules=CONFIG.rules[:-1])


def test_rules_can_be_configured_and_the_first_match_wins() -> None:
    strict = ForecastConfig(
        rules=(
            CategoryRule(bands=frozenset({Band.YELLOW}), trends={Trend.FALLING}, category=AT_RISK),
            *CONFIG.rules,
        )
    )
    assert strict.category_of(Band.YELLOW, Trend.FALLING) is AT_RISK
    assert strict.category_of(Band.YELLOW, Trend.FLAT) is BEST_CASE


def test_probabilities_are_shares() -> None:
    with pytest.raises(ValidationError, match="less than or equal to 1"):
        ForecastConfig.model_validate(
            {"probabilities": {**CONFIG.probabilities.model_dump(), "red": "1.5"}}
        )


def test_accounts_at_risk_are_counted_per_segment() -> None:
    # R (red, falling, low touch) is at risk; R2 (red but rising) and the others are not.
    book = [*BOOK, replace(renewing("S", 5 * K, date(2027, 1, 5), Band.RED, None), segment=None)]
    forecasts = forecast_renewals(book, TODAY, 90, RATES, CONFIG)
    assert at_risk_accounts_by_segment(forecasts) == {
        "high_touch": 0,
        "low_touch": 1,
        "tech_touch": 0,
        "none": 1,  # S: red, no trend, no segment
    }
