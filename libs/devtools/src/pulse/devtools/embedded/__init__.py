"""Kafka-protocol broker and PostgreSQL as child processes, for `pulse dev` and the tests."""

from pulse.devtools.embedded.broker import EmbeddedBroker
from pulse.devtools.embedded.ports import EmbeddedStartError, free_port, port_is_free
from pulse.devtools.embedded.postgres import EmbeddedPostgres, create_database, drop_database

__all__ = [
    "EmbeddedBroker",
    "EmbeddedPostgres",
    "EmbeddedStartError",
    "create_database",
    "drop_database",
    "free_port",
    "port_is_free",
]
