"""The four services observed by a real Prometheus, as in production: one stack run for the
module. Events of 1,000 accounts (every kind, tickets and a departed sponsor that open
alerts, a webhook receiver, bad requests) go through ingest's HTTP API; once they drained:
- no label of any service's /metrics grows with the accounts;
- every dashboard panel's PromQL and every rule's expression runs on Prometheus, and every
  panel returns series;
- every metric a service exposes is in the README's metrics reference, with its type,
  labels and that service (the reference's rows that no scrape shows, labelled metrics no
  code path touched yet, are checked against the declarations by a unit test)."""

from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from pulse.common.events import EVENT_TYPES
from pulse.common.kafka.admin import ensure_topics
from pulse.common.topics import Topics
from pulse.devtools.dashboards.queries import PanelQuery, panel_queries, runnable, variable_names
from pulse.devtools.dashboards.rendering import rendered_dashboards
from pulse.devtools.embedded import free_port
from pulse.devtools.samples import SampleEvents, rfc3339
from pulse.devtools.testing.metrics_reference import read_reference_file
from pulse.devtools.testing.plugin import ADMIN_KEY, INGEST_KEY, READ_KEY, settings_for_tests
from pulse.devtools.testing.prometheus_server import (
    PromQLError,
    instant_query,
    running_prometheus,
    scrape_config_for_ports,
)
from pulse.devtools.testing.prometheus_tools import PrometheusToolMissingError, prometheus_tool
from pulse.devtools.testing.scrapes import (
    ExposedMetric,
    exposed_metrics,
    growing_labels,
    label_values,
)
from pulse.devtools.testing.services import running_services, settings_env

#: One stack for the module: its start and the traffic's drain count toward the first
#: test's timeout, above the project's 300 s on a loaded machine.
pytestmark = [pytest.mark.integration, pytest.mark.timeout(600)]

REPO = Path(__file__).resolve().parents[4]
PROMETHEUS = REPO / "deploy" / "prometheus"
SERVICES = ("ingest", "health", "alerts", "renewals")
GROUPS = ("pulse-health", "pulse-alerts", "pulse-renewals")
ACCOUNTS = [f"acct-{n:05d}" for n in range(1000)]
#: Grafana's $__rate_interval stands for this window: wide enough to span the traffic.
WINDOW = "2m"
#: Failure timeouts only: nothing asserts how long anything took.
DRAIN_TIMEOUT_S = 180.0
SERIES_TIMEOUT_S = 60.0
CHILD_SETTINGS = {
    "PULSE_CONSUMER_POLL_TIMEOUT_MS": "50",
    "PULSE_ALERTS_TICK_S": "1",
    "PULSE_RENEWALS_TICK_S": "1",
    "PULSE_WEBHOOK_ALLOW_PRIVATE": "true",
    "PULSE_WEBHOOK_POLL_INTERVAL_S": "0.2",
}


@dataclass(frozen=True)
class ObservedStack:
    """The running stack after the traffic drained."""

    prometheus: str
    services: dict[str, str]


