"""`ForecastConfig`: probabilities, expansion rates and category rules, with their defaults.

Categories come from the health band and the score's trend, through rules read in order
(the first that matches wins); together they must cover every band and trend, so no
account falls through. The defaults:

| band \\ trend | rising    | flat      | unknown   | falling   |
| ------------- | --------- | --------- | --------- | --------- |
| green         | commit    | commit    | commit    | best_case |
| yellow        | best_case | best_case | best_case | best_case |
| red           | pipeline  | at_risk   | at_risk   | at_risk   |
| unscored      | pipeline  | pipeline  | pipeline  | pipeline  |
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator


class Band(StrEnum):
    """The health band an account renews with; `unscored` before its first score."""

    GREEN = "green"
    YELLOW = "yellow"
    RED = "red"
    UNSCORED = "unscored"


class Trend(StrEnum):
    """Where the health score is going over the trend window."""

    RISING = "rising"
    FLAT = "flat"
    FALLING = "falling"
    UNKNOWN = "unknown"


class ForecastCategory(StrEnum):
    """The forecast category of a renewal, most to least certain."""

    COMMIT = "commit"
    BEST_CASE = "best_case"
    PIPELINE = "pipeline"
    AT_RISK = "at_risk"


Share = Annotated[Decimal, Field(ge=0, le=1, allow_inf_nan=False)]


class _Config(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PerBand(_Config):
    """A share for each band."""

    green: Share
    yellow: Share
    red: Share
    unscored: Share

    def of(self, band: Band) -> Decimal:
        """The share of `band`."""
        value: Decimal = getattr(self, band.value)
        return value


class CategoryRule(_Config):
    """Accounts in one of `bands` with one of `trends` (all by default) are in `category`."""

    bands: frozenset[Band] = Field(min_length=1)
    trends: frozenset[Trend] = Field(default=frozenset(Trend), min_length=1)
    category: ForecastCategory

    def matches(self, band: Band, trend: Trend) -> bool:
        """Whether the rule takes an account with this band and trend."""
        return band in self.bands and trend in self.trends


def _rule(
    bands: set[Band], category: ForecastCategory, trends: set[Trend] | None = None
) -> CategoryRule:
    return CategoryRule(
        bands=frozenset(bands), trends=frozenset(trends or Trend), category=category
    )


DEFAULT_RULES = (
    _rule({Band.GREEN}, ForecastCategory.BEST_CASE, {Trend.FALLING}),
    _rule({Band.GREEN}, ForecastCategory.COMMIT),
    _rule({Band.YELLOW}, ForecastCategory.BEST_CASE),
    _rule({Band.RED}, ForecastCategory.PIPELINE, {Trend.RISING}),
    _rule({Band.RED}, ForecastCategory.AT_RISK),
    _rule({Band.UNSCORED}, ForecastCategory.PIPELINE),
)


class ForecastConfig(_Config):
    """How renewals are forecast; every default is documented in the package README."""

    #: Renewal probability per band: risk-adjusted ARR = ARR * probability.
    probabilities: PerBand = PerBand(
        green=Decimal("0.95"), yellow=Decimal("0.80"), red=Decimal("0.50"), unscored=Decimal("0.75")
    )
    #: Expected expansion at renewal, as a share of ARR, per band.
    expansion_rates: PerBand = PerBand(
        green=Decimal("0.10"), yellow=Decimal("0.03"), red=Decimal(0), unscored=Decimal(0)
    )
    rules: tuple[CategoryRule, ...] = DEFAULT_RULES
    #: A score change of at least this many points over the trend window is a trend.
    trend_points: Decimal = Field(default=Decimal(5), gt=0, allow_inf_nan=False)
    #: Notice period when the account has none of its own.
    notice_days: int = Field(default=60, ge=0, le=3650)
    #: How far ahead an at-risk renewal raises `renewal.at_risk`.
    at_risk_horizon_days: int = Field(default=120, ge=0, le=3650)

    @model_validator(mode="after")
    def _rules_cover_every_band_and_trend(self) -> Self:
        missing = [
            f"{band.value}/{trend.value}"
            for band in Band
            for trend in Trend
            if not any(rule.matches(band, trend) for rule in self.rules)
        ]
        if missing:
            raise ValueError(f"rules: no rule gives a category to {', '.join(missing)}")
        return self

    def category_of(self, band: Band, trend: Trend) -> ForecastCategory:
        """The category of the first rule that matches."""
        return next(rule.category for rule in self.rules if rule.matches(band, trend))

    def trend_of(self, score_change: Decimal | None) -> Trend:
        """Rising or falling by at least `trend_points`, else flat; unknown without a change."""
        if score_change is None:
            return Trend.UNKNOWN
        if score_change >= self.trend_points:
            return Trend.RISING
        if score_change <= -self.trend_points:
            return Trend.FALLING
        return Trend.FLAT
