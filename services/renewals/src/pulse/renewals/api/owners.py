"""Books of business routes: every CSM's book, and one CSM's book with its accounts.
Open alerts per owner are not here: they are alerts' (services never read each other)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Path

from pulse.common.auth import ReadKey
from pulse.common.errors import NotFoundError
from pulse.common.http import JSONResponse
from pulse.common.service import Context
from pulse.renewals.api.common import Renewals, converting, money
from pulse.renewals.books_of_business import HeldAccount, OwnerBook, owner_books
from pulse.renewals.forecast.renewals import forecast_renewal
from pulse.renewals.money.amounts import Amount
from pulse.renewals.renewal_rows import renewal_account_of
from pulse.renewals.storage.account_rows import AccountFilters, list_accounts

router = APIRouter()
#: Renewals this many days ahead count as coming up.
WINDOW_DAYS = 90


@router.get("/owners", summary="Every CSM's book of business")
async def list_owners(_: ReadKey, *, context: Context, renewals: Renewals) -> JSONResponse:
    """Each owner's figures, by owner name."""
    books = await _books(context, renewals, None)
    currency = renewals.rates.reporting
    return JSONResponse(
        {"currency": currency, "owners": [book_view(b, currency) for b in books.values()]}
    )


@router.get("/owners/{owner}", summary="One CSM's book of business, with its accounts")
async def get_owner(
    _: ReadKey,
    *,
    owner: Annotated[str, Path(max_length=200)],
    context: Context,
    renewals: Renewals,
) -> JSONResponse:
    """The owner's figures and accounts; 404 when no account has this owner."""
    book = (await _books(context, renewals, owner)).get(owner)
    if book is None:
        raise NotFoundError(f"no account is owned by {owner!r}")
    currency = renewals.rates.reporting
    accounts = [
        {
            "account_id": a.account_id,
            "name": a.name,
            "segment": a.segment,
            "band": a.band,
            "arr": money(a.arr, currency),
            "renewal_date": a.renewal_date,
            "category": a.category.value if a.category else None,
        }
        for a in book.accounts
    ]
    return JSONResponse({"currency": currency, **book_view(book, currency), "accounts": accounts})


async def _books(context: Context, renewals: Renewals, owner: str | None) -> dict[str, OwnerBook]:
    today = renewals.clock().date()
    async with context.reads() as session:
        rows = await list_accounts(session, AccountFilters(owner=owner))
    with converting():
        held = [_held(row, today, renewals) for row in rows]
    return owner_books(held, renewals.config.capacity)


def _held(row: dict[str, Any], today: date, renewals: Renewals) -> HeldAccount:
    currency = row["currency"]
    arr = renewals.rates.convert(Amount(row["arr_minor"] or 0, currency), today) if currency else 0
    account = renewal_account_of(row)
    category = None
    if account is not None and today <= account.renewal_date <= today + timedelta(WINDOW_DAYS):
        category = forecast_renewal(account, today, renewals.rates, renewals.forecast).category
    return HeldAccount(
        row["account_id"],
        row["owner"],
        row["name"],
        row["segment"],
        row["band"],
        arr,
        row["renewal_date"],
        category,
    )


def book_view(book: OwnerBook, currency: str) -> dict[str, Any]:
    """One book's figures."""
    return {
        "owner": book.owner,
        "accounts_count": len(book.accounts),
        "arr": money(book.arr, currency),
        "arr_at_risk": money(book.arr_at_risk, currency),
        "renewals_next_90_days": book.renewals,
        "accounts_by_segment": {
            k or "none": v for k, v in sorted(book.by_segment.items(), key=lambda kv: kv[0] or "")
        },
        "accounts_by_band": dict(sorted(book.by_band.items())),
        "over_capacity": book.over_capacity,
    }
