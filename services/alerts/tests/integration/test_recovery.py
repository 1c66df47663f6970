"""Alerts processes killed mid-stream (kill -9, again and again) end with the alerts of a
single uninterrupted run: none lost, none doubled, every event id delivered twice, and
each alert's `alert.opened` webhook received under one `webhook-id`. Real broker, real
PostgreSQL, real `python -m pulse.alerts` children, a real HTTP receiver verifying every
signature; the expected alerts follow from the events by hand.

`make test` runs the quick form (one kill, fewer accounts); `make faults` the full one.
"""

from __future__ import annotations

import asyncio
import random
import signal
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from pulse.alerts.evaluation.alert_ids import alert_id
from pulse.common.db.engine import create_engine
from pulse.common.events import Event, event_to_json, validate_event
from pulse.common.kafka.admin import ensure_topics
from pulse.common.kafka.producer import OutgoingMessage
from pulse.common.settings import Settings
from pulse.common.topics import Topics
from pulse.devtools.embedded import create_database, drop_database, free_port
from pulse.devtools.testing.kafka import end_offsets, produce
from pulse.devtools.testing.offsets import committed_messages
from pulse.devtools.testing.plugin import ADMIN_KEY, settings_for_tests
from pulse.devtools.testing.services import running_service, settings_env

from .webhooks.webhook_endpoint import Received, WebhookReceiver

pytestmark = pytest.mark.integration

GROUP_ID = "pulse-alerts"  # pulse.alerts.background.GROUP_ID
#: Failure timeouts only: nothing asserts how long anything took.
START_TIMEOUT_S = 90.0
PROGRESS_TIMEOUT_S = 150.0
#: Small batches, so a kill lands between many commits; a short session, so a killed
#: member leaves the group soon.
CHILD_SETTINGS = {
    "PULSE_LOG_LEVEL": "INFO",
    "PULSE_CONSUMER_MAX_BATCH": "25",
    "PULSE_CONSUMER_POLL_TIMEOUT_MS": "50",
    "PULSE_CONSUMER_SESSION_TIMEOUT_MS": "6000",
    "PULSE_ALERTS_TICK_S": "0.5",
    "PULSE_WEBHOOK_ALLOW_PRIVATE": "true",
    "PULSE_WEBHOOK_POLL_INTERVAL_S": "0.2",
    # A delivery cut short by a kill waits for its lease (twice this, plus 10 s).
    "PULSE_WEBHOOK_ATTEMPT_TIMEOUT_S": "2",
}


@dataclass(frozen=True, slots=True)
class Strength:
    """How hard a run hits: kills at these fractions of the stream, over this many accounts."""

    kill_at: tuple[float, ...]
    accounts: int


QUICK = Strength(kill_at=(0.5,), accounts=60)
FULL = Strength(kill_at=(0.15, 0.45, 0.75), accounts=160)
STRENGTHS = [
    pytest.param(QUICK, id="quick"),
    pytest.param(FULL, id="full", marks=pytest.mark.faults),
]


@pytest.fixture
def recovery_settings(
    pulse_postgres_server_url: str, pulse_kafka_bootstrap: str, topic_prefix: str
) -> Iterator[Settings]:
    """Settings on a database of this test's own."""
    name = f"pulse_a_{uuid.uuid4().hex[:12]}"
    url = create_database(pulse_postgres_server_url, name)
    try:
        yield settings_for_tests(pulse_kafka_bootstrap, url, topic_prefix)
    finally:
        drop_database(pulse_postgres_server_url, name)


@pytest.fixture
async def alerts_db(recovery_settings: Settings) -> AsyncIterator[AsyncEngine]:
    """An engine on the test's database whose unqualified tables are alerts'."""
    engine = create_engine(recovery_settings, schema="alerts")
    yield engine
    await engine.dispose()


def _event(kind: str, account: str, event_id: str, at: datetime, **data: Any) -> Event:
    raw = {"id": event_id, "type": kind, "account_id": account, "occurred_at": at.isoformat()}
    return validate_event({**raw, "data": data})


def make_stream(
    rng: random.Random, now: datetime, accounts: int
) -> tuple[list[Event], set[tuple[Any, ...]]]:
    """Events of `accounts` accounts, and the alerts they must leave: (account, rule, id, count)."""
    events: list[Event] = []
    expected: set[tuple[Any, ...]] = set()
    for n in range(accounts):
        account = f"acct-{n:03d}"
        phones = 0
        for t in range(rng.randint(0, 6)):
            channel = rng.choice(["phone", "phone", "email"])
            phones += channel == "phone"
            # Inside the last 12 days: no ticket leaves the 14-day window during the test.
            at = now - timedelta(seconds=rng.randint(3600, 12 * 86_400))
            events.append(
                _event(
                    "support.ticket.opened",
                    account,
                    f"{account}-t{t}",
                    at,
                    ticket_id=f"t{t}",
                    priority="normal",
                    channel=channel,
                )
            )
        if phones >= 3:
            expected.add((account, "phone_tickets", alert_id(account, "phone_tickets", 1), phones))
        if rng.random() < 0.2:
            at = now - timedelta(days=rng.randint(1, 20))
            events.append(
                _event(
                    "contact.changed",
                    account,
                    f"{account}-c",
                    at,
                    contact_id="c1",
                    role="sponsor",
                    change="left",
                )
            )
            rule = "key_contact_left"
            expected.add((account, rule, alert_id(account, rule, 1), 1))
    return events, expected


