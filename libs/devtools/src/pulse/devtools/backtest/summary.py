"""The backtest's figures over every account: the check of the stored scores, bands at
the end of the period, alerts opened, and both models' validation figures."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from pulse.devtools.backtest.accounts import AccountBacktest, Mismatch, ModelView, Window
from pulse.devtools.model_check.observations import Observation
from pulse.devtools.model_check.report import Period, ValidationReport, validate

#: Mismatches listed in the report (all are counted).
SHOWN_MISMATCHES = 10
BANDS = ("green", "yellow", "red", "none")


@dataclass(frozen=True, slots=True)
class RuleAlerts:
    """Alerts one rule opened in the period under each model, and the accounts that got
    one under one model only."""

    rule_id: str
    active: int
    candidate: int
    accounts_only_active: int
    accounts_only_candidate: int


@dataclass(frozen=True, slots=True)
class ModelFigures:
    """One model's totals over the accounts."""

    version: str
    band_changes: int
    accounts_ever_red: int
    validation: ValidationReport


@dataclass(frozen=True, slots=True)
class BacktestReport:
    """What `pulse model backtest` reports."""

    window: Window
    replay_from: datetime
    rules_source: str
    accounts: int
    compared: int
    mismatched: int
    mismatches: list[Mismatch]
    before_archive: int
    #: Accounts by (band under the active model, band under the candidate) at the end.
    bands_at_end: dict[tuple[str, str], int]
    alerts: list[RuleAlerts]
    active: ModelFigures
    candidate: ModelFigures

    @property
    def changed_band(self) -> int:
        """Accounts whose band at the end differs between the models."""
        return sum(n for (before, after), n in self.bands_at_end.items() if before != after)


@dataclass
class Tally:
    """Adds up accounts' backtests as they come (none is kept whole)."""

    accounts: int = 0
    compared: int = 0
    mismatched: int = 0
    before_archive: int = 0
    mismatches: list[Mismatch] = field(default_factory=list)
    bands_at_end: Counter[tuple[str, str]] = field(default_factory=Counter)
    band_changes: Counter[str] = field(default_factory=Counter)
    ever_red: Counter[str] = field(default_factory=Counter)
    opened: Counter[tuple[str, str]] = field(default_factory=Counter)
    only: Counter[tuple[str, str]] = field(default_factory=Counter)
    observations: dict[str, list[Observation]] = field(
        default_factory=lambda: {"active": [], "candidate": []}
    )

    def add(self, account: AccountBacktest) -> None:
        """Count one account's backtest."""
        self.accounts += 1
        self.compared += account.compared
        self.before_archive += account.before_archive
        self.mismatched += len(account.mismatches)
        room = SHOWN_MISMATCHES - len(self.mismatches)
        self.mismatches += account.mismatches[: max(room, 0)]
        views = {"active": account.active, "candidate": account.candidate}
        self.bands_at_end[_band(account.active), _band(account.candidate)] += 1
        rules = {name: {a.rule_id for a in view.alerts} for name, view in views.items()}
        for name, view in views.items():
            self.band_changes[name] += view.band_changes
            self.ever_red[name] += view.ever_red
            self.opened.update((name, alert.rule_id) for alert in view.alerts)
            if view.observation is not None:
                self.observations[name].append(view.observation)
        for rule_id in rules["active"] - rules["candidate"]:
            self.only["active", rule_id] += 1
        for rule_id in rules["candidate"] - rules["active"]:
            self.only["candidate", rule_id] += 1

    def report(
        self,
        period: Period,
        window: Window,
        replay_from: datetime,
        rules: tuple[str, list[str]],
        versions: tuple[str, str],
        probabilities: dict[str, float],
        seed: int,
    ) -> BacktestReport:
        """The report of `period` (`window` in moments); `rules`: where they came from and
        the score rules' ids;
        `versions`: the active and the candidate model's."""
        source, rule_ids = rules
        figures = {
            name: ModelFigures(
                version,
                self.band_changes[name],
                self.ever_red[name],
                validate(
                    self.observations[name],
                    period,
                    probabilities,
                    seed=seed,
                    model_versions=[version],
                ),
            )
            for name, version in zip(("active", "candidate"), versions, strict=True)
        }
        return BacktestReport(
            window=window,
            replay_from=replay_from,
            rules_source=source,
            accounts=self.accounts,
            compared=self.compared,
            mismatched=self.mismatched,
            mismatches=self.mismatches,
            before_archive=self.before_archive,
            bands_at_end=dict(self.bands_at_end),
            alerts=[
                RuleAlerts(
                    rule_id,
                    self.opened["active", rule_id],
                    self.opened["candidate", rule_id],
                    self.only["active", rule_id],
                    self.only["candidate", rule_id],
                )
                for rule_id in rule_ids
            ],
            active=figures["active"],
            candidate=figures["candidate"],
        )


def _band(view: ModelView) -> str:
    return view.band_at_end or "none"
