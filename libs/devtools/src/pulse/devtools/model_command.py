"""`pulse model validate`, `calibrate` and `backtest`: check the health model against the
contract outcomes Pulse stores, fit its group weights to them, and replay history with a
candidate model (see
docs/model-validation.md). This module only sets up the arguments: the runs are in
`model_run`, loaded when a `pulse model` command runs, because numpy, scikit-learn and
matplotlib take seconds to import and every other `pulse` command would pay for them."""

from __future__ import annotations

import argparse
import os
import re
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from pulse.common.settings import Settings

_HORIZON = re.compile(r"^(\d{1,4})d$")


def add_model_commands(commands: Any) -> None:
    """Add `model validate`, `calibrate` and `backtest` to the `pulse` sub-commands."""
    model = commands.add_parser("model", help="check the health model against outcomes")
    actions = model.add_subparsers(dest="model_command", required=True)
    check = actions.add_parser(
        "validate",
        help="how well the stored scores ranked the churns of a period",
        description="For each renewal or churn dated --from to --to, the account's score "
        "and components --horizon before it: AUC, lift, red band, churn per band and "
        "decile, renewals' probability calibration, each measure's AUC.",
    )
    _period_arguments(check)
    check.add_argument("--json", action="store_true", help="print the figures as JSON")
    check.add_argument("--plot", type=Path, metavar="FILE.png", help="also draw them")
    fit = actions.add_parser(
        "calibrate",
        help="fit the group weights to a period's outcomes into a new model file",
        description="Fit group weights on the earlier outcomes of the period, compare old "
        "and new on the later ones, and write a new model version. Never activates it: "
        "PUT it to /v1/scoring-model once you trust it.",
    )
    _period_arguments(fit)
    fit.add_argument("--out", type=Path, required=True, help="where to write the model YAML")
    fit.add_argument("--version", help="the new version string (default <old>+cal.<to>)")
    fit.add_argument("--json", action="store_true", help="print the comparison as JSON")
    trial = actions.add_parser(
        "backtest",
        help="re-score the archived history with a candidate model and compare",
        description="Replay every account's archived events with the active model and "
        "with --model, without touching live scores: check that the active model's replay "
        "gives the stored scores, then compare bands, the alerts the score rules would have "
        "opened, and both models' validation figures over outcomes dated --from to --to.",
    )
    trial.add_argument("--model", type=Path, required=True, help="the candidate model YAML")
    _period_arguments(trial)
    trial.add_argument(
        "--workers",
        type=_positive,
        default=os.cpu_count() or 1,
        help="processes replaying accounts (default: one per core)",
    )
    trial.add_argument("--json", action="store_true", help="print the comparison as JSON")


def run_model_command(args: argparse.Namespace, settings: Settings) -> int:
    """Run `pulse model <validate|calibrate|backtest>`; the exit status."""
    if args.start > args.end:
        print(f"pulse model: --from {args.start} is after --to {args.end}", file=sys.stderr)
        return 2
    from pulse.devtools.model_run import run  # heavy imports: see the module docstring

    return run(args, settings)


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError(f"expected at least 1, got {number}")
    return number


def parse_horizon(value: str) -> timedelta:
    """`90d` → 90 days."""
    match = _HORIZON.match(value)
    if match is None:
        raise argparse.ArgumentTypeError(f"expected a number of days such as 90d, got {value!r}")
    return timedelta(days=int(match.group(1)))


def _period_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--from", dest="start", type=date.fromisoformat, required=True)
    parser.add_argument("--to", dest="end", type=date.fromisoformat, required=True)
    parser.add_argument("--horizon", type=parse_horizon, default=timedelta(days=90))
    parser.add_argument("--seed", type=int, default=0, help="of the bootstrap (default 0)")
