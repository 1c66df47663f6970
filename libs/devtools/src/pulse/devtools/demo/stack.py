"""The stack the demo talks to: the one `make run` already started, or its own `pulse dev`
child, stopped (and drained) when the demo ends."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from pulse.common.settings import SERVICE_NAMES, Settings
from pulse.common.topics import Topics
from pulse.devtools.devstack import DevStackSettings
from pulse.devtools.devstack.backlog import Backlog
from pulse.devtools.devstack.processes import is_ready
from pulse.devtools.embedded import EmbeddedPostgres

STOP_TIMEOUT_S = 90.0


class DemoStackError(Exception):
    """The stack did not come up; the message says why and where its log is."""


@dataclass(frozen=True, slots=True)
class Stack:
    """Where the running stack is."""

    urls: Mapping[str, str]
    bootstrap_servers: str
    database_url: str
    topics: Topics
    started_here: bool

    async def events_left(self) -> int:
        """Accepted events the consumers have yet to consume."""
        backlog = Backlog(
            bootstrap_servers=self.bootstrap_servers,
            database_url=self.database_url,
            topics=self.topics,
        )
        async with backlog:
            return sum((await backlog.left()).values())

    def wait_until_consumed(self, timeout_s: float) -> bool:
        """Poll until every accepted event is consumed; False when `timeout_s` ran out."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if asyncio.run(self.events_left()) == 0:
                return True
            time.sleep(0.5)
        return False


@contextmanager
def demo_stack(
    settings: Settings,
    dev: DevStackSettings,
    environ: Mapping[str, str],
    log_path: Path,
    start_timeout_s: float,
) -> Iterator[Stack]:
    """The running stack, started as a `pulse dev` child when nothing answers yet."""
    urls: dict[str, str] = {
        name: f"http://{settings.host}:{settings.port_of(name)}" for name in SERVICE_NAMES
    }
    embedded_database = EmbeddedPostgres(dev.postgres_data_dir, port=dev.postgres_port)
    stack = Stack(
        urls=urls,
        bootstrap_servers=environ.get("PULSE_KAFKA_BOOTSTRAP_SERVERS")
        or f"127.0.0.1:{dev.kafka_port}",
        database_url=environ.get("PULSE_DATABASE_URL") or embedded_database.url(dev.database),
        topics=Topics(settings.topic_prefix),
        started_here=not all(is_ready(f"{url}/readyz") for url in urls.values()),
    )
    if not stack.started_here:
        yield stack
        return
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as log:
        child = subprocess.Popen(
            [sys.executable, "-m", "pulse.devtools.cli", "dev"],
            env=dict(environ),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_until_ready(child, urls, log_path, start_timeout_s)
            yield stack
        finally:
            _stop(child)


def _wait_until_ready(
    child: subprocess.Popen[bytes], urls: Mapping[str, str], log_path: Path, timeout_s: float
) -> None:
    deadline = time.monotonic() + timeout_s
    pending = dict(urls)
    while pending:
        if child.poll() is not None:
            raise DemoStackError(f"pulse dev exited with {child.returncode}; see {log_path}")
        if time.monotonic() > deadline:
            names = ", ".join(pending)
            raise DemoStackError(f"{names} not ready after {timeout_s:.0f} s; see {log_path}")
        pending = {n: url for n, url in pending.items() if not is_ready(f"{url}/readyz")}
        time.sleep(0.25)


def _stop(child: subprocess.Popen[bytes]) -> None:
    """Ctrl-C for the child (it drains, then stops everything); kill it if it hangs."""
    if child.poll() is None:
        os.kill(child.pid, signal.SIGINT)
    try:
        child.wait(STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()
