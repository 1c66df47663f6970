"""The backtest's pure parts: the alerts score rules open over a replayed trajectory, and
the figures added up over accounts, as text and JSON."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from pulse.alerts.rules.loading import default_rules
from pulse.devtools.backtest.accounts import AccountBacktest, Mismatch, ModelView, Window
from pulse.devtools.backtest.score_alerts import OpenedAlert, opened_alerts, score_rulebook
from pulse.devtools.backtest.summary import SHOWN_MISMATCHES, Tally
from pulse.devtools.backtest.text import render_text, report_to_json
from pulse.devtools.model_check.observations import Observation, Outcome
from pulse.devtools.model_check.report import Period
from pulse.health.backtest.replay import ScoreChange

START = datetime(2026, 9, 1, tzinfo=UTC)
WINDOW = Window(START, START + timedelta(days=30), timedelta(days=10))
RULES = score_rulebook(default_rules().rules)


def _change(day: int, score: float) -> ScoreChange:
    band = "green" if score >= 70 else "yellow" if score >= 40 else "red"
    return ScoreChange(START + timedelta(days=day), score, band, "low_touch")


def test_only_the_rules_a_score_decides_are_kept() -> None:
    assert sorted(RULES.rules) == ["health_red", "score_drop_20"]


def test_a_fall_to_red_opens_the_band_and_drop_alerts_in_the_window() -> None:
    trajectory = [_change(-20, 80), _change(-10, 75), _change(5, 50), _change(12, 30)]
    opened = opened_alerts("acme", trajectory, RULES, WINDOW.start, WINDOW.end)
    assert [(a.rule_id, a.at) for a in opened] == [
        ("score_drop_20", START + timedelta(days=5)),
        ("health_red", START + timedelta(days=12)),
    ]
    assert "acme: health score fell 30 points in 30 days" in opened[0].reason


def test_alerts_opened_before_the_window_are_not_counted() -> None:
    trajectory = [_change(-20, 80), _change(-5, 30), _change(10, 35)]
    opened = opened_alerts("acme", trajectory, RULES, WINDOW.start, WINDOW.end)
    assert opened == []
    assert opened_alerts("acme", [], RULES, WINDOW.start, WINDOW.end) == []


def _view(band: str, alerts: list[str], score: float | None, churned: bool) -> ModelView:
    outcome = Outcome("acme", START + timedelta(days=20), churned)
    return ModelView(
        band_at_end=band,
        band_changes=1,
        ever_red=band == "red",
        alerts=[OpenedAlert(rule, START, "why") for rule in alerts],
        observation=Observation(outcome, score, band if score is not None else None),
    )


def _mismatch(n: int) -> Mismatch:
    return Mismatch("acme", START + timedelta(hours=n), (50.0, "yellow"), (51.0, "yellow"), True)


def test_the_tally_compares_the_models_account_by_account() -> None:
    tally = Tally()
    tally.add(
        AccountBacktest(
            "a1",
            _view("green", [], 80, False),
            _view("yellow", ["score_drop_20"], 60, False),
            compared=10,
        )
    )
    tally.add(
        AccountBacktest(
            "a2",
            _view("red", ["health_red"], 20, True),
            _view("red", ["health_red", "score_drop_20"], 15, True),
            compared=5,
            mismatches=[_mismatch(n) for n in range(SHOWN_MISMATCHES + 2)],
            before_archive=3,
        )
    )
    report = tally.report(
        Period(date(2026, 9, 1), date(2026, 9, 30), 10),
        WINDOW,
        START - timedelta(days=11),
        ("the shipped default rules", ["health_red", "score_drop_20"]),
        ("old.1", "new.1"),
        {"green": 0.95, "yellow": 0.8, "red": 0.5, "unscored": 0.75},
        seed=0,
    )
    assert report.accounts == 2
    assert (report.compared, report.mismatched, report.before_archive) == (15, 12, 3)
    assert len(report.mismatches) == SHOWN_MISMATCHES
    assert report.bands_at_end == {("green", "yellow"): 1, ("red", "red"): 1}
    assert report.changed_band == 1
    alerts = {a.rule_id: a for a in report.alerts}
    assert (alerts["health_red"].active, alerts["health_red"].candidate) == (1, 1)
    drop = alerts["score_drop_20"]
    assert (drop.active, drop.candidate, drop.accounts_only_candidate) == (0, 2, 2)
    assert report.active.accounts_ever_red == report.candidate.accounts_ever_red == 1
    assert report.active.validation.outcomes == 2
    assert report.active.validation.verdict is not None  # 1 churned, 1 kept

    text = render_text(report)
    assert "Backtest of new.1 against the active model old.1" in text
    assert "gives 3 of the 15 scores health stored in the period" in text
    assert "3 stored scores date from before the archive began" in text
    assert "... and 2 more" in text
    assert "accounts whose band differs: 1 (50.0%)" in text
    assert "Too few outcomes to conclude" in text

    body = report_to_json(report)
    assert body["replay_check"] == {
        "compared": 15,
        "exact": 3,
        "before_archive": 3,
        "mismatches": body["replay_check"]["mismatches"],
    }
    assert len(body["replay_check"]["mismatches"]) == SHOWN_MISMATCHES
    assert body["accounts_changing_band"] == 1
    assert body["models"]["candidate"]["version"] == "new.1"
    assert body["period"] == {
        "from": "2026-09-01",
        "to": "2026-09-30",
        "replayed_from": (START - timedelta(days=11)).isoformat(),
    }
