"""The default model against the usage yardsticks on the usage-and-subscription-only base,
over several seeds: AUC with 95 % bootstrap intervals of the model (100 - score), of the
naive count of usage events in 28 days, and of the cross-validated L2 logistic regression
on usage metrics, all read from the same generated events.

The generator and the evaluation are the health unit tests' own (`churn_base`,
`churn_ranking`, `churn_usage_metrics`), which test one seed; this runs from the
repository's root, which makes them importable:

    .venv/bin/python -m bench.usage_only_ranking --seeds 1-8 [--measures] [--candidate FILE]

`--measures` adds, averaged over the seeds, each usage metric's and each model measure's
own AUC; `--candidate` scores a model file beside the default.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from pulse.devtools.model_check.ranking import auc, auc_interval
from pulse.health.scoring.model import ScoringModel, default_model, load_model
from services.health.tests.unit.churn_base import simulate_base
from services.health.tests.unit.churn_ranking import Evaluation, evaluate
from services.health.tests.unit.churn_usage_metrics import USAGE_METRICS

YARDSTICKS = ("naive", "regression")


def seeds_of(text: str) -> list[int]:
    """`1-8` or `1,3,5`."""
    if "-" in text:
        first, last = text.split("-")
        return list(range(int(first), int(last) + 1))
    return [int(part) for part in text.split(",")]


def figure(risks: Sequence[float], churned: Sequence[bool], seed: int) -> str:
    interval = auc_interval(risks, churned, seed=seed)
    return f"{interval.value:.3f} ({interval.low:.3f}-{interval.high:.3f})"


def ranking_table(evaluations: dict[int, Evaluation], columns: Sequence[str]) -> list[str]:
    """One row per seed, AUC and interval per column, then the mean AUC of each column."""
    lines = [
        "| seed | churners | " + " | ".join(columns) + " |",
        "|---" * (len(columns) + 2) + "|",
    ]
    for seed, evaluation in evaluations.items():
        cells = [figure(evaluation.risks[c], evaluation.churned, seed) for c in columns]
        lines.append(f"| {seed} | {evaluation.churners} | " + " | ".join(cells) + " |")
    means = [np.mean([auc(e.risks[c], e.churned) for e in evaluations.values()]) for c in columns]
    lines.append("| mean | | " + " | ".join(f"{m:.3f}" for m in means) + " |")
    return lines


def metric_table(evaluations: dict[int, Evaluation]) -> list[str]:
    """Each usage metric's AUC as a risk when low (below 0.5: high is the riskier)."""
    lines = ["| usage metric | mean AUC of (-metric) | min | max |", "|---|---|---|---|"]
    for name in USAGE_METRICS:
        values = [auc([-row[name] for row in e.metrics], e.churned) for e in evaluations.values()]
        lines.append(f"| {name} | {np.mean(values):.3f} | {min(values):.3f} | {max(values):.3f} |")
    return lines


def measure_table(evaluations: dict[int, Evaluation], model: str) -> list[str]:
    """Each measure's AUC of (100 - its score) over the accounts where it is present."""
    first = next(iter(evaluations.values()))
    names = sorted({m for scores in first.measure_scores[model] for m in scores})
    lines = [f"| {model} measure | mean AUC of (100 - score) | mean share present |"]
    lines.append("|---|---|---|")
    for name in names:
        aucs, shares = [], []
        for e in evaluations.values():
            present = [
                (100.0 - s, c)
                for row, c in zip(e.measure_scores[model], e.churned, strict=True)
                if (s := row.get(name)) is not None
            ]
            if any(c for _, c in present) and not all(c for _, c in present):
                aucs.append(auc([r for r, _ in present], [c for _, c in present]))
            shares.append(len(present) / e.accounts)
        shown = f"{np.mean(aucs):.3f}" if aucs else "-"
        lines.append(f"| {name} | {shown} | {np.mean(shares):.2f} |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=seeds_of, default=seeds_of("1-8"))
    parser.add_argument("--accounts", type=int, default=2_000)
    parser.add_argument("--measures", action="store_true")
    parser.add_argument("--candidate", type=Path)
    args = parser.parse_args()

    models: dict[str, ScoringModel] = {"default": default_model()}
    if args.candidate is not None:
        models["candidate"] = load_model(args.candidate.read_text())
    evaluations: dict[int, Evaluation] = {}
    for seed in args.seeds:
        evaluations[seed] = evaluate(models, simulate_base(seed, args.accounts))
        print(f"seed {seed} done", flush=True)
    print("\n".join(ranking_table(evaluations, [*models, *YARDSTICKS])))
    if args.measures:
        print()
        print("\n".join(metric_table(evaluations)))
        for name in models:
            print()
            print("\n".join(measure_table(evaluations, name)))


if __name__ == "__main__":
    main()
