"""The backtest report as a plain-text table for a terminal, and as JSON."""

from __future__ import annotations

from typing import Any

from pulse.devtools.backtest.summary import BANDS, BacktestReport, ModelFigures
from pulse.devtools.model_check.report import report_json


def render_text(report: BacktestReport) -> str:
    """Every figure of the report, one section each."""
    window, active, candidate = report.window, report.active, report.candidate
    last_day = report.active.validation.period.end
    lines = [
        f"Backtest of {candidate.version} against the active model {active.version}",
        f"  period {window.start.date()} to {last_day}; {report.accounts} accounts replayed "
        f"from their archived state at or before {report.replay_from.date()}",
        "",
        *_check(report),
        "",
        "Bands at the end of the period (rows: active model, columns: candidate)",
        f"  {'':<8}" + "".join(f"{band:>8}" for band in BANDS),
    ]
    for before in BANDS:
        counts = [report.bands_at_end.get((before, after), 0) for after in BANDS]
        lines.append(f"  {before:<8}" + "".join(f"{n:>8}" for n in counts))
    share = report.changed_band / report.accounts if report.accounts else 0.0
    lines += [
        f"  accounts whose band differs: {report.changed_band} ({share * 100:.1f}%)",
        "",
        f"  {'':<32}{'active':>10}{'candidate':>11}",
        f"  {'band changes in the period':<32}{active.band_changes:>10}"
        f"{candidate.band_changes:>11}",
        f"  {'accounts red at some point':<32}{active.accounts_ever_red:>10}"
        f"{candidate.accounts_ever_red:>11}",
        "",
        f"Alerts the score rules opened in the period (rules: {report.rules_source})",
        f"  {'rule':<24}{'active':>8}{'candidate':>11}{'accounts only active':>22}"
        f"{'only candidate':>16}",
    ]
    lines += [
        f"  {a.rule_id:<24}{a.active:>8}{a.candidate:>11}{a.accounts_only_active:>22}"
        f"{a.accounts_only_candidate:>16}"
        for a in report.alerts
    ]
    if not report.alerts:
        lines.append("  (no band, score_below or score_drop rule is in force)")
    lines += ["", *_validation(active, candidate)]
    return "\n".join(lines) + "\n"


def _check(report: BacktestReport) -> list[str]:
    exact = report.compared - report.mismatched
    lines = [
        f"Replay check: the active model's replay gives {exact} of the {report.compared} "
        "scores health stored in the period",
        "  exactly (score, band and every component)",
    ]
    if report.before_archive:
        lines.append(
            f"  {report.before_archive} stored scores date from before the archive began: "
            "not compared"
        )
    for m in report.mismatches:
        replayed = "nothing" if m.replayed is None else f"{m.replayed[0]} {m.replayed[1]}"
        differ = " (components differ)" if m.components_differ else ""
        lines.append(
            f"  {m.account_id} at {m.at.isoformat()}: stored {m.stored[0]} {m.stored[1]}, "
            f"replayed {replayed}{differ}"
        )
    if report.mismatched > len(report.mismatches):
        lines.append(f"  ... and {report.mismatched - len(report.mismatches)} more")
    return lines


def _validation(active: ModelFigures, candidate: ModelFigures) -> list[str]:
    period = active.validation.period
    lines = [
        f"Validation: outcomes {period.start} to {period.end}, scores "
        f"{period.horizon_days} days before",
        f"  {'':<28}{'active':>22}{'candidate':>22}",
    ]
    rows: list[tuple[str, str, str]] = [
        ("outcomes (scored)", _scored(active), _scored(candidate)),
        ("AUC (95 % interval)", _auc(active), _auc(candidate)),
        ("lowest-decile lift", _lift(active), _lift(candidate)),
        ("red band precision", _red(active, "precision"), _red(candidate, "precision")),
        ("red band recall", _red(active, "recall"), _red(candidate, "recall")),
    ]
    lines += [f"  {name:<28}{a:>22}{c:>22}" for name, a, c in rows]
    if active.validation.verdict is not None:
        lines.append(f"  {active.validation.verdict.capitalize()}")
    return lines


def _scored(figures: ModelFigures) -> str:
    v = figures.validation
    return f"{v.outcomes} ({v.outcomes - v.unscored})"


def _auc(figures: ModelFigures) -> str:
    auc = figures.validation.auc
    return "-" if auc is None else f"{auc.value:.3f} ({auc.low:.3f}-{auc.high:.3f})"


def _lift(figures: ModelFigures) -> str:
    lift = figures.validation.lowest_decile_lift
    return "-" if lift is None else f"{lift:.2f}"


def _red(figures: ModelFigures, which: str) -> str:
    red = figures.validation.red_band
    value = None if red is None else getattr(red, which)
    return "-" if value is None else f"{value * 100:.1f}%"


def report_to_json(report: BacktestReport) -> dict[str, Any]:
    """The report as JSON-ready values."""
    return {
        "period": {
            "from": report.window.start.date().isoformat(),
            "to": report.active.validation.period.end.isoformat(),
            "replayed_from": report.replay_from.isoformat(),
        },
        "accounts": report.accounts,
        "replay_check": {
            "compared": report.compared,
            "exact": report.compared - report.mismatched,
            "before_archive": report.before_archive,
            "mismatches": [
                {
                    "account_id": m.account_id,
                    "at": m.at.isoformat(),
                    "stored": list(m.stored),
                    "replayed": None if m.replayed is None else list(m.replayed),
                    "components_differ": m.components_differ,
                }
                for m in report.mismatches
            ],
        },
        "bands_at_end": [
            {"active": before, "candidate": after, "accounts": n}
            for (before, after), n in sorted(report.bands_at_end.items())
        ],
        "accounts_changing_band": report.changed_band,
        "rules_source": report.rules_source,
        "alerts": [
            {
                "rule_id": a.rule_id,
                "active": a.active,
                "candidate": a.candidate,
                "accounts_only_active": a.accounts_only_active,
                "accounts_only_candidate": a.accounts_only_candidate,
            }
            for a in report.alerts
        ],
        "models": {
            name: {
                "version": figures.version,
                "band_changes": figures.band_changes,
                "accounts_ever_red": figures.accounts_ever_red,
                "validation": report_json(figures.validation),
            }
            for name, figures in (("active", report.active), ("candidate", report.candidate))
        },
    }
