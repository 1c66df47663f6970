"""Inputs health consumed but does not score, and why: counted and logged, never silent.

Every new input (not a repeated id) is counted once: in
`pulse_health_events_applied_total{type}` when it counts toward the active model's score,
else in `pulse_health_events_ignored_total{type,reason}` with one of `IgnoreReason`:

- `too_late`: older than the lateness window (`GRACE_DAYS`, 30) before the account's
  latest moment (the later of now and the latest event time it has seen); dropped.
- `no_change`: an `account.updated` or CSM sentiment that changes nothing: older than
  the values in force, or the same values again.
- `over_limit`: past a per-account limit of the state (e.g. 32 metric names); dropped.
- `not_in_model`: the active model reads nothing of its type; kept in the state, so a
  model that reads it scores it, but it moves no score now.

A line is logged at most once per `LOG_EVERY_S` with the counts since the last one and an
example of each reason.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Literal

from pulse.common.events import AccountUpdated
from pulse.health import metrics
from pulse.health.messages import Incoming, SetCsmSentiment
from pulse.health.scoring.evaluate import ATTRIBUTE_CHANGES, CSM_SENTIMENT, inputs
from pulse.health.scoring.model import ScoringModel
from pulse.health.scoring.state import AccountState

log = logging.getLogger(__name__)

#: The `reason` label's closed set; the `type` label's is the event types and
#: `csm_sentiment`.
IgnoreReason = Literal["too_late", "no_change", "over_limit", "not_in_model"]
#: Least time between two log lines about ignored inputs.
LOG_EVERY_S = 60.0
#: Reasons that lose evidence (a warning); the others alone are logged as info.
_DROPPED = frozenset({"too_late", "over_limit"})


def input_type(item: Incoming) -> str:
    """The `type` label of an input."""
    return CSM_SENTIMENT if isinstance(item, SetCsmSentiment) else item.type


def why_refused(item: Incoming, state: AccountState, now: datetime) -> IgnoreReason:
    """Why the state just refused an input applied at `now` (its apply said no change)."""
    if isinstance(item, SetCsmSentiment):
        return "no_change"
    if _too_late(item.occurred_at, state, now):
        return "too_late"
    return "no_change" if isinstance(item, AccountUpdated) else "over_limit"


def _too_late(occurred_at: datetime, state: AccountState, now: datetime) -> bool:
    # As `AccountFacts.apply` decides, after the fact: a refused event leaves the clock.
    latest = max(state.clock or now, now)
    return occurred_at < latest - timedelta(days=state.grace_days)


def read_by(model: ScoringModel) -> frozenset[str]:
    """The input types that can move a score under `model`: what its measures read, and
    the attributes that set an account's segment (and so its weights)."""
    return model.derived_value("input_types_read", _work_out_read)


def _work_out_read(model: ScoringModel) -> frozenset[str]:
    read = set(ATTRIBUTE_CHANGES)
    for measure in model.measures:
        read |= inputs(measure)
    return frozenset(read)


class IgnoredInputs:
    """Counts ignored inputs into the metric and logs them, a line per `every_s` at most."""

    def __init__(
        self, every_s: float = LOG_EVERY_S, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._every_s = every_s
        self._clock = clock
        self._since: float | None = None  # when the last line was logged
        self._pending: Counter[tuple[str, str]] = Counter()
        self._examples: dict[str, dict[str, str]] = {}

    def add(self, counts: Counter[tuple[str, str]], examples: dict[str, dict[str, str]]) -> None:
        """One chunk's ignored inputs by (type, reason), with an example per reason."""
        if not counts:
            return
        for (input_type_, reason), n in counts.items():
            metrics.EVENTS_IGNORED.labels(input_type_, reason).inc(n)
        self._pending.update(counts)
        for reason, example in examples.items():
            self._examples.setdefault(reason, example)
        now = self._clock()
        if self._since is None or now - self._since >= self._every_s:
            self._log(now)

    def _log(self, now: float) -> None:
        counts = {f"{t}/{r}": n for (t, r), n in sorted(self._pending.items())}
        dropped = any(reason in _DROPPED for _, reason in self._pending)
        log.log(
            logging.WARNING if dropped else logging.INFO,
            "inputs consumed but not scored (pulse_health_events_ignored_total)",
            extra={
                "ignored": counts,
                "examples": self._examples,
                "since_s": None if self._since is None else round(now - self._since, 1),
            },
        )
        self._since = now
        self._pending = Counter()
        self._examples = {}


def example(item: Incoming) -> dict[str, str]:
    """What a log line shows of one ignored input."""
    at = item.at if isinstance(item, SetCsmSentiment) else item.occurred_at
    return {"type": input_type(item), "account_id": item.account_id, "id": item.id,
            "at": at.isoformat()}  # fmt: skip
