"""The `renewal.at_risk` decision: an account *enters* at risk within the horizon.

An account's standing on a day is at risk when its forecast category is `at_risk` and its
renewal is 0 to `horizon_days` days away. It enters when the standing after a change (a
score, a moved renewal date, or a new day) is at risk and the standing before was not, or
there was none. Staying at risk is not entering again, so a replay or a second look on
the same day sends nothing; a renewal that passed and the next one coming into the horizon
at risk is a new entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from pulse.renewals.forecast.config import ForecastCategory
from pulse.renewals.forecast.renewals import RenewalForecast


@dataclass(frozen=True, slots=True)
class RenewalStanding:
    """An account's renewal and forecast category as seen on `on`."""

    on: date
    renewal_date: date
    category: ForecastCategory

    @classmethod
    def of(cls, forecast: RenewalForecast) -> RenewalStanding:
        """The standing a forecast gives."""
        return cls(forecast.today, forecast.account.renewal_date, forecast.category)

    def at_risk_within(self, horizon_days: int) -> bool:
        """At risk with the renewal 0 to `horizon_days` days away."""
        days = (self.renewal_date - self.on).days
        return self.category is ForecastCategory.AT_RISK and 0 <= days <= horizon_days


def enters_at_risk(
    before: RenewalStanding | None, after: RenewalStanding, horizon_days: int
) -> bool:
    """Whether going from `before` to `after` is entering at risk within the horizon."""
    was = before is not None and before.at_risk_within(horizon_days)
    return not was and after.at_risk_within(horizon_days)
