"""Calibration of renewals' renewal probability per band: what renewals predicts for an
account of each band (its `ForecastConfig.probabilities`) against the share of the
accounts of that band, at the horizon, that were kept.

A well-calibrated band renews as often as predicted: `observed - predicted` near 0. With
few accounts in a band the observed share is noisy; its count is shown beside it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pulse.devtools.model_check.observations import Observation
from pulse.devtools.model_check.rates import band_rates
from pulse.renewals.forecast.config import Band, ForecastConfig


@dataclass(frozen=True, slots=True)
class BandCalibration:
    """A band's predicted renewal probability and what happened."""

    band: str
    predicted: float
    accounts: int
    kept: int

    @property
    def observed(self) -> float | None:
        """Share kept; None without accounts."""
        return self.kept / self.accounts if self.accounts else None


def renewals_probabilities(config: ForecastConfig | None = None) -> dict[str, float]:
    """The renewal probability renewals uses per band (its defaults unless given)."""
    config = config or ForecastConfig()
    return {band.value: float(config.probabilities.of(band)) for band in Band}


def band_calibration(
    observations: Sequence[Observation], probabilities: dict[str, float]
) -> list[BandCalibration]:
    """Predicted against observed renewal share, per band."""
    return [
        BandCalibration(
            rate.name, probabilities[rate.name], rate.accounts, rate.accounts - rate.churned
        )
        for rate in band_rates(observations)
    ]
