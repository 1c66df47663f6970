"""`pulse model validate` and `pulse model calibrate`: check the health model against the
contract outcomes Pulse stores, and fit its group weights to them (see
docs/model-validation.md). Both only read the database; calibrate writes a file and
never activates it."""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from pulse.common.settings import Settings
from pulse.devtools.model_check.dataset import UnreadableStore, load_dataset
from pulse.devtools.model_check.model_file import calibrated_model_text, new_version
from pulse.devtools.model_check.plot import write_plot
from pulse.devtools.model_check.probabilities import renewals_probabilities
from pulse.devtools.model_check.report import Period, report_json, validate
from pulse.devtools.model_check.text import render_text
from pulse.devtools.model_check.weights import Calibration, TooFewOutcomes, calibrate
from pulse.health.scoring.model import load_model

_HORIZON = re.compile(r"^(\d{1,4})d$")


def add_model_commands(commands: Any) -> None:
    """Add `model validate` and `model calibrate` to the `pulse` sub-commands."""
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


def run_model_command(args: argparse.Namespace, settings: Settings) -> int:
    """Run `pulse model <validate|calibrate>`; the exit status."""
    if args.start > args.end:
        print(f"pulse model: --from {args.start} is after --to {args.end}", file=sys.stderr)
        return 2
    command = _validate if args.model_command == "validate" else _calibrate
    try:
        return asyncio.run(command(args, settings))
    except UnreadableStore as error:
        print(f"pulse model {args.model_command}: {error}", file=sys.stderr)
        return 1


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


async def _validate(args: argparse.Namespace, settings: Settings) -> int:
    dataset = await load_dataset(settings, args.start, args.end, args.horizon)
    period = Period(args.start, args.end, args.horizon.days)
    report = validate(
        dataset.observations,
        period,
        renewals_probabilities(),
        seed=args.seed,
        model_versions=dataset.model_versions,
    )
    if args.json:
        print(json.dumps(report_json(report), indent=2))
    else:
        print(render_text(report), end="")
    if args.plot is not None:
        write_plot(report, dataset.observations, args.plot)
    return 0


async def _calibrate(args: argparse.Namespace, settings: Settings) -> int:
    dataset = await load_dataset(settings, args.start, args.end, args.horizon)
    old = load_model(dataset.active_model)
    weights = {name: group.weight for name, group in old.groups.items()}
    try:
        result = calibrate(dataset.observations, weights, seed=args.seed)
    except TooFewOutcomes as error:
        print(f"pulse model calibrate: {error}", file=sys.stderr)
        return 1
    version = args.version or new_version(old.version, args.end.isoformat())
    header = [
        f"Calibrated by `pulse model calibrate` from {old.version} on outcomes "
        f"{args.start} to {args.end}, scores {args.horizon.days} days before.",
        f"Held-out AUC {result.old_auc.value:.3f} (old) -> {result.new_auc.value:.3f} (new). "
        "Not active: PUT it to /v1/scoring-model to use it.",
    ]
    args.out.write_text(
        calibrated_model_text(dataset.active_model, result.new_weights, version, header)
    )
    body = calibration_json(result, old.version, version, args.out)
    print(json.dumps(body, indent=2) if args.json else calibration_text(body), end="\n")
    return 0


def calibration_json(result: Calibration, old: str, new: str, out: Path) -> dict[str, Any]:
    """The comparison of old and new as JSON-ready values."""
    return {
        "old_version": old,
        "new_version": new,
        "file": str(out),
        "trained_on": result.trained_on,
        "held_out": result.held_out,
        "held_out_from": result.held_out_from.isoformat(),
        "held_out_churned": result.held_out_sufficiency.churned,
        "held_out_kept": result.held_out_sufficiency.kept,
        "regularisation_c": result.strength,
        "old_auc": _interval(result.old_auc.value, result.old_auc.low, result.old_auc.high),
        "new_auc": _interval(result.new_auc.value, result.new_auc.low, result.new_auc.high),
        "weights": {
            group: {"old": result.old_weights[group], "new": result.new_weights[group]}
            for group in result.old_weights
        },
    }


def calibration_text(body: dict[str, Any]) -> str:
    """The comparison as a terminal table."""
    old, new = body["old_auc"], body["new_auc"]
    total = sum(w["old"] for w in body["weights"].values()) or 1.0
    lines = [
        f"{body['new_version']} written to {body['file']} (not active)",
        f"Trained on {body['trained_on']} earlier outcomes; held out {body['held_out']} from "
        f"{body['held_out_from']} ({body['held_out_churned']} churned, "
        f"{body['held_out_kept']} kept); C = {body['regularisation_c']}",
        f"Held-out AUC  old {old['value']:.3f} ({old['low']:.3f}-{old['high']:.3f})  "
        f"new {new['value']:.3f} ({new['low']:.3f}-{new['high']:.3f})",
        "",
        f"  {'group':<18}{'old weight':>11}{'new weight':>11}",
    ]
    for group, w in body["weights"].items():
        lines.append(f"  {group:<18}{w['old'] / total:>11.3f}{w['new']:>11.3f}")
    return "\n".join(lines)


def _interval(value: float, low: float, high: float) -> dict[str, float]:
    return {"value": value, "low": low, "high": high}
