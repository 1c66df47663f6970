"""`pulse demo`: start (or reuse) the stack, subscribe a local receiver to alerts, run a
short simulation through ingest, show the alerts as their webhooks arrive, then summarise
what Pulse concluded: bands per segment, at-risk renewals, retention, and how well the score
predicted the simulated churn."""

from __future__ import annotations

import argparse
import os
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from pulse.common.settings import Settings
from pulse.devtools.demo.client import PulseClient
from pulse.devtools.demo.receiver import WebhookReceiver
from pulse.devtools.demo.showing import (
    alert_lines,
    band_table,
    heading,
    retention_lines,
    riskiest_renewals_table,
)
from pulse.devtools.demo.stack import DemoStackError, Stack, demo_stack
from pulse.devtools.demo.timeline import DemoTimeline
from pulse.devtools.devstack import DevStackSettings

#: Alerts shown in full; the next ones get a line each, up to SHOWN_IN_A_LINE, then a count.
SHOWN_IN_FULL = 8
SHOWN_IN_A_LINE = 30
#: Webhooks keep arriving for a moment after the last event is consumed.
QUIET_FOR_S = 3.0
SUBSCRIBED_TO = ["alert.opened"]
#: Simulated time begins this long after the stack starts (it stands still until then):
#: time enough for the stack to get ready, so no simulated day passes unplayed.
START_LEAD_S = 45.0


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`pulse demo` and its options."""
    demo = commands.add_parser(
        "demo",
        help="watch Pulse work: a simulated customer base, its alerts, renewals and retention",
        description="Starts the stack on a simulated clock (data in PULSE_DEV_DIR/demo, "
        "wiped first), subscribes a local webhook receiver, plays a simulated customer base "
        "through ingest, prints alerts as they arrive, then a summary read from the "
        "services' APIs and how well the score predicted the simulated churn.",
    )
    demo.add_argument("--accounts", type=int, default=300, help="simulated accounts (300)")
    demo.add_argument("--days", type=int, default=120, help="simulated days, ending today")
    demo.add_argument("--seed", type=int, default=7, help="the simulation's seed")
    demo.add_argument(
        "--days-per-minute", type=float, default=60.0, help="simulated days per real minute"
    )
    demo.add_argument(
        "--horizon-days",
        type=int,
        default=30,
        help="validation: the score this many days before each outcome predicts it",
    )
    demo.add_argument(
        "--drain-timeout", type=float, default=600.0, help="seconds to wait for consumers"
    )
    demo.add_argument(
        "--start-lead",
        type=float,
        default=START_LEAD_S,
        help="seconds from the stack's start to simulated day 0: longer than the stack takes "
        f"to get ready ({START_LEAD_S:g})",
    )


def run_demo(args: argparse.Namespace, settings: Settings, environ: Mapping[str, str]) -> int:
    """The demo from start to end; 0 when every step worked."""
    dev = DevStackSettings()
    dev = dev.model_copy(update={"dir": dev.dir / "demo"})
    now = datetime.now(UTC)
    timeline = DemoTimeline.ending_today(
        now.date(), args.days, args.days_per_minute, now + timedelta(seconds=args.start_lead)
    )
    env = {**environ, "PULSE_DEV_DIR": str(dev.dir), **timeline.clock_env()}
    _say(f"starting Pulse on a simulated clock ({timeline.days_per_minute:g} days a minute)")
    try:
        with demo_stack(settings, dev, env, dev.dir / "stack.log") as stack:
            _say(f"Pulse is up: ingest {stack.urls['ingest']}, logs in {dev.dir}")
            return _tour(args, settings, stack, timeline, dev.dir)
    except DemoStackError as error:
        print(f"pulse demo: {error}", file=sys.stderr)
        return 1


def _tour(
    args: argparse.Namespace,
    settings: Settings,
    stack: Stack,
    timeline: DemoTimeline,
    work: Path,
) -> int:
    api_key = settings.parsed_api_keys()[0].secret
    with PulseClient(stack.urls, api_key) as client, WebhookReceiver() as receiver:
        subscription, secret = client.subscribe(receiver.url, SUBSCRIBED_TO)
        receiver.trust(secret)
        printer = _AlertPrinter(receiver.messages)
        printer.start()
        try:
            lead = (timeline.anchor - datetime.now(UTC)).total_seconds()
            if lead < 0:
                _say(
                    f"warning: the stack took {-lead:.0f} s longer than --start-lead; events of "
                    "the first simulated days arrive late"
                )
            time.sleep(max(0.0, lead))
            _say(*heading("Alerts, as their signed webhooks arrive"))
            if not _simulate(args, stack, api_key, timeline, work / "truth.jsonl"):
                return 1
            if not stack.wait_until_consumed(args.drain_timeout):
                print("pulse demo: consumers did not catch up in time", file=sys.stderr)
                return 1
            printer.wait_until_quiet(QUIET_FOR_S)
        finally:
            printer.stop()
            client.unsubscribe(subscription)
        _say(f"{printer.count} alerts received; {receiver.rejected} bad signatures")
        _summarise(client, timeline.first_day + timedelta(days=1), timeline.end.date())
    return _validate(args, stack, timeline)


def _simulate(
    args: argparse.Namespace, stack: Stack, api_key: str, timeline: DemoTimeline, truth: Path
) -> bool:
    command = [
        *_pulse("simulate"),
        f"--seed={args.seed}",
        f"--accounts={args.accounts}",
        f"--days={timeline.days}",
        f"--start={timeline.first_day.isoformat()}",
        f"--speed={timeline.days_per_minute:g}",
        f"--ingest-url={stack.urls['ingest']}",
        f"--api-key={api_key}",
        f"--truth={truth}",
    ]
    finished = subprocess.run(command, check=False)
    if finished.returncode != 0:
        print(f"pulse demo: the simulation failed ({finished.returncode})", file=sys.stderr)
    return finished.returncode == 0


def _summarise(client: PulseClient, start: date, today: date) -> None:
    _say(*heading("Accounts per health band and segment"))
    _say(*band_table(client.accounts()))
    renewals = client.renewals(within_days=90)
    _say(*heading("Renewals in the next 90 days, least likely to renew first"))
    _say(*riskiest_renewals_table(renewals["renewals"], renewals["currency"], top=10))
    _say(*heading(f"Retention from {start} to {today}"))
    _say(*retention_lines(client.retention(start, today)))


def _validate(args: argparse.Namespace, stack: Stack, timeline: DemoTimeline) -> int:
    horizon = f"{args.horizon_days}d"
    _say(*heading(f"Does the score predict churn? (score {horizon} before each outcome)"))
    command = [
        *_pulse("model", "validate"),
        f"--from={(timeline.first_day + timedelta(days=args.horizon_days)).isoformat()}",
        f"--to={timeline.end.date().isoformat()}",
        f"--horizon={horizon}",
    ]
    environment = {**os.environ, "PULSE_DATABASE_URL": stack.database_url}
    finished = subprocess.run(command, check=False, env=environment)
    return finished.returncode


def _pulse(*command: str) -> list[str]:
    return [sys.executable, "-m", "pulse.devtools.cli", *command]


def _say(*lines: str) -> None:
    print("\n".join(lines), flush=True)


class _AlertPrinter:
    """Prints alerts from the receiver's queue as they come, in a thread of its own."""

    def __init__(self, messages: queue.Queue[dict[str, object]]) -> None:
        self._messages = messages
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._last_arrival = time.monotonic()
        self.count = 0

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join()
        if self.count > SHOWN_IN_A_LINE:
            _say(f"... and {self.count - SHOWN_IN_A_LINE} more alerts")

    def wait_until_quiet(self, quiet_s: float) -> None:
        """Return once no alert arrived for `quiet_s` seconds."""
        while time.monotonic() - self._last_arrival < quiet_s or not self._messages.empty():
            time.sleep(0.2)

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                message = self._messages.get(timeout=0.2)
            except queue.Empty:
                continue
            self._last_arrival = time.monotonic()
            self.count += 1
            lines = alert_lines(message)
            if self.count <= SHOWN_IN_FULL:
                _say(*lines)
            elif self.count <= SHOWN_IN_A_LINE:
                _say(lines[0])
