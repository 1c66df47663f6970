"""The validation report as a plain-text table for a terminal."""

from __future__ import annotations

from pulse.devtools.model_check.report import ValidationReport


def render_text(report: ValidationReport) -> str:
    """Every figure of the report, one section each."""
    period = report.period
    lines = [
        f"Outcomes {period.start} to {period.end}, scores {period.horizon_days} days before",
        f"  {report.outcomes} outcomes: {report.sufficiency.churned} churned and "
        f"{report.sufficiency.kept} kept among the scored; {report.unscored} unscored then",
    ]
    if report.model_versions:
        lines.append(f"  model versions: {', '.join(report.model_versions)}")
    if report.verdict is not None:
        lines.append("")
        lines.append(report.verdict.capitalize())
    else:
        lines += _ranking(report)
    lines += ["", "Churn rate per band", f"  {'band':<10}{'accounts':>9}{'churned':>9}{'rate':>8}"]
    lines += [f"  {r.name:<10}{r.accounts:>9}{r.churned:>9}{_pct(r.rate):>8}" for r in report.bands]
    lines += [
        "",
        "Renewal probability per band (renewals' forecast) against what renewed",
        f"  {'band':<10}{'predicted':>10}{'observed':>10}{'accounts':>9}",
    ]
    lines += [
        f"  {c.band:<10}{_pct(c.predicted):>10}{_pct(c.observed):>10}{c.accounts:>9}"
        for c in report.calibration
    ]
    return "\n".join(lines) + "\n"


def _ranking(report: ValidationReport) -> list[str]:
    assert report.auc is not None
    assert report.red_band is not None
    lines = [
        "",
        f"AUC of (100 - score) for churn  {report.auc.value:.3f}  "
        f"(95 % interval {report.auc.low:.3f} to {report.auc.high:.3f}; 0.5 = a coin)",
        f"Lift of the lowest score decile {_num(report.lowest_decile_lift)}",
        f"Red band as a churn alarm       precision {_pct(report.red_band.precision)}, "
        f"recall {_pct(report.red_band.recall)}",
        "",
        "Churn rate per score decile (D1: lowest scores)",
        f"  {'decile':<8}{'scores':>14}{'accounts':>9}{'churned':>9}{'rate':>8}",
    ]
    for d in report.deciles:
        span = f"{_num(d.low, 1)}-{_num(d.high, 1)}"
        lines.append(f"  {d.name:<8}{span:>14}{d.accounts:>9}{d.churned:>9}{_pct(d.rate):>8}")
    lines += ["", "Each measure's own AUC (over the accounts where it had a score)"]
    for m in sorted(report.measures, key=lambda m: -(m.auc or 0)):
        figure = _num(m.auc) if m.auc is not None else "too few outcomes"
        lines.append(f"  {m.measure:<28}{m.group:<16}{m.accounts:>7}  {figure}")
    strong = _strong_pairs(report)
    if strong:
        lines += ["", "Measures that move together (|correlation| >= 0.7)"]
        lines += [f"  {a} ~ {b}: {value:+.2f}" for a, b, value in strong]
    return lines


def _strong_pairs(report: ValidationReport) -> list[tuple[str, str, float]]:
    names = list(report.correlations)
    pairs = []
    for i, first in enumerate(names):
        for second in names[i + 1 :]:
            value = report.correlations[first][second]
            if value is not None and abs(value) >= 0.7:
                pairs.append((first, second, value))
    return pairs


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"


def _num(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"
