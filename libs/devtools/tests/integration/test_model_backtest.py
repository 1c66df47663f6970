"""`pulse model backtest` end to end on real PostgreSQL: health's own keeper scores a
simulated base day by day (with a restart and a backlog that defers re-scores on the way),
renewals' books hold the contract outcomes, and the backtest replays health's archive.
The active model's replay must give every stored score exactly."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiokafka import TopicPartition
from sqlalchemy import text

from pulse.common.db.engine import create_engine, create_session_factory
from pulse.common.db.migrations import upgrade_to_head
from pulse.common.events import AccountUpdated, ContractChanged, validate_event
from pulse.common.kafka.records import ConsumedMessage, Record
from pulse.common.settings import Settings
from pulse.common.topics import Topics
from pulse.devtools.simulation.simulation import Simulation, SimulationConfig
from pulse.devtools.testing.commands import run_pulse
from pulse.devtools.testing.plugin import settings_for_tests
from pulse.health import app as health_app
from pulse.health.keeping.deferral import RescoreDeferral
from pulse.health.keeping.keeper import ScoreKeeper
from pulse.health.keeping.rescoring import ARCHIVED_STATE_EVERY_DAYS
from pulse.health.messages import Incoming
from pulse.health.scoring.model import default_model, default_model_text
from pulse.renewals import app as renewals_app
from pulse.renewals.book.account_book import AccountBook
from pulse.renewals.storage.books import save_books

pytestmark = pytest.mark.integration

START = date(2026, 6, 1)
DAYS = 70
ACCOUNTS = 30
RESTART_DAY = 25
#: Days whose batches arrive under a backlog: their re-scores are deferred.
BACKLOG_DAYS = range(40, 43)
PERIOD = ["--from", "2026-07-01", "--to", "2026-08-09", "--horizon", "30d"]


class Clock:
    """The keeper's clock, moved by the test."""

    def __init__(self) -> None:
        self.now = datetime.combine(START, datetime.min.time(), UTC)

    def __call__(self) -> datetime:
        return self.now


def _batches(day: date, events: list[dict[str, Any]]) -> Iterator[tuple[datetime, list[Any]]]:
    """The day's events in four batches of six hours, each handled at its block's end."""
    midnight = datetime.combine(day, datetime.min.time(), UTC)
    validated = sorted((validate_event(raw) for raw in events), key=lambda e: e.occurred_at)
    for block in range(4):
        end = midnight + timedelta(hours=6 * (block + 1))
        begin = end - timedelta(hours=6)
        yield end, [e for e in validated if begin <= e.occurred_at < end]


async def _score_the_base(settings: Settings) -> None:
    clock, backlog = Clock(), [0]
    engine = create_engine(settings, schema=health_app.SCHEMA)
    sessions = create_session_factory(engine)
    partitions = {TopicPartition("t", 0)}

    def keeper() -> ScoreKeeper:
        deferral = RescoreDeferral(backlog=lambda: backlog[0], min_backlog=1, defer_s=3600)
        return ScoreKeeper(
            model=default_model(),
            topics=Topics("t"),
            clock=clock,
            write_chunk=7,
            deferral=deferral,
        )

    scoring = keeper()
    books: dict[str, AccountBook] = {}
    offset = 0
    simulation = Simulation(SimulationConfig(3, ACCOUNTS, DAYS, START, usd_only=True))
    try:
        async with sessions.begin() as session:
            await scoring.on_assigned(session, partitions)
        for simulated in simulation.days():
            if simulated.day == RESTART_DAY:  # a new process loads what the last committed
                scoring = keeper()
                async with sessions.begin() as session:
                    await scoring.on_assigned(session, partitions)
            backlog[0] = 10_000 if simulated.day in BACKLOG_DAYS else 0
            midnight = datetime.combine(simulated.date, datetime.min.time(), UTC)
            clock.now = midnight + timedelta(minutes=3)  # the ticker runs a little late
            async with sessions.begin() as session:
                await scoring.tick(session)
            for handled_at, events in _batches(simulated.date, simulated.events):
                clock.now = handled_at
                records: list[Record[Incoming]] = []
                for event in events:
                    records.append(
                        Record(ConsumedMessage("t", 0, offset, None, None, 0, ()), event)
                    )
                    offset += 1
                    _keep_book(books, event)
                async with sessions.begin() as session:
                    await scoring.handle(session, records)
    finally:
        await engine.dispose()
    engine = create_engine(settings, schema=renewals_app.SCHEMA)
    try:
        async with create_session_factory(engine).begin() as session:
            await save_books(session, [(a, 0, book.snapshot(), START) for a, book in books.items()])
    finally:
        await engine.dispose()


def _keep_book(books: dict[str, AccountBook], event: Incoming) -> None:
    """Renewals' book of the event's account, as the renewals service keeps it."""
    if isinstance(event, AccountUpdated | ContractChanged):
        book = books.setdefault(event.account_id, AccountBook(event.account_id, 0))
        if isinstance(event, AccountUpdated):
            book.apply_update(event.id, event.occurred_at, event.data)
        else:
            book.apply_contract(event)


