"""One account's re-score: score its state at a moment, and add what that says to a chunk
of writes (the score row, a history point when it moved, a `pulse.health.scores` event
when it changed), remembering it on the cached account."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

from pulse.common.db.bulk import json_text
from pulse.health import metrics
from pulse.health.keeping.cache import CachedAccount
from pulse.health.keeping.rows import (
    HISTORY_MIN_MOVE,
    ChunkWrites,
    history_point,
    score_message,
    score_row,
)
from pulse.health.scoring.days import day_of, midnight
from pulse.health.scoring.measured import MeasureResults
from pulse.health.scoring.model import ScoringModel
from pulse.health.scoring.score import score_account


@dataclass(frozen=True)
class Moment:
    """The time a round of re-scores scores at, in the forms each re-score needs."""

    now: datetime
    cause: str  # "event" or "time"

    @cached_property
    def day(self) -> int:
        return day_of(self.now)

    @cached_property
    def iso_day(self) -> str:
        return self.now.date().isoformat()

    @cached_property
    def tomorrow(self) -> datetime:
        return midnight(self.day + 1)


def rescore(
    model: ScoringModel,
    scores_topic: str,
    account: CachedAccount,
    moment: Moment,
    writes: ChunkWrites,
) -> MeasureResults:
    """Score the account at `moment` into `writes`; its measure results (for scheduling)."""
    now, today = moment.now, moment.iso_day
    state, results = account.state, account.measure_results(keep=moment.cause == "event")
    if state.prune(now):
        results.forget()
    measured = results.measure(model, state, moment.day)
    result = score_account(model, state, now, measured)
    components = json_text(result.components)  # once, for the score and history
    previous_score, previous_band = account.score, account.band
    writes.scores.append(score_row(account, result, components, now))
    moved = (
        account.history_score is None
        or abs(result.score - account.history_score) >= HISTORY_MIN_MOVE
    )
    if moved or result.band != previous_band or account.history_day != today:
        writes.history.append(history_point(account.account_id, result, components, now))
        account.history_score, account.history_day = result.score, today
    if previous_band is not None and result.band != previous_band:
        metrics.BAND_CHANGES.labels(result.band).inc()
    if result.score != previous_score or result.band != previous_band:
        writes.outbox.append(
            score_message(scores_topic, account, result, previous_score, previous_band, now)
        )
    account.score, account.band = result.score, result.band
    account.model_version = result.model_version
    return results
