"""`pulse dashboards`: write the Grafana dashboards' JSON, or `--check` that it is current."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pulse.devtools.dashboards.rendering import differences, write_dashboards

DEFAULT_DIRECTORY = Path("deploy/grafana/dashboards")


def add_dashboards_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `pulse dashboards` on the `pulse` command's subcommands."""
    parser = commands.add_parser(
        "dashboards",
        help="generate deploy/grafana/dashboards/*.json from pulse.devtools.dashboards",
        description="Render the Grafana dashboards written in Python into JSON files.",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 and print a diff when the files differ from the code",
    )
    parser.add_argument(
        "--directory", type=Path, default=DEFAULT_DIRECTORY, help="where the JSON files go"
    )


def run_dashboards(args: argparse.Namespace) -> int:
    """Write or check the dashboards; the exit status."""
    directory: Path = args.directory
    if not args.check:
        for path in write_dashboards(directory):
            print(f"wrote {path}")
        return 0
    diff = differences(directory)
    if diff:
        sys.stdout.write(diff)
        print(f"\n{directory} is out of date: run `make dashboards`", file=sys.stderr)
        return 1
    print(f"{directory} matches the code")
    return 0
