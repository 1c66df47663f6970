"""Prometheus metrics shared by every service. Names start with `pulse_`."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram, disable_created_metrics

# A `_created` gauge beside every counter and histogram doubles the series Prometheus stores
# and nothing here reads them.
disable_created_metrics()  # type: ignore[no-untyped-call]

HTTP_REQUEST_DURATION = Histogram(
    "pulse_http_request_duration_seconds",
    "HTTP request duration by route template and status.",
    ["service", "method", "route", "status"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
KAFKA_PRODUCED = Counter(
    "pulse_kafka_messages_produced_total", "Messages acknowledged by Kafka.", ["topic"]
)
KAFKA_PRODUCE_FAILURES = Counter(
    "pulse_kafka_produce_failures_total", "Messages Kafka did not acknowledge.", ["topic"]
)
KAFKA_CONSUMED = Counter(
    "pulse_kafka_messages_consumed_total", "Messages consumed.", ["group", "topic"]
)
KAFKA_CONSUMER_LAG = Gauge(
    "pulse_kafka_consumer_lag",
    "Messages between the consumer's position and the partition's end.",
    ["group", "topic", "partition"],
)
DEAD_LETTERS = Counter(
    "pulse_dead_letters_total",
    "Messages sent to the dead-letter topic.",
    ["group", "topic", "reason"],
)
BATCH_PROCESSING_DURATION = Histogram(
    "pulse_batch_processing_duration_seconds",
    "Time to process one consumed batch and commit it with its offsets.",
    ["group"],
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
BATCH_SIZE = Histogram(
    "pulse_batch_size_messages",
    "Messages per consumed batch.",
    ["group"],
    buckets=(1, 10, 50, 100, 250, 500, 1000, 2000, 5000),
)
OFFSET_RESETS = Counter(
    "pulse_consumer_offset_resets_total",
    "Stored offsets found past a partition's end (the topic lost data) and reset.",
    ["group", "topic"],
)
DEPENDENCY_UP = Gauge(
    "pulse_dependency_up",
    "1 when the service's last readiness check reached the dependency (postgres, kafka), "
    "else 0; checked every 10 s and on each /readyz.",
    ["dependency"],
)
DB_POOL_CONNECTIONS = Gauge(
    "pulse_db_pool_connections",
    "PostgreSQL connections of the service's pools (writes and reads), by state: in_use "
    "(checked out), idle (pooled, ready).",
    ["state"],
)
DB_POOL_SIZE = Gauge(
    "pulse_db_pool_size",
    "Connections the service's PostgreSQL pools hold at most (writes and reads together).",
)
CONSUMER_NEWEST_EVENT_TIMESTAMP = Gauge(
    "pulse_consumer_newest_event_timestamp_seconds",
    "Time (Unix seconds) of the newest message a consumer group has committed, as its "
    "service dates it (an event's occurred_at, a score's computed_at); time() minus it is "
    "its age. Absent until the first one after a start.",
    ["group"],
)
