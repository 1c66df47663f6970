"""`forecast_renewals`: the accounts renewing within a window, each with its forecast.

Days count in whole UTC days from `today`: a renewal today is 0 days away, and the window
of `within_days` takes renewals from today to `today + within_days`, both included. The
notice deadline is the renewal date less the notice period (the account's own, else the
configured default). ARR is converted into the reporting currency at `today`'s rates, then

    risk_adjusted_arr  = round(ARR * probability[band])
    expected_expansion = round(ARR * expansion_rate[band])

each rounded half to even once per account, so totals are sums of what the rows show.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

from pulse.renewals.forecast.config import Band, ForecastCategory, ForecastConfig, Trend
from pulse.renewals.money.amounts import Amount
from pulse.renewals.money.rates import RateTable


@dataclass(frozen=True, slots=True)
class RenewalAccount:
    """What the forecast needs of an account: its ARR, renewal and health."""

    account_id: str
    arr: Amount
    renewal_date: date
    band: Band = Band.UNSCORED
    #: Score points gained (or lost, negative) over health's trend window; None unknown.
    score_change: Decimal | None = None
    segment: str | None = None
    owner: str | None = None
    notice_days: int | None = None
    auto_renew: bool | None = None


@dataclass(frozen=True, slots=True)
class RenewalForecast:
    """One renewal as forecast on `today`, money in reporting minor units."""

    account: RenewalAccount
    today: date
    notice_deadline: date
    trend: Trend
    category: ForecastCategory
    probability: Decimal
    arr: int
    risk_adjusted_arr: int
    expected_expansion: int

    @property
    def days_to_renewal(self) -> int:
        """Whole days from `today` to the renewal date (0 on the day)."""
        return (self.account.renewal_date - self.today).days

    @property
    def days_to_notice_deadline(self) -> int:
        """Whole days left to give notice; negative once the deadline has passed."""
        return (self.notice_deadline - self.today).days


def forecast_renewal(
    account: RenewalAccount, today: date, rates: RateTable, config: ForecastConfig
) -> RenewalForecast:
    """The forecast of one renewal on `today`."""
    notice = config.notice_days if account.notice_days is None else account.notice_days
    trend = config.trend_of(account.score_change)
    probability = config.probabilities.of(account.band)
    arr = rates.convert(account.arr, today)
    return RenewalForecast(
        account=account,
        today=today,
        notice_deadline=account.renewal_date - timedelta(days=notice),
        trend=trend,
        category=config.category_of(account.band, trend),
        probability=probability,
        arr=arr,
        risk_adjusted_arr=share_of(arr, probability),
        expected_expansion=share_of(arr, config.expansion_rates.of(account.band)),
    )


def forecast_renewals(
    accounts: Iterable[RenewalAccount],
    today: date,
    within_days: int,
    rates: RateTable,
    config: ForecastConfig,
) -> list[RenewalForecast]:
    """The forecasts of the accounts renewing in [today, today + within_days], soonest first."""
    last = today + timedelta(days=within_days)
    renewing = [a for a in accounts if today <= a.renewal_date <= last]
    renewing.sort(key=lambda a: (a.renewal_date, a.account_id))
    return [forecast_renewal(account, today, rates, config) for account in renewing]


def share_of(minor: int, share: Decimal) -> int:
    """`minor * share`, rounded half to even to a whole minor unit."""
    return round(minor * Fraction(share))
