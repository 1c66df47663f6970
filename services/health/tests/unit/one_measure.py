"""One-measure models and fed account states, for tests of a single aggregation."""

from __future__ import annotations

import textwrap
from datetime import datetime

from pulse.common.events import Event
from pulse.health.scoring.model import ScoringModel, load_model
from pulse.health.scoring.score import score_account
from pulse.health.scoring.state import AccountState


def one_measure(body: str) -> ScoringModel:
    """A model of one measure `m` in group `g`; `body` is the rest of the measure's YAML
    (scored linearly 0-100 over 0 to 36,500, which every kind's values may span, unless it
    says how)."""
    if "scoring:" not in body:
        body += "\nscoring: {linear: [[0, 0], [36500, 100]]}"
    measure = textwrap.indent(textwrap.dedent(body).strip(), "    ")
    return load_model(
        "version: t\ngroups: {g: {weight: 1}}\nmeasures:\n"
        f"  - name: m\n    group: g\n    description: test\n{measure}\n"
    )


def value(model: ScoringModel, state: AccountState, as_of: datetime) -> float | None:
    return score_account(model, state, as_of).components[0].value


def fed(*events: Event) -> AccountState:
    """A state fed `events` in this order (an event 30 days older than one before is late)."""
    state = AccountState()
    for e in events:
        assert state.apply(e)
    return state
