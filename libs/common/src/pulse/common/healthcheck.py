"""`python -m pulse.common.healthcheck [service]`: exit 0 when the service running in this
container answers `GET /healthz` with 200, else print why and exit 1.

It is the container image's HEALTHCHECK. One image runs every service, so the probe learns
which one from its argument, else `PULSE_SERVICE`, else the container's command line (the
command of process 1, `python -m pulse.<service>` or `pulse-<service>`); the port is the
service's own setting (`PULSE_<SERVICE>_PORT`, else its default). Only the standard library
and the settings are imported: Docker runs this every few seconds.
"""

from __future__ import annotations

import argparse
import os
import sys
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path

from pulse.common.settings import SERVICE_NAMES, ServiceName, Settings

#: Where Linux keeps the container's main command, NUL-separated.
MAIN_PROCESS_COMMAND_LINE = Path("/proc/1/cmdline")


def service_in_command_line(arguments: Sequence[str]) -> ServiceName | None:
    """The service a command line serves: `python -m pulse.<service>` or `pulse-<service>`
    (possibly behind an init such as tini); None for anything else, a migration included."""
    if arguments and arguments[-1] == "migrate":
        return None
    modules = {arguments[i + 1] for i, argument in enumerate(arguments[:-1]) if argument == "-m"}
    scripts = {Path(argument).name for argument in arguments}
    for service in SERVICE_NAMES:
        if f"pulse.{service}" in modules or f"pulse-{service}" in scripts:
            return service
    return None


def choose_service(
    argument: str | None, environ: Mapping[str, str], main_command: Sequence[str]
) -> ServiceName:
    """The service to probe, or ValueError saying how to name it."""
    named = argument or environ.get("PULSE_SERVICE")
    if named is not None:
        for service in SERVICE_NAMES:
            if named == service:
                return service
        raise ValueError(f"unknown service {named!r}; expected one of {list(SERVICE_NAMES)}")
    found = service_in_command_line(main_command)
    if found is None:
        raise ValueError(
            f"cannot tell which service runs from the command {' '.join(main_command)!r}; "
            "pass the service name or set PULSE_SERVICE"
        )
    return found


def healthz_url(service: ServiceName, settings: Settings) -> str:
    """The liveness URL of `service` inside its own container."""
    return f"http://127.0.0.1:{settings.port_of(service)}/healthz"


def probe(url: str, *, timeout_s: float) -> str | None:
    """None when `url` answers 200, else what went wrong."""
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as response:
            status: int = response.status
    except urllib.error.HTTPError as error:
        return f"{url} answered {error.code}"
    except OSError as error:  # refused, unreachable, timed out
        return f"{url} did not answer: {error}"
    return None if status == 200 else f"{url} answered {status}"


def read_main_command() -> list[str]:
    """The container's main command line; empty when it cannot be read (not Linux)."""
    try:
        raw = MAIN_PROCESS_COMMAND_LINE.read_bytes()
    except OSError:
        return []
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


def main(argv: list[str] | None = None) -> None:
    """Entry point: exit status 0 healthy, 1 unhealthy (Docker's convention)."""
    parser = argparse.ArgumentParser(
        prog="python -m pulse.common.healthcheck", description="Probe a service's /healthz"
    )
    parser.add_argument("service", nargs="?", help="ingest, health, alerts or renewals")
    parser.add_argument("--timeout", type=float, default=3.0, help="seconds to wait")
    args = parser.parse_args(argv)
    try:
        service = choose_service(args.service, os.environ, read_main_command())
        problem = probe(healthz_url(service, Settings()), timeout_s=args.timeout)
    except ValueError as error:  # also a bad PULSE_* setting (pydantic's errors are)
        problem = str(error)
    if problem is not None:
        print(f"unhealthy: {problem}", file=sys.stderr)
        raise SystemExit(1)


if __name__ == "__main__":
    main()
