"""`pulse model validate` and `calibrate` end to end on real PostgreSQL: health's and
renewals' migrations applied, rows written by the services' own storage code."""

from __future__ import annotations

import asyncio
import json
import random
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from pulse.common.db.bulk import json_text
from pulse.common.db.engine import create_engine, create_session_factory
from pulse.common.db.migrations import upgrade_to_head
from pulse.common.events.enums import ContractChange, ContractReasonCategory
from pulse.common.settings import Settings
from pulse.devtools.embedded import create_database, drop_database
from pulse.devtools.testing.commands import run_pulse
from pulse.devtools.testing.plugin import settings_for_tests
from pulse.health import app as health_app
from pulse.health.scoring.model import default_model, load_model
from pulse.health.storage.score_writes import add_history
from pulse.renewals import app as renewals_app
from pulse.renewals.book.account_book import AccountBook
from pulse.renewals.contracts.changes import ContractEvent
from pulse.renewals.money.amounts import Amount
from pulse.renewals.storage.books import save_books

pytestmark = pytest.mark.integration
FIRST_OUTCOME = datetime(2026, 9, 1, 12, tzinfo=UTC)
CALIBRATION_OUTCOME = datetime(2026, 11, 1, tzinfo=UTC)
ONE, NONE = Amount(10_000, "USD"), Amount(0, "USD")


def _band(score: float) -> str:
    return "green" if score >= 70 else "yellow" if score >= 40 else "red"


def _components(score: float) -> str:
    return json_text(
        [
            {"measure": "adoption", "group": "usage", "value": 1.0, "score": score},
            {"measure": "tickets", "group": "support", "value": None, "score": None},
        ]
    )


def _base() -> list[tuple[str, bool, float | None]]:
    """(account, churned, score 90 days before). 39 red churners, one green churner
    (95), 40 kept scoring 50-89, and a kept account never scored."""
    accounts: list[tuple[str, bool, float | None]] = [
        (f"churn{i:02}", True, 20 + i * 0.5) for i in range(39)
    ]
    accounts.append(("churn39", True, 95.0))
    accounts += [(f"kept{i:02}", False, 50.0 + i) for i in range(40)]
    accounts.append(("never_scored", False, None))
    return accounts


async def _write(settings: Settings) -> None:
    books, history = [], []
    for index, (account_id, churned, score) in enumerate(_base()):
        outcome_at = FIRST_OUTCOME + timedelta(days=index % 20)
        book = AccountBook(account_id, 0)
        start = outcome_at - timedelta(days=365)
        book.contracts.apply(ContractEvent("n", start, ContractChange.NEW, Amount(10_000, "USD")))
        change = ContractChange.CHURN if churned else ContractChange.RENEWAL
        reason = ContractReasonCategory.ADOPTION if churned else None
        arr = Amount(0 if churned else 10_000, "USD")
        book.contracts.apply(ContractEvent("o", outcome_at, change, arr, reason))
        books.append((account_id, 0, book.snapshot(), outcome_at.date()))
        if score is None:
            continue
        # The point in force 90 days before the outcome, and a later, opposite one.
        for at, value in (
            (outcome_at - timedelta(days=120), score),
            (outcome_at - timedelta(days=30), 100 - score),
        ):
            history.append(
                {
                    "account_id": account_id,
                    "at": at,
                    "score": value,
                    "band": _band(value),
                    "model_version": "test-model.1",
                    "components": _components(value),
                }
            )
    # An outcome outside the period: not counted.
    late = AccountBook("late", 0)
    late.contracts.apply(ContractEvent("n", FIRST_OUTCOME, ContractChange.NEW, Amount(1, "USD")))
    late.contracts.apply(
        ContractEvent("c", datetime(2027, 1, 5, tzinfo=UTC), ContractChange.CHURN, Amount(0, "USD"))
    )
    books.append(("late", 0, late.snapshot(), date(2027, 1, 5)))
    _add_calibration_base(books, history)
    engine = create_engine(settings, schema=renewals_app.SCHEMA)
    try:
        async with create_session_factory(engine)() as session, session.begin():
            await save_books(session, books)
    finally:
        await engine.dispose()
    engine = create_engine(settings, schema=health_app.SCHEMA)
    try:
        async with create_session_factory(engine)() as session, session.begin():
            await add_history(session, history)
    finally:
        await engine.dispose()


def _add_calibration_base(books: list[Any], history: list[dict[str, Any]]) -> None:
    """240 outcomes in November: churn follows the usage group, the stored score follows
    support (noise), so the stored model ranks poorly and calibration can do better."""
    rng = random.Random(11)
    for i in range(240):
        account_id = f"cal{i:03}"
        outcome_at = CALIBRATION_OUTCOME + timedelta(hours=i)
        usage, support = rng.uniform(0, 100), rng.uniform(0, 100)
        churned = usage + rng.gauss(0, 15) < 45
        book = AccountBook(account_id, 0)
        book.contracts.apply(
            ContractEvent("n", outcome_at - timedelta(days=365), ContractChange.NEW, ONE)
        )
        change = ContractChange.CHURN if churned else ContractChange.RENEWAL
        book.contracts.apply(ContractEvent("o", outcome_at, change, NONE if churned else ONE))
        books.append((account_id, 0, book.snapshot(), outcome_at.date()))
        components = [
            {"measure": "active_user_ratio", "group": "usage", "value": 0.5, "score": usage},
            {"measure": "tickets_opened_30d", "group": "support", "value": 1, "score": support},
        ]
        history.append(
            {
                "account_id": account_id,
                "at": outcome_at - timedelta(days=100),
                "score": support,
                "band": _band(support),
                "model_version": "test-model.1",
                "components": json_text(components),
            }
        )


