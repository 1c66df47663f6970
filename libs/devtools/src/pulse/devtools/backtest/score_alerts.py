"""The alerts the score rules would have opened over a replayed score trajectory, by the
alerts service's own rule states: band, score below and score drop rules.

Renewal rules also read the account's renewal date, which a replay of health does not
carry, so they are left out; rules limited to owners see no owner (health scores carry
none) and never apply.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from pulse.alerts.evaluation.rulebook import Rulebook
from pulse.alerts.evaluation.watch import AccountWatch, AlertChange
from pulse.alerts.rules.definitions import BandRule, Rule, ScoreBelowRule, ScoreDropRule
from pulse.alerts.rules.score_points import ScorePoint
from pulse.alerts.rules.transitions import Action
from pulse.health.backtest.replay import ScoreChange

SCORE_RULES = (BandRule, ScoreBelowRule, ScoreDropRule)


def score_rulebook(rules: Iterable[Rule]) -> Rulebook:
    """The rules a score trajectory alone decides."""
    return Rulebook(rule for rule in rules if isinstance(rule, SCORE_RULES))


@dataclass(frozen=True, slots=True)
class OpenedAlert:
    """An alert a rule opened for the account at `at`."""

    rule_id: str
    at: datetime
    reason: str


def opened_alerts(
    account_id: str,
    changes: Sequence[ScoreChange],
    rulebook: Rulebook,
    start: datetime,
    end: datetime,
) -> list[OpenedAlert]:
    """The alerts the rules open over `changes` (watched from the first), those opened in
    [start, end)."""
    if not changes or not len(rulebook):
        return []
    watch = AccountWatch(account_id, 0, changes[0].at)
    watch.follow(rulebook, changes[0].at)
    found: list[AlertChange] = []
    for number, change in enumerate(changes):
        if change.at >= end:
            break
        found += watch.catch_up(rulebook, change.at)
        point = ScorePoint(f"backtest-{number}", change.at, change.score, change.band)
        watch.observe_score(point, change.segment, change.at)
        found += watch.step(rulebook, change.at)
    found += watch.catch_up(rulebook, end)
    return [
        OpenedAlert(c.rule.id, c.at, c.reason)
        for c in found
        if c.action is Action.OPEN and start <= c.at < end
    ]