class _Receiver(BaseHTTPRequestHandler):
    """A webhook receiver that takes every message (204)."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length", 0)))
        self.send_response(204)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def prometheus_binary() -> str:
    try:
        return prometheus_tool("prometheus", REPO / ".tools" / "prometheus")
    except PrometheusToolMissingError as missing:
        pytest.fail(str(missing), pytrace=False)


@pytest.fixture(scope="module")
def webhook_receiver() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def stack(
    pulse_kafka_bootstrap: str,
    pulse_database_url: str,
    prometheus_binary: str,
    webhook_receiver: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[ObservedStack]:
    settings = settings_for_tests(pulse_kafka_bootstrap, pulse_database_url, new_prefix())
    asyncio.run(ensure_topics(settings, Topics(settings.topic_prefix).all))
    workdir = tmp_path_factory.mktemp("observed")
    env = settings_env(settings, **CHILD_SETTINGS)
    ports = {name: free_port() for name in SERVICES}
    with ExitStack() as running:
        services = running.enter_context(running_services(ports, env, workdir))
        config = scrape_config_for_ports(
            yaml.safe_load((PROMETHEUS / "prometheus.yml").read_text()),
            {f"pulse-{name}": port for name, port in ports.items()},
            PROMETHEUS / "rules",
            interval="1s",
        )
        url = running.enter_context(
            running_prometheus(prometheus_binary, config, workdir / "prometheus", free_port())
        )
        observed = ObservedStack(url, services)
        subscribe(observed, webhook_receiver)
        drive_traffic(observed)
        wait_until_drained(observed)
        yield observed


def new_prefix() -> str:
    return "t" + uuid.uuid4().hex[:12]


def subscribe(stack: ObservedStack, receiver: str) -> None:
    body = {"url": receiver, "event_types": ["alert.opened", "renewal.at_risk"]}
    answer = httpx.post(f"{stack.services['alerts']}/v1/webhooks", json=body, headers=ADMIN_KEY)
    assert answer.status_code == 201, answer.text


def traffic(now: datetime) -> list[dict[str, Any]]:
    """Events of every kind over ACCOUNTS: each account described (segment, USD ARR, a
    renewal within 90 days), a mixed stream, and what opens alerts (three phone tickets,
    a sponsor who left)."""
    samples = SampleEvents(seed=28, accounts=len(ACCOUNTS), now=now)
    segments = ("high_touch", "low_touch", "tech_touch")
    events = [
        samples.event("account.updated", account)
        | {
            "data": {
                "segment": segments[n % 3],
                "arr": str(10_000 + 97 * n),
                "currency": "USD",
                "renewal_date": (now.date() + timedelta(days=10 + n % 80)).isoformat(),
            }
        }
        for n, account in enumerate(ACCOUNTS)
    ]
    events += [e for e in samples.mixed(3000) if e["type"] != "account.updated"]
    at = rfc3339(now - timedelta(minutes=5))
    for account in ACCOUNTS[:5]:
        for ticket in range(3):
            data = {"ticket_id": f"p{ticket}", "priority": "high", "channel": "phone"}
            events.append(raw("support.ticket.opened", account, at, data))
        contact = {"contact_id": "c-sponsor", "role": "sponsor", "change": "left"}
        events.append(raw("contact.changed", account, at, contact))
    for n, account in enumerate(ACCOUNTS[:20]):
        contract = {"change": "expansion", "arr_after": "20000", "effective_at": at}
        events.append(raw("contract.changed", account, at, contract))
        outage = {"incident_id": f"inc-{n}", "severity": "major"}
        events.append(raw("outage.started", account, at, outage))
        events.append(raw("outage.resolved", account, at, outage))
    return events


def raw(kind: str, account: str, at: str, data: dict[str, Any]) -> dict[str, Any]:
    return {"type": kind, "account_id": account, "occurred_at": at, "data": data}


def drive_traffic(stack: ObservedStack) -> None:
    """Send the events in batches, some bad requests, and a few reads of each service."""
    ingest = f"{stack.services['ingest']}/v1/events"
    events = traffic(datetime.now(UTC))
    with httpx.Client(timeout=30) as client:
        for start in range(0, len(events), 500):
            answer = client.post(
                ingest, json={"events": events[start : start + 500]}, headers=INGEST_KEY
            )
            assert answer.status_code == 202, answer.text
        invalid = [raw("usage.activity", "acct-00001", "yesterday", {}), {"type": "nope"}]
        assert client.post(ingest, json={"events": invalid}, headers=INGEST_KEY).status_code < 500
        bad_json = {**INGEST_KEY, "content-type": "application/json"}
        assert client.post(ingest, content=b"{not json", headers=bad_json).status_code == 400
        assert client.post(ingest, json={"events": []}).status_code == 401
        reads = ("health", "/v1/accounts"), ("alerts", "/v1/alerts"), ("renewals", "/v1/forecast")
        for service, path in reads:
            client.get(f"{stack.services[service]}{path}", headers=READ_KEY)


def wait_for(condition: Callable[[], bool], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}", pytrace=False)
        time.sleep(0.5)


def wait_until_drained(stack: ObservedStack) -> None:
    """Every group consumed to the end, an alert opened and its webhook delivered."""

    def drained() -> bool:
        lags = instant_query(stack.prometheus, "group:pulse_kafka_consumer_lag:sum == 0")
        return {series["metric"]["group"] for series in lags} >= set(GROUPS)

    def delivered() -> bool:
        expr = 'sum(pulse_webhook_attempts_total{outcome="delivered"}) > 0'
        return bool(instant_query(stack.prometheus, expr))

    wait_for(drained, DRAIN_TIMEOUT_S, "every consumer group to catch up")
    wait_for(delivered, DRAIN_TIMEOUT_S, "a webhook delivery")


def scrape_all(stack: ObservedStack) -> list[str]:
    return [httpx.get(f"{url}/metrics").text for url in stack.services.values()]


@pytest.fixture(scope="module")
def observed_metrics(stack: ObservedStack) -> set[ExposedMetric]:
    """(metric, type, labels) of everything the live services expose after the traffic."""
    return exposed_metrics(scrape_all(stack))


def test_the_traffic_has_every_event_kind_and_account() -> None:
    events = traffic(datetime(2026, 12, 3, tzinfo=UTC))
    assert {event["type"] for event in events} == set(EVENT_TYPES)
    assert {event["account_id"] for event in events} == set(ACCOUNTS)


def test_no_label_grows_with_the_accounts(stack: ObservedStack) -> None:
    values = label_values(scrape_all(stack))
    assert values, "nothing scraped"
    assert growing_labels(values, ACCOUNTS) == []


def test_the_scrapes_show_the_traffic(observed_metrics: set[ExposedMetric]) -> None:
    names = {metric.name for metric in observed_metrics}
    assert {"pulse_ingest_events_accepted", "pulse_alerts_opened", "pulse_webhook_attempts"} <= (
        names
    )


def rule_expressions() -> list[str]:
    found = []
    for path in sorted((PROMETHEUS / "rules").glob("*.yml")):
        for group in yaml.safe_load(path.read_text())["groups"]:
            found += [f"{path.name}: {rule['expr']}" for rule in group["rules"]]
    return found


def test_every_rule_expression_runs(stack: ObservedStack) -> None:
    errors = []
    for labelled in rule_expressions():
        _, _, expr = labelled.partition(": ")
        try:
            instant_query(stack.prometheus, expr)
        except PromQLError as error:
            errors.append(f"{labelled}\n  {error}")
    assert errors == []


def queries_of_dashboards() -> list[tuple[PanelQuery, str]]:
    """Each panel query and its runnable form."""
    runnable_queries = []
    for text in rendered_dashboards().values():
        dashboard = json.loads(text)
        names = variable_names(dashboard)
        for query in panel_queries(dashboard):
            runnable_queries.append((query, runnable(query.expr, names, WINDOW)))
    return runnable_queries


def test_every_panel_query_runs_and_returns_series(stack: ObservedStack) -> None:
    queries = queries_of_dashboards()
    assert queries
    pending = dict(queries)
    errors: list[str] = []

    def answered() -> bool:
        for query, expr in list(pending.items()):
            try:
                series = instant_query(stack.prometheus, expr)
            except PromQLError as error:
                errors.append(f"{query}\n  {error}")
                series = [{}]
            if series:
                del pending[query]
        return not pending

    # Recording rules over 5-minute windows need a few evaluations: poll, never sleep.
    deadline = time.monotonic() + SERIES_TIMEOUT_S
    while not answered() and time.monotonic() < deadline:
        time.sleep(1)
    assert errors == []
    assert [str(query) for query in pending] == [], "panels without series after traffic"


def test_every_exposed_metric_is_in_the_metrics_reference(stack: ObservedStack) -> None:
    rows = read_reference_file(REPO / "README.md")
    undocumented = []
    for service, url in stack.services.items():
        documented = {
            (row.signature.family, row.signature.type, frozenset(row.signature.labels))
            for row in rows
            if service in row.services
        }
        for metric in exposed_metrics([httpx.get(f"{url}/metrics").text]):
            seen = (metric.name, metric.type, metric.labels)
            if metric.name.startswith("pulse_") and seen not in documented:
                undocumented.append(f"{service}: {metric}")
    assert undocumented == [], "exposed but not in README's metrics reference (or differently)"
