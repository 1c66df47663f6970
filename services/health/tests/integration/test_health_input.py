"""Health trusts no input: commands on its own topic are checked like the API's input,
the scoring model's numbers and size are bounded, and events it does not score are
counted, not dropped in silence."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import orjson
import pytest
from prometheus_client.parser import text_string_to_metric_families

from pulse.common.kafka.producer import OutgoingMessage, PulseProducer
from pulse.common.topics import Topics
from pulse.devtools.testing.kafka import read_topics
from pulse.devtools.testing.plugin import ADMIN_KEY, READ_KEY
from pulse.health.scoring.model import default_model_text

from .conftest import HealthStack, StackFactory
from .ingest_events import profile, send, ticket, values

pytestmark = pytest.mark.integration

YAML = {**ADMIN_KEY, "Content-Type": "application/yaml"}


def probe_command(account_id: str, at: str, command_id: str = "cmd_probe") -> bytes:
    return orjson.dumps(
        {"kind": "csm_sentiment", "id": command_id, "account_id": account_id,
         "value": "red", "note": "probe", "at": at}
    )  # fmt: skip


async def test_probe_commands_are_dead_lettered_and_a_later_put_takes_effect(
    health_stack: StackFactory,
) -> None:
    """The probe's commands: red dated 9999-12-31 (it locked the account red), account ids
    `../x` and 5,000 characters (accounts no route could read)."""
    async with health_stack() as stack:
        await send(stack, profile("probe", "high_touch"))
        await stack.score("probe")
        topics = Topics(stack.settings.topic_prefix)
        now = stack.clock().isoformat()
        probes = [
            probe_command("probe", "9999-12-31T00:00:00Z"),
            probe_command("../x", now, "cmd_dots"),
            probe_command("a" * 5000, now, "cmd_long"),
            probe_command("probe", now, "c" * 5000),
        ]
        producer = PulseProducer(stack.settings, client_id="probe")
        await producer.start()
        try:
            await producer.send_and_wait_all(
                [OutgoingMessage(topics.health_commands, b"probe", p) for p in probes]
            )
        finally:
            await producer.stop()

        put = await stack.health.put(
            "/v1/accounts/probe/csm-sentiment", json={"value": "green"}, headers=ADMIN_KEY
        )
        assert put.status_code == 202, put.text
        body = await stack.score("probe", lambda b: values(b)["csm_sentiment"] is not None)
        assert values(body)["csm_sentiment"] == 100  # green: not locked red

        letters = await read_topics(
            stack.settings.kafka_bootstrap_servers, [topics.dlq], at_least=4
        )
        assert sorted(r.value for r in letters) == sorted(probes)
        errors = {r.value: dict(r.headers) for r in letters}
        assert {h["pulse-dlq-reason"] for h in errors.values()} == {b"invalid_command"}
        assert (
            b"at: timestamp 9999-12-31T00:00:00Z is more than 24 h after now"
            in (errors[probes[0]]["pulse-dlq-error"])
        )
        assert errors[probes[1]]["pulse-dlq-error"].startswith(
            b"account_id: character '/' at position 2 is not allowed"
        )
        assert errors[probes[2]]["pulse-dlq-error"] == (
            b"account_id: expected 1 to 128 characters, got 5000"
        )
        assert errors[probes[3]]["pulse-dlq-error"] == b"id: expected 1 to 128 characters, got 5000"
        created = await stack.sql("SELECT account_id FROM account_states ORDER BY 1")
        assert created == ["probe"]


async def test_the_sentiment_route_checks_the_account_id_like_events(
    health_stack: StackFactory,
) -> None:
    async with health_stack() as stack:
        for bad, message in (
            ("a" * 5000, "expected 1 to 128 characters, got 5000"),
            ("a%20b", "character ' ' at position 1 is not allowed"),
        ):
            put = await stack.health.put(
                f"/v1/accounts/{bad}/csm-sentiment", json={"value": "red"}, headers=ADMIN_KEY
            )
            assert put.status_code == 422, put.text
            error = put.json()["error"]
            assert error["code"] == "invalid_account_id"
            assert error["details"][0]["path"] == "path.account_id"
            assert error["details"][0]["message"].startswith(message)
        # Without a key, 401 before any word on the input.
        anonymous = await stack.health.put(
            f"/v1/accounts/{'a' * 5000}/csm-sentiment", json={"value": "red"}
        )
        assert anonymous.status_code == 401


async def put_model(
    stack: HealthStack, body: bytes | AsyncIterator[bytes]
) -> tuple[int, dict[str, Any]]:
    response = await stack.health.put("/v1/scoring-model", content=body, headers=YAML)
    return response.status_code, response.json()


async def test_a_model_with_huge_weights_is_refused_naming_each_path(
    health_stack: StackFactory,
) -> None:
    async with health_stack() as stack:
        text = default_model_text().replace('version: "2026.12-default.2"', 'version: "huge"')
        text = text.replace("  usage:\n    weight: 0.30", "  usage:\n    weight: 1e308", 1)
        text = text.replace("  support:\n    weight: 0.15", "  support:\n    weight: 1e308", 1)
        status, body = await put_model(stack, text.encode())
        assert status == 422, body
        assert body["error"]["code"] == "invalid_scoring_model"
        at_most = "Input should be less than or equal to 1000"
        assert body["error"]["details"] == [
            {"path": "groups.usage.weight", "message": at_most},
            {"path": "groups.support.weight", "message": at_most},
        ]
        active = await stack.health.get("/v1/scoring-model", headers=READ_KEY)
        assert active.json()["version"] == "2026.12-default.2"


async def test_a_model_over_the_body_limit_is_refused_before_it_is_read(
    health_stack: StackFactory,
) -> None:
    async with health_stack() as stack:
        # 20 MiB, as the probe sent (valid YAML: a comment after a small model).
        huge = default_model_text().encode() + b"#" + b"x" * (20 * 1024 * 1024)
        status, body = await put_model(stack, huge)
        assert status == 413, body
        assert body["error"]["code"] == "too_large"
        assert body["error"]["details"] == {"limit_bytes": 1048576}

        # Streamed without a length: refused at the first chunk past the limit.
        sent = 0

        async def chunks() -> AsyncIterator[bytes]:
            nonlocal sent
            for _ in range(40):  # 40 chunks of 512 KiB
                sent += 1
                yield b"#" * (512 * 1024)

        status, body = await put_model(stack, chunks())
        assert status == 413, body
        assert body["error"]["message"] == (
            "the scoring model is over 1048576 bytes; the limit is 1048576 bytes "
            "(PULSE_HEALTH_MAX_MODEL_BYTES)"
        )
        assert sent <= 4  # read no further than the chunk past the limit (and a read-ahead)


def ignored_total(metrics_text: str, event_type: str, reason: str) -> float:
    for family in text_string_to_metric_families(metrics_text):
        for sample in family.samples:
            if sample.name == "pulse_health_events_ignored_total" and sample.labels == {
                "type": event_type,
                "reason": reason,
            }:
                return float(sample.value)
    return 0.0


async def test_an_event_40_days_old_is_counted_as_ignored_too_late(
    health_stack: StackFactory,
) -> None:
    async with health_stack() as stack:
        await send(stack, profile("aged", "low_touch"), ticket("aged", "t1", "low", "email"))
        await stack.score("aged", lambda b: values(b)["tickets_opened_30d"] == 1)
        before = ignored_total(
            (await stack.health.get("/metrics")).text, "support.ticket.opened", "too_late"
        )
        await send(stack, ticket("aged", "t2", "low", "email", days=40))
        await send(stack, ticket("aged", "t3", "low", "email"))  # after it, on its partition
        await stack.score("aged", lambda b: values(b)["tickets_opened_30d"] == 2)
        after = ignored_total(
            (await stack.health.get("/metrics")).text, "support.ticket.opened", "too_late"
        )
        assert after - before == 1
