"""Topic administration: create Pulse's topics at start when they are missing."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from pulse.common.settings import Settings

log = logging.getLogger(__name__)


async def ensure_topics(settings: Settings, topics: Iterable[str]) -> list[str]:
    """Create the topics that do not exist yet; return the names created.

    Topics get the configured partitions and an explicit `retention.ms`, since some
    brokers report only the configs set at creation.
    """
    admin = AIOKafkaAdminClient(**settings.kafka_client_options(), client_id="pulse-admin")
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [t for t in dict.fromkeys(topics) if t not in existing]
        if not missing:
            return []
        new_topics = [
            NewTopic(
                name,
                num_partitions=settings.topic_partitions,
                replication_factor=settings.topic_replication_factor,
                topic_configs={"retention.ms": str(settings.topic_retention_ms)},
            )
            for name in missing
        ]
        try:
            await admin.create_topics(new_topics)
        except TopicAlreadyExistsError:
            # Another process created some of them first; that is the state we want.
            log.info("topics created concurrently", extra={"topics": missing})
        log.info("created topics", extra={"topics": missing})
        return missing
    finally:
        await admin.close()
