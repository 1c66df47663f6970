"""The naive churn baseline beside `pulse model validate`'s AUC on a simulated base.

`pulse demo --accounts 2000 --days 180 --seed 29 ...` plays a seeded base; this script
generates the same base again (the simulator is deterministic), counts each account's
`usage.activity` events in the 28 days before its score was taken (outcome - horizon), and
reports the AUC of "fewer events, more risk" for churn, over the outcomes validate reads:
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

from pulse.devtools.model_check.ranking import auc, auc_interval
from pulse.devtools.simulation import Simulation, SimulationConfig

WINDOW_DAYS = 28


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
    counts: dict[str, int] = defaultdict(int)
    config = SimulationConfig(args.seed, args.accounts, args.days, args.start, usd_only=True)
    for day in Simulation(config).days():
        for event in day.events:
            account = event["account_id"]
            if event["type"] != "usage.activity" or account not in taken_on:
                continue
            occurred = datetime.fromisoformat(event["occurred_at"]).date()
            if taken_on[account] - timedelta(days=WINDOW_DAYS) <= occurred < taken_on[account]:
                counts[account] += 1
    accounts = sorted(a for a in wanted if taken_on[a] >= args.start)
    risk = [-float(counts[a]) for a in accounts]
    churned = [wanted[a][1] for a in accounts]
    interval = auc_interval(risk, churned, seed=0)
    print(
        f"naive baseline (usage events in the {WINDOW_DAYS} days before the score): "
        f"AUC {auc(risk, churned):.3f} (95 % interval {interval.low:.3f} to "
        f"{interval.high:.3f}) over "
        f"{len(accounts)} outcomes, {sum(churned)} churned"
    )


if __name__ == "__main__":
    main()
