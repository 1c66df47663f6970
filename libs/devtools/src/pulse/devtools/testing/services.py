"""Running a Pulse service as a real process (uvicorn, one worker) for tests and benchmarks."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import httpx

from pulse.common.settings import Settings


def settings_env(settings: Settings, **extra: str) -> dict[str, str]:
    """The environment that makes a child process read `settings` (plus `extra`)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PULSE_")}
    env.update(
        PULSE_ENV=settings.env,
        PULSE_KAFKA_BOOTSTRAP_SERVERS=settings.kafka_bootstrap_servers,
        PULSE_DATABASE_URL=settings.database_url.get_secret_value(),
        PULSE_TOPIC_PREFIX=settings.topic_prefix,
        PULSE_TOPIC_PARTITIONS=str(settings.topic_partitions),
        PULSE_API_KEYS=settings.api_keys.get_secret_value(),
        PULSE_LOG_LEVEL="WARNING",
    )
    env.update(extra)
    return env


@contextmanager
def running_service(
    name: str, env: Mapping[str, str], port: int, log_path: Path, timeout_s: float = 60.0
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """Migrate, then serve `pulse.<name>` on `port` until the block ends; its URL and process."""
    environment = _environment(name, env, port)
    _migrate(name, environment)
    with log_path.open("wb") as log:
        process = _serve(name, environment, log)
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_until_ready(name, url, process, log_path, time.monotonic() + timeout_s)
            yield url, process
        finally:
            stop_process(process)


@contextmanager
def running_services(
    ports: Mapping[str, int], env: Mapping[str, str], log_dir: Path, timeout_s: float = 120.0
) -> Iterator[dict[str, str]]:
    """Migrate and serve several services (name -> port) at once, so that their start-ups
    overlap, until the block ends; each one's URL. Logs go to `log_dir/<name>.log`."""
    environments = {name: _environment(name, env, port) for name, port in ports.items()}
    migrations = []
    for name, environment in environments.items():
        with (log_dir / f"{name}.migrate.log").open("wb") as log:
            command = [sys.executable, "-m", f"pulse.{name}", "migrate"]
            migration = subprocess.Popen(command, env=environment, stdout=log, stderr=log)
            migrations.append((name, migration))
    for name, migration in migrations:
        if migration.wait() != 0:
            raise RuntimeError(f"{name} migrate failed; see {log_dir / f'{name}.migrate.log'}")
    processes: dict[str, subprocess.Popen[bytes]] = {}
    try:
        for name, environment in environments.items():
            with (log_dir / f"{name}.log").open("wb") as log:
                processes[name] = _serve(name, environment, log)
        deadline = time.monotonic() + timeout_s
        urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
        for name, process in processes.items():
            _wait_until_ready(name, urls[name], process, log_dir / f"{name}.log", deadline)
        yield urls
    finally:
        for process in processes.values():
            stop_process(process)


def _environment(name: str, env: Mapping[str, str], port: int) -> dict[str, str]:
    return {**env, f"PULSE_{name.upper()}_PORT": str(port)}


def _migrate(name: str, environment: Mapping[str, str]) -> None:
    subprocess.run(
        [sys.executable, "-m", f"pulse.{name}", "migrate"],
        env=environment,
        check=True,
        capture_output=True,
    )


def _serve(name: str, environment: Mapping[str, str], log: IO[bytes]) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", f"pulse.{name}", "serve"]
    return subprocess.Popen(command, env=environment, stdout=log, stderr=subprocess.STDOUT)


def _wait_until_ready(
    name: str, url: str, process: subprocess.Popen[bytes], log_path: Path, deadline: float
) -> None:
    wait_until_answering(name, f"{url}/readyz", process, log_path, deadline)


def wait_until_answering(
    name: str, probe: str, process: subprocess.Popen[bytes], log_path: Path, deadline: float
) -> None:
    """Poll `probe` until it answers 200; RuntimeError once `process` exits or at `deadline`."""
    while not _answers_200(probe):
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"{name} did not become ready; see {log_path}")
        time.sleep(0.1)


def stop_process(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM, then SIGKILL after 15 s."""
    process.terminate()
    try:
        process.wait(15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _answers_200(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.HTTPError:
        return False
