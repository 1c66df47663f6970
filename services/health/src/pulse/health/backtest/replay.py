"""One account's archived steps re-scored with a model, as the keeper would have scored
them: pure, no I/O.

The archive (`archived_steps`) holds every step the keeper took for the account, in
order: inputs applied at a moment and the re-score after them (or none, when deferred
under a backlog), and time-driven re-scores with no input; the steps that wrote a
snapshot also carry the state after them. A replay starts from such a state and repeats
each later step exactly: apply the inputs at its moment, then prune and score. The state
so follows exactly what health's did, whatever the model.

Between steps a score changes only at a UTC midnight (`AccountState.next_change_at`): the
replay also scores, without touching the state, at each midnight the model says its score
can change. The active model's time-driven re-scores are archived steps a little after
those midnights, with the same score; a candidate model's are these midnights.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from pulse.health.keeping.changes import apply_input, decode_inputs
from pulse.health.scoring.model import ScoringModel
from pulse.health.scoring.score import AccountScore, score_account
from pulse.health.scoring.state import AccountState
from pulse.health.storage.step_archive import ArchivedStep


@dataclass(frozen=True, slots=True)
class ScoreChange:
    """The account's score and band from `at` on (and its segment then)."""

    at: datetime
    score: float
    band: str
    segment: str


@dataclass(slots=True)
class Replay:
    """What a replay scored: every change of score or band, and the full score as it
    stood at each moment asked for (None before the first score)."""

    changes: list[ScoreChange] = field(default_factory=list)
    as_of: dict[datetime, AccountScore | None] = field(default_factory=dict)
    #: Every score given at exactly a moment asked for, in order: steps that share an
    #: instant (a simulated clock held at its end) each score there.
    exactly_at: dict[datetime, list[AccountScore]] = field(default_factory=dict)

    def score_at(self, moment: datetime) -> ScoreChange | None:
        """The score in force at `moment` (None before the first)."""
        position = bisect_right(self.changes, moment, key=lambda c: c.at)
        return self.changes[position - 1] if position else None


class UnreplayableSteps(ValueError):
    """The steps do not start with a state to replay from."""


def replay_account(
    model: ScoringModel,
    steps: Sequence[ArchivedStep],
    end: datetime,
    moments: Sequence[datetime] = (),
) -> Replay:
    """Re-score `steps` (the first carrying a state) with `model` up to `end` (excluded);
    the full score as of each of `moments` too."""
    return replay_models([(model, moments)], steps, end)[0]


def replay_models(
    models: Sequence[tuple[ScoringModel, Sequence[datetime]]],
    steps: Sequence[ArchivedStep],
    end: datetime,
) -> list[Replay]:
    """`replay_account` for several models (each with its moments) at once: the state
    follows the steps whatever the model, so it is rebuilt once for all of them."""
    if not steps or steps[0].state is None:
        raise UnreplayableSteps("a replay starts at a step that carries the account's state")
    state = AccountState.from_dict(steps[0].state)
    runs = [_Run(model, state, sorted(set(moments))) for model, moments in models]
    if steps[0].rescored:  # its state is the one after the step's prune
        for run in runs:
            run.score(steps[0].at)
    for step in steps[1:]:
        if step.at >= end:
            break
        for run in runs:
            run.score_due_before(step.at)
        for item in decode_inputs(step.inputs):
            apply_input(state, item, step.at)
        if step.rescored:
            state.prune(step.at)
            for run in runs:
                run.score(step.at)
    for run in runs:
        run.score_due_before(end)
    return [run.finish() for run in runs]


class _Run:
    """One model's replay under way: the state it scores (shared, never changed here), the
    latest full score, the next moment due."""

    def __init__(self, model: ScoringModel, state: AccountState, moments: list[datetime]):
        self.model = model
        self.state = state
        self.replay = Replay()
        self.current: AccountScore | None = None
        self.due: datetime | None = None
        self._moments = moments
        self._wanted = set(moments)
        self._next_moment = 0

    def score(self, now: datetime) -> None:
        """Score the state as it is at `now`."""
        self._settle_moments_before(now)
        result = score_account(self.model, self.state, now)
        changes = self.replay.changes
        if changes and changes[-1].at == now:
            changes.pop()  # a later score of the same instant supersedes it
        if not changes or (changes[-1].score, changes[-1].band) != (result.score, result.band):
            changes.append(ScoreChange(now, result.score, result.band, result.segment))
        self.current = result
        if now in self._wanted:
            self.replay.exactly_at.setdefault(now, []).append(result)
        self.due = self.state.next_change_at(self.model, now)

    def score_due_before(self, moment: datetime) -> None:
        """Score at each moment due before `moment`."""
        while self.due is not None and self.due < moment:
            self.score(self.due)

    def finish(self) -> Replay:
        """The replay, with the moments after the last score settled."""
        self._settle_moments_before(None)
        return self.replay

    def _settle_moments_before(self, now: datetime | None) -> None:
        moments, position = self._moments, self._next_moment
        while position < len(moments) and (now is None or moments[position] < now):
            self.replay.as_of[moments[position]] = self.current
            position += 1
        self._next_moment = position
