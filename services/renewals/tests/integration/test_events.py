"""What the consumer does with awkward input: a contract change it cannot size and a
malformed score go to the dead-letter topic; a renewal date moved by `account.updated`
(and an older update arriving late) moves the forecast; days passing bring an at-risk
renewal into the horizon; a currency the rate table lacks is a 422 naming it."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import orjson
import pytest
from sqlalchemy import text

from pulse.common.db.engine import create_engine
from pulse.common.kafka.producer import OutgoingMessage
from pulse.devtools.testing.kafka import produce, read_topics

from .conftest import StackFactory, contract, in_days, profile, score

pytestmark = pytest.mark.integration


async def test_a_contract_change_of_an_account_without_currency_is_dead_lettered(
    renewals_stack: StackFactory,
) -> None:
    async with renewals_stack() as stack:
        await stack.send(contract("nocur", "new", "1000", "2026-01-01T00:00:00Z", event_id="c-1"))
        broken = OutgoingMessage(stack.topics.health_scores, b"nocur", b'{"id": "x", "score": 3}')
        await produce(stack.settings, [broken])
        await stack.send(
            profile("nocur", currency="EUR", renewal_date=in_days(stack, 10)),
            contract("nocur", "new", "2000", "2026-02-01T00:00:00Z", event_id="c-2"),
        )
        body = await stack.until("/v1/renewals", lambda b: len(b["renewals"]) == 1)
        # Only the change that came after the currency is in the ARR.
        assert body["renewals"][0]["arr"] == "2000.00"

        letters = await read_topics(
            stack.settings.kafka_bootstrap_servers, [stack.topics.dlq], at_least=2
        )
        reasons = {dict(m.headers)["pulse-dlq-reason"]: m for m in letters}
        assert set(reasons) == {b"unknown_currency", b"invalid_score"}
        unsized = reasons[b"unknown_currency"]
        assert orjson.loads(unsized.value)["id"] == "c-1"
        error = dict(unsized.headers)["pulse-dlq-error"].decode()
        assert "c-1 of account 'nocur': the account has no currency" in error
        assert dict(unsized.headers)["pulse-dlq-group"] == b"pulse-renewals"


async def test_a_renewal_date_moved_by_account_updated_moves_the_forecast(
    renewals_stack: StackFactory,
) -> None:
    async with renewals_stack() as stack:
        await stack.send(
            profile("mv", 10, currency="EUR", owner="ana", renewal_date=in_days(stack, 30)),
            contract("mv", "new", "10000", "2025-01-01T00:00:00Z"),
        )
        await stack.send_scores(score("mv", 1, 20, "red", 1))
        await stack.until("/v1/renewals", lambda b: [r["band"] for r in b["renewals"]] == ["red"])

        # Newer: the renewal moves 200 days out. Older (occurred before, arrives after):
        # ignored for the date, which the newest update that set one gives.
        await stack.send(profile("mv", 5, renewal_date=in_days(stack, 200)))
        await stack.send(profile("mv", 8, renewal_date=in_days(stack, 40)))
        await stack.until("/v1/renewals", lambda b: b["renewals"] == [], within_days=120)
        moved = await stack.until(
            "/v1/renewals", lambda b: len(b["renewals"]) == 1, within_days=200
        )
        assert moved["renewals"][0]["renewal_date"] == in_days(stack, 200)

        # Moved back into the horizon: a second entry at risk, a second message.
        await stack.send(profile("mv", 1, renewal_date=in_days(stack, 60)))
        await stack.until("/v1/renewals", lambda b: len(b["renewals"]) == 1)
        records = await read_topics(
            stack.settings.kafka_bootstrap_servers, [stack.topics.renewals_at_risk], at_least=2
        )
        messages = [orjson.loads(r.value) for r in records]
        assert [m["days_to_renewal"] for m in messages] == [30, 60]
        assert len({m["id"] for m in messages}) == 2

        # Each standing the account had, kept for calibration: the late older update
        # changed nothing, so it left no row.
        engine = create_engine(stack.settings, schema="renewals")
        try:
            async with engine.connect() as connection:
                rows = await connection.execute(
                    text(
                        "SELECT renewal_date, band, category, probability FROM renewal_standings "
                        "WHERE account_id = 'mv' ORDER BY id"
                    )
                )
                standings = [(r[0].isoformat(), r[1], r[2], str(r[3])) for r in rows]
        finally:
            await engine.dispose()
        assert standings[-3:] == [
            (in_days(stack, days), "red", "at_risk", "0.50") for days in (30, 200, 60)
        ]


async def test_days_passing_bring_an_at_risk_renewal_into_the_horizon(
    renewals_stack: StackFactory,
) -> None:
    async with renewals_stack() as stack:
        await stack.send(
            profile("far", currency="EUR", renewal_date=in_days(stack, 150)),
            contract("far", "new", "10000", "2025-01-01T00:00:00Z"),
        )
        await stack.send_scores(score("far", 1, 20, "red", 1))
        await stack.until(
            "/v1/renewals",
            lambda b: [r["category"] for r in b["renewals"]] == ["at_risk"],
            within_days=150,
        )
        nothing = await read_topics(
            stack.settings.kafka_bootstrap_servers, [stack.topics.renewals_at_risk], idle_s=0.5
        )
        assert nothing == []  # 150 days away: beyond the 120-day horizon

        stack.clock.advance(timedelta(days=31))  # 119 days away: the ticker looks again
        records = await read_topics(
            stack.settings.kafka_bootstrap_servers, [stack.topics.renewals_at_risk], at_least=1
        )
        [message] = [orjson.loads(r.value) for r in records]
        assert (message["account_id"], message["days_to_renewal"]) == ("far", 119)


async def test_a_currency_without_a_rate_is_a_422_naming_it(
    renewals_stack: StackFactory,
) -> None:
    async with renewals_stack() as stack:
        await stack.send(
            profile("gb", currency="GBP", renewal_date=in_days(stack, 20)),
            contract("gb", "new", "10000", "2025-01-01T00:00:00Z"),
        )
        for _ in range(300):
            response = await stack.get("/v1/renewals")
            if response.status_code != 200:
                break
            await asyncio.sleep(0.1)
        assert response.status_code == 422
        error = response.json()["error"]
        assert error["code"] == "unknown_currency"
        assert error["message"] == "currency 'GBP' has no rate into EUR in the rate table"
        forecast = await stack.get("/v1/forecast")
        assert forecast.status_code == 422
