"""The decode step: raw messages become the service's records; a message that cannot be
decoded becomes a dead letter instead of stopping its partition."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Generic, NamedTuple, TypeVar

from pulse.common.kafka.producer import OutgoingMessage
from pulse.common.kafka.records import ConsumedMessage, Decoder, Record, UndecodableMessage

T = TypeVar("T")

#: Makes the dead letter of a message, given why it was rejected and the error.
Letter = Callable[[ConsumedMessage, str, str], OutgoingMessage]


class Decoded(NamedTuple, Generic[T]):
    """A batch after decoding: the records to apply, and the dead letters to send first."""

    records: list[Record[T]]
    letters: list[OutgoingMessage]


def decode_batch(
    messages: Sequence[ConsumedMessage], decode: Decoder[T], letter: Letter
) -> Decoded[T]:
    """Decode each message in order; those `decode` rejects become dead letters."""
    records: list[Record[T]] = []
    letters: list[OutgoingMessage] = []
    for message in messages:
        try:
            records.append(Record(message, decode(message)))
        except UndecodableMessage as exc:
            letters.append(letter(message, exc.reason, exc.message))
    return Decoded(records, letters)
