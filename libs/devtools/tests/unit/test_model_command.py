"""The `pulse model` command's arguments and its calibration table."""

from __future__ import annotations

import argparse
from datetime import timedelta
from pathlib import Path

import pytest

from pulse.common.settings import Settings
from pulse.devtools.model_command import add_model_commands, parse_horizon, run_model_command
from pulse.devtools.model_run import calibration_text


def test_horizon_is_a_number_of_days() -> None:
    assert parse_horizon("90d") == timedelta(days=90)
    assert parse_horizon("0d") == timedelta(0)
    for wrong in ("90", "3m", "-5d", "d"):
        with pytest.raises(argparse.ArgumentTypeError, match="number of days such as 90d"):
            parse_horizon(wrong)


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="pulse")
    add_model_commands(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(argv)


def test_arguments_of_both_commands() -> None:
    args = _parse(["model", "validate", "--from", "2026-01-01", "--to", "2026-03-31", "--json"])
    assert (args.model_command, args.horizon, args.json, args.plot) == (
        "validate",
        timedelta(days=90),
        True,
        None,
    )
    args = _parse(
        ["model", "calibrate", "--from", "2026-01-01", "--to", "2026-03-31", "--out", "m.yaml"]
    )
    assert (args.out, args.version) == (Path("m.yaml"), None)
    with pytest.raises(SystemExit):
        _parse(["model", "calibrate", "--from", "2026-01-01", "--to", "2026-03-31"])  # no --out


def test_a_period_ending_before_it_starts_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    args = _parse(["model", "validate", "--from", "2026-03-01", "--to", "2026-02-01"])
    # Refused before any connection: the settings' database is never reached.
    assert run_model_command(args, Settings()) == 2
    assert "--from 2026-03-01 is after --to 2026-02-01" in capsys.readouterr().err


def test_calibration_table_shows_old_weights_as_shares() -> None:
    body = {
        "new_version": "m+cal.2026-03-31",
        "file": "m.yaml",
        "trained_on": 700,
        "held_out": 300,
        "held_out_from": "2026-03-01T00:00:00+00:00",
        "held_out_churned": 40,
        "held_out_kept": 260,
        "regularisation_c": 1.0,
        "old_auc": {"value": 0.55, "low": 0.5, "high": 0.6},
        "new_auc": {"value": 0.7, "low": 0.65, "high": 0.75},
        "weights": {"usage": {"old": 0.25, "new": 0.8}, "support": {"old": 0.75, "new": 0.2}},
    }
    text = calibration_text(body)
    assert "old 0.550 (0.500-0.600)  new 0.700 (0.650-0.750)" in text
    assert "  usage                   0.250      0.800" in text
    assert "  support                 0.750      0.200" in text
