"""The gauges of the book of business: ARR by band and segment, and the next 90 days'
renewals by category, their ARR at risk (in the reporting currency) and the accounts at
risk by segment."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from pulse.renewals import metrics
from pulse.renewals.forecast.config import Band, ForecastCategory, ForecastConfig
from pulse.renewals.forecast.renewals import RenewalForecast, forecast_renewals
from pulse.renewals.forecast.totals import forecast_totals
from pulse.renewals.money.amounts import Amount
from pulse.renewals.money.minor_units import UnknownCurrency
from pulse.renewals.money.rates import MissingRate, RateTable
from pulse.renewals.renewal_rows import renewal_account_of
from pulse.renewals.storage.account_rows import AccountFilters, list_accounts

SEGMENTS = ("high_touch", "low_touch", "tech_touch", "none")
WINDOW_DAYS = 90


async def refresh_gauges(
    session: AsyncSession, rates: RateTable, today: date, config: ForecastConfig
) -> None:
    """Set every gauge from the stored accounts (converted at `today`'s rates)."""
    rows = await list_accounts(session, AccountFilters())
    arr = {(band.value, segment): 0 for band in Band for segment in SEGMENTS}
    unconvertible = 0
    convertible = []
    for row in rows:
        if not row["arr_minor"] or row["currency"] is None:
            continue
        account = renewal_account_of(row)
        try:
            minor = rates.convert(Amount(row["arr_minor"], row["currency"]), today)
        except (UnknownCurrency, MissingRate):
            unconvertible += 1
            continue
        key = (row["band"], segment_label(row["segment"]))
        arr[key] = arr.get(key, 0) + minor
        if account is not None:
            convertible.append(account)
    for (band, segment), value in arr.items():
        metrics.ARR.labels(band, segment).set(value)
    metrics.UNCONVERTIBLE_ACCOUNTS.set(unconvertible)
    forecasts = forecast_renewals(convertible, today, WINDOW_DAYS, rates, config)
    totals = forecast_totals(forecasts)
    for category in ForecastCategory:
        metrics.RENEWALS_NEXT_90_DAYS.labels(category.value).set(
            totals.total.by_category[category].renewals
        )
    metrics.ARR_AT_RISK.set(totals.total.arr_at_risk)
    for segment, accounts in at_risk_accounts_by_segment(forecasts).items():
        metrics.AT_RISK_ACCOUNTS.labels(segment).set(accounts)


def segment_label(segment: str | None) -> str:
    """The `segment` label of an account: its segment, or "none" (unknown or unset)."""
    return segment if segment in SEGMENTS else "none"


def at_risk_accounts_by_segment(forecasts: Iterable[RenewalForecast]) -> dict[str, int]:
    """Renewals forecast at risk, per segment label; every segment present, 0 when none."""
    counts = dict.fromkeys(SEGMENTS, 0)
    for forecast in forecasts:
        if forecast.category is ForecastCategory.AT_RISK:
            counts[segment_label(forecast.account.segment)] += 1
    return counts
