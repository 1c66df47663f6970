"""Prometheus configuration and rules under deploy/prometheus, checked by the real promtool:
`check config`, `check rules` and the `test rules` unit tests; and what promtool cannot see:
every alert tested firing and quiet, documented in docs/runbooks.md, and built on metrics
the services really declare.

promtool comes from `PULSE_PROMTOOL`, PATH, or Debian's `prometheus` package unpacked into
`.tools/prometheus` (pulse.devtools.testing.prometheus_tools)."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from pulse.devtools.testing.prometheus_tools import PrometheusToolMissingError, prometheus_tool

REPO = Path(__file__).resolve().parents[4]
PROMETHEUS = REPO / "deploy" / "prometheus"
CONFIGS = sorted(PROMETHEUS.glob("prometheus*.yml"))
RULE_FILES = sorted((PROMETHEUS / "rules").glob("*.yml"))
RULE_TESTS = sorted((PROMETHEUS / "tests").glob("*.yml"))
RUNBOOKS = REPO / "docs" / "runbooks.md"
UNPACKED = REPO / ".tools" / "prometheus"


@pytest.fixture(scope="module")
def promtool() -> str:
    try:
        return prometheus_tool("promtool", UNPACKED)
    except PrometheusToolMissingError as missing:
        pytest.fail(str(missing), pytrace=False)


def run_promtool(promtool: str, *arguments: str | Path) -> None:
    """Run promtool in deploy/prometheus; fail with its output unless it succeeds."""
    result = subprocess.run(
        [promtool, *map(str, arguments)],
        cwd=PROMETHEUS,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, f"promtool {arguments}:\n{result.stdout}\n{result.stderr}"


def load(path: Path) -> Any:
    with path.open() as file:
        return yaml.safe_load(file)


def rules(kind: str) -> Iterator[dict[str, Any]]:
    """Every rule of the rule files with a `kind` key (`alert` or `record`)."""
    for path in RULE_FILES:
        for group in load(path)["groups"]:
            yield from (rule for rule in group["rules"] if kind in rule)


def test_the_files_are_there() -> None:
    # Globs that match nothing would make every other test pass vacuously.
    assert [p.name for p in CONFIGS] == ["prometheus.compose.yml", "prometheus.yml"]
    assert RULE_FILES
    assert RULE_TESTS


def test_promtool_checks_every_configuration(promtool: str) -> None:
    # `check config` also checks the rule files each configuration loads.
    run_promtool(promtool, "check", "config", *CONFIGS)


def test_promtool_checks_every_rule_file(promtool: str) -> None:
    run_promtool(promtool, "check", "rules", *RULE_FILES)


def test_promtool_rule_unit_tests_pass(promtool: str) -> None:
    run_promtool(promtool, "test", "rules", *RULE_TESTS)


def scrape_targets(config: dict[str, Any]) -> list[tuple[str, str]]:
    """(host, port) of every static target, in order."""
    return [
        tuple(target.rsplit(":", 1))
        for job in config["scrape_configs"]
        for static in job["static_configs"]
        for target in static["targets"]
    ]


def test_configurations_scrape_every_service_and_load_every_rule_file() -> None:
    for config in CONFIGS:
        loaded = load(config)
        jobs = [job["job_name"] for job in loaded["scrape_configs"]]
        assert jobs == ["pulse-ingest", "pulse-health", "pulse-alerts", "pulse-renewals"]
        ports = [port for _, port in scrape_targets(loaded)]
        assert ports == ["8001", "8002", "8003", "8004"], config.name
        assert loaded["rule_files"] == ["rules/*.yml"], config.name


def test_the_compose_configuration_scrapes_the_compose_services() -> None:
    services = load(REPO / "docker-compose.yml")["services"]
    for host, port in scrape_targets(load(PROMETHEUS / "prometheus.compose.yml")):
        assert f"{port}:{port}" in services[host]["ports"], host


def test_every_alert_is_tested_firing_and_quiet() -> None:
    firing: set[str] = set()
    quiet: set[str] = set()
    for path in RULE_TESTS:
        for case in load(path)["tests"]:
            for check in case.get("alert_rule_test", []):
                (firing if check.get("exp_alerts") else quiet).add(check["alertname"])
    alerts = {rule["alert"] for rule in rules("alert")}
    assert alerts - firing == set(), "alerts without a firing case"
    assert alerts - quiet == set(), "alerts without a quiet case"


def runbook_anchors() -> set[str]:
    """GitHub's anchors of the headings of docs/runbooks.md."""
    headings = re.findall(r"^#+ (.+)$", RUNBOOKS.read_text(), flags=re.MULTILINE)
    return {re.sub(r"[^\w\- ]", "", h).strip().lower().replace(" ", "-") for h in headings}


def test_every_alert_has_a_summary_a_description_and_a_runbook_section() -> None:
    anchors = runbook_anchors()
    for alert in rules("alert"):
        annotations = alert["annotations"]
        assert annotations["summary"], alert["alert"]
        assert "{{ $value" in annotations["description"], f"{alert['alert']}: no number"
        document, _, anchor = annotations["runbook"].partition("#")
        assert document == "docs/runbooks.md", alert["alert"]
        assert anchor in anchors, f"{alert['alert']}: no section #{anchor} in {document}"
        assert alert["labels"]["severity"] in {"critical", "warning"}, alert["alert"]


def declared_metrics() -> set[str]:
    """The series names the services' Prometheus metrics expose, read from their source."""
    declaration = re.compile(r"\b(Counter|Gauge|Histogram)\(\s*\"(pulse_\w+)\"")
    exposed: set[str] = set()
    for source in [*REPO.glob("libs/*/src/**/*.py"), *REPO.glob("services/*/src/**/*.py")]:
        for kind, name in declaration.findall(source.read_text()):
            if kind == "Counter":
                exposed.add(name if name.endswith("_total") else f"{name}_total")
            elif kind == "Histogram":
                exposed.update(f"{name}_{suffix}" for suffix in ("bucket", "count", "sum"))
            else:
                exposed.add(name)
    return exposed


def metric_names(promql: str) -> set[str]:
    """Pulse metric names in a PromQL expression (not recording rules, not label values)."""
    without_strings = re.sub(r'"[^"]*"', "", promql)
    tokens = re.findall(r"[A-Za-z_:][\w:]*", without_strings)
    return {t for t in tokens if t.startswith("pulse_") and ":" not in t}


def test_declared_metrics_are_found() -> None:
    # The scan below must see the metrics, else it would accept anything.
    assert {"pulse_http_request_duration_seconds_count", "pulse_kafka_consumer_lag"} <= (
        declared_metrics()
    )
    assert metric_names('sum(rate(pulse_a_total{x="pulse_b"}[5m])) / job:pulse_c:rate5m') == {
        "pulse_a_total"
    }


def test_rules_and_their_tests_use_only_metrics_the_services_declare() -> None:
    used: set[str] = set()
    for rule in [*rules("alert"), *rules("record")]:
        used |= metric_names(rule["expr"])
    for path in RULE_TESTS:
        for case in load(path)["tests"]:
            used |= {series["series"].split("{")[0] for series in case.get("input_series", [])}
    used = {name for name in used if name.startswith("pulse_")}  # not Prometheus' own `up`
    assert used - declared_metrics() == set()
