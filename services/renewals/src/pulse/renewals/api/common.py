"""What the renewals routes share: the service's state as a dependency, money as decimal
strings of the reporting currency, and currency problems as 422s naming the currency."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from fractions import Fraction
from typing import Annotated

from fastapi import Depends, Request

from pulse.common.errors import PulseError
from pulse.renewals.background import RenewalsState
from pulse.renewals.money.minor_units import UnknownCurrency, to_major
from pulse.renewals.money.rates import MissingRate


class CurrencyError(PulseError):
    """A figure needs a currency the rate table cannot convert (422)."""

    status_code = 422
    code = "unknown_currency"


class InvalidRangeError(PulseError):
    """A `from` not before `to` (422)."""

    status_code = 422
    code = "invalid_range"


async def renewals_state(request: Request) -> RenewalsState:
    """FastAPI dependency: the reporting currency, rate table, forecast config and clock."""
    state: RenewalsState = request.app.state.renewals
    return state


#: The running service's renewals state, as a route parameter's type.
Renewals = Annotated[RenewalsState, Depends(renewals_state)]


@contextmanager
def converting() -> Iterator[None]:
    """Turn a currency the rate table cannot convert into a 422 naming it."""
    try:
        yield
    except UnknownCurrency as error:
        raise CurrencyError(str(error), details=[{"currency": error.code}]) from error
    except MissingRate as error:
        raise CurrencyError(str(error), details=[{"currency": error.currency}]) from error


def money(minor: int, currency: str) -> str:
    """Minor units as a decimal string of major units: 1234 EUR -> "12.34"."""
    return str(to_major(minor, currency))


def ratio(value: Fraction | None) -> float | None:
    """An exact ratio as a number for JSON (None stays None)."""
    return None if value is None else float(value)


def check_range(start: date, end: date) -> None:
    """`start` must come before `end`."""
    if start >= end:
        raise InvalidRangeError(
            f"`from` ({start.isoformat()}) must be before `to` ({end.isoformat()})",
            details=[{"path": "from", "message": "must be before `to`"}],
        )