@pytest.mark.parametrize("strength", STRENGTHS)
async def test_kill_9_mid_stream_again_and_again_leaves_each_alert_once(
    recovery_settings: Settings, alerts_db: AsyncEngine, tmp_path: Path, strength: Strength
) -> None:
    settings = recovery_settings
    topics = Topics(settings.topic_prefix)
    rng = random.Random(20261203)
    events, expected = make_stream(rng, datetime.now(UTC), strength.accounts)
    messages = [
        OutgoingMessage(topics.for_event_type(e.type), e.account_id.encode(), event_to_json(e))
        for e in events
    ] * 2  # every event id twice
    rng.shuffle(messages)
    total = sum(end_offsets(messages, settings.topic_partitions).values())
    await ensure_topics(settings, topics.all)
    receiver = WebhookReceiver(lambda: datetime.now(UTC))
    await receiver.start()

    env = settings_env(settings, **CHILD_SETTINGS)
    logs: list[Path] = []
    kills: list[int] = []
    try:
        for target in strength.kill_at:
            log = tmp_path / f"alerts-{len(logs)}.log"
            logs.append(log)
            port = free_port()
            with running_service("alerts", env, port, log, START_TIMEOUT_S) as (url, process):
                if not kills:  # subscribe, then send: every alert opened is delivered
                    receiver.secrets.append(await _subscribe(url, receiver.url))
                    await produce(settings, messages)
                deadline = time.monotonic() + PROGRESS_TIMEOUT_S
                while True:
                    done = await committed_messages(alerts_db, GROUP_ID, settings.topic_prefix)
                    if done >= target * total and done > (kills[-1] if kills else 0):
                        break
                    assert process.poll() is None, f"alerts exited early; see {log}"
                    assert time.monotonic() < deadline, f"no progress to {target:.0%}; see {log}"
                    await asyncio.sleep(0.01)
                await asyncio.sleep(rng.uniform(0, 0.03))  # inside a batch, not just after one
                process.kill()
                assert process.wait(30) == -signal.SIGKILL
            done = await committed_messages(alerts_db, GROUP_ID, settings.topic_prefix)
            assert done < total, f"alerts finished before the kill at {target:.0%}; see {log}"
            kills.append(done)
        assert kills == sorted(set(kills)), kills

        log = tmp_path / f"alerts-{len(logs)}.log"
        logs.append(log)
        with running_service("alerts", env, free_port(), log, START_TIMEOUT_S):
            deadline = time.monotonic() + PROGRESS_TIMEOUT_S
            while await committed_messages(alerts_db, GROUP_ID, settings.topic_prefix) < total:
                assert time.monotonic() < deadline, f"never caught up; see {logs}"
                await asyncio.sleep(0.1)
            assert await committed_messages(alerts_db, GROUP_ID, settings.topic_prefix) == total
            async with alerts_db.connect() as connection:
                rows = await connection.execute(
                    text("SELECT account_id, rule_id, id, count, state FROM alerts")
                )
                found = [tuple(row) for row in rows]
            # A delivery cut short by a kill is sent again once its lease runs out.
            received = await _all_delivered(receiver, {r[2] for r in found})
    finally:
        await receiver.stop()
    assert {r[4] for r in found} <= {"open"}, found
    assert sorted(r[:4] for r in found) == sorted(expected), f"kills at {kills}; logs {logs}"
    assert all(r.verified_with for r in received)
    ids_of: dict[str, set[str]] = {}
    for r in received:
        ids_of.setdefault(r.json["data"]["alert_id"], set()).add(r.webhook_id)
    assert {a: len(ids) for a, ids in ids_of.items()} == {r[2]: 1 for r in found}
    repeats = len(received) - len(ids_of)
    print(f"killed at {kills} of {total}; {len(ids_of)} alerts delivered, {repeats} repeats")


async def _subscribe(url: str, target: str) -> str:
    async with httpx.AsyncClient(base_url=url) as client:
        body = {"url": target, "event_types": ["alert.opened"]}
        response = await client.post("/v1/webhooks", json=body, headers=ADMIN_KEY)
    assert response.status_code == 201, response.text
    secret: str = response.json()["secret"]
    return secret


async def _all_delivered(receiver: WebhookReceiver, alert_ids: set[str]) -> list[Received]:
    deadline = time.monotonic() + PROGRESS_TIMEOUT_S
    while {r.json["data"]["alert_id"] for r in receiver.received} != alert_ids:
        assert time.monotonic() < deadline, "some alert was never delivered"
        await asyncio.sleep(0.2)
    return list(receiver.received)
