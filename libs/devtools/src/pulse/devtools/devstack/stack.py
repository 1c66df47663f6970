"""`pulse dev`: the whole stack on one machine, started and stopped as one.

Order: check every port, start the broker and PostgreSQL (unless external ones are
configured), create topics, migrate every schema, start the four services, wait until each
`/readyz` answers 200, print where everything is, then supervise until Ctrl-C or SIGTERM
(a service that exits is restarted; a dead broker or PostgreSQL stops the stack).

Stopping: ingest first, so nothing more is accepted; then, with the embedded broker (its
topics live in memory), wait until every consumer caught up, bounded by
PULSE_DEV_DRAIN_TIMEOUT_S (a second Ctrl-C skips the wait); then the other services,
PostgreSQL and the broker, each bounded, so nothing is left behind.
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

from pulse.common.kafka.admin import ensure_topics
from pulse.common.settings import DEV_API_KEYS, SERVICE_NAMES, Settings
from pulse.common.topics import Topics
from pulse.devtools.devstack.backlog import Backlog
from pulse.devtools.devstack.config import DevStackSettings
from pulse.devtools.devstack.drain import drain, report_left_behind
from pulse.devtools.devstack.processes import (
    ServiceProcess,
    is_ready,
    run_to_completion,
    say,
)
from pulse.devtools.devstack.supervisor import StackLost, StackMemory, Supervisor
from pulse.devtools.embedded import (
    EmbeddedBroker,
    EmbeddedPostgres,
    EmbeddedStartError,
    port_is_free,
)

SERVICE_STOP_S = 5.0
MIGRATION_TIMEOUT_S = 120.0
SUPERVISE_EVERY_S = 0.2
_WIDTH = max(len(n) for n in SERVICE_NAMES)
#: The service whose stop comes first: once it exited, nothing more is accepted.
_FRONT_DOOR = "ingest"
_EVENTS_GONE = "the broker keeps topics in memory: events accepted but not yet consumed are gone"


class DevStackError(Exception):
    """The stack cannot start; the message is one line naming the cause and what to change."""


class _StopRequested(Exception):
    """SIGINT or SIGTERM arrived while the stack was starting."""


class _Signals:
    """Counts SIGINT/SIGTERM. While starting, the first one aborts the start at once; once
    running, they are only counted, so the stop (and its drain) runs in order."""

    def __init__(self) -> None:
        self.count = 0
        self.starting = True

    def __call__(self, signum: int, frame: FrameType | None) -> None:
        self.count += 1
        if self.starting:
            raise _StopRequested


def run_dev(settings: Settings, dev: DevStackSettings, environ: Mapping[str, str]) -> int:
    """Run the stack until a signal; 0 after a clean stop, 1 when something failed or events
    were left unconsumed in the embedded broker."""
    external_kafka = bool(environ.get("PULSE_KAFKA_BOOTSTRAP_SERVERS"))
    external_database = bool(environ.get("PULSE_DATABASE_URL"))
    signals = _Signals()
    memory: list[StackMemory] = []
    with _handling(signals), ExitStack() as cleanup:
        try:
            _check_service_ports(settings)
            env = dict(environ)
            env.setdefault("PULSE_ENV", settings.env)
            if not external_kafka:
                broker_log = dev.log_dir / "tansu.log"
                broker = EmbeddedBroker(port=dev.kafka_port, log_path=broker_log)
                say(f"starting Kafka-protocol broker (tansu) on {broker.bootstrap_servers}")
                cleanup.callback(broker.stop, 2.0)
                broker.start()
                env["PULSE_KAFKA_BOOTSTRAP_SERVERS"] = broker.bootstrap_servers
                memory.append(
                    StackMemory("the broker (tansu)", broker.exit_code, broker_log, _EVENTS_GONE)
                )
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
                lost = f"its data in {dev.postgres_data_dir} is kept, but nothing can consume"
                if not external_kafka:
                    lost += f", and {_EVENTS_GONE} once the broker stops"
                memory.append(
                    StackMemory(
                        "PostgreSQL", postgres.exit_code, dev.log_dir / "postgres.log", lost
                    )
                )
            stack_settings = settings.model_copy(
                update={
                    "kafka_bootstrap_servers": env["PULSE_KAFKA_BOOTSTRAP_SERVERS"],
                }
            )
            _create_topics(stack_settings, external_kafka)
            _migrate(env, external_database)
            services = _start_services(env, dev, cleanup)
            _wait_until_ready(settings, services, dev.start_timeout_s)
            _print_summary(settings, dev, env, external_kafka, external_database)
            signals.starting = False
            supervisor = Supervisor(services, memory)
            while signals.count == 0:
                supervisor.poll()
                time.sleep(SUPERVISE_EVERY_S)
            return _stop_in_order(
                services,
                supervisor,
                signals,
                stack_settings,
                env,
                dev,
                drain_broker=not external_kafka,
            )
        except (DevStackError, EmbeddedStartError) as error:
            say(f"pulse dev: {error}", sys.stderr)
            return 1
        except StackLost as lost:
            _say_loudly(str(lost))
            return 1
        except _StopRequested:
            say("stopping")
            return 0
        finally:
            # Further Ctrl-Cs must not cut the cleanup short and leave processes behind.
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            signal.signal(signal.SIGTERM, signal.SIG_IGN)


@contextmanager
def _handling(signals: _Signals) -> Iterator[None]:
    previous = {s: signal.signal(s, signals) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for signum, action in previous.items():
            signal.signal(signum, action)


def _stop_in_order(
    services: list[ServiceProcess],
    supervisor: Supervisor,
    signals: _Signals,
    settings: Settings,
    env: Mapping[str, str],
    dev: DevStackSettings,
    *,
    drain_broker: bool,
) -> int:
    """Ingest first, then (embedded broker) wait for the consumers; the caller's cleanup
    stops the rest. 1 when events are left behind in the broker."""
    say(f"pulse dev: stopping {_FRONT_DOOR} first, so no more events are accepted")
    front_door = next(s for s in services if s.name == _FRONT_DOOR)
    supervisor.retire(_FRONT_DOOR)
    front_door.terminate()
    front_door.wait_or_kill(time.monotonic() + SERVICE_STOP_S)
    if not drain_broker or dev.drain_timeout_s == 0:
        return 0
    if signals.count > 1:
        say("pulse dev: second Ctrl-C: not waiting for consumers; stopping now")
        return 0
    backlog = Backlog(
        bootstrap_servers=env["PULSE_KAFKA_BOOTSTRAP_SERVERS"],
        database_url=env["PULSE_DATABASE_URL"],
        topics=Topics(settings.topic_prefix),
    )
    drained = asyncio.run(
        drain(
            backlog,
            timeout_s=dev.drain_timeout_s,
            skip=lambda: signals.count > 1,
            supervise=supervisor.poll,
            failed=lambda: supervisor.failed,
        )
    )
    if drained or signals.count > 1:
        return 0
    # Stopped gracefully, consumers commit the batches they hold: count after that.
    _stop_services(services)
    return 0 if asyncio.run(report_left_behind(backlog)) else 1


def _say_loudly(message: str) -> None:
    bar = "!" * 78
    say(bar, sys.stderr)
    for line in message.splitlines():
        say(f"pulse dev: {line}", sys.stderr)
    say(bar, sys.stderr)


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


def _start_services(
    env: Mapping[str, str], dev: DevStackSettings, cleanup: ExitStack
) -> list[ServiceProcess]:
    # Webhooks to receivers on this machine (or its network) are what local runs test with.
    alerts_env = {"PULSE_WEBHOOK_ALLOW_PRIVATE": "true", **env}
    services = [
        ServiceProcess(
            name,
            [sys.executable, "-m", f"pulse.{name}", "serve"],
            alerts_env if name == "alerts" else env,
            _WIDTH,
            dev.log_dir / f"{name}.log",
        )
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
    say("Pulse is ready. Ctrl-C waits until every accepted event is consumed, then stops.")
    for row in rows:
        cells = (cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        say(("  " + "  ".join(cells)).rstrip())
    say("")


def _without_password(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=True)
