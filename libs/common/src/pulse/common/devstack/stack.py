"""`pulse dev`: the whole stack on one machine, started and stopped as one.

Order: check every port, start the broker and PostgreSQL (unless external ones are
configured), create topics, migrate every schema, start the four services, wait until each
`/readyz` answers 200, print where everything is, then wait for Ctrl-C or SIGTERM. Stopping
runs in reverse and is bounded, so nothing is left behind after 10 s.
"""

from __future__ import annotations

import asyncio
import signal
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from types import FrameType

from sqlalchemy.engine import make_url

from pulse.common.devstack.config import DevStackSettings
from pulse.common.devstack.processes import (
    ServiceProcess,
    is_ready,
    run_to_completion,
    say,
)
from pulse.common.embedded import (
    EmbeddedBroker,
    EmbeddedPostgres,
    EmbeddedStartError,
    port_is_free,
)
from pulse.common.kafka.admin import ensure_topics
from pulse.common.settings import DEV_API_KEYS, SERVICE_NAMES, Settings
from pulse.common.topics import Topics

SERVICE_STOP_S = 5.0
MIGRATION_TIMEOUT_S = 120.0
_WIDTH = max(len(n) for n in SERVICE_NAMES)


class DevStackError(Exception):
    """The stack cannot start; the message is one line naming the cause and what to change."""


class _StopRequested(Exception):
    """SIGINT or SIGTERM arrived."""


def run_dev(settings: Settings, dev: DevStackSettings, environ: Mapping[str, str]) -> int:
    """Run the stack until a signal; 0 after a clean stop, 1 when something failed."""
    external_kafka = bool(environ.get("PULSE_KAFKA_BOOTSTRAP_SERVERS"))
    external_database = bool(environ.get("PULSE_DATABASE_URL"))
    with _signals_raise_stop(), ExitStack() as cleanup:
        try:
            _check_service_ports(settings)
            env = dict(environ)
            env.setdefault("PULSE_ENV", settings.env)
            if not external_kafka:
                broker = EmbeddedBroker(port=dev.kafka_port, log_path=dev.log_dir / "tansu.log")
                say(f"starting Kafka-protocol broker (tansu) on {broker.bootstrap_servers}")
                cleanup.callback(broker.stop, 2.0)
                broker.start()
                env["PULSE_KAFKA_BOOTSTRAP_SERVERS"] = broker.bootstrap_servers
            if not external_database:
                postgres = EmbeddedPostgres(
                    dev.postgres_data_dir,
                    port=dev.postgres_port,
                    log_path=dev.log_dir / "postgres.log",
                )
                say(f"starting PostgreSQL on 127.0.0.1:{dev.postgres_port}, data {dev.dir}")
                cleanup.callback(postgres.stop, 3.0)
                postgres.start()
                postgres.ensure_database(dev.database)
                env["PULSE_DATABASE_URL"] = postgres.url(dev.database)
            stack_settings = settings.model_copy(
                update={
                    "kafka_bootstrap_servers": env["PULSE_KAFKA_BOOTSTRAP_SERVERS"],
                }
            )
            _create_topics(stack_settings, external_kafka)
            _migrate(env, external_database)
            services = _start_services(env, cleanup)
            _wait_until_ready(settings, services, dev.start_timeout_s)
            _print_summary(settings, dev, env, external_kafka, external_database)
            return _watch(services)
        except (DevStackError, EmbeddedStartError) as error:
            say(f"pulse dev: {error}", sys.stderr)
            return 1
        except _StopRequested:
            say("stopping")
            return 0
        finally:
            # A second Ctrl-C must not cut the cleanup short and leave processes behind.
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            signal.signal(signal.SIGTERM, signal.SIG_IGN)


@contextmanager
def _signals_raise_stop() -> Iterator[None]:
    def handler(signum: int, frame: FrameType | None) -> None:
        raise _StopRequested

    previous = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for signum, action in previous.items():
            signal.signal(signum, action)


def _check_service_ports(settings: Settings) -> None:
    for name in SERVICE_NAMES:
        port = settings.port_of(name)
        if not port_is_free(settings.host, port):
            raise DevStackError(
                f"port {port} is taken (another {name} running?); "
                f"set PULSE_{name.upper()}_PORT to a free port"
            )


