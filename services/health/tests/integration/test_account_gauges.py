"""The account gauges (band and segment, score decile) and the freshness gauge match the
stored scores after events, and again after a restart."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import datetime
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from pulse.devtools.testing.plugin import READ_KEY
from pulse.health import metrics

from .conftest import HealthStack, StackFactory
from .ingest_events import has_open_urgent, profile, send, ticket, usage, values

pytestmark = pytest.mark.integration

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


async def scraped(stack: HealthStack) -> Samples:
    """Every sample of health's /metrics, by name and labels."""
    response = await stack.health.get("/metrics")
    assert response.status_code == 200
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def accounts_gauge(samples: Samples) -> dict[tuple[str, str], float]:
    return {
        (dict(labels)["band"], dict(labels)["segment"]): value
        for (name, labels), value in samples.items()
        if name == "pulse_health_accounts" and value
    }


def deciles_gauge(samples: Samples) -> dict[str, float]:
    return {
        dict(labels)["score_from"]: value
        for (name, labels), value in samples.items()
        if name == "pulse_health_accounts_by_score" and value
    }


async def settled(stack: HealthStack, expected: dict[tuple[str, str], int]) -> Samples:
    """The scrape once the band gauge shows `expected` (the gauges refresh every 0.2 s)."""
    samples: Samples = {}
    for _ in range(100):
        samples = await scraped(stack)
        if accounts_gauge(samples) == expected:
            return samples
        await asyncio.sleep(0.1)
    raise AssertionError(f"gauge {accounts_gauge(samples)} never matched {expected}")


def decile_of(score: float) -> str:
    return str(min(int(score // 10), 9) * 10)


async def test_gauges_count_the_scores_after_events_and_after_a_restart(
    health_stack: StackFactory,
) -> None:
    events: list[dict[str, Any]] = [
        profile("calm-1", "high_touch"),
        profile("calm-2", "high_touch"),
        *(usage(a, f"u{i}", f"f{i % 5}") for a in ("calm-1", "calm-2") for i in range(10)),
        profile("small", "tech_touch"),
        profile("noisy", "low_touch"),
        *(ticket("noisy", f"t{i}", "urgent", "phone", hours=i + 1) for i in range(6)),
    ]
    async with health_stack(account_gauges_s=0.2) as stack:
        await send(stack, *events)
        bodies = [
            await stack.score(a, lambda b: values(b)["active_user_ratio"] == 1)
            for a in ("calm-1", "calm-2")
        ]
        bodies.append(await stack.score("small"))
        bodies.append(await stack.score("noisy", has_open_urgent(6)))
        by_band = Counter((b["band"], b["segment"]) for b in bodies)
        assert by_band[bodies[0]["band"], "high_touch"] == 2
        # Whatever bands the default model gives, they must differ, so that a gauge mixing
        # bands up could not match (the profile alone and six urgent tickets score lower).
        assert len({b["band"] for b in bodies}) >= 2, bodies
        by_decile = Counter(decile_of(b["score"]) for b in bodies)
        samples = await settled(stack, dict(by_band))
        assert deciles_gauge(samples) == dict(by_decile)
        newest = max(datetime.fromisoformat(e["occurred_at"]) for e in events)
        freshness = samples["pulse_health_newest_event_timestamp_seconds", ()]
        assert freshness == pytest.approx(newest.timestamp())
        committed = samples[
            "pulse_consumer_newest_event_timestamp_seconds", (("group", "pulse-health"),)
        ]
        assert committed == pytest.approx(newest.timestamp())
        assert sum(accounts_gauge(samples).values()) == 4

    # A new process counts from the table: nothing carried over in memory.
    metrics.ACCOUNTS.clear()
    metrics.ACCOUNTS_BY_SCORE.clear()
    async with health_stack(account_gauges_s=0.2) as stack:
        samples = await settled(stack, dict(by_band))
        assert deciles_gauge(samples) == dict(by_decile)


async def test_the_kit_reports_dependencies_up_and_the_pools(health_stack: StackFactory) -> None:
    async with health_stack() as stack:
        # A read through the read pool (the module's database is shared: no new account).
        missing = await stack.health.get("/v1/accounts/nobody/health", headers=READ_KEY)
        assert missing.status_code == 404
        samples = await scraped(stack)  # nobody called /readyz: the kit's own checks
        up = {
            dict(labels)["dependency"]: value
            for (name, labels), value in samples.items()
            if name == "pulse_dependency_up"
        }
        assert up == {"postgres": 1.0, "kafka": 1.0}
        settings = stack.settings
        size = settings.database_pool_size + settings.database_read_pool_size
        assert samples["pulse_db_pool_size", ()] == size
        in_use = samples["pulse_db_pool_connections", (("state", "in_use"),)]
        idle = samples["pulse_db_pool_connections", (("state", "idle"),)]
        assert idle >= 1  # the read above left a pooled connection behind
        assert in_use + idle <= size
