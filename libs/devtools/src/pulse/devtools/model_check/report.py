"""Every validation figure of a set of observations, and the same figures as JSON.

Ranking figures (AUC, lift, red band, per-measure AUCs) need enough outcomes (see
`sufficiency`); without them they are None and `verdict` says why. The AUC is over the
accounts scored at the horizon; unscored ones count only in the band tables.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from pulse.devtools.model_check.measures import MeasureSignal, correlations, measure_signals
from pulse.devtools.model_check.observations import Observation
from pulse.devtools.model_check.probabilities import BandCalibration, band_calibration
from pulse.devtools.model_check.ranking import Interval, auc_interval
from pulse.devtools.model_check.rates import (
    GroupRate,
    RedBand,
    band_rates,
    decile_rates,
    lowest_decile_lift,
    red_band,
)
from pulse.devtools.model_check.sufficiency import Sufficiency, sufficiency_of


@dataclass(frozen=True, slots=True)
class Period:
    """Outcomes dated `start` to `end` (both included), scores `horizon_days` before."""

    start: date
    end: date
    horizon_days: int


@dataclass(frozen=True, slots=True)
class ValidationReport:
    """What `pulse model validate` reports."""

    period: Period
    outcomes: int
    unscored: int
    sufficiency: Sufficiency
    auc: Interval | None
    lowest_decile_lift: float | None
    red_band: RedBand | None
    bands: list[GroupRate]
    deciles: list[GroupRate]
    calibration: list[BandCalibration]
    measures: list[MeasureSignal]
    correlations: dict[str, dict[str, float | None]]
    model_versions: list[str]

    @property
    def verdict(self) -> str | None:
        """The "too few outcomes" sentence, None when the figures mean something."""
        return self.sufficiency.verdict


def validate(
    observations: Sequence[Observation],
    period: Period,
    probabilities: dict[str, float],
    *,
    seed: int = 0,
    model_versions: Sequence[str] = (),
) -> ValidationReport:
    """The validation figures of `observations`; `probabilities`: renewals' per band."""
    scored = [o for o in observations if o.score is not None]
    enough = sufficiency_of([o.churned for o in scored])
    ranked = enough.enough
    return ValidationReport(
        period=period,
        outcomes=len(observations),
        unscored=len(observations) - len(scored),
        sufficiency=enough,
        auc=auc_interval(
            [100 - (o.score or 0.0) for o in scored], [o.churned for o in scored], seed=seed
        )
        if ranked
        else None,
        lowest_decile_lift=lowest_decile_lift(scored) if ranked else None,
        red_band=red_band(scored) if ranked else None,
        bands=band_rates(observations),
        deciles=decile_rates(scored) if ranked else [],
        calibration=band_calibration(observations, probabilities),
        measures=measure_signals(scored),
        correlations=correlations(scored) if ranked else {},
        model_versions=sorted(set(model_versions)),
    )


def report_json(report: ValidationReport) -> dict[str, Any]:
    """The report as JSON-ready values (dates as ISO strings, rates included)."""
    body = asdict(report)
    body["period"] = {
        "from": report.period.start.isoformat(),
        "to": report.period.end.isoformat(),
        "horizon_days": report.period.horizon_days,
    }
    body["sufficiency"] = {
        "churned": report.sufficiency.churned,
        "kept": report.sufficiency.kept,
        "enough": report.sufficiency.enough,
    }
    body["verdict"] = report.verdict
    body["bands"] = [_rate_json(rate) for rate in report.bands]
    body["deciles"] = [_rate_json(rate) for rate in report.deciles]
    body["calibration"] = [{**asdict(row), "observed": row.observed} for row in report.calibration]
    body["measures"] = [
        {"measure": m.measure, "group": m.group, "accounts": m.accounts, "auc": m.auc}
        for m in report.measures
    ]
    return body


def _rate_json(rate: GroupRate) -> dict[str, Any]:
    return {**asdict(rate), "rate": rate.rate}
