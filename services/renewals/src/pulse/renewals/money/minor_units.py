"""Minor units of ISO 4217 currencies: decimals in major units become integers, once.

Most currencies have two decimals (cents); the exceptions are listed from ISO 4217 List
One. Events may carry up to four decimals, so a conversion rounds half to even at the
currency's minor unit: 10.005 USD is 1000 cents, 10.015 USD is 1002.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

from pulse.common.currencies import ISO_4217_CODES

#: Currencies whose minor unit is not a hundredth (ISO 4217 List One, column "Minor unit").
#: Precious metals, fund units and XXX/XTS have no minor unit: they are counted in whole units.
_EXPONENTS: dict[str, int] = {
    **dict.fromkeys(
        [
            "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX",
            "UYI", "VND", "VUV", "XAF", "XOF", "XPF",
            "XAG", "XAU", "XBA", "XBB", "XBC", "XBD", "XDR", "XPD", "XPT", "XSU", "XTS",
            "XUA", "XXX",
        ],
        0,
    ),
    **dict.fromkeys(["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"], 3),
    **dict.fromkeys(["CLF", "UYW"], 4),
}  # fmt: skip


class UnknownCurrency(ValueError):
    """A currency code that is not an active ISO 4217 code, or has no rate to report in."""

    def __init__(self, code: str, reason: str = "is not an active ISO 4217 currency code") -> None:
        super().__init__(f"currency {code!r} {reason}")
        self.code = code


def minor_exponent(currency: str) -> int:
    """How many decimals the currency's minor unit has: 2 for EUR, 0 for JPY, 3 for KWD."""
    if currency not in ISO_4217_CODES:
        raise UnknownCurrency(currency)
    return _EXPONENTS.get(currency, 2)


def to_minor(amount: Decimal, currency: str) -> int:
    """`amount` in major units as an integer of minor units, half to even: 12.345 EUR -> 1234."""
    scaled = amount.scaleb(minor_exponent(currency))
    return int(scaled.quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def to_major(minor: int, currency: str) -> Decimal:
    """The decimal in major units of `minor` units: 1234 EUR -> Decimal('12.34')."""
    return Decimal(minor).scaleb(-minor_exponent(currency))
