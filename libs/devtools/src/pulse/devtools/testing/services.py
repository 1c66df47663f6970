"""Running a Pulse service as a real process (uvicorn, one worker) for tests and benchmarks."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

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
    environment = {**env, f"PULSE_{name.upper()}_PORT": str(port)}
    subprocess.run(
        [sys.executable, "-m", f"pulse.{name}", "migrate"],
        env=environment,
        check=True,
        capture_output=True,
    )
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", f"pulse.{name}", "serve"],
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + timeout_s
            while not _ready(url):
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{name} did not become ready; see {log_path}")
                time.sleep(0.1)
            yield url, process
        finally:
            process.terminate()
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _ready(url: str) -> bool:
    try:
        return httpx.get(f"{url}/readyz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False
