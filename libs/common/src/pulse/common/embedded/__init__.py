"""Kafka-protocol broker and PostgreSQL as child processes, for `pulse dev` and the tests."""

from pulse.common.embedded.broker import EmbeddedBroker
from pulse.common.embedded.ports import EmbeddedStartError, free_port, port_is_free
from pulse.common.embedded.postgres import EmbeddedPostgres, create_database, drop_database

__all__ = [
    "EmbeddedBroker",
    "EmbeddedPostgres",
    "EmbeddedStartError",
    "create_database",
    "drop_database",
    "free_port",
    "port_is_free",
]
