"""`pulse dev` end to end: every service ready, SIGTERM leaves no process behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest

from pulse.common.embedded import free_port
from pulse.common.settings import SERVICE_NAMES

pytestmark = pytest.mark.integration

START_TIMEOUT_S = 90.0


def _stack_env(workdir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PULSE_")}
    env["PULSE_DEV_DIR"] = str(workdir / ".pulse")
    env["PULSE_DEV_KAFKA_PORT"] = str(free_port())
    env["PULSE_DEV_POSTGRES_PORT"] = str(free_port())
    for name in SERVICE_NAMES:
        env[f"PULSE_{name.upper()}_PORT"] = str(free_port())
    return env


@pytest.fixture
def workdir() -> Iterator[Path]:
    # Not pytest's tmp_path: the unprivileged postgres user cannot enter its 0700 folders.
    path = Path(tempfile.mkdtemp(prefix="pulse-dev-test-"))
    path.chmod(0o755)
    yield path
    subprocess.run(["rm", "-rf", str(path)], check=False)


def _start(env: dict[str, str], workdir: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "pulse.common.cli", "dev"],
        env=env,
        cwd=workdir,
        stdout=(workdir / "dev.log").open("wb"),
        stderr=subprocess.STDOUT,
    )


def _wait_ready(env: dict[str, str], process: subprocess.Popen[bytes], workdir: Path) -> None:
    urls = [f"http://127.0.0.1:{env[f'PULSE_{n.upper()}_PORT']}/readyz" for n in SERVICE_NAMES]
    deadline = time.monotonic() + START_TIMEOUT_S
    pending = list(urls)
    while pending:
        if process.poll() is not None:
            log = (workdir / "dev.log").read_text()
            pytest.fail(f"pulse dev exited with {process.returncode}:\n{log[-3000:]}")
        if time.monotonic() > deadline:
            pytest.fail(f"not ready: {pending}\n{(workdir / 'dev.log').read_text()[-3000:]}")
        pending = [url for url in pending if not _answers_200(url)]
        time.sleep(0.25)


def _log_once_it_says(workdir: Path, text: str, within_s: float = 15.0) -> str:
    """The dev log once it contains `text` (or as it is when the bounded wait ends)."""
    deadline = time.monotonic() + within_s
    log = (workdir / "dev.log").read_text()
    while text not in log and time.monotonic() < deadline:
        time.sleep(0.25)
        log = (workdir / "dev.log").read_text()
    return log


def _answers_200(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1.0).status_code == 200
    except httpx.HTTPError:
        return False


def test_dev_stack_starts_everything_and_sigterm_leaves_nothing(workdir: Path) -> None:
    env = _stack_env(workdir)
    process = _start(env, workdir)
    try:
        _wait_ready(env, process, workdir)
        descendants = psutil.Process(process.pid).children(recursive=True)
        # Four services, the broker and the postmaster at least.
        assert len(descendants) >= 6
        # `pulse dev` polls the same probes on its own cadence before it says so.
        log = _log_once_it_says(workdir, "Pulse is ready")
        assert "Pulse is ready" in log
        assert "Bearer pulse-dev-key" in log
        assert "ingest   | " in log  # service output is prefixed by its name
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=15)
    assert process.returncode == 0
    time.sleep(0.5)  # let init reap what it adopted
    survivors = [p for p in descendants if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    assert survivors == []
    assert (workdir / ".pulse" / "postgres" / "PG_VERSION").exists()  # data stays for next time


def test_taken_service_port_is_one_clear_line(workdir: Path) -> None:
    env = _stack_env(workdir)
    import socket

    with socket.socket() as holder:
        holder.bind(("127.0.0.1", int(env["PULSE_HEALTH_PORT"])))
        holder.listen()
        done = subprocess.run(
            [sys.executable, "-m", "pulse.common.cli", "dev"],
            env=env,
            cwd=workdir,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert done.returncode == 1
    assert "set PULSE_HEALTH_PORT to a free port" in done.stderr
    assert not (workdir / ".pulse").exists()  # nothing was started


def test_bad_setting_names_the_variable(workdir: Path) -> None:
    env = {**_stack_env(workdir), "PULSE_DEV_KAFKA_PORT": "not-a-port"}
    done = subprocess.run(
        [sys.executable, "-m", "pulse.common.cli", "dev"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "PULSE_DEV_KAFKA_PORT" in done.stderr
