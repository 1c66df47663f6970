"""The image's HEALTHCHECK probe: which service it probes, and its verdict against a real
HTTP server standing in for the service's /healthz."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from pulse.common.healthcheck import choose_service, main, service_in_command_line


def test_the_service_is_read_from_the_container_command() -> None:
    assert service_in_command_line(["python", "-m", "pulse.health"]) == "health"
    assert service_in_command_line(["/app/.venv/bin/python", "-m", "pulse.alerts", "serve"]) == (
        "alerts"
    )
    assert service_in_command_line(["/sbin/docker-init", "--", "python", "-m", "pulse.ingest"]) == (
        "ingest"
    )
    assert service_in_command_line(["/app/.venv/bin/pulse-renewals"]) == "renewals"


def test_one_shot_commands_name_no_service() -> None:
    assert service_in_command_line(["python", "-m", "pulse.ingest", "migrate"]) is None
    assert service_in_command_line(["pulse-topics", "--create"]) is None
    assert service_in_command_line(["python", "-m", "pulse.common.healthcheck"]) is None
    assert service_in_command_line([]) is None


def test_an_argument_or_pulse_service_wins_over_the_command() -> None:
    command = ["python", "-m", "pulse.ingest"]
    assert choose_service("alerts", {"PULSE_SERVICE": "health"}, command) == "alerts"
    assert choose_service(None, {"PULSE_SERVICE": "health"}, command) == "health"
    assert choose_service(None, {}, command) == "ingest"


def test_an_unknown_or_unnamed_service_is_an_error_that_says_what_to_do() -> None:
    with pytest.raises(ValueError, match="unknown service 'billing'"):
        choose_service("billing", {}, [])
    with pytest.raises(ValueError, match="pass the service name or set PULSE_SERVICE"):
        choose_service(None, {}, ["pulse-topics", "--create"])


class HealthzServer(ThreadingHTTPServer):
    """A local HTTP server whose /healthz answers `healthz_status`."""

    healthz_status = 200


class _Healthz(BaseHTTPRequestHandler):
    server: HealthzServer

    def do_GET(self) -> None:
        status = self.server.healthz_status if self.path == "/healthz" else 404
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass  # keep the test output clean


@pytest.fixture
def healthz_server() -> Iterator[HealthzServer]:
    server = HealthzServer(("127.0.0.1", 0), _Healthz)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def run_probe(*arguments: str, port: int) -> subprocess.CompletedProcess[str]:
    """The probe as Docker runs it: a process whose exit status is the verdict."""
    environ = {**os.environ, "PULSE_HEALTH_PORT": str(port), "PULSE_ENV": "dev"}
    environ.pop("PULSE_SERVICE", None)
    command = [sys.executable, "-m", "pulse.common.healthcheck", *arguments]
    return subprocess.run(command, env=environ, capture_output=True, text=True, timeout=60)


def probe_in_process(
    port: int, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str]:
    """The probe's exit status and what it printed, without a process per test."""
    monkeypatch.setenv("PULSE_HEALTH_PORT", str(port))
    monkeypatch.setenv("PULSE_ENV", "dev")
    with pytest.raises(SystemExit) as exited:
        main(["health", "--timeout", "2"])
    return int(str(exited.value.code)), capsys.readouterr().err


def test_a_service_that_answers_200_is_healthy(healthz_server: HealthzServer) -> None:
    healthz_server.healthz_status = 200
    result = run_probe("health", port=healthz_server.server_address[1])
    assert (result.returncode, result.stderr) == (0, "")


def test_a_service_that_answers_an_error_is_unhealthy(
    healthz_server: HealthzServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    healthz_server.healthz_status = 503
    port = healthz_server.server_address[1]
    status, printed = probe_in_process(port, monkeypatch, capsys)
    assert (status, printed) == (1, f"unhealthy: http://127.0.0.1:{port}/healthz answered 503\n")


def test_a_service_that_does_not_listen_is_unhealthy(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as unused:  # a port that was free a moment ago: nothing listens
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    status, printed = probe_in_process(port, monkeypatch, capsys)
    assert status == 1
    assert printed.startswith(f"unhealthy: http://127.0.0.1:{port}/healthz did not answer")


def test_a_bad_setting_is_unhealthy_with_the_reason(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    status, printed = probe_in_process(0, monkeypatch, capsys)  # ports are 1..65535
    assert status == 1
    assert "health_port" in printed
