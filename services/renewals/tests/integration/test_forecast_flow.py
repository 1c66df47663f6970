"""Events posted to ingest and scores as health publishes them become the forecast routes'
rows and totals, each figure worked out by hand below (reporting EUR, USD at 0.90,
default probabilities and expansion rates)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import orjson
import pytest
from prometheus_client.parser import text_string_to_metric_families

from pulse.devtools.testing.kafka import read_topics

from .conftest import RenewalsStack, StackFactory, contract, in_days, profile, score

pytestmark = pytest.mark.integration


async def _gauges(
    stack: RenewalsStack, holds: Callable[[dict[str, float]], bool]
) -> dict[str, float]:
    """Renewals' gauges by sample (`name{labels}`) once `holds` (fails after 30 s)."""
    values: dict[str, float] = {}
    for _ in range(300):
        text = (await stack.renewals.get("/metrics")).text
        values = {}
        for family in text_string_to_metric_families(text):
            if family.name.startswith("pulse_renewals_") and family.type == "gauge":
                for sample in family.samples:
                    labels = ",".join(f'{k}="{v}"' for k, v in sorted(sample.labels.items()))
                    values[f"{sample.name}{{{labels}}}" if labels else sample.name] = sample.value
        if holds(values):
            return values
        await asyncio.sleep(0.1)
    raise AssertionError(f"gauges never held; last seen {values}")


def _ids(body: dict[str, Any]) -> list[str]:
    return [row["account_id"] for row in body["renewals"]]


