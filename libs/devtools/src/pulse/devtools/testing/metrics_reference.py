"""The README's metrics reference (`### Metrics reference`), read as rows, and the metrics
each service declares, so that tests can hold one against the other: this module's
structural test compares declarations, a live test a running service's scrape.

A row names a metric as exposed (counters end in `_total`), its type, its label names,
the services that expose it (`all`, or names joined by ", ") and its meaning. A live test
checks a scrape against `expected_for(service, rows)`, matching families by
`MetricSignature.family`.
"""

from __future__ import annotations

import importlib
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from prometheus_client import REGISTRY
from prometheus_client.metrics import MetricWrapperBase

SERVICES = ("ingest", "health", "alerts", "renewals")
HEADING = "### Metrics reference"
COLUMNS = ("metric", "type", "labels", "services", "meaning")


@dataclass(frozen=True, slots=True, order=True)
class MetricSignature:
    """What a scrape can check of a metric: its exposed name, type and label names."""

    name: str
    type: str
    labels: tuple[str, ...]

    @property
    def family(self) -> str:
        """The family name Prometheus' text parsers give it (a counter without `_total`)."""
        return self.name.removesuffix("_total") if self.type == "counter" else self.name


@dataclass(frozen=True, slots=True)
class MetricRow:
    """One row of the reference table."""

    signature: MetricSignature
    services: tuple[str, ...]
    meaning: str


class ReferenceFormatError(ValueError):
    """The README's table cannot be read; the message says where and why."""


def read_reference(readme: str) -> list[MetricRow]:
    """The rows of the table under `### Metrics reference` in the README's text."""
    lines = _section_lines(readme)
    table = [line for line in lines if line.startswith("|")]
    if len(table) < 3:
        raise ReferenceFormatError(f"no table under {HEADING!r}")
    header = _cells(table[0])
    if tuple(cell.lower() for cell in header) != COLUMNS:
        raise ReferenceFormatError(f"expected columns {COLUMNS}, got {tuple(header)}")
    return [_row(line) for line in table[2:]]


def read_reference_file(path: Path) -> list[MetricRow]:
    """`read_reference` of a README file."""
    return read_reference(path.read_text(encoding="utf-8"))


def expected_for(service: str, rows: Iterable[MetricRow]) -> set[MetricSignature]:
    """The signatures the table says `service` exposes."""
    return {row.signature for row in rows if service in row.services}


def declared_metrics(services: Iterable[str] = SERVICES) -> dict[MetricSignature, set[str]]:
    """The `pulse_` metrics the services' apps declare, each with the services exposing it.

    Imports `pulse.<service>.app` of each into this interpreter. A metric defined in
    `pulse.common` is exposed by every service (each app loads the shared metrics through
    the service kit); one defined under `pulse.<service>` by that service alone.
    """
    chosen = tuple(services)
    for service in chosen:
        importlib.import_module(f"pulse.{service}.app")
    holders = _modules_holding_metrics()
    declared: dict[MetricSignature, set[str]] = {}
    # prometheus_client keeps the collector list and label names private; a metric with
    # labels but no children yet collects no samples, so its labels show nowhere else.
    for collector in list(REGISTRY._collector_to_names):
        if not isinstance(collector, MetricWrapperBase):
            continue
        for family in collector.describe():
            if not family.name.startswith("pulse_"):
                continue
            name = f"{family.name}_total" if family.type == "counter" else family.name
            signature = MetricSignature(name, family.type, tuple(sorted(collector._labelnames)))
            declared[signature] = _exposing_services(holders.get(id(collector), set()), chosen)
    return declared


def _modules_holding_metrics() -> dict[int, set[str]]:
    """For each metric object (by id), the `pulse.*` modules holding it as a global."""
    holders: dict[int, set[str]] = {}
    for module_name, module in list(sys.modules.items()):
        if not module_name.startswith("pulse.") or module is None:
            continue
        for value in vars(module).values():
            if isinstance(value, MetricWrapperBase):
                holders.setdefault(id(value), set()).add(module_name)
    return holders


def _exposing_services(modules: set[str], services: tuple[str, ...]) -> set[str]:
    # A service module may import a shared metric; pulse.common never imports a service's.
    packages = {name.split(".")[1] for name in modules}
    if "common" in packages:
        return set(services)
    return packages & set(services)


def _section_lines(readme: str) -> list[str]:
    lines = readme.splitlines()
    try:
        start = lines.index(HEADING)
    except ValueError as exc:
        raise ReferenceFormatError(f"no {HEADING!r} heading in the README") from exc
    section: list[str] = []
    for line in lines[start + 1 :]:
        if re.match(r"#{1,3} ", line):
            break
        section.append(line)
    return section


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def _unquoted(cell: str) -> str:
    return cell.replace("`", "").strip()


def _row(line: str) -> MetricRow:
    cells = _cells(line)
    if len(cells) != len(COLUMNS):
        raise ReferenceFormatError(f"expected {len(COLUMNS)} cells: {line}")
    name, kind, labels, services, meaning = cells
    label_names = tuple(
        sorted(_unquoted(label) for label in labels.split(",") if _unquoted(label) not in ("", "-"))
    )
    service_names = SERVICES if services == "all" else tuple(s.strip() for s in services.split(","))
    unknown = set(service_names) - set(SERVICES)
    if unknown:
        raise ReferenceFormatError(f"unknown services {sorted(unknown)}: {line}")
    return MetricRow(MetricSignature(_unquoted(name), kind, label_names), service_names, meaning)
