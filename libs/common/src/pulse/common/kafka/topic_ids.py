"""Topic ids: which incarnation of a topic a stored offset belongs to.

A topic deleted and created again under the same name (or an in-memory broker restarted)
starts its offsets at 0 again, so an offset stored for the old topic would skip the new
one's first messages. Kafka (2.8+, KRaft), Redpanda and tansu give every topic a UUID in
their metadata; aiokafka does not ask for it (its Metadata requests stop at v5), librdkafka
does.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable

from confluent_kafka import KafkaException, TopicCollection
from confluent_kafka.admin import AdminClient

from pulse.common.settings import Settings

log = logging.getLogger(__name__)

#: What brokers without topic ids put in the field (a UUID of zeros, base64).
_NO_ID = "AAAAAAAAAAAAAAAAAAAAAA"


class TopicIdsUnavailable(RuntimeError):
    """The broker did not describe the topics (unreachable, or a topic is missing)."""


async def topic_ids(
    settings: Settings, topics: Iterable[str], timeout_s: float = 10.0
) -> dict[str, str | None]:
    """Each topic's id as the broker has it now; None when the broker gives topics no ids."""
    names = sorted(set(topics))
    if not names:
        return {}
    return await asyncio.to_thread(_describe, settings, names, timeout_s)


def _describe(settings: Settings, names: list[str], timeout_s: float) -> dict[str, str | None]:
    # librdkafka's own log lines go through Python logging (JSON), not raw to stderr.
    config: dict[str, str | int | float | bool] = {
        **settings.librdkafka_config(),
        "client.id": "pulse-topic-ids",
    }
    admin = AdminClient(config, logger=log)
    futures = admin.describe_topics(TopicCollection(names), request_timeout=timeout_s)
    ids: dict[str, str | None] = {}
    for name, future in futures.items():
        try:
            description = future.result(timeout=timeout_s + 1)
        except (KafkaException, TimeoutError) as error:
            raise TopicIdsUnavailable(f"cannot describe topic {name!r}: {error}") from error
        topic_id = str(description.topic_id) if description.topic_id is not None else _NO_ID
        ids[name] = None if topic_id == _NO_ID else topic_id
    return ids
