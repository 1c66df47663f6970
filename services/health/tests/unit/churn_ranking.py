"""How well scores rank churners: AUC, lowest-decile lift, and an evaluation of scoring
models over a simulated base (`churn_base`) through the real scoring code, beside two
yardsticks read from the same events: the naive count of recent usage events, and a
cross-validated regression on usage metrics (`churn_usage_metrics`). A test helper."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pulse.devtools.model_check.usage_regression import cross_validated_risk
from pulse.health.scoring.days import day_of
from pulse.health.scoring.model import ScoringModel
from pulse.health.scoring.score import score_account
from pulse.health.scoring.state import AccountState

from .churn_base import CUTOFF, SimulatedAccount
from .churn_usage_metrics import USAGE_METRICS, usage_metrics

NAIVE_DAYS = 28


def auc(risks: Sequence[float], churned: Sequence[bool]) -> float:
    """The chance a churner has a higher risk than a retained account (ties count half):
    the Mann-Whitney statistic over ranks with ties averaged."""
    order = sorted(range(len(risks)), key=lambda i: risks[i])
    ranks = [0.0] * len(risks)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and risks[order[j + 1]] == risks[order[i]]:
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = (i + j) / 2 + 1  # ranks from 1, ties share their mean
        i = j + 1
    positives = sum(churned)
    negatives = len(churned) - positives
    rank_sum = sum(rank for rank, c in zip(ranks, churned, strict=True) if c)
    return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)


def lowest_decile_lift(risks: Sequence[float], churned: Sequence[bool]) -> float:
    """Churn rate among the riskiest tenth ÷ the overall churn rate (ties broken by order)."""
    size = max(1, len(risks) // 10)
    riskiest = sorted(range(len(risks)), key=lambda i: -risks[i])[:size]
    return (sum(churned[i] for i in riskiest) / size) / (sum(churned) / len(churned))


@dataclass(frozen=True)
class Ranking:
    """A model's (or the naive baseline's) ranking of churners over a base."""

    auc: float
    lift: float


@dataclass(frozen=True)
class Evaluation:
    """Each model's ranking and band counts, the yardsticks' rankings, the base's size, and
    what they were computed from: every account's risk by model or yardstick name (`naive`,
    `regression`), its measures' scores by model (None: absent), its usage metrics and
    whether it churned, in the base's order."""

    models: dict[str, Ranking]
    bands: dict[str, dict[str, int]]
    naive: Ranking
    regression: Ranking
    accounts: int
    churners: int
    risks: dict[str, list[float]]
    measure_scores: dict[str, list[dict[str, float | None]]]
    metrics: list[dict[str, float]]
    churned: list[bool]


def evaluate(models: dict[str, ScoringModel], base: Iterable[SimulatedAccount]) -> Evaluation:
    """Score every account of `base` at the cutoff with each model; rank by 100 - score, the
    naive baseline by usage events in the last 28 days (fewer: riskier), and the regression
    by its cross-validated churn probability from the usage metrics."""
    risks: dict[str, list[float]] = {name: [] for name in models}
    bands: dict[str, dict[str, int]] = {name: {} for name in models}
    measure_scores: dict[str, list[dict[str, float | None]]] = {name: [] for name in models}
    naive: list[float] = []
    metrics: list[dict[str, float]] = []
    churned: list[bool] = []
    for account in base:
        state = AccountState()
        for event in account.events:  # in time order, as they arrive: none is too late
            state.apply(event)
        for name, model in models.items():
            result = score_account(model, state, CUTOFF)
            risks[name].append(100.0 - result.score)
            bands[name][result.band] = bands[name].get(result.band, 0) + 1
            measure_scores[name].append({c.measure: c.score for c in result.components})
        naive.append(-_recent_usage(state))
        metrics.append(usage_metrics(account.events, CUTOFF))
        churned.append(account.churns)
    inputs = [[row[name] for name in USAGE_METRICS] for row in metrics]
    regression = [float(risk) for risk in cross_validated_risk(inputs, churned)]
    return Evaluation(
        models={name: _ranking(r, churned) for name, r in risks.items()},
        bands=bands,
        naive=_ranking(naive, churned),
        regression=_ranking(regression, churned),
        accounts=len(churned),
        churners=sum(churned),
        risks={**risks, "naive": naive, "regression": regression},
        measure_scores=measure_scores,
        metrics=metrics,
        churned=churned,
    )


def _ranking(risks: Sequence[float], churned: Sequence[bool]) -> Ranking:
    return Ranking(auc(risks, churned), lowest_decile_lift(risks, churned))


def _recent_usage(state: AccountState) -> int:
    """`usage.activity` events of the 28 days before the cutoff."""
    first = day_of(CUTOFF) - NAIVE_DAYS
    daily = state.daily
    return sum(
        daily.count(series, first)
        for series, key in enumerate(daily.keys)
        if key == "usage.activity"
    )
