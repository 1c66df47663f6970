"""`pulse-topics [--create]`: Pulse's topics and their partitions, creating missing ones.

It lives in the runtime kit, not beside `pulse dev`, because production needs it too:
docker-compose's `topics` job creates the topics from the service image, which carries
no development tools.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from pulse.common.logging import configure_logging
from pulse.common.service_main import load_settings_or_exit
from pulse.common.settings import Settings
from pulse.common.topics import Topics


def main(argv: list[str] | None = None) -> None:
    """Entry point of the `pulse-topics` console script."""
    parser = argparse.ArgumentParser(
        prog="pulse-topics", description="List Pulse's topics and their partitions"
    )
    parser.add_argument("--create", action="store_true", help="create the missing ones first")
    args = parser.parse_args(argv)

    settings = load_settings_or_exit(Settings)
    configure_logging("pulse", settings.log_level)
    result = show_topics(settings, create=args.create, create_command="pulse-topics --create")
    raise SystemExit(asyncio.run(result))


async def show_topics(settings: Settings, *, create: bool, create_command: str) -> int:
    """Print each topic with its partition count; 1 when Kafka is unreachable or one is
    missing. `create_command` is the hint printed beside a missing topic, so each command
    line names itself."""
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
            print(f"{topic}  missing (create with: {create_command})")
        else:
            print(f"{topic}  {len(partitions)} partitions")
    return 1 if missing else 0


if __name__ == "__main__":
    main()
