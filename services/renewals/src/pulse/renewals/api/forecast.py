"""Forecast routes: the renewals of a window, and the forecast's totals over a span."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query

from pulse.common.auth import ReadKey
from pulse.common.http import JSONResponse
from pulse.common.service import Context
from pulse.renewals.api.common import InvalidRangeError, Renewals, converting, money
from pulse.renewals.forecast.config import ForecastCategory
from pulse.renewals.forecast.renewals import RenewalForecast, forecast_renewal
from pulse.renewals.forecast.totals import (
    CategoryTotals,
    ForecastGrouping,
    ForecastTotals,
    forecast_totals,
)
from pulse.renewals.renewal_rows import renewal_account_of
from pulse.renewals.storage.account_rows import AccountFilters, list_accounts

router = APIRouter()
Label = Annotated[str | None, Query(max_length=200)]


@router.get("/renewals", summary="Accounts renewing within a window, with their forecast")
async def list_renewals(
    _: ReadKey,
    *,
    within_days: Annotated[int, Query(ge=0, le=3650)] = 90,
    segment: Label = None,
    owner: Label = None,
    category: ForecastCategory | None = None,
    context: Context,
    renewals: Renewals,
) -> JSONResponse:
    """Renewals from today to `within_days` ahead, soonest first; money in the reporting
    currency."""
    today = renewals.clock().date()
    forecasts = await _forecasts(
        context,
        renewals,
        today,
        AccountFilters(today, today + timedelta(within_days), segment, owner),
    )
    currency = renewals.rates.reporting
    rows = [
        renewal_view(forecast, row, currency)
        for row, forecast in forecasts
        if category in (None, forecast.category)
    ]
    return JSONResponse({"today": today, "currency": currency, "renewals": rows})


@router.get("/forecast", summary="Forecast totals of the renewals in a span")
async def forecast(
    _: ReadKey,
    *,
    from_: Annotated[date | None, Query(alias="from")] = None,
    to: date | None = None,
    group_by: ForecastGrouping | None = None,
    context: Context,
    renewals: Renewals,
) -> JSONResponse:
    """Totals per category of the renewals dated from `from` to `to`, both included
    (default: today to 90 days ahead, the window of `/v1/renewals`): expected
    (risk-adjusted) ARR, ARR at risk, expected expansion."""
    today = renewals.clock().date()
    start = from_ or today
    end = to or start + timedelta(days=90)
    if end < start:
        raise InvalidRangeError(
            f"`to` ({end.isoformat()}) is before `from` ({start.isoformat()})",
            details=[{"path": "to", "message": "must not be before `from`"}],
        )
    filters = AccountFilters(start, end)
    forecasts = [forecast for _, forecast in await _forecasts(context, renewals, today, filters)]
    summary = forecast_totals(forecasts, group_by)
    currency = renewals.rates.reporting
    body: dict[str, Any] = {
        "from": start,
        "to": end,
        "today": today,
        "currency": currency,
        "total": totals_view(summary.total, currency),
    }
    if group_by is not None:
        body["group_by"] = group_by.value
        body["groups"] = [
            {"group": key, **totals_view(totals, currency)}
            for key, totals in sorted(
                summary.groups.items(), key=lambda kv: (kv[0] is None, kv[0] or "")
            )
        ]
    return JSONResponse(body)


async def _forecasts(
    context: Context, renewals: Renewals, today: date, filters: AccountFilters
) -> list[tuple[dict[str, Any], RenewalForecast]]:
    """(stored row, forecast) of each account the filters select."""
    async with context.reads() as session:
        rows = await list_accounts(session, filters)
    pairs = [(row, account) for row in rows if (account := renewal_account_of(row)) is not None]
    with converting():
        return [
            (row, forecast_renewal(account, today, renewals.rates, renewals.forecast))
            for row, account in pairs
        ]


def renewal_view(forecast: RenewalForecast, row: dict[str, Any], currency: str) -> dict[str, Any]:
    """One renewal as the API shows it (name and score from its stored row)."""
    account = forecast.account
    return {
        "account_id": account.account_id,
        "name": row["name"],
        "segment": account.segment,
        "owner": account.owner,
        "arr": money(forecast.arr, currency),
        "renewal_date": account.renewal_date,
        "days_to_renewal": forecast.days_to_renewal,
        "notice_deadline": forecast.notice_deadline,
        "auto_renew": account.auto_renew,
        "score": row["score"],
        "band": account.band.value,
        "score_change": str(account.score_change) if account.score_change is not None else None,
        "trend": forecast.trend.value,
        "category": forecast.category.value,
        "probability": str(forecast.probability),
        "risk_adjusted_arr": money(forecast.risk_adjusted_arr, currency),
        "expected_expansion": money(forecast.expected_expansion, currency),
    }


def totals_view(totals: ForecastTotals, currency: str) -> dict[str, Any]:
    """Totals per category and overall."""
    return {
        "by_category": {
            category.value: _category_view(totals.by_category[category], currency)
            for category in ForecastCategory
        },
        **_category_view(totals.overall, currency),
        "arr_at_risk": money(totals.arr_at_risk, currency),
    }


def _category_view(totals: CategoryTotals, currency: str) -> dict[str, Any]:
    return {
        "renewals": totals.renewals,
        "arr": money(totals.arr, currency),
        "expected_arr": money(totals.risk_adjusted_arr, currency),
        "expected_expansion": money(totals.expected_expansion, currency),
    }
