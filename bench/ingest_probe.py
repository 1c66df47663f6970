"""Probe a running ingest process for the failures the door must not have.

`.venv/bin/python -m bench.ingest_probe` starts its own broker and PostgreSQL, then:
1. freezes the broker (SIGSTOP) for 30 s and times two waves of 20 concurrent requests
   (the second once the first is answered), then counts how many events of the requests
   answered 503 landed anyway;
2. sizes `/metrics` before and after 10,000 items with distinct unknown fields and
   1,000 requests to random unknown paths;
3. seeds 10,001 known accounts (`PROBE_KNOWN_ACCOUNTS`) and counts the accounts a
   Statuspage outage reaches.
"""

from __future__ import annotations

import asyncio
import os
import signal
import statistics
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import insert

from bench.stack import embedded_stack, service
from pulse.common.db.engine import create_engine
from pulse.common.settings import Settings
from pulse.common.topics import Topics
from pulse.devtools.embedded import free_port
from pulse.devtools.testing.kafka import read_topics
from pulse.ingest.tables import known_accounts

KEY = {"Authorization": "Bearer pulse-dev-key"}
CONCURRENT = 20
EVENTS_PER_REQUEST = 20
FROZEN_S = 30.0
#: Known accounts seeded before the outage (`PROBE_KNOWN_ACCOUNTS`).
KNOWN_ACCOUNTS = int(os.environ.get("PROBE_KNOWN_ACCOUNTS", "10001"))


def events(request: int) -> list[dict[str, Any]]:
    at = (datetime.now(UTC) - timedelta(minutes=5)).isoformat()
    return [
        {
            "id": f"probe-{request}-{n}",
            "type": "usage.activity",
            "account_id": f"acct-{request}-{n}",
            "occurred_at": at,
            "data": {"user_id": "u"},
        }
        for n in range(EVENTS_PER_REQUEST)
    ]


async def frozen_broker(url: str, broker_pid: int, bootstrap: str) -> None:
    async with httpx.AsyncClient(base_url=url, timeout=120) as client:
        warm = await client.post("/v1/events", json={"events": events(-1)}, headers=KEY)
        assert warm.status_code == 202, warm.text
        os.kill(broker_pid, signal.SIGSTOP)
        frozen_at = time.monotonic()
        resumed = asyncio.Event()

        async def one(request: int, started: float) -> tuple[int, float, int, bool]:
            body = {"events": events(request)}
            response = await client.post("/v1/events", json=body, headers=KEY)
            took = time.monotonic() - started
            return request, took, response.status_code, resumed.is_set()

        async def resume_later() -> None:
            await asyncio.sleep(FROZEN_S)
            os.kill(broker_pid, signal.SIGCONT)
            resumed.set()

        resumer = asyncio.create_task(resume_later())
        waves = []
        for wave in range(2):  # the second starts once the first is answered
            started = time.monotonic()
            first = wave * CONCURRENT
            requests = range(first, first + CONCURRENT)
            waves.append(await asyncio.gather(*(one(r, started) for r in requests)))
        await resumer
        ready = await client.get("/readyz")
    print(f"broker frozen (SIGSTOP) for {FROZEN_S:g}s from t=0")
    refused: set[int] = set()
    for number, answers in enumerate(waves, 1):
        times = sorted(took for _, took, _, _ in answers)
        statuses = Counter(status for _, _, status, _ in answers)
        refused |= {r for r, _, status, _ in answers if status == 503}
        print(
            f"  wave {number}: {CONCURRENT} concurrent requests, statuses {dict(statuses)}, "
            f"time to answer p50 {statistics.median(times):.2f}s max {times[-1]:.2f}s, "
            f"answered after the resume: {sum(after for *_, after in answers)}"
        )
    print(
        f"  /readyz after resume: {ready.status_code}; frozen {time.monotonic() - frozen_at:.0f}s"
    )
    await asyncio.sleep(12)  # the producer's own request timeout (10 s) runs out
    usage_topic = Topics("pulse").for_event_type("usage.activity")
    records = await read_topics(bootstrap, [usage_topic], idle_s=3)
    landed = {r.key.decode() for r in records if r.key}
    refused_landed = sum(
        1 for r in refused for n in range(EVENTS_PER_REQUEST) if f"acct-{r}-{n}" in landed
    )
    print(
        f"  events of 503 requests on topics: {refused_landed} of "
        f"{len(refused) * EVENTS_PER_REQUEST}"
    )


async def metrics_growth(url: str) -> None:
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        before = len((await client.get("/metrics")).content)
        at = (datetime.now(UTC) - timedelta(minutes=5)).isoformat()
        for chunk in range(10):
            bad = [
                {"type": "usage.activity", "account_id": "a", "occurred_at": at,
                 "data": {"user_id": "u"}, f"f{chunk}_{n}_{uuid.uuid4().hex[:6]}": 1}
                for n in range(1000)
            ]  # fmt: skip
            await client.post("/v1/events", json=bad, headers=KEY)
        for _ in range(1000):
            await client.get(f"/{uuid.uuid4().hex}")
        after = len((await client.get("/metrics")).content)
    print(f"/metrics: {before:,} B before, {after:,} B after 10,000 bad fields + 1,000 404s")


async def outage_reach(url: str) -> None:
    started = time.monotonic()
    outcome = await _post_outage(url)
    took = time.monotonic() - started
    print(f"outage with {KNOWN_ACCOUNTS:,} seeded known accounts ({took:.1f}s):", outcome)


async def _post_outage(url: str) -> Any:
    incident = {
        "incident": {
            "id": "probe-inc",
            "status": "investigating",
            "impact": "major",
            "created_at": (datetime.now(UTC) - timedelta(minutes=1)).isoformat(),
            "components": [{"id": "cmp-1", "name": "API"}],
        }
    }
    async with httpx.AsyncClient(base_url=url, timeout=120) as client:
        response = await client.post("/v1/sources/statuspage", json=incident, headers=KEY)
    body = response.json()
    return {
        "status": response.status_code,
        "accepted": body.get("accepted"),
        "fanned_out": body.get("fanned_out"),
        "bytes": len(response.content),
        "rejected": [e["errors"][0]["message"][:120] for e in body.get("rejected", [])],
    }


async def seed_accounts(settings: Settings, count: int) -> None:
    engine = create_engine(settings, schema="ingest")
    try:
        async with engine.begin() as connection:
            rows = [{"account_id": f"seed-{n:06d}"} for n in range(count)]
            await connection.execute(insert(known_accounts), rows)
    finally:
        await engine.dispose()


def main() -> None:
    with embedded_stack() as stack:
        broker_pid = _broker_pid(stack.bootstrap_servers)
        with service("ingest", stack, free_port()) as url:
            asyncio.run(frozen_broker(url, broker_pid, stack.bootstrap_servers))
            asyncio.run(metrics_growth(url))
        settings = Settings(database_url=stack.database_url)
        asyncio.run(seed_accounts(settings, KNOWN_ACCOUNTS))
        with service("ingest", stack, free_port(), log_name="ingest2") as url:
            asyncio.run(outage_reach(url))


def _broker_pid(bootstrap: str) -> int:
    port = bootstrap.rsplit(":", 1)[1]
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmdline = f.read().split(b"\0")
        except OSError:
            continue
        if any(b"tansu" in part for part in cmdline[:1]) and any(
            part.endswith(f":{port}".encode()) for part in cmdline
        ):
            return int(pid)
    raise RuntimeError(f"no tansu process listens on {bootstrap}")


if __name__ == "__main__":
    main()
