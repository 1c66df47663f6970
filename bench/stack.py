"""The benchmark's own broker and PostgreSQL on free ports, and service processes."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from pulse.devtools.embedded import EmbeddedBroker, EmbeddedPostgres, free_port


@dataclass(frozen=True)
class Stack:
    """Where the benchmark's broker and database are."""

    bootstrap_servers: str
    database_url: str
    workdir: Path

    def env(self, **extra: str) -> dict[str, str]:
        """Environment of a Pulse process on this stack; `extra` may override the log level."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("PULSE_")}
        env.update(
            PULSE_KAFKA_BOOTSTRAP_SERVERS=self.bootstrap_servers,
            PULSE_DATABASE_URL=self.database_url,
            PULSE_LOG_LEVEL="WARNING",
        )
        env.update(extra)
        return env


@contextmanager
def embedded_stack() -> Iterator[Stack]:
    """A fresh broker and PostgreSQL for one benchmark run. PostgreSQL's data (about
    3 GB after the health part) is deleted afterwards; the logs stay in the workdir."""
    workdir = Path(tempfile.mkdtemp(prefix="pulse-bench-"))
    workdir.chmod(0o755)
    broker = EmbeddedBroker(port=free_port(), log_path=workdir / "tansu.log")
    postgres = EmbeddedPostgres(workdir / "pg", port=free_port(), log_path=workdir / "postgres.log")
    broker.start()
    try:
        postgres.start()
        try:
            postgres.ensure_database("pulse")
            yield Stack(broker.bootstrap_servers, postgres.url("pulse"), workdir)
        finally:
            postgres.stop()
            shutil.rmtree(workdir / "pg", ignore_errors=True)
    finally:
        broker.stop()


@contextmanager
def service(
    name: str, stack: Stack, port: int, *, log_name: str | None = None, **env: str
) -> Iterator[str]:
    """Run `python -m pulse.<name>` (migrated first) until the block ends; yield its URL.

    Its output goes to `<workdir>/<log_name or name>.log`.
    """
    environment = stack.env(**{f"PULSE_{name.upper()}_PORT": str(port)}, **env)
    subprocess.run([sys.executable, "-m", f"pulse.{name}", "migrate"], env=environment, check=True)
    log_path = stack.workdir / f"{log_name or name}.log"
    log = log_path.open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", f"pulse.{name}", "serve"],
        env=environment,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    profiler = None
    try:
        deadline = time.monotonic() + 60
        while not _ready(url):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{name} did not start; see {log_path}")
            time.sleep(0.2)
        if os.environ.get("PULSE_BENCH_PROFILE"):
            # py-spy samples the service while it is measured: collapsed stacks to read
            # with any flame-graph tool (`py-spy` is in the dev dependencies).
            profile = stack.workdir.parent / f"pulse-bench-{name}.folded"
            profiler = subprocess.Popen(
                [
                    _py_spy(),
                    "record",
                    "--format",
                    "raw",
                    "-o",
                    str(profile),
                    "--pid",
                    str(process.pid),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        yield url
    finally:
        if profiler is not None:
            profiler.send_signal(2)
            profiler.wait(30)
        process.terminate()
        process.wait(15)
        log.close()


def _py_spy() -> str:
    """py-spy of this virtualenv: `make bench` runs .venv/bin/python without .venv/bin on
    PATH."""
    beside = Path(sys.executable).parent / "py-spy"
    return str(beside) if beside.exists() else "py-spy"


def _ready(url: str) -> bool:
    try:
        return httpx.get(f"{url}/readyz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False
