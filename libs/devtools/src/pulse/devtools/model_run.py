"""The runs of `pulse model validate` and `pulse model calibrate` (arguments in
`model_command`; `backtest` runs in `pulse.devtools.backtest.run`): read the outcomes and
scores, print the figures, write the plot or the new model file. Both only read the
database; calibrate never activates what it writes."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from pulse.common.settings import Settings
from pulse.devtools.backtest.run import run_backtest
from pulse.devtools.model_check.dataset import UnreadableStore, load_dataset
from pulse.devtools.model_check.model_file import calibrated_model_text, new_version
from pulse.devtools.model_check.plot import write_plot
from pulse.devtools.model_check.probabilities import renewals_probabilities
from pulse.devtools.model_check.report import Period, report_json, validate
from pulse.devtools.model_check.text import render_text
from pulse.devtools.model_check.weights import Calibration, TooFewOutcomes, calibrate
from pulse.health.scoring.model import load_model


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Run the `pulse model` command `args` names; the exit status."""
    commands = {"validate": _validate, "calibrate": _calibrate, "backtest": run_backtest}
    command = commands[args.model_command]
    try:
        return asyncio.run(command(args, settings))
    except UnreadableStore as error:
        print(f"pulse model {args.model_command}: {error}", file=sys.stderr)
        return 1


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
