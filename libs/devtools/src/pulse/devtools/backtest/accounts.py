"""One account's backtest: its archived steps replayed with the active and the candidate
model, the stored scores checked against the active replay, and what each model says in
the period (bands, alerts, the score before the account's outcome). Pure: the caller
reads the archive, the stored history and the outcomes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any

import orjson

from pulse.alerts.evaluation.rulebook import Rulebook
from pulse.common.db.bulk import json_text
from pulse.devtools.backtest.score_alerts import OpenedAlert, opened_alerts
from pulse.devtools.model_check.observations import Observation, Outcome, components_of
from pulse.health.backtest.replay import Replay, replay_models
from pulse.health.scoring.model import ScoringModel
from pulse.health.scoring.score import AccountScore
from pulse.health.storage.step_archive import ArchivedStep


@dataclass(frozen=True, slots=True)
class Window:
    """The period reported, [start, end), and how long before an outcome its score is
    taken for validation."""

    start: datetime
    end: datetime
    horizon: timedelta


@dataclass(frozen=True, slots=True)
class StoredPoint:
    """A `score_history` row: what health stored when it scored the account."""

    at: datetime
    score: float
    band: str
    model_version: str
    components: list[dict[str, Any]]


@dataclass(frozen=True, slots=True)
class Mismatch:
    """A stored score the active model's replay did not give."""

    account_id: str
    at: datetime
    stored: tuple[float, str]
    replayed: tuple[float, str] | None
    components_differ: bool


@dataclass(frozen=True, slots=True)
class ModelView:
    """What one model says of the account in the period."""

    band_at_end: str | None
    band_changes: int
    ever_red: bool
    alerts: list[OpenedAlert]
    observation: Observation | None


@dataclass(frozen=True, slots=True)
class AccountBacktest:
    """Both models' views of one account, and the check of its stored scores."""

    account_id: str
    active: ModelView
    candidate: ModelView
    #: Stored scores of the active model in the period compared with its replay.
    compared: int
    mismatches: list[Mismatch] = field(default_factory=list)
    #: Stored scores in the period from before the archive began (not comparable).
    before_archive: int = 0


def backtest_account(
    account_id: str,
    steps: Sequence[ArchivedStep],
    *,
    active: ScoringModel,
    candidate: ScoringModel,
    window: Window,
    stored: Sequence[StoredPoint],
    outcome: Outcome | None,
    rulebook: Rulebook,
) -> AccountBacktest:
    """Replay `steps` with both models and compare (see the module docstring)."""
    archived_from = steps[0].at
    in_period = [p for p in stored if window.start <= p.at < window.end]
    checked = [p for p in in_period if p.model_version == active.version]
    comparable = [p for p in checked if p.at >= archived_from]
    probe = [] if outcome is None else [outcome.at - window.horizon]
    active_replay, candidate_replay = replay_models(
        [(active, [*(p.at for p in comparable), *probe]), (candidate, probe)], steps, window.end
    )
    mismatches = [
        m for p in comparable if (m := _mismatch(account_id, p, active_replay)) is not None
    ]
    return AccountBacktest(
        account_id,
        _view(account_id, active_replay, window, rulebook, outcome),
        _view(account_id, candidate_replay, window, rulebook, outcome),
        compared=len(comparable),
        mismatches=mismatches,
        before_archive=len(checked) - len(comparable),
    )


def _mismatch(account_id: str, point: StoredPoint, replay: Replay) -> Mismatch | None:
    """None when the replay scored exactly the stored point at its moment (one of the
    scores there, when steps share the instant: history keeps the first of a moment's
    scores unless a later one moves a point or more)."""
    for scored in replay.exactly_at.get(point.at, []):
        same = (scored.score, scored.band) == (point.score, point.band)
        if same and _components(scored) == point.components:
            return None
    replayed = replay.as_of.get(point.at)
    if replayed is None:
        return Mismatch(account_id, point.at, (point.score, point.band), None, True)
    return Mismatch(
        account_id,
        point.at,
        (point.score, point.band),
        (replayed.score, replayed.band),
        _components(replayed) != point.components,
    )


def _components(score: AccountScore) -> list[dict[str, Any]]:
    """The components as stored (the same JSON health writes)."""
    found: list[dict[str, Any]] = orjson.loads(json_text(score.components))
    return found


def _view(
    account_id: str,
    replay: Replay,
    window: Window,
    rulebook: Rulebook,
    outcome: Outcome | None,
) -> ModelView:
    at_start = replay.score_at(window.start)
    bands = [at_start.band] if at_start is not None else []
    bands += [c.band for c in replay.changes if window.start <= c.at < window.end]
    at_end = replay.score_at(window.end)
    observation = None
    if outcome is not None:
        scored = replay.as_of.get(outcome.at - window.horizon)
        observation = (
            Observation(outcome, None, None)
            if scored is None
            else Observation(outcome, scored.score, scored.band, components_of(_components(scored)))
        )
    return ModelView(
        band_at_end=None if at_end is None else at_end.band,
        band_changes=sum(1 for before, after in pairwise(bands) if before != after),
        ever_red="red" in bands,
        alerts=opened_alerts(account_id, replay.changes, rulebook, window.start, window.end),
        observation=observation,
    )
