"""What the services expose on /metrics, read from their text exposition: the metrics
(name, type, label names) and the values each label takes, to catch a label whose values
grow with the data (an account id as a label)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from prometheus_client.parser import text_string_to_metric_families

#: More distinct values than this for one label, and it likely grows with the data.
MAX_LABEL_VALUES = 50


@dataclass(frozen=True, order=True)
class ExposedMetric:
    """One metric family as exposed: its name (counters without `_total`, as the client
    library names families), its type and the names of its labels."""

    name: str
    type: str
    labels: frozenset[str]


def exposed_metrics(expositions: Iterable[str]) -> set[ExposedMetric]:
    """Every metric family with samples in the expositions (bucket's `le` left out of the
    labels). A labelled family no code path has touched yet shows only its HELP and TYPE
    lines, which say nothing of its labels: it is left out."""
    seen: set[ExposedMetric] = set()
    for text in expositions:
        for family in text_string_to_metric_families(text):
            if not family.samples:
                continue
            names = {name for sample in family.samples for name in sample.labels} - {"le"}
            seen.add(ExposedMetric(family.name, family.type, frozenset(names)))
    return seen


def label_values(expositions: Iterable[str]) -> dict[tuple[str, str], set[str]]:
    """The distinct values of each (metric family, label) across the expositions."""
    values: dict[tuple[str, str], set[str]] = defaultdict(set)
    for text in expositions:
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                for label, value in sample.labels.items():
                    values[family.name, label].add(value)
    return dict(values)


def growing_labels(
    values: dict[tuple[str, str], set[str]], account_ids: Iterable[str]
) -> list[str]:
    """Labels that look unbounded: over MAX_LABEL_VALUES values, or any value an account id."""
    accounts = set(account_ids)
    found = []
    for (metric, label), seen in sorted(values.items()):
        if len(seen) > MAX_LABEL_VALUES:
            found.append(f"{metric}{{{label}}}: {len(seen)} distinct values")
        elif leaked := sorted(seen & accounts):
            found.append(f"{metric}{{{label}}}: account ids as values, e.g. {leaked[0]}")
    return found
