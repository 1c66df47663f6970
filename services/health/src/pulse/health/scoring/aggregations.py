"""Aggregations: how a measure turns the events it reads into one number.

Each kind says whether the measure's `window_days` is required, optional or meaningless.
What each computes is in `evaluate`; what it may read is checked by `checks`.
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from pulse.health.scoring.bands import Band

#: How much one event may count (`count` weights): relative, like group weights.
EventWeight = Annotated[float, Field(ge=0, le=1_000, allow_inf_nan=False)]
Sentiment = Band
WindowRule = Literal["required", "optional", "none"]


class _Aggregation(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    window: ClassVar[WindowRule] = "none"


class Weights(BaseModel):
    """Each event counts as the weight of its value of `field` (e.g. severity)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    field: str
    values: dict[str, EventWeight]
    default: EventWeight = 1.0


class Count(_Aggregation):
    """Events in the window, optionally weighted by a dimension's value."""

    kind: Literal["count"]
    weights: Weights | None = None
    window: ClassVar[WindowRule] = "required"


class Sum(_Aggregation):
    """Sum of the value field (`field`, default: each type's value field) in the window."""

    kind: Literal["sum"]
    field: str | None = None
    window: ClassVar[WindowRule] = "required"


class DistinctCount(_Aggregation):
    """Distinct values of `field` (e.g. user_id) seen in the window."""

    kind: Literal["distinct_count"]
    field: str
    window: ClassVar[WindowRule] = "required"


class Latest(_Aggregation):
    """The value field of the latest event; with a window, missing once it is older."""

    kind: Literal["latest"]
    field: str | None = None
    window: ClassVar[WindowRule] = "optional"


class Average(_Aggregation):
    """Mean of the value field over the events in the window that carry it."""

    kind: Literal["average"]
    field: str | None = None
    window: ClassVar[WindowRule] = "required"


class DaysSinceLast(_Aggregation):
    """Whole UTC days since the latest matching event (0: today); missing if none ever."""

    kind: Literal["days_since_last"]


class OpenCount(_Aggregation):
    """Tickets (or invoices) open now: opened or issued and not yet resolved or paid."""

    kind: Literal["open_count"]


class OpenAmount(_Aggregation):
    """Amount of the invoices open now, in the account's currency."""

    kind: Literal["open_amount"]


class MaxDaysOverdue(_Aggregation):
    """Largest days past due among open invoices (0 if none); grows each midnight."""

    kind: Literal["max_days_overdue"]


class OverdueAmountRatio(_Aggregation):
    """Amount of open invoices past due ÷ the account's ARR."""

    kind: Literal["overdue_amount_ratio"]


class TrendRatio(_Aggregation):
    """Per-day rate over the last `short_days` complete days ÷ the rate over the
    `baseline_days` before them (today is left out: a partial day is not a drop)."""

    kind: Literal["trend_ratio"]
    short_days: int = Field(7, ge=1)
    baseline_days: int = Field(28, ge=1)
    of: Literal["count", "sum"] = "count"


class RatioToAttribute(_Aggregation):
    """A count, sum or distinct count in the window ÷ an account attribute."""

    kind: Literal["ratio_to_attribute"]
    of: Literal["count", "sum", "distinct_count"]
    field: str | None = None
    attribute: Literal["licensed_seats", "arr"]
    window: ClassVar[WindowRule] = "required"


class PerDistinct(_Aggregation):
    """Events (or the sum of their value field) in the window ÷ distinct values of `field`
    seen in the window: e.g. usage events per active user, an intensity of use."""

    kind: Literal["per_distinct"]
    of: Literal["count", "sum"] = "count"
    field: str
    window: ClassVar[WindowRule] = "required"


class Manual(_Aggregation):
    """The CSM's sentiment set over the API, as a number; with a window, it goes stale."""

    kind: Literal["manual"]
    values: dict[Sentiment, Annotated[float, Field(allow_inf_nan=False)]] = {
        "green": 100.0,
        "yellow": 50.0,
        "red": 0.0,
    }
    window: ClassVar[WindowRule] = "optional"


Aggregation = Annotated[
    Count
    | Sum
    | DistinctCount
    | Latest
    | Average
    | DaysSinceLast
    | OpenCount
    | OpenAmount
    | MaxDaysOverdue
    | OverdueAmountRatio
    | TrendRatio
    | RatioToAttribute
    | PerDistinct
    | Manual,
    Field(discriminator="kind"),
]

#: Aggregations of open invoices.
INVOICE_KINDS = frozenset({"open_amount", "max_days_overdue", "overdue_amount_ratio"})
