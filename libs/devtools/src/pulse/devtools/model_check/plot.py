"""The validation report as a picture (PNG): the score distribution of churned and kept
accounts, the churn rate per score decile, and renewals' per-band probabilities against
what renewed. Matplotlib's Agg backend: no display needed."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from pulse.devtools.model_check.observations import Observation
from pulse.devtools.model_check.report import ValidationReport


def write_plot(report: ValidationReport, observations: Sequence[Observation], path: Path) -> None:
    """Draw the three panels into `path`."""
    figure, (scores, deciles, calibration) = plt.subplots(1, 3, figsize=(15, 4.5))
    churned = [o.score for o in observations if o.score is not None and o.churned]
    kept = [o.score for o in observations if o.score is not None and not o.churned]
    bins = [i * 5 for i in range(21)]
    for values, label in ((kept, "kept"), (churned, "churned")):
        shares = [1 / len(values)] * len(values)  # each bar: share of that group
        scores.hist(values, bins=bins, weights=shares, alpha=0.6, label=f"{label} ({len(values)})")
    scores.set(title="Score at the horizon", xlabel="score", ylabel="share of accounts")
    scores.legend()

    if report.deciles:
        names = [d.name for d in report.deciles]
        deciles.bar(names, [(d.rate or 0) * 100 for d in report.deciles])
        deciles.set(title="Churn rate per score decile", xlabel="D1 = lowest scores", ylabel="%")
    else:
        deciles.set_axis_off()
        deciles.text(0.5, 0.5, report.verdict or "", ha="center", va="center", wrap=True)

    rows = [c for c in report.calibration if c.observed is not None]
    calibration.plot([0, 1], [0, 1], linestyle="--", color="grey", label="perfect")
    calibration.scatter([c.predicted for c in rows], [c.observed or 0 for c in rows])
    for c in rows:
        calibration.annotate(f"{c.band} ({c.accounts})", (c.predicted, c.observed or 0))
    calibration.set(
        title="Renewal probability per band",
        xlabel="predicted (renewals' forecast)",
        ylabel="observed renewal share",
        xlim=(0, 1.05),
        ylim=(0, 1.05),
    )
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
