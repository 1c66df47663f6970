"""Waiting, as `pulse dev` stops, until every consumer caught up with what ingest accepted:
the embedded broker keeps topics in memory, so what is unconsumed when it stops is lost."""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Callable, Mapping

from aiokafka.errors import KafkaError
from sqlalchemy.exc import SQLAlchemyError

from pulse.devtools.devstack.backlog import Backlog
from pulse.devtools.devstack.processes import say

#: How often the backlog is read; progress is printed about once a second.
CHECK_EVERY_S = 0.5
PROGRESS_EVERY_S = 1.0
#: Longest one reading of the backlog may take (a broker that stopped answering).
READ_TIMEOUT_S = 5.0


def describe_left(left: Mapping[str, int]) -> str:
    """`12,400 events left to consume (health)`; per service when several have some."""
    waiting = {service: count for service, count in left.items() if count}
    total = sum(waiting.values())
    if len(waiting) == 1:
        return f"{total:,} events left to consume ({next(iter(waiting))})"
    who = ", ".join(f"{service} {count:,}" for service, count in waiting.items())
    return f"{total:,} events left to consume ({who})"


async def drain(
    backlog: Backlog,
    *,
    timeout_s: float,
    skip: Callable[[], bool],
    supervise: Callable[[], None],
    failed: Callable[[], set[str]],
) -> bool:
    """Wait until nothing is left to consume, printing progress; True when drained.

    `supervise` runs every round (services that crash meanwhile are restarted, a dead
    broker raises); `skip` is the second Ctrl-C; `failed` names crash-looped services.
    """
    deadline = time.monotonic() + timeout_s
    next_progress = time.monotonic()
    left: dict[str, int] | None = None
    problem = ""
    try:
        async with backlog:
            while True:
                supervise()
                if skip():
                    say("pulse dev: second Ctrl-C: not waiting for consumers; stopping now")
                    return False
                try:
                    left = await asyncio.wait_for(backlog.left(), READ_TIMEOUT_S)
                    problem = ""
                except (KafkaError, SQLAlchemyError, OSError, TimeoutError) as error:
                    problem = f"cannot read what is left to consume ({error!r}); retrying"
                if left is not None and sum(left.values()) == 0:
                    say("pulse dev: drained: every accepted event has been consumed")
                    return True
                waiting = {service for service, count in (left or {}).items() if count}
                if waiting and waiting <= failed():  # crash-looped: nothing will consume
                    say(
                        f"pulse dev: {', '.join(sorted(waiting))} FAILED: not waiting for the "
                        f"{describe_left(left or {})}",
                        sys.stderr,
                    )
                    return False
                now = time.monotonic()
                if now >= deadline:
                    _timed_out(left, timeout_s)
                    return False
                if now >= next_progress:
                    say(f"draining: {problem or describe_left(left or {})}")
                    next_progress = now + PROGRESS_EVERY_S
                await asyncio.sleep(CHECK_EVERY_S)
    except (KafkaError, SQLAlchemyError, OSError) as error:
        say(f"pulse dev: cannot drain: {error!r}; stopping without waiting", sys.stderr)
        return False


def _timed_out(left: Mapping[str, int] | None, timeout_s: float) -> None:
    what = describe_left(left) if left else "an unknown number of events left to consume"
    say(
        f"pulse dev: drain timed out after {timeout_s:g}s with {what}; stopping the services "
        "now (allow longer with PULSE_DEV_DRAIN_TIMEOUT_S)",
        sys.stderr,
    )


async def report_left_behind(backlog: Backlog) -> bool:
    """Once the consumers stopped (finishing their batches): say what the broker takes with
    it when it stops; True when that is nothing."""
    try:
        async with backlog:
            left = await asyncio.wait_for(backlog.left(), READ_TIMEOUT_S)
    except (KafkaError, SQLAlchemyError, OSError, TimeoutError) as error:
        say(f"pulse dev: cannot count the events left behind ({error!r})", sys.stderr)
        return False
    if sum(left.values()) == 0:
        say("pulse dev: the services consumed the rest while stopping; nothing is lost")
        return True
    lost = describe_left(left).replace("left to consume", "never consumed")
    say(f"pulse dev: LOST: {lost}; they vanish with the broker's memory", sys.stderr)
    return False
