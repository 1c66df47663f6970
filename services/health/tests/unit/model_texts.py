"""A small scoring model in YAML (`BASE`), helpers to vary it and to collect its load errors."""

from __future__ import annotations

import textwrap

import pytest

from pulse.health.scoring.model import ModelError, load_model

BASE = """
version: "test-1"
groups:
  usage: {weight: 1}
  support: {weight: 1}
measures:
  - name: tickets_30d
    group: support
    description: Tickets opened in 30 days.
    reads: [{type: support.ticket.opened}]
    aggregation: {kind: count}
    window_days: 30
    scoring: {steps: [{min: 0, score: 100}, {min: 5, score: 0}]}
"""


def with_measure(measure: str) -> str:
    """BASE plus one more measure, given as YAML mapping lines."""
    first, *rest = textwrap.dedent(measure).strip().splitlines()
    return BASE + f"  - {first}\n" + "".join(f"    {line}\n" for line in rest)


def errors_of(text: str) -> list[tuple[str, str]]:
    with pytest.raises(ModelError) as raised:
        load_model(text)
    return raised.value.errors
