"""The state of one rule for one account, whichever its kind."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from pulse.alerts.rules.definitions import AbsenceRule, Rule
from pulse.alerts.rules.intake import Outcome
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


def new_state(rule: Rule, started_at: datetime) -> RuleState:
    """A fresh state for a rule and an account watched from `started_at` (absence rules
    count the silence from there when no event comes)."""
    if isinstance(rule, AbsenceRule):
        return SilenceState(rule, started_at)
    return WindowState(rule, started_at)


def restore_state(rule: Rule, snapshot: Snapshot) -> RuleState:
    """The state a snapshot of `rule`'s state was taken of."""
    if isinstance(rule, AbsenceRule):
        return SilenceState.restore(rule, snapshot)
    return WindowState.restore(rule, snapshot)
