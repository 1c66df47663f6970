"""The rate table of `PULSE_RENEWALS_RATES_FILE`: dated rates of each currency into the
reporting currency, read once at start.

    USD:
      - {valid_from: 2026-01-01, rate: 0.90}
      - {valid_from: 2026-07-01, rate: 0.80}
    JPY:
      - {valid_from: 2026-01-01, rate: 0.0061}
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field, RootModel, ValidationError

from pulse.common.documents import UnreadableDocument, dotted_path, plain_message, read_yaml
from pulse.renewals.money.rates import DatedRate, RateTable

#: A rates file holds at most this many values (a rate a day for decades of currencies).
MAX_VALUES = 1_000_000


class RatesFileError(ValueError):
    """A rates file that cannot be used; the message names the path of the problem."""


class _Rate(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    valid_from: date
    rate: Decimal = Field(gt=0, allow_inf_nan=False)


class _RatesFile(RootModel[dict[str, list[_Rate]]]):
    pass


def rate_table(text: str, reporting: str) -> RateTable:
    """The rate table in `text`, into `reporting`; `RatesFileError` naming what is wrong."""
    try:
        data = read_yaml(text, MAX_VALUES)
        parsed = _RatesFile.model_validate(data or {}).root
        return RateTable(
            reporting,
            {
                currency: tuple(DatedRate(r.valid_from, r.rate) for r in rates)
                for currency, rates in parsed.items()
            },
        )
    except UnreadableDocument as error:
        raise RatesFileError(str(error)) from error
    except ValidationError as error:
        first = error.errors()[0]
        raise RatesFileError(f"{dotted_path(first['loc'])}: {plain_message(first)}") from error
    except ValueError as error:
        raise RatesFileError(str(error)) from error