def _create_topics(settings: Settings, external: bool) -> None:
    try:
        topics = Topics(settings.topic_prefix).all
        created = asyncio.run(asyncio.wait_for(ensure_topics(settings, topics), timeout=30))
    except Exception as error:
        where = "PULSE_KAFKA_BOOTSTRAP_SERVERS" if external else "PULSE_DEV_KAFKA_PORT"
        raise DevStackError(
            f"cannot create topics on {settings.kafka_bootstrap_servers} "
            f"({type(error).__name__}: {error}); check {where}"
        ) from error
    if created:
        say(f"created {len(created)} topics: {', '.join(created)}")


def _migrate(env: Mapping[str, str], external: bool) -> None:
    commands: dict[str, list[str]] = {
        name: [sys.executable, "-m", f"pulse.{name}", "migrate"] for name in SERVICE_NAMES
    }
    say("migrating schemas: " + ", ".join(SERVICE_NAMES))
    for name, (code, output) in run_to_completion(commands, env, MIGRATION_TIMEOUT_S).items():
        if code != 0:
            for line in output.splitlines()[-20:]:
                say(f"{name:<{_WIDTH}} | {line}", sys.stderr)
            hint = "check PULSE_DATABASE_URL" if external else "see the output above"
            raise DevStackError(f"migrating {name} failed with exit code {code}; {hint}")


def _start_services(env: Mapping[str, str], cleanup: ExitStack) -> list[ServiceProcess]:
    services = [
        ServiceProcess(name, [sys.executable, "-m", f"pulse.{name}", "serve"], env, _WIDTH)
        for name in SERVICE_NAMES
    ]
    cleanup.callback(_stop_services, services)
    for service in services:
        service.start()
    return services


def _stop_services(services: list[ServiceProcess]) -> None:
    for service in services:
        service.terminate()
    deadline = time.monotonic() + SERVICE_STOP_S
    for service in services:
        service.wait_or_kill(deadline)


def _wait_until_ready(settings: Settings, services: list[ServiceProcess], timeout: float) -> None:
    pending = {
        s.name: f"http://{settings.host}:{settings.port_of(s.name)}/readyz" for s in services
    }
    deadline = time.monotonic() + timeout
    while pending:
        for service in services:
            code = service.exit_code()
            if code is not None:
                raise DevStackError(
                    f"{service.name} exited with code {code} during start; see its lines above"
                )
        pending = {name: url for name, url in pending.items() if not is_ready(url)}
        if pending and time.monotonic() > deadline:
            raise DevStackError(
                f"{', '.join(pending)} not ready after {timeout:g}s; see the lines above, "
                "or allow longer with PULSE_DEV_START_TIMEOUT_S"
            )
        time.sleep(0.2)


def _watch(services: list[ServiceProcess]) -> int:
    """Sleep until a signal (raised as `_StopRequested`) or until a service dies."""
    while True:
        for service in services:
            code = service.exit_code()
            if code is not None:
                say(f"pulse dev: {service.name} exited with code {code}; stopping", sys.stderr)
                return 1
        time.sleep(0.5)


def _print_summary(
    settings: Settings,
    dev: DevStackSettings,
    env: Mapping[str, str],
    external_kafka: bool,
    external_database: bool,
) -> None:
    rows = [("service", "url", "docs")]
    for name in SERVICE_NAMES:
        url = f"http://{settings.host}:{settings.port_of(name)}"
        rows.append((name, url, f"{url}/docs"))
    kafka = env["PULSE_KAFKA_BOOTSTRAP_SERVERS"]
    database = _without_password(env["PULSE_DATABASE_URL"])
    rows.append(("kafka", kafka, "external" if external_kafka else f"logs {dev.log_dir}"))
    rows.append(
        ("postgres", database, "external" if external_database else f"data {dev.dir.resolve()}")
    )
    is_dev_key = settings.api_keys.get_secret_value() == DEV_API_KEYS
    key = settings.parsed_api_keys()[0].secret if is_dev_key else "(from PULSE_API_KEYS)"
    rows.append(("api key", f"Authorization: Bearer {key}", ""))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    say("")
    say("Pulse is ready. Ctrl-C stops everything.")
    for row in rows:
        cells = (cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        say(("  " + "  ".join(cells)).rstrip())
    say("")


def _without_password(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=True)
