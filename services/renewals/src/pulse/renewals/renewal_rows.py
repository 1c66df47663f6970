"""A stored `renewal_accounts` row as the forecast core's `RenewalAccount`."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pulse.renewals.forecast.config import Band
from pulse.renewals.forecast.renewals import RenewalAccount
from pulse.renewals.money.amounts import Amount


def renewal_account_of(row: dict[str, Any]) -> RenewalAccount | None:
    """The forecast's view of a row; None without a renewal date or currency."""
    if row["renewal_date"] is None or row["currency"] is None:
        return None
    change = row["score_change"]
    return RenewalAccount(
        account_id=row["account_id"],
        arr=Amount(row["arr_minor"] or 0, row["currency"]),
        renewal_date=row["renewal_date"],
        band=Band(row["band"]),
        score_change=Decimal(change) if change is not None else None,
        segment=row["segment"],
        owner=row["owner"],
    )
