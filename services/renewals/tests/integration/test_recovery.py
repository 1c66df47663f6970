"""Renewals processes killed mid-stream (kill -9, three times at full strength) end with
the figures of a single uninterrupted run: the retention movements, the forecast totals
and one `renewal.at_risk` id per account entering at risk. Real broker, real PostgreSQL,
real `python -m pulse.renewals` children; every message is sent twice and each account's
contract changes arrive newest first. The expected figures follow from the stream by hand.

`make test` runs the quick form (one kill, fewer accounts); `make faults` the full one.
"""

from __future__ import annotations

import asyncio
import random
import signal
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from pulse.common.db.engine import create_engine
from pulse.common.events import event_to_json, validate_event
from pulse.common.kafka.admin import ensure_topics
from pulse.common.kafka.producer import OutgoingMessage
from pulse.common.settings import Settings
from pulse.common.topics import Topics
from pulse.devtools.embedded import free_port
from pulse.devtools.testing.kafka import end_offsets, produce, read_topics
from pulse.devtools.testing.offsets import committed_messages
from pulse.devtools.testing.plugin import READ_KEY
from pulse.devtools.testing.services import running_service, settings_env

pytestmark = pytest.mark.integration

GROUP_ID = "pulse-renewals"  # pulse.renewals.background.GROUP_ID
#: Failure timeouts only: nothing asserts how long anything took.
START_TIMEOUT_S = 90.0
PROGRESS_TIMEOUT_S = 150.0
CHILD_SETTINGS = {
    "PULSE_LOG_LEVEL": "INFO",
    "PULSE_CONSUMER_MAX_BATCH": "20",
    "PULSE_CONSUMER_POLL_TIMEOUT_MS": "50",
    "PULSE_CONSUMER_SESSION_TIMEOUT_MS": "6000",
    "PULSE_RENEWALS_REPORTING_CURRENCY": "EUR",
    "PULSE_RENEWALS_TICK_S": "0.5",
}
PERIOD = {"from": "2026-01-01", "to": "2027-01-01"}


@dataclass(frozen=True, slots=True)
class Strength:
    """How hard a run hits: kills at these fractions of the stream, over this many accounts."""

    kill_at: tuple[float, ...]
    accounts: int


QUICK = Strength(kill_at=(0.5,), accounts=60)
FULL = Strength(kill_at=(0.15, 0.45, 0.75), accounts=200)
STRENGTHS = [
    pytest.param(QUICK, id="quick"),
    pytest.param(FULL, id="full", marks=pytest.mark.faults),
]


@pytest.fixture
async def renewals_db(own_database: Settings) -> AsyncIterator[AsyncEngine]:
    """An engine on the test's database whose unqualified tables are renewals'."""
    engine = create_engine(own_database, schema="renewals")
    yield engine
    await engine.dispose()


def first_arr(n: int) -> int:
    """Account n's first contract, in euros: 1,000 to 5,000."""
    return 1000 * (1 + n % 5)


def make_stream(topics: Topics, today: date, accounts: int) -> list[OutgoingMessage]:
    """Per account: its profile, then its contract changes newest first, then one score;
    all of it twice. n % 3 == 0 expands by 500 on 2026-03-01, n % 3 == 1 churns on
    2026-05-01; n % 4 == 0 is red (at risk: every renewal is 0-99 days away)."""
    now = datetime.now(UTC)
    messages: list[OutgoingMessage] = []
    for n in range(accounts):
        account = f"acct-{n:03d}"
        events = [
            _event(
                "account.updated",
                account,
                f"{account}-u",
                now - timedelta(days=3),
                currency="EUR",
                segment="high_touch" if n % 2 else "low_touch",
                owner=f"owner-{n % 5}",
                renewal_date=(today + timedelta(days=n % 100)).isoformat(),
            ),
        ]
        if n % 3 == 0:
            events.append(_contract(account, "c2", "expansion", first_arr(n) + 500, "2026-03-01"))
        if n % 3 == 1:
            events.append(_contract(account, "c2", "churn", 0, "2026-05-01"))
        events.append(_contract(account, "c1", "new", first_arr(n), "2025-06-01"))
        own = [
            OutgoingMessage(topics.for_event_type(e.type), account.encode(), event_to_json(e))
            for e in events
        ]
        band = "red" if n % 4 == 0 else "green"
        body = {
            "id": f"hs_{account}",
            "account_id": account,
            "score": 20.0 if band == "red" else 80.0,
            "band": band,
            "computed_at": (now - timedelta(hours=1)).isoformat(),
        }
        own.append(OutgoingMessage(topics.health_scores, account.encode(), orjson.dumps(body)))
        messages += own
    return messages + messages


