"""The demo's own stack: `pulse dev` as a child process on a fresh data folder and the
simulated clock, stopped (after draining) when the demo ends."""

from __future__ import annotations

import asyncio
import os
import shutil
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
from pulse.devtools.embedded import EmbeddedPostgres, port_is_free

STOP_TIMEOUT_S = 90.0


class DemoStackError(Exception):
    """The stack cannot start; the message says why and what to do."""


@dataclass(frozen=True, slots=True)
class Stack:
    """Where the running stack is."""

    urls: Mapping[str, str]
    bootstrap_servers: str
    database_url: str
    topics: Topics

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
) -> Iterator[Stack]:
    """Start `pulse dev` with `environ` (its data folder wiped first) and yield once every
    service answers /readyz."""
    if environ.get("PULSE_KAFKA_BOOTSTRAP_SERVERS") or environ.get("PULSE_DATABASE_URL"):
        raise DemoStackError(
            "the demo starts its own broker and PostgreSQL on a simulated clock; "
            "unset PULSE_KAFKA_BOOTSTRAP_SERVERS and PULSE_DATABASE_URL"
        )
    urls: dict[str, str] = {
        name: f"http://{settings.host}:{settings.port_of(name)}" for name in SERVICE_NAMES
    }
    taken = [
        name for name in SERVICE_NAMES if not port_is_free(settings.host, settings.port_of(name))
    ]
    if taken:
        raise DemoStackError(
            f"{', '.join(taken)} port(s) taken: stop `make run` first (the demo runs its own "
            "stack, on a simulated clock)"
        )
    shutil.rmtree(dev.dir, ignore_errors=True)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    stack = Stack(
        urls=urls,
        bootstrap_servers=f"127.0.0.1:{dev.kafka_port}",
        database_url=EmbeddedPostgres(dev.postgres_data_dir, port=dev.postgres_port).url(
            dev.database
        ),
        topics=Topics(settings.topic_prefix),
    )
    with log_path.open("wb") as log:
        child = subprocess.Popen(
            [sys.executable, "-m", "pulse.devtools.cli", "dev"],
            env=dict(environ),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_until_ready(child, urls, log_path, dev.start_timeout_s)
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
