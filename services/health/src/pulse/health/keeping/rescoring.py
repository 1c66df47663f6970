"""One account's re-score, whole: score its state at a round's moment; add to a chunk of
writes the score row, a history point when it moved, a `pulse.health.scores` event when
it changed, and its state (a change, or a new snapshot); queue it for when its score can
next change with no new event; and mark it the most recently used."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any

import orjson

from pulse.common.db.bulk import json_text
from pulse.common.kafka.producer import OutgoingMessage
from pulse.health import metrics
from pulse.health.keeping import changes
from pulse.health.keeping.cache import AccountCache, CachedAccount
from pulse.health.keeping.chunk_writes import ChunkWrites
from pulse.health.keeping.due import DueQueue
from pulse.health.scoring.days import day_of, midnight
from pulse.health.scoring.measured import MeasureResults
from pulse.health.scoring.model import ScoringModel
from pulse.health.scoring.score import AccountScore, drivers, score_account

#: Moves smaller than this since the last history point add none (unless the band changes).
HISTORY_MIN_MOVE = 1.0
#: Drivers carried by each `pulse.health.scores` event (the API lists more per horizon).
MESSAGE_DRIVERS = 3
#: Days between the states an account's steps carry in the archive. A replay starts from
#: the latest at or before its start, so it replays at most a week more; a state with
#: every snapshot (every other batch, for a busy account) made states a third of the
#: archive's rows and most of its bytes.
ARCHIVED_STATE_EVERY_DAYS = 7


@dataclass(frozen=True)
class RescoreRound:
    """What every re-score of one round shares: the model, where scores go, the owned
    accounts and their due queue, and the moment scored at, in the forms each needs."""

    model: ScoringModel
    scores_topic: str
    cache: AccountCache
    due: DueQueue
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


def rescore_account(
    round_: RescoreRound, account: CachedAccount, inputs: list[bytes], writes: ChunkWrites
) -> None:
    """Re-score the account at the round's moment into `writes`; `inputs`: what this round
    applied to it (see `changes`), stored with its state."""
    results = _score(round_, account, writes)
    _schedule(round_, account, results)
    add_state(account, round_.now, inputs, True, writes)
    round_.cache.used(account)


def _score(round_: RescoreRound, account: CachedAccount, writes: ChunkWrites) -> MeasureResults:
    """Score the account into `writes`, remembering what it says on the account; its
    measure results (for scheduling)."""
    now, today = round_.now, round_.iso_day
    state, results = account.state, account.measure_results(keep=round_.cause == "event")
    if state.prune(now):
        results.forget()
    measured = results.measure(round_.model, state, round_.day)
    result = score_account(round_.model, state, now, measured)
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
        message = score_message(
            round_.scores_topic, account, result, previous_score, previous_band, now
        )
        writes.outbox.append(message)
    account.score, account.band = result.score, result.band
    account.model_version = result.model_version
    return results


def _schedule(round_: RescoreRound, account: CachedAccount, results: MeasureResults) -> None:
    """Queue the account for when its score can next change with no new event."""
    if account.next_due is not None and account.next_due == round_.tomorrow:
        return  # the earliest a score can change with time alone: nothing can be sooner
    due = account.state.next_change_at(round_.model, round_.now, results)
    if due != account.next_due:  # most re-scores leave the next change where it was
        round_.due.schedule(account, due)


def add_state(
    account: CachedAccount, at: datetime, inputs: list[bytes], rescored: bool, writes: ChunkWrites
) -> None:
    """Add the account's stored state to `writes`: a change holding `inputs` (applied at
    `at`, then pruned and re-scored if `rescored`), or a new snapshot once its changes
    would replay too many steps; and the step to the archive (see
    `pulse.health.backtest.replay`)."""
    steps = account.steps_since_snapshot
    steps = None if steps is None else steps + len(inputs) + rescored  # rescored: a prune
    kept = account.state.kept_items() // changes.KEPT_ITEMS_PER_STEP
    applied = b"".join(inputs)
    if steps is None or steps > max(changes.SNAPSHOT_AFTER_STEPS, kept):
        state_json = writes.add_snapshot(account)
        day = day_of(at)
        last = account.archived_state_day
        archived = last is None or day - last >= ARCHIVED_STATE_EVERY_DAYS
        if archived:
            account.archived_state_day = day
        writes.archive_step(account, at, applied, rescored, state_json if archived else None)
        account.steps_since_snapshot = 0
    else:
        writes.add_change(account, at, applied, rescored)
        writes.archive_step(account, at, applied, rescored)
        account.steps_since_snapshot = steps


def score_row(
    account: CachedAccount, result: AccountScore, components: str, now: datetime
) -> dict[str, Any]:
    """The `scores` row of a re-score (`components` as JSON text)."""
    return {
        "account_id": account.account_id,
        "score": result.score,
        "band": result.band,
        "segment": result.segment,
        "owner": account.state.owner,
        "model_version": result.model_version,
        "computed_at": now,
        "components": components,
    }


def history_point(
    account_id: str, result: AccountScore, components: str, now: datetime
) -> dict[str, Any]:
    """The `score_history` row of a re-score (`components` as JSON text)."""
    return {
        "account_id": account_id,
        "at": now,
        "score": result.score,
        "band": result.band,
        "model_version": result.model_version,
        "components": components,
    }


def score_message(
    topic: str,
    account: CachedAccount,
    result: AccountScore,
    previous_score: float | None,
    previous_band: str | None,
    now: datetime,
) -> tuple[str, OutgoingMessage]:
    """(stable id, message) of the `pulse.health.scores` event of a changed score."""
    body = {
        "account_id": account.account_id,
        "score": result.score,
        "band": result.band,
        "previous_score": previous_score,
        "previous_band": previous_band,
        "segment": result.segment,
        "model_version": result.model_version,
        "computed_at": now,
        "top_drivers": drivers(result.components, None, "now", MESSAGE_DRIVERS),
    }
    digest = hashlib.sha256(
        orjson.dumps([account.account_id, now, result.score, result.model_version])
    ).hexdigest()[:32]
    message_id = f"hs_{digest}"
    value = orjson.dumps({"id": message_id, **body}, option=orjson.OPT_UTC_Z)
    return message_id, OutgoingMessage(topic, account.account_id.encode(), value)
