"""Health's score changes on `pulse.health.scores` (produced here as health publishes them)
open the health and renewal alerts: the band turning red, a 20-point fall within 30 days,
and a renewal within 90 days while not green. A malformed score message goes to the
dead-letter topic and the rest are kept."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest

from pulse.common.kafka.producer import OutgoingMessage
from pulse.common.topics import Topics
from pulse.devtools.testing.kafka import produce, read_topics

from .conftest import StackFactory, profile

pytestmark = pytest.mark.integration


def score_message(
    account: str, n: int, score: float, band: str, previous: tuple[float, str] | None, at: datetime
) -> dict[str, Any]:
    return {
        "id": f"hs_{account}_{n}",
        "account_id": account,
        "score": score,
        "band": band,
        "previous_score": previous[0] if previous else None,
        "previous_band": previous[1] if previous else None,
        "segment": "low_touch",
        "model_version": "v1",
        "computed_at": at.isoformat(),
        "top_drivers": [],
    }


async def test_a_sinking_account_opens_the_health_and_renewal_alerts(
    alerts_stack: StackFactory,
) -> None:
    async with alerts_stack() as stack:
        topics = Topics(stack.settings.topic_prefix)
        now = datetime.now(UTC)
        renewal = (now + timedelta(days=45)).date().isoformat()
        await stack.send(profile("sinking", name="Sinking Ltd", renewal_date=renewal))
        bodies = [
            score_message("sinking", 1, 80.0, "green", None, now - timedelta(days=10)),
            score_message("sinking", 2, 55.0, "yellow", (80.0, "green"), now - timedelta(days=2)),
            score_message("sinking", 3, 35.5, "red", (55.0, "yellow"), now - timedelta(hours=1)),
        ]
        messages = [
            OutgoingMessage(topics.health_scores, b"sinking", orjson.dumps(b)) for b in bodies
        ]
        broken = OutgoingMessage(
            topics.health_scores, b"sinking", b'{"id": "hs_x", "score": "high"}'
        )
        await produce(stack.settings, [messages[0], broken, *messages[1:]])

        found = await stack.alerts_of("sinking", lambda a: len(a) >= 3)
        by_rule = {a["rule_id"]: a for a in found}
        assert set(by_rule) == {"health_red", "score_drop_20", "renewal_at_risk"}
        assert by_rule["health_red"]["severity"] == "critical"
        assert "Sinking Ltd: health band red" in by_rule["health_red"]["reason"]
        assert "fell 44.5 points" in by_rule["score_drop_20"]["reason"]
        assert "renews in" in by_rule["renewal_at_risk"]["reason"]
        assert [e["event_id"] for e in by_rule["health_red"]["evidence"]][-1] == "hs_sinking_3"

        letters = await read_topics(
            stack.settings.kafka_bootstrap_servers, [topics.dlq], at_least=1
        )
        [letter] = letters
        assert dict(letter.headers)["pulse-dlq-reason"] == b"invalid_score"