@pytest.fixture(scope="module")
def scored(pulse_database_url: str) -> Settings:
    settings = settings_for_tests("127.0.0.1:9", pulse_database_url, "unused")
    for module in (health_app, renewals_app):
        upgrade_to_head(settings, schema=module.SCHEMA, migrations_dir=module.MIGRATIONS_DIR)
    asyncio.run(_score_the_base(settings))
    return settings


@pytest.fixture
def same(tmp_path: Path) -> Path:
    """The active model (the shipped default) as a candidate."""
    path = tmp_path / "same.yaml"
    path.write_text(default_model_text())
    return path


def _backtest(
    model: Path, monkeypatch: pytest.MonkeyPatch, settings: Settings, capsys: Any
) -> dict[str, Any]:
    argv = ["model", "backtest", "--model", str(model), *PERIOD, "--json"]
    assert run_pulse(argv, monkeypatch, settings) == 0
    body: dict[str, Any] = json.loads(capsys.readouterr().out)
    return body


def test_the_active_models_replay_gives_every_stored_score_exactly(
    scored: Settings,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    same: Path,
) -> None:
    body = _backtest(same, monkeypatch, scored, capsys)
    check = body["replay_check"]
    assert body["accounts"] == ACCOUNTS
    # Several points per account-day: event re-scores, daily and time-driven ones.
    assert check["compared"] > ACCOUNTS * 40
    assert check["mismatches"] == []
    assert check["exact"] == check["compared"]
    assert check["before_archive"] == 0
    assert body["accounts_changing_band"] == 0
    assert all(row["active"] == row["candidate"] for row in body["bands_at_end"])
    assert {a["rule_id"] for a in body["alerts"]} == {"health_red", "score_drop_20"}
    for alerts in body["alerts"]:
        assert alerts["active"] == alerts["candidate"]
        assert alerts["accounts_only_active"] == alerts["accounts_only_candidate"] == 0
    models = body["models"]
    assert models["active"]["validation"] == models["candidate"]["validation"]
    assert models["active"]["validation"]["outcomes"] > 0


def test_a_candidate_model_changes_bands_and_alerts(
    scored: Settings,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    # Stricter bands: accounts fall to yellow and red, and the red band rule fires more.
    candidate = tmp_path / "strict.yaml"
    text = default_model_text().replace(default_model().version, "strict.1")
    text = text.replace("green: 70", "green: 95").replace("yellow: 40", "yellow: 85")
    candidate.write_text(text)
    body = _backtest(candidate, monkeypatch, scored, capsys)
    assert body["replay_check"]["exact"] == body["replay_check"]["compared"]
    assert body["models"]["candidate"]["version"] == "strict.1"
    assert body["accounts_changing_band"] > 0
    worse = {"green": 0, "yellow": 1, "red": 2, "none": -1}
    for row in body["bands_at_end"]:
        assert worse[row["candidate"]] >= worse[row["active"]]
    red = next(a for a in body["alerts"] if a["rule_id"] == "health_red")
    assert red["candidate"] > red["active"]
    assert red["accounts_only_candidate"] > 0
    models = body["models"]
    assert models["candidate"]["accounts_ever_red"] > models["active"]["accounts_ever_red"]

    argv = ["model", "backtest", "--model", str(candidate), *PERIOD]
    assert run_pulse(argv, monkeypatch, scored) == 0
    out = capsys.readouterr().out
    compared = body["replay_check"]["compared"]
    assert f"gives {compared} of the {compared} scores health stored in the period" in out
    assert "Backtest of strict.1 against the active model" in out


def test_an_unusable_candidate_model_is_refused_with_its_problems(
    scored: Settings,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(default_model_text().replace("green: 70", "green: lots"))
    argv = ["model", "backtest", "--model", str(broken), *PERIOD]
    assert run_pulse(argv, monkeypatch, scored) == 2
    error = capsys.readouterr().err
    assert f"{broken} is not a usable model" in error
    assert "bands.green" in error
    argv = ["model", "backtest", "--model", str(tmp_path / "missing.yaml"), *PERIOD]
    assert run_pulse(argv, monkeypatch, scored) == 2
    assert "cannot read" in capsys.readouterr().err


def test_a_period_before_the_archive_says_there_is_nothing_to_replay(
    scored: Settings,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    same: Path,
) -> None:
    argv = ["model", "backtest", "--model", str(same), "--from", "2025-01-01", "--to", "2025-02-01"]
    assert run_pulse(argv, monkeypatch, scored) == 1
    assert "archive holds no step before 2025-02-01" in capsys.readouterr().err


def test_the_archive_keeps_a_state_a_week_per_account(scored: Settings) -> None:
    async def count() -> list[tuple[str, int, int]]:
        engine = create_engine(scored, schema=health_app.SCHEMA)
        try:
            async with engine.connect() as connection:
                rows = await connection.execute(
                    text(
                        "SELECT account_id, count(*) FILTER (WHERE state IS NOT NULL), "
                        "count(*) FROM archived_steps GROUP BY account_id"
                    )
                )
                return [(a, states, steps) for a, states, steps in rows]
        finally:
            await engine.dispose()

    counted = asyncio.run(count())
    assert len(counted) == ACCOUNTS
    for _, states, steps in counted:
        # One a week, and one more from the process that took over after the restart.
        assert 1 <= states <= DAYS // ARCHIVED_STATE_EVERY_DAYS + 2
        assert steps > DAYS  # a step per batch that touched it, and its daily re-scores
