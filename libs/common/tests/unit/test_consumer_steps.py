"""The consumer runner's pure steps: which fetched records are still to process, how many
wait behind a batch, and decoding with dead letters."""

from __future__ import annotations

from types import SimpleNamespace

from aiokafka import TopicPartition

from pulse.common.kafka import dead_letters
from pulse.common.kafka.decoding import decode_batch
from pulse.common.kafka.fetched import records_after, to_message, unprocessed
from pulse.common.kafka.producer import OutgoingMessage
from pulse.common.kafka.records import ConsumedMessage, Record, UndecodableMessage

USAGE_0 = TopicPartition("pulse.events.usage", 0)
USAGE_1 = TopicPartition("pulse.events.usage", 1)
SUPPORT_0 = TopicPartition("pulse.events.support", 0)


def fetched(tp: TopicPartition, *offsets: int) -> list[object]:
    """aiokafka-like records of `tp` at `offsets`."""
    return [
        SimpleNamespace(
            topic=tp.topic,
            partition=tp.partition,
            offset=offset,
            key=b"acme",
            value=str(offset).encode(),
            timestamp=1_700_000_000_000 + offset,
            headers=None,
        )
        for offset in offsets
    ]


def message(offset: int, value: bytes) -> ConsumedMessage:
    return ConsumedMessage(USAGE_0.topic, USAGE_0.partition, offset, b"acme", value, 0, ())


def test_records_below_the_position_were_applied_and_are_skipped() -> None:
    batches = {USAGE_0: fetched(USAGE_0, 8, 9, 10, 11), USAGE_1: fetched(USAGE_1, 3, 4)}

    messages, next_offsets = unprocessed(batches, {USAGE_0: 10, USAGE_1: 0})

    assert [(m.partition, m.offset) for m in messages] == [(0, 10), (0, 11), (1, 3), (1, 4)]
    assert next_offsets == {USAGE_0: 12, USAGE_1: 5}


def test_a_partition_revoked_mid_fetch_or_wholly_applied_gives_nothing() -> None:
    batches = {USAGE_0: fetched(USAGE_0, 1, 2), SUPPORT_0: fetched(SUPPORT_0, 5)}

    messages, next_offsets = unprocessed(batches, {USAGE_0: 3})

    assert messages == []
    assert next_offsets == {}


def test_a_fetched_record_keeps_everything_the_handler_may_read() -> None:
    record = SimpleNamespace(
        topic="t", partition=2, offset=7, key=None, value=b"v", timestamp=5, headers=[("h", b"1")]
    )

    assert to_message(record) == ConsumedMessage("t", 2, 7, None, b"v", 5, (("h", b"1"),))


def test_waiting_counts_past_the_batch_or_past_the_position_of_partitions_it_missed() -> None:
    ends = {USAGE_0: 100, USAGE_1: 40}
    positions = {USAGE_0: 10, USAGE_1: 30, SUPPORT_0: 5}  # SUPPORT_0: no fetch yet, no end

    assert records_after(ends.get, positions, {USAGE_0: 60}) == (100 - 60) + (40 - 30)


def test_waiting_is_never_negative_when_an_end_is_behind() -> None:
    assert records_after({USAGE_0: 5}.get, {USAGE_0: 9}, {}) == 0


def decode_digits(message: ConsumedMessage) -> int:
    if not (message.value or b"").isdigit():
        raise UndecodableMessage("not_a_number", f"{message.value!r} is not digits")
    return int(message.value or b"")


def test_undecodable_messages_become_dead_letters_and_the_rest_records_in_order() -> None:
    messages = [message(0, b"1"), message(1, b"x"), message(2, b"22")]
    rejected: list[tuple[int, str, str]] = []

    def letter(m: ConsumedMessage, reason: str, error: str) -> OutgoingMessage:
        rejected.append((m.offset, reason, error))
        return OutgoingMessage("dlq", m.key, m.value or b"")

    records, letters = decode_batch(messages, decode_digits, letter)

    assert records == [Record(messages[0], 1), Record(messages[2], 22)]
    assert rejected == [(1, "not_a_number", "b'x' is not digits")]
    assert letters == [OutgoingMessage("dlq", b"acme", b"x")]


def test_a_dead_letter_keeps_the_bytes_and_says_where_from_and_why() -> None:
    letter = dead_letters.DeadLetterer(group_id="pulse-health", dlq_topic="pulse.dlq")

    sent = letter(message(4, b"\x00"), "invalid_json", "unexpected byte")

    assert (sent.topic, sent.key, sent.value) == ("pulse.dlq", b"acme", b"\x00")
    assert dict(sent.headers) == {
        dead_letters.REASON: b"invalid_json",
        dead_letters.ERROR: b"unexpected byte",
        dead_letters.SOURCE_TOPIC: USAGE_0.topic.encode(),
        dead_letters.SOURCE_PARTITION: b"0",
        dead_letters.SOURCE_OFFSET: b"4",
        dead_letters.CONSUMER_GROUP: b"pulse-health",
    }
