"""The pure parts of the observed-stack test: reading expositions, spotting labels that grow
with the data, and deriving the test's Prometheus configuration from deploy/prometheus's."""

from __future__ import annotations

from pathlib import Path

import yaml

from pulse.devtools.testing.prometheus_server import scrape_config_for_ports
from pulse.devtools.testing.scrapes import (
    MAX_LABEL_VALUES,
    ExposedMetric,
    exposed_metrics,
    growing_labels,
    label_values,
)

REPO = Path(__file__).resolve().parents[4]
EXPOSITION = """\
# HELP pulse_things_total Things.
# TYPE pulse_things_total counter
pulse_things_total{type="a",reason="x"} 1.0
pulse_things_total{type="b",reason="x"} 2.0
# HELP pulse_wait_seconds Waits.
# TYPE pulse_wait_seconds histogram
pulse_wait_seconds_bucket{le="0.1"} 1.0
pulse_wait_seconds_bucket{le="+Inf"} 1.0
pulse_wait_seconds_count 1.0
pulse_wait_seconds_sum 0.05
# HELP pulse_open Open.
# TYPE pulse_open gauge
pulse_open 3.0
# HELP pulse_untouched_total Labelled, no child yet.
# TYPE pulse_untouched_total counter
"""


def test_exposed_metrics_name_type_and_labels_without_le_or_empty_families() -> None:
    assert exposed_metrics([EXPOSITION]) == {
        ExposedMetric("pulse_things", "counter", frozenset({"type", "reason"})),
        ExposedMetric("pulse_wait_seconds", "histogram", frozenset()),
        ExposedMetric("pulse_open", "gauge", frozenset()),
    }


def test_label_values_gather_every_exposition() -> None:
    other = '# TYPE pulse_things_total counter\npulse_things_total{type="c",reason="y"} 1.0\n'
    values = label_values([EXPOSITION, other])
    assert values["pulse_things", "type"] == {"a", "b", "c"}
    assert values["pulse_things", "reason"] == {"x", "y"}


def test_growing_labels_name_too_many_values_and_account_ids() -> None:
    many = {str(n) for n in range(MAX_LABEL_VALUES + 1)}
    values = {
        ("pulse_many", "id"): many,
        ("pulse_leak", "account"): {"acct-1", "other"},
        ("pulse_fine", "type"): {str(n) for n in range(MAX_LABEL_VALUES)},
    }
    assert growing_labels(values, ["acct-1", "acct-2"]) == [
        "pulse_leak{account}: account ids as values, e.g. acct-1",
        f"pulse_many{{id}}: {MAX_LABEL_VALUES + 1} distinct values",
    ]


def test_the_test_configuration_keeps_jobs_and_rules_on_the_test_ports() -> None:
    base = yaml.safe_load((REPO / "deploy/prometheus/prometheus.yml").read_text())
    jobs = [job["job_name"] for job in base["scrape_configs"]]
    ports = {job: 9000 + n for n, job in enumerate(jobs)}
    rules = Path("/somewhere/rules")
    config = scrape_config_for_ports(base, ports, rules, interval="1s")
    assert config["global"]["scrape_interval"] == config["global"]["evaluation_interval"] == "1s"
    assert config["rule_files"] == ["/somewhere/rules/*.yml"]
    targets = {job["job_name"]: job["static_configs"] for job in config["scrape_configs"]}
    assert targets == {job: [{"targets": [f"127.0.0.1:{port}"]}] for job, port in ports.items()}
    assert base["global"]["scrape_interval"] == "15s"  # the original is left alone
