"""Ports, start errors and child-process supervision shared by the embedded broker and Postgres.

A child runs in its own session (a Ctrl-C in the terminal reaches only the parent, which
stops children in the order it chooses), writes to a log, and is killed with its whole
process group if it ignores the polite signal, so nothing outlives `stop()`.
"""

from __future__ import annotations

import atexit
import ctypes
import errno
import os
import pwd
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import IO

_TAIL_LINES = 20
_FAILURE_MARK = re.compile(r"\b(FATAL|PANIC|ERROR|panicked|error)\b")
_PORT_IN_USE = ("AddrInUse", "Address already in use")
_PR_SET_PDEATHSIG = 1


class EmbeddedStartError(RuntimeError):
    """An embedded broker or Postgres could not start; the message says what to change."""

    def __init__(self, message: str, *, log_tail: str = "") -> None:
        super().__init__(message)
        self.log_tail = log_tail


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
        return port


def port_is_free(host: str, port: int) -> bool:
    """True when a server could bind `host:port` (SO_REUSEADDR, as tansu and postgres do)."""
    return _bind_error(host, port) is None


def port_taken_message(port: int, *, other: str, setting: str) -> str:
    """The one-line explanation for a port someone else holds."""
    return f"port {port} is taken (another {other}?); set {setting} to a free port"


def require_free_port(host: str, port: int, *, other: str, setting: str) -> None:
    """Raise `EmbeddedStartError` naming `setting` when `host:port` cannot be listened on."""
    error = _bind_error(host, port)
    if error is None:
        return
    if error.errno == errno.EADDRINUSE:
        raise EmbeddedStartError(port_taken_message(port, other=other, setting=setting))
    raise EmbeddedStartError(
        f"cannot listen on {host}:{port} ({error.strerror or error}); "
        f"use a local address, or another port via {setting}"
    )


def _bind_error(host: str, port: int) -> OSError | None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            return error
        return None


def failure_line(tail: str) -> str:
    """The most telling line of a log tail: the last error line, else the last line."""
    lines = [" ".join(line.split()) for line in tail.splitlines() if line.strip()]
    for line in reversed(lines):
        mark = _FAILURE_MARK.search(line)
        if mark:
            return line[mark.start() :]
    return lines[-1] if lines else "no output"


def mentions_port_in_use(tail: str) -> bool:
    """True when a child's log says its listening port was already bound."""
    return any(sign in tail for sign in _PORT_IN_USE)


class ChildProcess:
    """One supervised child process whose output goes to `log_path` (append) or nowhere."""

    def __init__(self, name: str, log_path: Path | None, stop_signal: signal.Signals) -> None:
        self.name = name
        self.log_path = log_path
        self.stop_signal = stop_signal
        self._process: subprocess.Popen[bytes] | None = None
        # Without a log file the output still lands in an unlinked temp file, so a failed
        # start can quote it; O_APPEND keeps our reads from moving the child's writes.
        self._scratch: IO[bytes] | None = None

    @property
    def pid(self) -> int | None:
        """The child's pid while it runs, else None."""
        if self._process is None or self._process.poll() is not None:
            return None
        return self._process.pid

    def has_exited(self) -> bool:
        """True when the child was spawned and is no longer running."""
        return self.exit_code() is not None

    def exit_code(self) -> int | None:
        """The spawned child's exit code once it exited by itself, else None."""
        return self._process.poll() if self._process is not None else None

    def spawn(self, argv: Sequence[str], *, user: str | None = None) -> None:
        """Start the child in its own session; `stop()` runs at interpreter exit as a net."""
        uid, gid, groups = _identity(user)
        with self._output() as output:
            self._process = subprocess.Popen(
                list(argv),
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                env={**os.environ, "NO_COLOR": "1"},
                user=uid,
                group=gid,
                extra_groups=groups,
                start_new_session=True,
                preexec_fn=die_with_parent,
            )
        atexit.register(self.stop)

    def run(self, argv: Sequence[str], *, user: str | None = None, timeout: float) -> int:
        """Run a helper command to completion with output to the log; its exit code."""
        uid, gid, groups = _identity(user)
        with self._output() as output:
            completed = subprocess.run(
                list(argv),
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                user=uid,
                group=gid,
                extra_groups=groups,
                timeout=timeout,
                check=False,
            )
        return completed.returncode

    def tail(self) -> str:
        """The last lines the child wrote."""
        if self._scratch is not None:
            self._scratch.seek(0)
            data = self._scratch.read()
        elif self.log_path is not None and self.log_path.exists():
            data = self.log_path.read_bytes()
        else:
            return ""
        lines = data.decode("utf-8", errors="replace").splitlines()
        return "\n".join(lines[-_TAIL_LINES:])

    def where_to_look(self) -> str:
        """'; see <log>' when there is a log file to read, else nothing."""
        return f"; see {self.log_path}" if self.log_path is not None else ""

    def stop(self, timeout: float = 10.0) -> None:
        """Send the stop signal, SIGKILL the process group after `timeout`; idempotent."""
        atexit.unregister(self.stop)
        process, self._process = self._process, None
        if process is not None:
            if process.poll() is None:
                process.send_signal(self.stop_signal)
                try:
                    process.wait(timeout)
                except subprocess.TimeoutExpired:
                    _kill_group(process.pid)
                    process.wait()
            # Grandchildren (postgres backends) may outlive a killed leader by a moment.
            _kill_group(process.pid)
        if self._scratch is not None:
            self._scratch.close()
            self._scratch = None

    def _output(self) -> IO[bytes]:
        if self.log_path is not None:
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            return self.log_path.open("ab")
        if self._scratch is None:
            self._scratch = tempfile.TemporaryFile(mode="a+b")
        # A second handle on the same open file, so `with` closes only the duplicate.
        return os.fdopen(os.dup(self._scratch.fileno()), "ab")


def die_with_parent() -> None:
    """In a child before exec: ask Linux to SIGKILL it when its parent dies, even by kill -9.

    Our children run in their own sessions, so a killed parent would otherwise leave them
    running; elsewhere than Linux this does nothing and `atexit` remains the only net.
    """
    if sys.platform != "linux":
        return
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def _identity(user: str | None) -> tuple[int | None, int | None, list[int] | None]:
    # Dropping to `user` must drop root's groups too, not only the uid.
    if user is None:
        return None, None, None
    entry = pwd.getpwnam(user)
    return entry.pw_uid, entry.pw_gid, []


def _kill_group(pgid: int, wait: float = 2.0) -> None:
    """SIGKILL what is left of process group `pgid`, then wait (bounded) until it is empty."""
    deadline = time.monotonic() + wait
    try:
        os.killpg(pgid, signal.SIGKILL)
        # Killed processes linger until reaped; a group that still exists after `wait`
        # holds only zombies an init process has yet to collect.
        while time.monotonic() < deadline:
            time.sleep(0.01)
            os.killpg(pgid, 0)
    except ProcessLookupError:
        return  # the group is empty: everything has exited
