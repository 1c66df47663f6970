"""Service processes of the dev stack: started in their own sessions, output prefixed by name
and also appended to a log file per service."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, TextIO

import httpx

from pulse.devtools.embedded.ports import die_with_parent

_TAIL_LINES = 30
_print_lock = threading.Lock()


def say(line: str, stream: TextIO | None = None) -> None:
    """Print one whole line; threads printing prefixed output never interleave mid-line."""
    with _print_lock:
        print(line, file=stream or sys.stdout, flush=True)


class ServiceProcess:
    """One Pulse process whose output is copied to our stdout as `name | line` and to its log;
    `start()` again after it exited restarts it."""

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        env: Mapping[str, str],
        width: int,
        log_path: Path,
    ) -> None:
        self.name = name
        self.argv = list(argv)
        self.env = dict(env)
        self.prefix = f"{name:<{width}} | "
        self.log_path = log_path
        self.tail: deque[str] = deque(maxlen=_TAIL_LINES)
        self._process: subprocess.Popen[bytes] | None = None
        self._pump: threading.Thread | None = None

    @property
    def pid(self) -> int | None:
        """The process id once started."""
        return self._process.pid if self._process is not None else None

    def start(self) -> None:
        """Start the process; its stdout and stderr go through the prefixing pump."""
        if self._pump is not None:
            self._pump.join(timeout=1.0)  # the last run's output, before the new run's
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._process = subprocess.Popen(
            self.argv,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # a terminal's Ctrl-C reaches only `pulse dev`
            preexec_fn=die_with_parent,
        )
        assert self._process.stdout is not None
        self._pump = threading.Thread(
            target=self._copy_output, args=(self._process.stdout,), daemon=True
        )
        self._pump.start()

    def exit_code(self) -> int | None:
        """None while running, else its exit code."""
        return self._process.poll() if self._process is not None else None

    def terminate(self) -> None:
        """Send SIGTERM (a graceful stop) if it still runs."""
        if self._process is not None and self._process.poll() is None:
            self._process.send_signal(signal.SIGTERM)

    def wait_or_kill(self, deadline: float) -> None:
        """Wait until `deadline` (monotonic), then SIGKILL its whole process group."""
        if self._process is None:
            return
        try:
            self._process.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            say(f"{self.prefix}did not stop in time; killing it", sys.stderr)
        try:
            os.killpg(self._process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self._process.wait()
        if self._pump is not None:
            self._pump.join(timeout=1.0)

    def _copy_output(self, stream: IO[bytes]) -> None:
        with self.log_path.open("ab") as log:
            for raw in iter(stream.readline, b""):
                log.write(raw)
                log.flush()
                line = raw.decode("utf-8", errors="replace").rstrip("\n")
                self.tail.append(line)
                say(self.prefix + line)
        stream.close()


def run_to_completion(
    commands: Mapping[str, Sequence[str]], env: Mapping[str, str], timeout: float
) -> dict[str, tuple[int, str]]:
    """Run commands in parallel; each name's exit code and output (124 on timeout)."""
    running = {
        name: subprocess.Popen(
            list(argv),
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            preexec_fn=die_with_parent,
        )
        for name, argv in commands.items()
    }
    results: dict[str, tuple[int, str]] = {}
    deadline = time.monotonic() + timeout
    for name, process in running.items():
        try:
            output, _ = process.communicate(timeout=max(0.0, deadline - time.monotonic()))
            code = process.returncode
        except subprocess.TimeoutExpired:
            process.kill()
            output, _ = process.communicate()
            code = 124
        results[name] = (code, output.decode("utf-8", errors="replace"))
    return results


def is_ready(url: str) -> bool:
    """True when `url` answers 200."""
    try:
        return httpx.get(url, timeout=1.0).status_code == 200
    except httpx.HTTPError:
        return False
