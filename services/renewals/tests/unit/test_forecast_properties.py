"""Forecast invariants over random books: the window, the rounding and the groups."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from pulse.renewals.forecast.config import Band, ForecastConfig
from pulse.renewals.forecast.renewals import RenewalAccount, forecast_renewals
from pulse.renewals.forecast.totals import ForecastGrouping, ForecastTotals, forecast_totals
from pulse.renewals.money.amounts import Amount
from pulse.renewals.money.rates import RateTable

TODAY = date(2026, 12, 1)
CONFIG = ForecastConfig()

accounts = st.lists(
    st.builds(
        RenewalAccount,
        account_id=st.text("abc", min_size=1, max_size=4),
        arr=st.integers(0, 10**10).map(lambda minor: Amount(minor, "EUR")),
        renewal_date=st.integers(-30, 400).map(lambda d: TODAY + timedelta(days=d)),
        band=st.sampled_from(list(Band)),
        score_change=st.none() | st.integers(-200, 200).map(lambda n: Decimal(n) / 10),
        segment=st.sampled_from([None, "high_touch", "low_touch"]),
        owner=st.sampled_from([None, "ana", "ben"]),
    ),
    max_size=20,
)


@settings(max_examples=200, deadline=None)
@given(accounts, st.integers(0, 365), st.sampled_from(list(ForecastGrouping)))
def test_groups_add_up_and_rows_stay_within_their_arr(
    book: list[RenewalAccount], within: int, grouping: ForecastGrouping
) -> None:
    rows = forecast_renewals(book, TODAY, within, RateTable.single("EUR"), CONFIG)
    expected = sorted(
        (a.renewal_date, a.account_id) for a in book if 0 <= (a.renewal_date - TODAY).days <= within
    )
    assert [(r.account.renewal_date, r.account.account_id) for r in rows] == expected
    for row in rows:
        assert 0 <= row.risk_adjusted_arr <= row.arr
        assert abs(row.risk_adjusted_arr - row.arr * row.probability) <= Decimal("0.5")
    summary = forecast_totals(rows, grouping)
    assert sum(summary.groups.values(), ForecastTotals()) == summary.total
    assert summary.total.overall.arr == sum(r.arr for r in rows)
    assert summary.total.overall.risk_adjusted_arr == sum(r.risk_adjusted_arr for r in rows)
