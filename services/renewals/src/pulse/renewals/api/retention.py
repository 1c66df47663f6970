"""The retention route: every figure of a period, from the stored contract timelines.

Each request loads every account's book from PostgreSQL and computes the figures with the
retention core: fine for books of thousands of accounts, the next step past that is
figures kept per period as the events arrive.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Query

from pulse.common.auth import ReadKey
from pulse.common.http import JSONResponse
from pulse.common.service import Context
from pulse.renewals.api.common import Renewals, check_range, converting, money, ratio
from pulse.renewals.book.account_book import AccountBook
from pulse.renewals.contracts.attributes import Attribute
from pulse.renewals.retention.period import Period
from pulse.renewals.retention.report import RetentionFigures, retention_report
from pulse.renewals.storage.books import load_all_books

router = APIRouter()


class Method(StrEnum):
    """Which retention convention leads the answer."""

    COHORT = "cohort"
    PERIOD = "period"


@router.get("/retention", summary="Retention figures of a period")
async def retention(
    _: ReadKey,
    *,
    from_: Annotated[date, Query(alias="from")],
    to: date,
    group_by: Attribute | None = None,
    method: Method = Method.COHORT,
    include_reactivations: bool = False,
    context: Context,
    renewals: Renewals,
) -> JSONResponse:
    """[from, to) from 00:00 UTC of each day, in the reporting currency: the cohort's NRR,
    GRR, logo churn and grown share (`method=cohort`) or the ARR movements
    (`method=period`); churn by reason and tenure in both."""
    check_range(from_, to)
    period = Period(_midnight(from_), _midnight(to))
    async with context.reads() as session:
        stored = await load_all_books(session)
    histories = [
        AccountBook.restore(account_id, partition, state).history()
        for account_id, (partition, state) in stored.items()
    ]
    with converting():
        report = retention_report(
            histories,
            period,
            renewals.rates,
            group_by=group_by,
            include_reactivations=include_reactivations,
        )
    currency = report.currency
    body: dict[str, Any] = {
        "from": from_,
        "to": to,
        "method": method.value,
        "currency": currency,
        "total": figures_view(report.total, method, currency),
    }
    if group_by is not None:
        body["group_by"] = group_by.value
        body["groups"] = [
            {"group": key, **figures_view(figures, method, currency)}
            for key, figures in sorted(
                report.groups.items(), key=lambda kv: (kv[0] is None, kv[0] or "")
            )
        ]
    return JSONResponse(body)


def figures_view(figures: RetentionFigures, method: Method, currency: str) -> dict[str, Any]:
    """The figures of one group (or all) as the API shows them."""
    lead = _cohort(figures, currency) if method is Method.COHORT else _movements(figures, currency)
    reasons = sorted(figures.churn_reasons.items(), key=lambda kv: (kv[0] is None, kv[0] or ""))
    tenure = figures.tenure
    return {
        method.value: lead,
        "churn_by_reason": [
            {"reason": reason, "accounts": churn.count, "arr": money(churn.arr, currency)}
            for reason, churn in reasons
        ],
        "tenure": {
            "accounts": tenure.accounts,
            "arr": money(tenure.current_arr, currency),
            "first_contract_arr": money(tenure.first_contract_arr, currency),
            "growth_multiple": ratio(tenure.growth_multiple),
        },
    }


def _cohort(figures: RetentionFigures, currency: str) -> dict[str, Any]:
    cohort = figures.cohort
    return {
        "accounts": cohort.accounts,
        "starting_arr": money(cohort.starting_arr, currency),
        "retained_arr": money(cohort.retained_arr, currency),
        "capped_arr": money(cohort.capped_arr, currency),
        "currency_effect": money(cohort.currency_effect, currency),
        "nrr": ratio(cohort.nrr),
        "grr": ratio(cohort.grr),
        "logo_churn_rate": ratio(cohort.logo_churn_rate),
        "churned_accounts": cohort.churned_accounts,
        "grown_share": ratio(cohort.grown_share),
    }


def _movements(figures: RetentionFigures, currency: str) -> dict[str, Any]:
    moved = figures.movements
    return {
        line: money(getattr(moved, line), currency)
        for line in (
            "starting",
            "new",
            "expansion",
            "contraction",
            "churn",
            "reactivation",
            "currency_effect",
            "ending",
        )
    }


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)
