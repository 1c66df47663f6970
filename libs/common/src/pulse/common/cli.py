"""The `pulse` command: `pulse dev` runs the whole stack, `pulse topics` shows the topics."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys

from pulse.common.devstack import DevStackSettings, run_dev
from pulse.common.logging import configure_logging
from pulse.common.service_main import load_settings_or_exit
from pulse.common.settings import Settings
from pulse.common.topics import Topics


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
    topics = commands.add_parser("topics", help="list Pulse's topics and their partitions")
    topics.add_argument("--create", action="store_true", help="create the missing ones first")
    args = parser.parse_args(argv)

    settings = load_settings_or_exit(Settings)
    configure_logging("pulse", settings.log_level)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per readiness probe
    if args.command == "dev":
        dev = load_settings_or_exit(DevStackSettings)
        raise SystemExit(run_dev(settings, dev, os.environ))
    raise SystemExit(asyncio.run(_show_topics(settings, create=args.create)))


async def _show_topics(settings: Settings, *, create: bool) -> int:
    from aiokafka import AIOKafkaConsumer
    from aiokafka.errors import KafkaError

    from pulse.common.kafka.admin import ensure_topics

    wanted = Topics(settings.topic_prefix).all
    consumer = AIOKafkaConsumer(**settings.kafka_client_options())
    try:
        if create:
            await ensure_topics(settings, wanted)
        await consumer.start()
        existing = await consumer.topics()
    except KafkaError as error:
        print(
            f"pulse: cannot reach Kafka at {settings.kafka_bootstrap_servers} ({error}); "
            "check PULSE_KAFKA_BOOTSTRAP_SERVERS",
            file=sys.stderr,
        )
        return 1
    finally:
        await consumer.stop()
    missing = 0
    for topic in wanted:
        partitions = consumer.partitions_for_topic(topic) if topic in existing else None
        if partitions is None:
            missing += 1
            print(f"{topic}  missing (create with: pulse topics --create)")
        else:
            print(f"{topic}  {len(partitions)} partitions")
    return 1 if missing else 0


if __name__ == "__main__":
    main()
