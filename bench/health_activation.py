"""Health reads while a scoring model is activated, and while a huge model body arrives.

`PUT /v1/scoring-model` re-scores every account from stored state. This measures
`GET /v1/accounts/{id}/health` at a steady open-loop rate (see `health_reads`) across
such an activation on a database of `accounts` accounts (the footprint part's, smaller),
and across a `PUT` of a 20 MiB body, which is refused (413) since it passes the limit.

    .venv/bin/python -m bench.health_activation [accounts [reads per second]]

Prints JSON: the reads' latency before, during the activation (from the PUT until the
last account is re-scored by the new model) and during the huge PUT.
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
import time
from typing import Any

import httpx

from bench.health import LOAD_TIMEOUT_S, health_env, wait_loaded
from bench.health_common import API_KEY, AUTH, latency_summary, scrape, sleep_until, wait_settled
from bench.health_footprint import FootprintOptions, account_ids, build_database, write_back
from bench.health_reads import CONNECTIONS, Connection
from bench.stack import embedded_stack, service
from pulse.devtools.embedded import free_port
from pulse.health.scoring.model import default_model_text

#: Reads per second by default: lower than `health_reads`' 500, which a loaded 2-core
#: machine (the client shares it) cannot serve steadily even with health idle.
RATE = 200
ADMIN = {**AUTH, "Content-Type": "application/yaml"}
RESCORED = "pulse_health_accounts_rescored_total"
HEALTH = "/v1/accounts/{}/health"
#: The event loop alone (no database): tells a stalled loop from a busy PostgreSQL.
PROBE = "/healthz"
PROBE_RATE = 20


class Reads:
    """GETs at `rate`/s until stopped; each latency with the moment it was due."""

    def __init__(self, url: str, ids: list[str], rate: int, path: str = HEALTH) -> None:
        self._url, self._ids, self._rate, self._path = url, ids, rate, path
        self.samples: list[tuple[float, float]] = []  # (due, latency), perf_counter s
        self._stop = False

    async def run(self) -> None:
        picker = random.Random(3)
        queue: asyncio.Queue[tuple[float, str] | None] = asyncio.Queue()

        async def worker(connection: Connection) -> None:
            while (item := await queue.get()) is not None:
                due, account_id = item
                await connection.get(self._path.format(account_id))
                self.samples.append((due, time.perf_counter() - due))

        connections = [await Connection.open(self._url) for _ in range(CONNECTIONS)]
        workers = [asyncio.create_task(worker(c)) for c in connections]
        loop = asyncio.get_running_loop()
        start_loop, start = loop.time(), time.perf_counter()
        n = 0
        while not self._stop:
            await sleep_until(start_loop + n / self._rate)
            queue.put_nowait((start + n / self._rate, picker.choice(self._ids)))
            n += 1
        for _ in workers:
            queue.put_nowait(None)
        await asyncio.gather(*workers)
        for connection in connections:
            connection.close()

    def stop(self) -> None:
        self._stop = True

    def between(self, start: float, end: float) -> dict[str, Any]:
        chosen = [latency for due, latency in self.samples if start <= due <= end]
        return {"requests": len(chosen), **latency_summary(chosen)}


async def rescored(url: str) -> float:
    return await asyncio.to_thread(lambda: scrape(url).get(RESCORED, 0.0))


async def measure(url: str, ids: list[str], accounts: int, rate: int) -> dict[str, Any]:
    reads = Reads(url, ids, rate)
    probes = Reads(url, ["-"], PROBE_RATE, PROBE)
    running = [asyncio.create_task(reads.run()), asyncio.create_task(probes.run())]
    async with httpx.AsyncClient(base_url=url, timeout=120) as client:
        await asyncio.sleep(13)
        quiet = reads.between(time.perf_counter() - 10, time.perf_counter())

        text = default_model_text().replace('version: "2026.12-default.2"', 'version: "bench.2"')
        text = text.replace("green: 70", "green: 72")
        before = await rescored(url)
        started = time.perf_counter()
        put = await client.put("/v1/scoring-model", content=text, headers=ADMIN)
        answered = time.perf_counter() - started
        for _ in range(3000):  # 10 minutes at most
            if await rescored(url) >= before + accounts:
                break
            await asyncio.sleep(0.2)
        ended = time.perf_counter()
        activation = reads.between(started, ended)
        activation_probes = probes.between(started, ended)
        await asyncio.sleep(3)

        huge = text.encode() + b"#" + b"x" * (20 * 1024 * 1024)
        huge_started = time.perf_counter()
        refused = await client.put("/v1/scoring-model", content=huge, headers=ADMIN)
        huge_answered = time.perf_counter() - huge_started
        await asyncio.sleep(3)
        around_huge = reads.between(huge_started - 0.5, huge_started + huge_answered + 1)
    reads.stop()
    probes.stop()
    await asyncio.gather(*running)
    return {
        "accounts": accounts,
        "reads_per_s": rate,
        "quiet_reads": quiet,
        "activation": {
            "put_status": put.status_code,
            "put_answered_s": round(answered, 2),
            "rescore_s": round(ended - started, 1),
            "reads": activation,
            "healthz": activation_probes,
        },
        "huge_body_20MiB": {
            "status": refused.status_code,
            "answered_s": round(huge_answered, 2),
            "reads": around_huge,
        },
    }


def main(accounts: int, rate: int = RATE) -> dict[str, Any]:
    footprint = FootprintOptions(
        simulated_accounts=200, days=30, target_accounts=accounts, history_accounts=accounts
    )
    with embedded_stack() as stack:
        own, _ = build_database(stack, footprint)
        env = {**health_env(footprint), "PULSE_API_KEYS": f"bench:{API_KEY}:ingest+read+admin"}
        with service("health", own, free_port(), log_name="health-activation", **env) as url:
            wait_loaded(url, accounts)
            wait_settled(url, LOAD_TIMEOUT_S)
            asyncio.run(write_back(own))
            ids = account_ids(footprint, with_history=False)
            return asyncio.run(measure(url, ids, accounts, rate))


if __name__ == "__main__":
    arguments = [int(a) for a in sys.argv[1:3]]
    print(json.dumps(main(*arguments) if arguments else main(20_000), indent=2))