@pytest.fixture(scope="module")
def stored(pulse_database_url: str) -> Settings:
    settings = settings_for_tests("127.0.0.1:9", pulse_database_url, "unused")
    for module in (health_app, renewals_app):
        upgrade_to_head(settings, schema=module.SCHEMA, migrations_dir=module.MIGRATIONS_DIR)
    asyncio.run(_write(settings))
    return settings


def test_validate_reports_the_figures(
    stored: Settings,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    plot = tmp_path / "report.png"
    period = ["--from", "2026-09-01", "--to", "2026-09-30", "--horizon", "90d"]
    assert (
        run_pulse(
            ["model", "validate", *period, "--json", "--plot", str(plot)], monkeypatch, stored
        )
        == 0
    )
    body: dict[str, Any] = json.loads(capsys.readouterr().out)
    assert body["outcomes"] == 81
    assert body["unscored"] == 1
    assert body["sufficiency"] == {"churned": 40, "kept": 40, "enough": True}
    # 39 churners rank above all 40 kept, the one scoring 95 below all: 39*40 / (40*40).
    assert body["auc"]["value"] == pytest.approx(0.975)
    assert body["auc"]["low"] <= 0.975 <= body["auc"]["high"]
    # The 8 lowest of 80 all churned; half of all churned.
    assert body["lowest_decile_lift"] == pytest.approx(2.0)
    assert body["red_band"] == {"precision": 1.0, "recall": pytest.approx(39 / 40)}
    bands = {b["name"]: (b["accounts"], b["churned"]) for b in body["bands"]}
    assert bands == {"green": (21, 1), "yellow": (20, 0), "red": (39, 39), "unscored": (1, 0)}
    calibration = {c["band"]: (c["predicted"], c["observed"]) for c in body["calibration"]}
    assert calibration["green"] == (0.95, pytest.approx(20 / 21))
    assert calibration["red"] == (0.5, 0.0)
    assert calibration["unscored"] == (0.75, 1.0)
    measures = {m["measure"]: m["auc"] for m in body["measures"]}
    assert measures == {"adoption": pytest.approx(0.975), "tickets": None}
    assert body["model_versions"] == ["test-model.1"]
    assert plot.read_bytes().startswith(b"\x89PNG")

    assert run_pulse(["model", "validate", *period], monkeypatch, stored) == 0
    text = capsys.readouterr().out
    assert "AUC of (100 - score) for churn  0.975" in text


def test_validate_says_when_there_are_too_few_outcomes(
    stored: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    period = ["--from", "2026-09-01", "--to", "2026-09-02"]
    assert run_pulse(["model", "validate", *period], monkeypatch, stored) == 0
    text = capsys.readouterr().out
    assert "Too few outcomes to conclude: 4 churned and 4 kept" in text
    assert "AUC" not in text


def test_calibrate_refuses_periods_with_too_few_outcomes(
    stored: Settings,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    out = tmp_path / "model.yaml"
    argv = ["model", "calibrate", "--from", "2026-09-01", "--to", "2026-09-30", "--out", str(out)]
    assert run_pulse(argv, monkeypatch, stored) == 1
    assert "earlier (training) period: too few outcomes to conclude" in capsys.readouterr().err
    assert not out.exists()


def test_calibrate_writes_a_new_model_version_that_health_loads(
    stored: Settings,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    out = tmp_path / "model.yaml"
    period = ["--from", "2026-11-01", "--to", "2026-11-30", "--horizon", "90d"]
    assert (
        run_pulse(["model", "calibrate", *period, "--out", str(out), "--json"], monkeypatch, stored)
        == 0
    )
    body = json.loads(capsys.readouterr().out)
    assert (body["trained_on"], body["held_out"]) == (168, 72)
    assert body["new_auc"]["value"] > body["old_auc"]["value"] + 0.2
    weights = {group: w["new"] for group, w in body["weights"].items()}
    assert max(weights, key=weights.__getitem__) == "usage"
    model = load_model(out.read_text())
    # No model stored in health: the shipped default is the one calibrated.
    assert model.version == f"{default_model().version}+cal.2026-11-30"
    assert body["new_version"] == model.version
    assert model.groups["usage"].weight == pytest.approx(weights["usage"], abs=1e-4)


def test_a_database_without_the_services_tables_is_named(
    pulse_postgres_server_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # A database of its own, reachable, where no migrations ran.
    name = f"pulse_t_{uuid.uuid4().hex[:12]}"
    empty = settings_for_tests(
        "127.0.0.1:9", create_database(pulse_postgres_server_url, name), "unused"
    )
    try:
        argv = ["model", "validate", "--from", "2026-09-01", "--to", "2026-09-30"]
        assert run_pulse(argv, monkeypatch, empty) == 1
    finally:
        drop_database(pulse_postgres_server_url, name)
    error = capsys.readouterr().err
    assert "pulse model validate: cannot read health's and renewals' tables" in error
    assert "migrations ran in that database" in error
