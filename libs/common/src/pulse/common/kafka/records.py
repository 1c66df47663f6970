"""What the consumer runner hands to a service, and what a service hands back."""

from __future__ import annotations

from collections.abc import Callable, Sequence, Set
from typing import Generic, NamedTuple, Protocol, TypeVar

from aiokafka import TopicPartition
from sqlalchemy.ext.asyncio import AsyncSession

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)


class ConsumedMessage(NamedTuple):
    """A raw message as it came off a partition. (A named tuple: made for every record
    consumed, twice as fast as a frozen dataclass.)"""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    timestamp_ms: int
    headers: tuple[tuple[str, bytes], ...]

    @property
    def topic_partition(self) -> TopicPartition:
        """The partition this message came from."""
        return TopicPartition(self.topic, self.partition)


class Record(NamedTuple, Generic[T]):
    """A decoded message: the service's value plus where it came from."""

    message: ConsumedMessage
    value: T


class UndecodableMessage(Exception):
    """A message no handler can use: it goes to the dead-letter topic with this reason."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(f"{reason}: {message}")
        self.reason = reason
        self.message = message


#: Turns raw bytes into the service's value or raises UndecodableMessage.
Decoder = Callable[[ConsumedMessage], T_co]


class BatchHandler(Protocol[T]):
    """A stateful service's part of consuming: apply a batch inside the runner's transaction.

    The runner owns the transaction: it saves the offsets with whatever `handle` wrote and
    commits once. When a transaction fails the runner calls `on_revoked` then
    `on_assigned` for the partitions involved, so in-memory caches are rebuilt from
    what Postgres holds.
    """

    async def handle(self, session: AsyncSession, records: Sequence[Record[T]]) -> None:
        """Apply the records to state through `session`; never commit."""
        ...

    async def on_assigned(self, session: AsyncSession, partitions: Set[TopicPartition]) -> None:
        """Load state for newly owned partitions."""
        ...

    async def on_revoked(self, partitions: Set[TopicPartition]) -> None:
        """Forget in-memory state of partitions no longer owned (their state is committed)."""
        ...
