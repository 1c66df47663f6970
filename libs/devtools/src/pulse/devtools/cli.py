"""The `pulse` command: `pulse dev` runs the whole stack, `pulse topics` shows the topics,
`pulse dashboards` generates the Grafana dashboards."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os

from pulse.common.logging import configure_logging
from pulse.common.service_main import load_settings_or_exit
from pulse.common.settings import Settings
from pulse.common.topics_command import show_topics
from pulse.devtools.dashboards.command import add_dashboards_command, run_dashboards
from pulse.devtools.demo.command import add_parser as add_demo_parser
from pulse.devtools.demo.command import run_demo
from pulse.devtools.devstack import DevStackSettings, run_dev
from pulse.devtools.model_command import add_model_commands, run_model_command
from pulse.devtools.simulate_command import add_simulate_parser, run_simulate_command


def main(argv: list[str] | None = None) -> None:
    """Entry point of the `pulse` console script."""
    parser = argparse.ArgumentParser(prog="pulse", description="Pulse command-line tool")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser(
        "dev",
        help="run broker, PostgreSQL and the four services until Ctrl-C",
        description="Start the embedded broker and PostgreSQL (unless PULSE_KAFKA_BOOTSTRAP_"
        "SERVERS / PULSE_DATABASE_URL name external ones), create topics, migrate, start "
        "ingest, health, alerts and renewals, and wait until all are ready.",
    )
    add_demo_parser(commands)
    topics = commands.add_parser("topics", help="list Pulse's topics and their partitions")
    topics.add_argument("--create", action="store_true", help="create the missing ones first")
    add_model_commands(commands)
    add_dashboards_command(commands)
    add_simulate_parser(commands)
    args = parser.parse_args(argv)
    if args.command == "dashboards":
        raise SystemExit(run_dashboards(args))

    settings = load_settings_or_exit(Settings)
    configure_logging("pulse", settings.log_level)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per readiness probe
    if args.command == "demo":
        raise SystemExit(run_demo(args, settings, os.environ))
    if args.command == "dev":
        dev = load_settings_or_exit(DevStackSettings)
        raise SystemExit(run_dev(settings, dev, os.environ))
    if args.command == "model":
        raise SystemExit(run_model_command(args, settings))
    if args.command == "simulate":
        raise SystemExit(run_simulate_command(args, settings))
    topics_shown = show_topics(settings, create=args.create, create_command="pulse topics --create")
    raise SystemExit(asyncio.run(topics_shown))


if __name__ == "__main__":
    main()
