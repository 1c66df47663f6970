"""The state of one rule for one account, whichever its kind."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol, TypeGuard, runtime_checkable

from pulse.alerts.rules.definitions import (
    AbsenceRule,
    BandRule,
    RenewalRule,
    Rule,
    ScoreBelowRule,
    ScoreDropRule,
    ScoreRule,
)
from pulse.alerts.rules.intake import Outcome
from pulse.alerts.rules.renewal import RenewalState
from pulse.alerts.rules.score_drop import ScoreDropState
from pulse.alerts.rules.score_levels import ScoreLevelState
from pulse.alerts.rules.score_points import ScorePoint
from pulse.alerts.rules.silence import SilenceState
from pulse.alerts.rules.snapshots import Snapshot
from pulse.alerts.rules.verdict import Verdict
from pulse.alerts.rules.window import WindowState
from pulse.common.events import Event


class RuleState(Protocol):
    """Takes an account's events and says, at a moment, whether the rule holds."""

    def observe(self, event: Event, now: datetime) -> Outcome:
        """Take an event seen at `now`; `now` never goes back."""
        ...

    def evaluate(self, now: datetime) -> Verdict:
        """Whether the rule holds at `now`, why, and when that can next change."""
        ...

    def snapshot(self) -> Snapshot:
        """What the state holds, as JSON-able values; `restore_state` reads it back."""
        ...


@runtime_checkable
class ScoreWatcher(RuleState, Protocol):
    """The state of a rule over health scores: it also takes an account's score points."""

    def observe_score(self, point: ScorePoint, now: datetime) -> Outcome:
        """Take a score point seen at `now`: TAKEN, or DUPLICATE for a point at or before
        the latest one taken; `now` never goes back."""
        ...


def watches_scores(rule: Rule) -> TypeGuard[ScoreRule]:
    """Whether the rule's state takes score points (its state is a `ScoreWatcher`)."""
    return isinstance(rule, BandRule | ScoreBelowRule | ScoreDropRule | RenewalRule)


def new_state(rule: Rule, started_at: datetime) -> RuleState:
    """A fresh state for a rule and an account watched from `started_at` (absence rules
    count the silence from there when no event comes)."""
    if isinstance(rule, AbsenceRule):
        return SilenceState(rule, started_at)
    if isinstance(rule, BandRule | ScoreBelowRule):
        return ScoreLevelState(rule, started_at)
    if isinstance(rule, ScoreDropRule):
        return ScoreDropState(rule, started_at)
    if isinstance(rule, RenewalRule):
        return RenewalState(rule, started_at)
    return WindowState(rule, started_at)


def restore_state(rule: Rule, snapshot: Snapshot) -> RuleState:
    """The state a snapshot of `rule`'s state was taken of."""
    if isinstance(rule, AbsenceRule):
        return SilenceState.restore(rule, snapshot)
    if isinstance(rule, BandRule | ScoreBelowRule):
        return ScoreLevelState.restore(rule, snapshot)
    if isinstance(rule, ScoreDropRule):
        return ScoreDropState.restore(rule, snapshot)
    if isinstance(rule, RenewalRule):
        return RenewalState.restore(rule, snapshot)
    return WindowState.restore(rule, snapshot)