async def test_renewals_and_forecast_totals_follow_from_the_events(
    renewals_stack: StackFactory,
) -> None:
    async with renewals_stack() as stack:
        await stack.send(
            # G: 100,000 EUR, green 80 then 82 (+2: flat) -> commit.
            profile(
                "g",
                currency="EUR",
                segment="high_touch",
                owner="ana",
                renewal_date=in_days(stack, 45),
            ),
            contract("g", "new", "100000", "2024-01-01T00:00:00Z"),
            # R: 30,000 EUR, one red score (trend unknown) -> at_risk.
            profile(
                "r",
                name="Risky Ltd",
                currency="EUR",
                segment="low_touch",
                owner="ben",
                renewal_date=in_days(stack, 30),
            ),
            contract("r", "new", "30000", "2025-03-01T00:00:00Z"),
            # H: 50,000 USD (45,000 EUR), yellow -> best_case.
            profile(
                "h",
                currency="USD",
                segment="high_touch",
                owner="ana",
                renewal_date=in_days(stack, 89),
            ),
            contract("h", "new", "50000", "2025-05-01T00:00:00Z"),
            # N: 8,000.01 EUR from account.updated alone, unscored, renews in 100 days.
            profile(
                "n",
                currency="EUR",
                segment="tech_touch",
                arr="8000.01",
                renewal_date=in_days(stack, 100),
            ),
        )
        await stack.send_scores(
            score("g", 1, 80, "green", 240),
            score("g", 2, 82, "green", 1),
            score("r", 1, 30, "red", 2),
            score("h", 1, 60, "yellow", 2),
        )
        body = await stack.until(
            "/v1/renewals",
            lambda b: (
                _ids(b) == ["r", "g", "h"]
                and [row["band"] for row in b["renewals"]] == ["red", "green", "yellow"]
                and b["renewals"][1]["trend"] == "flat"
            ),
        )
        assert body["currency"] == "EUR"
        r, g, h = body["renewals"]
        assert (r["category"], r["arr"], r["risk_adjusted_arr"], r["expected_expansion"]) == (
            "at_risk",
            "30000.00",
            "15000.00",
            "0.00",  # 30,000 x 0.50; x 0
        )
        assert (r["days_to_renewal"], r["score"], r["name"]) == (30, 30.0, "Risky Ltd")
        assert r["notice_deadline"] == in_days(stack, 30 - 60)  # default notice 60 days
        assert (g["category"], g["arr"], g["risk_adjusted_arr"], g["expected_expansion"]) == (
            "commit",
            "100000.00",
            "95000.00",
            "10000.00",  # x 0.95; x 0.10
        )
        assert g["score_change"] == "2.0"  # 82 - 80
        assert (h["category"], h["arr"], h["risk_adjusted_arr"], h["expected_expansion"]) == (
            "best_case",
            "45000.00",
            "36000.00",
            "1350.00",  # 50,000 x 0.90 = 45,000; x 0.80; x 0.03
        )

        ana = (await stack.get("/v1/renewals", owner="ana")).json()
        assert _ids(ana) == ["g", "h"]
        at_risk = (await stack.get("/v1/renewals", category="at_risk")).json()
        assert _ids(at_risk) == ["r"]
        wide = (await stack.get("/v1/renewals", within_days=100)).json()
        assert _ids(wide) == ["r", "g", "h", "n"]
        assert wide["renewals"][3]["category"] == "pipeline"
        assert wide["renewals"][3]["risk_adjusted_arr"] == "6000.01"  # 8,000.01 x 0.75 = 6,000.0075

        forecast = (await stack.get("/v1/forecast", group_by="owner")).json()
        total = forecast["total"]
        # 100,000 + 30,000 + 45,000; 95,000 + 15,000 + 36,000; 10,000 + 0 + 1,350.
        assert (total["renewals"], total["arr"], total["expected_arr"]) == (
            3,
            "175000.00",
            "146000.00",
        )
        assert total["expected_expansion"] == "11350.00"
        assert total["arr_at_risk"] == "30000.00"
        assert total["by_category"]["commit"]["arr"] == "100000.00"
        assert total["by_category"]["best_case"]["expected_arr"] == "36000.00"
        groups = {g["group"]: g for g in forecast["groups"]}
        assert (groups["ana"]["arr"], groups["ben"]["arr"]) == ("145000.00", "30000.00")
        by_month = (
            await stack.get(
                "/v1/forecast",
                **{"from": in_days(stack, 0), "to": in_days(stack, 101)},
                group_by="segment",
            )
        ).json()
        assert by_month["total"]["arr"] == "183000.01"  # + N's 8,000.01
        segments = {g["group"]: g["arr"] for g in by_month["groups"]}
        assert segments == {
            "high_touch": "145000.00",
            "low_touch": "30000.00",
            "tech_touch": "8000.01",
        }

        # The gauges, in euro cents: the same figures as the forecast of the next 90 days.
        gauges = await _gauges(stack, lambda g: g.get("pulse_renewals_arr_at_risk") == 3_000_000)
        assert gauges['pulse_renewals_next_90_days{category="commit"}'] == 1
        assert gauges['pulse_renewals_next_90_days{category="pipeline"}'] == 0
        assert gauges['pulse_renewals_arr{band="green",segment="high_touch"}'] == 10_000_000
        assert gauges['pulse_renewals_arr{band="yellow",segment="high_touch"}'] == 4_500_000
        assert gauges['pulse_renewals_arr{band="unscored",segment="tech_touch"}'] == 800_001
        # Ben's 30,000 in low touch: the one renewal at risk.
        assert gauges['pulse_renewals_at_risk_accounts{segment="low_touch"}'] == 1
        assert gauges['pulse_renewals_at_risk_accounts{segment="high_touch"}'] == 0

        letters = await read_topics(
            stack.settings.kafka_bootstrap_servers, [stack.topics.renewals_at_risk], at_least=1
        )
        [message] = [orjson.loads(m.value) for m in letters]
        assert (message["type"], message["account_id"], message["category"]) == (
            "renewal.at_risk",
            "r",
            "at_risk",
        )
        assert message["days_to_renewal"] == 30
        assert message["arr"] == {"amount": "30000.00", "currency": "EUR"}
