"""Health under bad input and bad state: poison messages, forgotten event ids, an
account whose stored state cannot be read."""

from __future__ import annotations

import asyncio

import pytest

from pulse.common.kafka.producer import OutgoingMessage, PulseProducer
from pulse.common.topics import Topics
from pulse.devtools.testing.kafka import read_topics
from pulse.health import background
from pulse.health.keeping import ticker

from .conftest import HealthStack, StackFactory
from .ingest_events import profile, send, ticket, values

pytestmark = pytest.mark.integration


async def test_poison_messages_go_to_the_dead_letter_topic(health_stack: StackFactory) -> None:
    """Garbage on an event topic and on the command topic is set aside; the rest is scored."""
    async with health_stack() as stack:
        topics = Topics(stack.settings.topic_prefix)
        producer = PulseProducer(stack.settings, client_id="poison")
        await producer.start()
        try:
            await producer.send_and_wait_all(
                [
                    OutgoingMessage(
                        topics.for_event_type("usage.activity"), b"toxic", b"{not json"
                    ),
                    OutgoingMessage(
                        topics.for_event_type("usage.activity"),
                        b"toxic",
                        b'{"type": "usage.activity", "account_id": "toxic"}',
                    ),
                    OutgoingMessage(topics.health_commands, b"toxic", b'{"kind": "reboot"}'),
                ]
            )
        finally:
            await producer.stop()
        await send(stack, profile("toxic", "low_touch"), ticket("toxic", "t1", "low", "chat"))
        await stack.score("toxic", lambda b: values(b)["tickets_opened_30d"] == 1)
        letters = await read_topics(
            stack.settings.kafka_bootstrap_servers, [topics.dlq], at_least=3
        )
        reasons = sorted(dict(r.headers)["pulse-dlq-reason"].decode() for r in letters)
        assert reasons == ["invalid_command", "invalid_event", "invalid_event"]
        assert {r.value for r in letters} >= {b"{not json", b'{"kind": "reboot"}'}


async def test_event_ids_older_than_the_dedupe_window_are_forgotten(
    health_stack: StackFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(background, "HOUSEKEEPING_S", 0.1)
    async with health_stack() as stack:
        ids = await send(stack, profile("old", "low_touch"))
        await stack.score("old")
        await stack.sql(
            "INSERT INTO processed_events (account_id, event_id, seen_at) "
            "VALUES ('old', 'evt_ancient', now() - interval '8 days')"
        )
        for _ in range(100):
            kept = await stack.sql("SELECT event_id FROM processed_events WHERE account_id = 'old'")
            if "evt_ancient" not in kept:
                break
            await asyncio.sleep(0.1)
        assert kept == ids  # the recent id stays, the 8-day-old one is gone


async def set_aside_count(stack: HealthStack) -> float:
    metrics = (await stack.health.get("/metrics")).text
    for line in metrics.splitlines():
        if line.startswith("pulse_health_rescores_set_aside_total "):
            return float(line.split()[1])
    return 0.0


async def test_an_account_that_cannot_be_scored_is_set_aside_and_the_rest_go_on(
    health_stack: StackFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ticker, "TICK_CHUNK", 50)  # both accounts in one chunk
    async with health_stack() as stack:
        await send(stack, profile("broken", "low_touch"), profile("sound", "low_touch"))
        await stack.score("broken")
        before = await stack.score("sound")
        set_aside = await set_aside_count(stack)  # the counter lives as long as the process
    try:
        # A stored state this version cannot read, and both accounts due when loaded.
        await stack.sql(
            "UPDATE account_states SET next_change_at = now() - interval '1 hour' "
            "WHERE account_id IN ('broken', 'sound')"
        )
        await stack.sql(
            "UPDATE account_states SET state = jsonb_set(state::jsonb, '{state,v}', '99')::json "
            "WHERE account_id = 'broken'"
        )
        async with health_stack() as stack:
            after = await stack.score("sound", lambda b: b["computed_at"] != before["computed_at"])
            assert after["score"] == before["score"]
            for _ in range(100):
                if await set_aside_count(stack) > set_aside:
                    break
                await asyncio.sleep(0.1)
            assert await set_aside_count(stack) == set_aside + 1
    finally:  # leave no unreadable row to later tests
        await stack.sql("DELETE FROM account_states WHERE account_id = 'broken'")
