"""The yardsticks beside `pulse model validate`'s AUC on a simulated base: the naive count
of usage events, and a regularised logistic regression on usage metrics.

`pulse demo --accounts 2000 --days 180 --seed 29 ...` plays a seeded base; this script
generates the same base again (the simulator is deterministic), counts each account's
`usage.activity` events in the 28 days before its score was taken (outcome - horizon), and
reports the AUC of "fewer events, more risk" for churn, and the cross-validated AUC of an
L2 logistic regression on usage metrics of the same windows (events, quantity, active
users, features, events per user, each in logs, and the trend against the 28 days before),
over the outcomes validate reads:
each account's first churn in the period, else its first other contract outcome. The
outcomes come from the simulator's truth file: this is a yardstick for the closing figure,
never an input to Pulse.

    .venv/bin/python bench/churn_baseline.py --truth .pulse/demo/truth.jsonl \\
        --seed 29 --accounts 2000 --days 180 --start 2026-06-06 \\
        --from 2026-09-04 --to 2026-12-03 --horizon-days 90
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np

from pulse.devtools.model_check.ranking import auc, auc_interval
from pulse.devtools.model_check.usage_regression import cross_validated_risk
from pulse.devtools.simulation import Simulation, SimulationConfig

WINDOW_DAYS = 28


class UsageWindow:
    """Usage of one account in one window: events, quantity, users, features."""

    def __init__(self) -> None:
        self.events = 0
        self.quantity = 0.0
        self.users: set[str] = set()
        self.features: set[str] = set()

    def add(self, data: dict[str, object]) -> None:
        self.events += 1
        self.quantity += float(str(data.get("quantity") or 1))
        self.users.add(str(data.get("user_id")))
        self.features.add(str(data.get("feature")))


def features_of(recent: UsageWindow, before: UsageWindow) -> list[float]:
    """The regression's inputs: logs of the volumes, intensity, and the trend."""
    return [
        np.log1p(recent.events),
        np.log1p(recent.quantity),
        np.log1p(len(recent.users)),
        np.log1p(len(recent.features)),
        np.log1p(recent.events / max(len(recent.users), 1)),
        np.log1p(recent.events) - np.log1p(before.events),
    ]


def outcomes(truth: Path, start: date, end: date) -> dict[str, tuple[date, bool]]:
    """Per account: the date of its outcome in [start, end] and whether it churned."""
    chosen: dict[str, tuple[date, bool]] = {}
    for line in truth.read_text().splitlines():
        record = json.loads(line)
        steps = [
            (date.fromisoformat(o["date"]), o["change"] == "churn") for o in record["outcomes"]
        ]
        inside = [step for step in steps if start <= step[0] <= end]
        churns = [step for step in inside if step[1]]
        if churns or inside:
            chosen[record["account_id"]] = (churns or inside)[0]
    return chosen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--truth", type=Path, required=True)
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--accounts", type=int, required=True)
    parser.add_argument("--days", type=int, required=True)
    parser.add_argument("--start", type=date.fromisoformat, required=True)
    parser.add_argument("--from", dest="from_", type=date.fromisoformat, required=True)
    parser.add_argument("--to", type=date.fromisoformat, required=True)
    parser.add_argument("--horizon-days", type=int, default=90)
    args = parser.parse_args()

    wanted = outcomes(args.truth, args.from_, args.to)
    taken_on = {a: when - timedelta(days=args.horizon_days) for a, (when, _) in wanted.items()}
    recent: dict[str, UsageWindow] = defaultdict(UsageWindow)
    before: dict[str, UsageWindow] = defaultdict(UsageWindow)
    window = timedelta(days=WINDOW_DAYS)
    config = SimulationConfig(args.seed, args.accounts, args.days, args.start, usd_only=True)
    for day in Simulation(config).days():
        for event in day.events:
            account = event["account_id"]
            if event["type"] != "usage.activity" or account not in taken_on:
                continue
            occurred = datetime.fromisoformat(event["occurred_at"]).date()
            taken = taken_on[account]
            if taken - window <= occurred < taken:
                recent[account].add(event["data"])
            elif taken - 2 * window <= occurred < taken - window:
                before[account].add(event["data"])
    accounts = sorted(a for a in wanted if taken_on[a] >= args.start)
    risk = [-float(recent[a].events) for a in accounts]
    churned = [wanted[a][1] for a in accounts]
    interval = auc_interval(risk, churned, seed=0)
    print(
        f"naive baseline (usage events in the {WINDOW_DAYS} days before the score): "
        f"AUC {auc(risk, churned):.3f} (95 % interval {interval.low:.3f} to "
        f"{interval.high:.3f}) over "
        f"{len(accounts)} outcomes, {sum(churned)} churned"
    )
    inputs = np.array([features_of(recent[a], before[a]) for a in accounts])
    predicted = cross_validated_risk(inputs, churned)
    regression = auc(predicted, churned)
    interval = auc_interval(predicted, churned, seed=0)
    print(
        f"L2 logistic regression on usage metrics (5-fold cross-validated): AUC "
        f"{regression:.3f} (95 % interval {interval.low:.3f} to {interval.high:.3f})"
    )


if __name__ == "__main__":
    main()
