"""The command line every service shares: `python -m pulse.<service> [serve|migrate]`."""

from __future__ import annotations

import argparse
import asyncio
import gc
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import uvicorn
from fastapi import FastAPI
from pydantic import ValidationError
from pydantic_settings import BaseSettings

from pulse.common.db.migrations import upgrade_to_head
from pulse.common.logging import configure_logging
from pulse.common.settings import ServiceName, Settings

S = TypeVar("S", bound=BaseSettings)


def load_settings_or_exit(settings_class: type[S]) -> S:
    """Settings from the environment; on a bad value print one line per problem and exit 2."""
    prefix = str(settings_class.model_config.get("env_prefix", ""))
    try:
        return settings_class()
    except ValidationError as exc:
        for error in exc.errors():
            field = ".".join(str(p) for p in error["loc"])
            name = f"{prefix}{field.upper()}" if field else "settings"
            print(f"pulse: invalid configuration {name}: {error['msg']}", file=sys.stderr)
        raise SystemExit(2) from None


#: Allocations between young-generation collections (CPython's default is 700).
GC_YOUNG_THRESHOLD = 50_000


def tune_garbage_collector() -> None:
    """Collect cycles less often. A service holds many long-lived objects (cached state,
    compiled queries) and allocates short-lived ones per message; at CPython's defaults
    the collector re-walks them so often that it took a quarter of health's CPU.
    Reference counting still frees everything acyclic at once."""
    gc.collect()
    gc.freeze()  # what was built at import time is never collected
    gc.set_threshold(GC_YOUNG_THRESHOLD, 50, 100)


def service_main(
    name: ServiceName,
    create_app: Callable[[Settings], FastAPI],
    *,
    schema: str,
    migrations_dir: Path,
) -> None:
    """Parse the command line, then serve HTTP (default) or apply migrations."""
    parser = argparse.ArgumentParser(prog=f"pulse-{name}", description=f"Pulse {name} service")
    parser.add_argument("command", nargs="?", choices=["serve", "migrate"], default="serve")
    args = parser.parse_args()
    settings = load_settings_or_exit(Settings)
    configure_logging(name, settings.log_level)
    if args.command == "migrate":
        upgrade_to_head(settings, schema=schema, migrations_dir=migrations_dir)
        return
    tune_garbage_collector()
    config = uvicorn.Config(
        create_app(settings),
        host=settings.host,
        port=settings.port_of(name),
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=5,
        loop="uvloop",
        http="httptools",
    )
    server = uvicorn.Server(config)
    asyncio.run(server.serve())
    if not server.started:
        raise SystemExit(1)
