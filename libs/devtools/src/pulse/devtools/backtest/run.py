"""The run of `pulse model backtest` (arguments in `pulse.devtools.model_command`): read
the archive and the stored scores, replay every account with both models, print the
comparison. It only reads the database: live scores are never touched."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import AsyncIterator
from datetime import timedelta

from pulse.alerts.rules.definitions import ScoreDropRule
from pulse.common.settings import Settings
from pulse.devtools.backtest.accounts import Window
from pulse.devtools.backtest.parallel import Account, Backtesters, Job
from pulse.devtools.backtest.reading import read_setting, stream_archive
from pulse.devtools.backtest.score_alerts import score_rulebook
from pulse.devtools.backtest.summary import Tally
from pulse.devtools.backtest.text import render_text, report_to_json
from pulse.devtools.model_check.dataset import period_bounds, read_only
from pulse.devtools.model_check.probabilities import renewals_probabilities
from pulse.devtools.model_check.report import Period
from pulse.health.scoring.model import ModelError, ScoringModel, load_model

#: Replays start this much before the earliest moment they must score, so that a band
#: in force and a score drop under way are known when the period begins.
LEAD = timedelta(days=1)


async def run_backtest(args: argparse.Namespace, settings: Settings) -> int:
    """Run `pulse model backtest`; the exit status."""
    candidate = _candidate(args)
    if candidate is None:
        return 2
    candidate_text, candidate_model = candidate
    started = time.perf_counter()
    window = Window(*period_bounds(args.start, args.end), args.horizon)
    tally = Tally()
    async with read_only(settings) as connection:
        setting = await read_setting(connection, window)
        active = load_model(setting.active_model)
        rulebook = score_rulebook(setting.rules)
        drops = [rule.within for rule in rulebook if isinstance(rule, ScoreDropRule)]
        replay_from = window.start - max([window.horizon, *drops]) - LEAD

        async def chunks() -> AsyncIterator[list[Account]]:
            async for chunk in stream_archive(connection, window, replay_from):
                yield [
                    (a.account_id, a.steps, stored, setting.outcomes.get(a.account_id))
                    for a, stored in chunk
                ]

        job = Job(setting.active_model, candidate_text, list(rulebook), window)
        with Backtesters(job, args.workers) as backtesters:
            async for done in backtesters.backtest(chunks()):
                for account in done:
                    tally.add(account)
    if tally.accounts == 0:
        print(
            f"pulse model backtest: health's archive holds no step before {args.end}: "
            "nothing to replay (the archive starts when health first runs with it)",
            file=sys.stderr,
        )
        return 1
    report = tally.report(
        Period(args.start, args.end, args.horizon.days),
        window,
        replay_from,
        (setting.rules_source, list(rulebook.rules)),
        (active.version, candidate_model.version),
        renewals_probabilities(),
        args.seed,
    )
    if args.json:
        print(json.dumps(report_to_json(report), indent=2))
    else:
        print(render_text(report), end="")
    print(
        f"replayed {tally.accounts} accounts with both models in "
        f"{time.perf_counter() - started:.1f} s",
        file=sys.stderr,
    )
    return 0


def _candidate(args: argparse.Namespace) -> tuple[str, ScoringModel] | None:
    """The candidate model's text and model, or None having said why it cannot be used."""
    try:
        text = args.model.read_text()
        return text, load_model(text)
    except OSError as error:
        print(f"pulse model backtest: cannot read {args.model}: {error.strerror}", file=sys.stderr)
    except ModelError as error:
        print(f"pulse model backtest: {args.model} is not a usable model:", file=sys.stderr)
        for path, message in error.errors:
            print(f"  {path or '(top)'}: {message}", file=sys.stderr)
    return None
