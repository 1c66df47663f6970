"""`pulse dev` end to end: every service ready, SIGTERM leaves no process behind, a crashed
service is restarted without losing events, Ctrl-C drains, a dead broker stops the stack.

The crash loop has a quick form in `make test` (followed to its first backed-off restart)
and its full one under `make faults`; the other runs are bound by the stack's start, not
by their events, so they run whole in `make test`."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import httpx
import psutil
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from pulse.common.settings import SERVICE_NAMES
from pulse.devtools.embedded import EmbeddedPostgres, free_port
from pulse.devtools.samples import SampleEvents

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
        [sys.executable, "-m", "pulse.devtools.cli", "dev"],
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
        log = _log_once_it_says(workdir, "Bearer pulse-dev-key")  # the summary's last line
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
            [sys.executable, "-m", "pulse.devtools.cli", "dev"],
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
        [sys.executable, "-m", "pulse.devtools.cli", "dev"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "PULSE_DEV_KAFKA_PORT" in done.stderr


def _url(env: dict[str, str], name: str) -> str:
    return f"http://127.0.0.1:{env[f'PULSE_{name.upper()}_PORT']}"


def _send(
    env: dict[str, str], events: int, *, after_batch: Mapping[int, Callable[[], object]] = {}
) -> set[str]:
    """Send `events` sample events in batches of 500; the ids ingest accepted."""
    accepted: set[str] = set()
    samples = SampleEvents(seed=5, accounts=500)
    with httpx.Client(base_url=_url(env, "ingest"), timeout=30) as client:
        for number in range(events // 500):
            try:
                response = client.post(
                    "/v1/events",
                    json={"events": samples.mixed(500)},
                    headers={"Authorization": "Bearer pulse-dev-key"},
                )
            except httpx.TransportError:
                break  # the stack stopped: what was accepted is what counts
            assert response.status_code == 202, response.text
            accepted.update(response.json()["ids"])
            if number in after_batch:
                after_batch[number]()
    return accepted


async def _count_applied(database_url: str) -> int:
    """Event ids health has applied (it de-duplicates by id, so this is exact)."""
    engine = create_async_engine(database_url, poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            count = await connection.scalar(text("SELECT count(*) FROM health.processed_events"))
        return int(count or 0)
    finally:
        await engine.dispose()


def _applied_while_running(env: dict[str, str], workdir: Path) -> int:
    port = env["PULSE_DEV_POSTGRES_PORT"]
    url = f"postgresql+asyncpg://postgres@127.0.0.1:{port}/pulse"
    try:
        return asyncio.run(_count_applied(url))
    except (DBAPIError, OSError) as error:
        log = (workdir / "dev.log").read_text()[-3000:]
        pytest.fail(f"the stack's PostgreSQL stopped answering ({error}):\n{log}")


def _applied_after_exit(workdir: Path) -> int:
    """Start the stack's PostgreSQL again on its data and count."""
    postgres = EmbeddedPostgres(workdir / ".pulse" / "postgres", port=free_port())
    postgres.start()
    try:
        return asyncio.run(_count_applied(postgres.url()))
    finally:
        postgres.stop()


def _child(process: subprocess.Popen[bytes], *words: str) -> psutil.Process:
    for child in psutil.Process(process.pid).children(recursive=True):
        try:
            command = " ".join(child.cmdline())
        except psutil.NoSuchProcess:
            continue
        if all(word in command for word in words):
            return child
    raise AssertionError(f"no child process running {words}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)


def test_a_killed_service_is_restarted_and_loses_no_event(workdir: Path) -> None:
    env = _stack_env(workdir)
    process = _start(env, workdir)
    try:
        _wait_ready(env, process, workdir)
        health = _child(process, "pulse.health", "serve")
        accepted = _send(env, 4000, after_batch={2: health.kill})
        deadline = time.monotonic() + 90
        while True:
            time.sleep(0.5)  # (the old pulse dev stopped everything within ~1.3 s)
            assert process.poll() is None, (workdir / "dev.log").read_text()[-3000:]
            applied = _applied_while_running(env, workdir)
            if applied >= len(accepted) or time.monotonic() > deadline:
                break
        assert applied == len(accepted)
        assert process.poll() is None  # the rest of the stack kept running
        assert _child(process, "pulse.health", "serve").pid != health.pid
        restarted = "health exited with code -9 (killed by SIGKILL); restarting in 1s (restart 1)"
        assert f"pulse dev: {restarted}" in (workdir / "dev.log").read_text()
    finally:
        _stop(process)


def test_ctrl_c_drains_every_accepted_event_before_stopping(workdir: Path) -> None:
    env = _stack_env(workdir)
    process = _start(env, workdir)
    try:
        _wait_ready(env, process, workdir)
        accepted = _send(env, 10_000)
        process.send_signal(signal.SIGINT)
        process.wait(timeout=90)
    finally:
        _stop(process)
    assert _applied_after_exit(workdir) == len(accepted)
    log = (workdir / "dev.log").read_text()
    # Every consuming service is waited for: "… left to consume (health 1,200, alerts 900)".
    assert re.search(r"events left to consume \(.*health", log), log[-2000:]
    assert "pulse dev: drained: every accepted event has been consumed" in log
    assert process.returncode == 0


@pytest.mark.parametrize(
    "until_failed",
    [pytest.param(False, id="quick"), pytest.param(True, id="full", marks=pytest.mark.faults)],
)
def test_a_crash_loop_fails_one_service_and_a_dead_broker_stops_the_stack(
    workdir: Path, until_failed: bool
) -> None:
    """Quick: the restart fails on the taken port too and the next one is backed off;
    full: five exits within a minute and renewals is given up on (about a minute)."""
    env = _stack_env(workdir)
    process = _start(env, workdir)
    port = int(env["PULSE_RENEWALS_PORT"])
    try:
        _wait_ready(env, process, workdir)
        descendants = psutil.Process(process.pid).children(recursive=True)
        with socket.socket() as squatter:
            # Renewals killed, its port taken: every restart exits at once.
            _child(process, "pulse.renewals", "serve").kill()
            deadline = time.monotonic() + 10
            while True:  # bind once the killed process let go of the port
                try:
                    squatter.bind(("127.0.0.1", port))
                    break
                except OSError:
                    assert time.monotonic() < deadline
                    time.sleep(0.05)
            squatter.listen()
            if until_failed:
                log = _log_once_it_says(workdir, "renewals FAILED", within_s=120)
                assert "pulse dev: renewals FAILED: exited 5 times within 60s" in log
                assert str(workdir / ".pulse" / "logs" / "renewals.log") in log
                assert "address already in use" in log.split("renewals FAILED")[1].lower()
            else:
                log = _log_once_it_says(workdir, "(restart 2)", within_s=60)
                again = r"pulse dev: renewals exited with code \d+; restarting in 2s \(restart 2\)"
                assert re.search(again, log), log[-3000:]
                assert "address already in use" in log.split("(restart 1)")[1].lower()
            assert process.poll() is None
            for name in ("ingest", "health", "alerts"):
                assert _answers_200(f"{_url(env, name)}/readyz"), name

        _child(process, "tansu", "broker").kill()
        process.wait(timeout=60)
    finally:
        _stop(process)
    log = (workdir / "dev.log").read_text()
    assert process.returncode == 1
    assert "pulse dev: the broker (tansu) exited with code -9 (killed by SIGKILL)" in log
    assert str(workdir / ".pulse" / "logs" / "tansu.log") in log
    assert "events accepted but not yet consumed are gone" in log
    time.sleep(0.5)  # let init reap what it adopted
    survivors = [p for p in descendants if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    assert survivors == []