def expected_figures(accounts: int) -> dict[str, Any]:
    """The retention lines and the 90-day forecast the stream of `accounts` must leave."""
    starting = sum(first_arr(n) for n in range(accounts))
    expansion = 500 * len([n for n in range(accounts) if n % 3 == 0])
    churn = sum(first_arr(n) for n in range(accounts) if n % 3 == 1)

    def arr_now(n: int) -> int:
        return {0: first_arr(n) + 500, 1: 0, 2: first_arr(n)}[n % 3]

    renewing = [n for n in range(accounts) if n % 100 <= 90]
    return {
        "starting": starting,
        "expansion": expansion,
        "churn": churn,
        "ending": starting + expansion - churn,
        "renewals": len(renewing),
        "arr": sum(arr_now(n) for n in renewing),
        "arr_at_risk": sum(arr_now(n) for n in renewing if n % 4 == 0),
        "at_risk_accounts": {f"acct-{n:03d}" for n in range(accounts) if n % 4 == 0},
    }


def _event(kind: str, account: str, event_id: str, at: datetime, **data: Any) -> Any:
    raw = {"id": event_id, "type": kind, "account_id": account, "occurred_at": at.isoformat()}
    return validate_event({**raw, "data": data})


def _contract(account: str, suffix: str, change: str, arr: int, day: str) -> Any:
    return _event(
        "contract.changed",
        account,
        f"{account}-{suffix}",
        datetime.now(UTC) - timedelta(days=1),
        change=change,
        arr_after=str(arr),
        effective_at=f"{day}T00:00:00Z",
    )


@pytest.mark.parametrize("strength", STRENGTHS)
async def test_kill_9_mid_stream_changes_no_figure(
    own_database: Settings, renewals_db: AsyncEngine, tmp_path: Path, strength: Strength
) -> None:
    settings = own_database
    topics = Topics(settings.topic_prefix)
    rng = random.Random(20261203)
    messages = make_stream(topics, datetime.now(UTC).date(), strength.accounts)
    total = sum(end_offsets(messages, settings.topic_partitions).values())
    await ensure_topics(settings, topics.all)
    await produce(settings, messages)

    env = settings_env(settings, **CHILD_SETTINGS)
    logs: list[Path] = []
    kills: list[int] = []
    for target in strength.kill_at:
        log = tmp_path / f"renewals-{len(logs)}.log"
        logs.append(log)
        with running_service("renewals", env, free_port(), log, START_TIMEOUT_S) as (_, process):
            deadline = time.monotonic() + PROGRESS_TIMEOUT_S
            while True:
                done = await committed_messages(renewals_db, GROUP_ID, settings.topic_prefix)
                if done >= target * total and done > (kills[-1] if kills else 0):
                    break
                assert process.poll() is None, f"renewals exited early; see {log}"
                assert time.monotonic() < deadline, f"no progress to {target:.0%}; see {log}"
                await asyncio.sleep(0.01)
            await asyncio.sleep(rng.uniform(0, 0.03))  # inside a batch, not just after one
            process.kill()
            assert process.wait(30) == -signal.SIGKILL
        done = await committed_messages(renewals_db, GROUP_ID, settings.topic_prefix)
        assert done < total, f"renewals finished before the kill at {target:.0%}; see {log}"
        kills.append(done)
    assert kills == sorted(set(kills)), kills

    log = tmp_path / f"renewals-{len(logs)}.log"
    logs.append(log)
    with running_service("renewals", env, free_port(), log, START_TIMEOUT_S) as (url, _):
        deadline = time.monotonic() + PROGRESS_TIMEOUT_S
        while await committed_messages(renewals_db, GROUP_ID, settings.topic_prefix) < total:
            assert time.monotonic() < deadline, f"never caught up; see {logs}"
            await asyncio.sleep(0.1)
        async with httpx.AsyncClient(base_url=url, headers=READ_KEY) as client:
            retention = (
                await client.get("/v1/retention", params={**PERIOD, "method": "period"})
            ).json()
            forecast = (await client.get("/v1/forecast")).json()
        records = await read_topics(
            settings.kafka_bootstrap_servers,
            [topics.renewals_at_risk],
            at_least=strength.accounts // 4,
        )

    expected = expected_figures(strength.accounts)
    movements = retention["total"]["period"]
    for line in ("starting", "expansion", "churn", "ending"):
        assert movements[line] == f"{expected[line]}.00", (line, movements, kills, logs)
    assert (forecast["total"]["renewals"], forecast["total"]["arr"]) == (
        expected["renewals"],
        f"{expected['arr']}.00",
    )
    assert forecast["total"]["arr_at_risk"] == f"{expected['arr_at_risk']}.00"
    ids_of: dict[str, set[str]] = {}
    for record in records:
        message = orjson.loads(record.value)
        ids_of.setdefault(message["account_id"], set()).add(message["id"])
    assert set(ids_of) == expected["at_risk_accounts"]
    assert all(len(ids) == 1 for ids in ids_of.values()), ids_of
    print(f"killed at {kills} of {total}; {len(records)} at-risk messages for {len(ids_of)}")
