"""`Amount`: an integer of minor units in one currency, the only money the core computes with."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from pulse.renewals.money.minor_units import minor_exponent, to_major, to_minor


@dataclass(frozen=True, slots=True)
class Amount:
    """`minor` units of `currency` (cents of EUR, yen of JPY); never negative in ARR."""

    minor: int
    currency: str

    def __post_init__(self) -> None:
        minor_exponent(self.currency)  # an unknown code fails here, where it was made

    @classmethod
    def of(cls, major: Decimal, currency: str) -> Amount:
        """The amount of a decimal in major units, rounded half to even at the minor unit."""
        return cls(to_minor(major, currency), currency)

    @property
    def major(self) -> Decimal:
        """The amount in major units, exactly."""
        return to_major(self.minor, self.currency)
