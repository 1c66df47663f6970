"""The usage-regression yardstick: an L2-regularised logistic regression of churn on usage
metrics, cross-validated so that every account's risk comes from a fit that never saw its
outcome.

Inputs are standardised; the regularisation strength is chosen among 10 values by inner
cross-validation on log loss; the outer split is 5 stratified, shuffled folds with a fixed
seed, so the same data give the same risks. What the metrics are is the caller's choice
(`bench/churn_baseline.py` on the full simulated base, the health tests' usage-only base).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray
from sklearn.linear_model import LogisticRegressionCV
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

FOLDS = 5


def cross_validated_risk(
    inputs: Sequence[Sequence[float]] | NDArray[np.float64],
    churned: Sequence[bool] | NDArray[np.bool_],
    *,
    seed: int = 0,
) -> NDArray[np.float64]:
    """Each account's predicted churn probability, from the fold that held it out."""
    model = make_pipeline(
        StandardScaler(),
        LogisticRegressionCV(
            Cs=10,
            l1_ratios=(0.0,),
            max_iter=1000,
            scoring="neg_log_loss",
            use_legacy_attributes=False,
        ),
    )
    folds = StratifiedKFold(n_splits=FOLDS, shuffle=True, random_state=seed)
    labels = np.asarray(churned, dtype=bool)
    predicted = cross_val_predict(
        model, np.asarray(inputs, dtype=np.float64), labels, cv=folds, method="predict_proba"
    )
    risk: NDArray[np.float64] = predicted[:, 1].astype(np.float64)
    return risk
