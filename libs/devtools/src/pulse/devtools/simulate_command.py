"""`pulse simulate`: a seeded synthetic customer base sent through ingest, with its ground
truth written to a file the services never see."""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from pulse.common.settings import Settings
from pulse.devtools.ingest_sender import IngestError, IngestSender
from pulse.devtools.simulation import SimulatedDay, Simulation, SimulationConfig, TruthRecord
from pulse.devtools.simulation_runner import RunReport, run_simulation

DEV_API_KEY = "pulse-dev-key"
DEFAULT_TRUTH = Path(".pulse/simulation-truth.jsonl")


def add_simulate_parser(commands: Any) -> None:
    """Register `pulse simulate` on the `pulse` command's subparsers."""
    parser = commands.add_parser(
        "simulate",
        help="send a seeded synthetic customer base through ingest; write its ground truth",
        description="Simulate ACCOUNTS accounts over DAYS days (each following a persona: "
        "healthy, disengaging, support-heavy, ...) and send their events to ingest, "
        "SPEED simulated days per real minute. Renewal outcomes go to the --truth file only.",
    )
    parser.add_argument("--seed", type=int, default=1, help="the same seed, the same events")
    parser.add_argument("--accounts", type=_positive, default=200, help="accounts (200)")
    parser.add_argument("--days", type=_positive, default=180, help="simulated days (180)")
    parser.add_argument(
        "--speed",
        type=_speed,
        default=60.0,
        help="simulated days per real minute (60), or 'max': as fast as ingest takes them",
    )
    parser.add_argument("--start", type=date.fromisoformat, help="day 0 (default: DAYS ago)")
    parser.add_argument(
        "--ingest-url", help="ingest's base URL (default: the one `pulse dev` runs)"
    )
    parser.add_argument(
        "--api-key", default=DEV_API_KEY, help="a key with the ingest scope (the dev key)"
    )
    parser.add_argument(
        "--truth", type=Path, default=DEFAULT_TRUTH, help=f"ground-truth JSONL ({DEFAULT_TRUTH})"
    )
    parser.add_argument(
        "--currencies",
        choices=("usd", "mixed"),
        default="usd",
        help="usd (default): every account in USD; mixed: some in EUR, GBP and JPY, which "
        "renewals converts only with PULSE_RENEWALS_RATES_FILE (docs/simulation.md)",
    )
    parser.add_argument("--batch-size", type=_positive, default=1000, help="events a request")


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of 1 or more, got {text}")
    return value


def _speed(text: str) -> float | None:
    if text == "max":
        return None
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected 'max' or days per minute above 0, got {text}")
    return value


def run_simulate_command(args: argparse.Namespace, settings: Settings) -> int:
    """Run `pulse simulate` with parsed `args`; the exit status."""
    today = datetime.now(UTC).date()
    start: date = args.start or today - timedelta(days=args.days)
    if start + timedelta(days=args.days) > today + timedelta(days=1):
        last = start + timedelta(days=args.days - 1)
        print(
            f"pulse simulate: the last simulated day ({last}) is after tomorrow; ingest "
            "refuses events more than 24 h ahead: choose an earlier --start or fewer --days",
            file=sys.stderr,
        )
        return 2
    config = SimulationConfig(
        args.seed, args.accounts, args.days, start, usd_only=args.currencies == "usd"
    )
    url = args.ingest_url or f"http://{settings.host}:{settings.ingest_port}"
    return asyncio.run(_simulate(config, args, url))


async def _simulate(config: SimulationConfig, args: argparse.Namespace, url: str) -> int:
    console = Console(stderr=True)
    simulation = Simulation(config)
    console.print(
        f"Simulating {config.accounts} accounts over {config.days} days from {config.start} "
        f"(seed {config.seed}) into {url}"
    )
    async with httpx.AsyncClient(base_url=url, timeout=30.0) as client:
        sender = IngestSender(client, args.api_key, batch_size=args.batch_size)
        with _progress(console) as progress:
            task = progress.add_task("simulating", total=config.days, rate="")

            def on_day(day: SimulatedDay, report: RunReport) -> None:
                rate = f"{report.events_per_s:,.0f} events/s"
                progress.update(task, completed=report.days, description=str(day.date), rate=rate)

            try:
                report = await run_simulation(
                    simulation, sender, days_per_minute=args.speed, on_day=on_day
                )
            except IngestError as error:
                progress.stop()
                console.print(f"[red]pulse simulate: {error}[/red]")
                console.print("No truth file written: the run did not finish.")
                return 1
    write_truth(args.truth, simulation.truth())
    console.print(
        f"Sent {report.generated:,} events in {report.requests:,} requests "
        f"({report.retries} retried): ingest accepted {report.accepted:,} in "
        f"{report.seconds:.1f} s, {report.events_per_s:,.0f} events/s. "
        f"Ground truth: {args.truth}"
    )
    return 0


def _progress(console: Console) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("days  {task.fields[rate]}"),
        TimeElapsedColumn(),
        console=console,
    )


def write_truth(path: Path, records: list[TruthRecord]) -> None:
    """One JSON object per account and line (docs/simulation.md), written whole or not at all."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_bytes(b"".join(orjson.dumps(r.as_dict()) + b"\n" for r in records))
    partial.replace(path)
