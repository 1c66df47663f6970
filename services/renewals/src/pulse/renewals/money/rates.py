"""`RateTable`: exchange rates into one reporting currency, each in force over dated periods.

A rate is how many units of the reporting currency one unit of the currency buys, from its
`valid_from` date until the next rate's date (the last one stays in force). The reporting
currency converts at exactly 1, and zero is zero in any currency. A conversion rounds
once, half to even, at the reporting currency's minor unit. A currency with no rate
raises `UnknownCurrency` naming it; a date before its first rate raises `MissingRate`:
the core never mixes currencies silently.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from fractions import Fraction

from pulse.renewals.money.amounts import Amount
from pulse.renewals.money.minor_units import UnknownCurrency, minor_exponent


class MissingRate(LookupError):
    """A currency of the table has no rate in force on the date asked."""

    def __init__(self, currency: str, on: date, first: date) -> None:
        super().__init__(
            f"no {currency} rate in force on {on.isoformat()}: its first rate is from "
            f"{first.isoformat()}"
        )
        self.currency = currency
        self.on = on


@dataclass(frozen=True, slots=True)
class DatedRate:
    """`rate` reporting units per unit of a currency, in force from `valid_from` on."""

    valid_from: date
    rate: Decimal

    def __post_init__(self) -> None:
        if not (self.rate.is_finite() and self.rate > 0):
            raise ValueError(f"a rate must be a finite number above 0, got {self.rate}")


@dataclass(frozen=True, slots=True)
class RateTable:
    """Rates of each currency into `reporting`, each a list of dated rates."""

    reporting: str
    rates: Mapping[str, Sequence[DatedRate]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        minor_exponent(self.reporting)
        for currency, dated in self.rates.items():
            minor_exponent(currency)
            if currency == self.reporting:
                raise ValueError(f"{currency} is the reporting currency: it always converts at 1")
            days = [rate.valid_from for rate in dated]
            if not days or days != sorted(set(days)):
                raise ValueError(f"{currency}: rates must be given oldest first, one per date")

    @classmethod
    def single(cls, currency: str) -> RateTable:
        """A table that reports in `currency` and converts nothing else."""
        return cls(currency)

    def rate_on(self, currency: str, on: date) -> Fraction:
        """The rate of `currency` in force on `on` (1 for the reporting currency)."""
        if currency == self.reporting:
            return Fraction(1)
        dated = self.rates.get(currency)
        if dated is None:
            raise UnknownCurrency(currency, f"has no rate into {self.reporting} in the rate table")
        index = bisect_right(dated, on, key=lambda rate: rate.valid_from) - 1
        if index < 0:
            raise MissingRate(currency, on, dated[0].valid_from)
        return Fraction(dated[index].rate)

    def convert(self, amount: Amount, on: date) -> int:
        """`amount` in minor units of the reporting currency at the rate in force on `on`
        (zero needs no rate: an account that pays nothing in a currency needs none)."""
        if amount.currency == self.reporting or amount.minor == 0:
            return amount.minor
        shift = minor_exponent(self.reporting) - minor_exponent(amount.currency)
        exact = amount.minor * self.rate_on(amount.currency, on) * Fraction(10) ** shift
        return round(exact)  # a Fraction rounds half to even
