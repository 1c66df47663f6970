"""Health through its HTTP API with ingest in front: hand-computed scores, late and
duplicate events, time passing, model swaps, CSM sentiment, history, the account list."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import text

from pulse.common.db.engine import create_engine
from pulse.common.kafka.producer import OutgoingMessage, PulseProducer
from pulse.common.testing.kafka import read_topics
from pulse.common.testing.plugin import ADMIN_KEY, INGEST_KEY, READ_KEY
from pulse.common.topics import Topics
from pulse.health import app as health_app
from pulse.health import runtime
from pulse.health.scoring.model import default_model_text

from .conftest import HealthStack, StackFactory

pytestmark = pytest.mark.integration


def ago(**delta: float) -> str:
    return (datetime.now(UTC) - timedelta(**delta)).isoformat()


def profile(account: str, segment: str, **data: Any) -> dict[str, Any]:
    return {
        "type": "account.updated",
        "account_id": account,
        "occurred_at": ago(days=5),
        "data": {"segment": segment, "licensed_seats": 10, **data},
    }


def usage(account: str, user: str, feature: str, **delta: float) -> dict[str, Any]:
    return {
        "type": "usage.activity",
        "account_id": account,
        "occurred_at": ago(**delta or {"hours": 1}),
        "data": {"user_id": user, "feature": feature},
    }


def ticket(
    account: str, ticket_id: str, priority: str, channel: str, **delta: float
) -> dict[str, Any]:
    return {
        "type": "support.ticket.opened",
        "account_id": account,
        "occurred_at": ago(**delta or {"hours": 2}),
        "data": {"ticket_id": ticket_id, "priority": priority, "channel": channel},
    }


def has_open_urgent(count: int) -> Callable[[dict[str, Any]], bool]:
    return lambda body: bool(values(body)["open_urgent_tickets"] == count)


async def send(stack: HealthStack, *events: dict[str, Any]) -> list[str]:
    """Post through ingest; the ids it accepted."""
    response = await stack.ingest.post("/v1/events", json=list(events), headers=INGEST_KEY)
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["rejected"] == [], body
    ids: list[str] = body["ids"]
    return ids


def values(body: dict[str, Any]) -> dict[str, Any]:
    return {c["measure"]: c["value"] for c in body["components"]}


async def test_a_hand_computed_account(health_stack: StackFactory) -> None:
    """Tech-touch account: 4 of 10 seats active, 2 features, 2 phone tickets (1 urgent).

    Present groups (tech_touch weights): usage .30 = mean(active 0.4 → 46.667, features
    2 → 30) = 38.333; support .15 = mean(2 opened → 100, 2 by phone → 75, 1 urgent open →
    60) = 78.333; reliability .05 = 100; relationship .10 = 100; marketing .04 = 100;
    advocacy .03 = 60; account signals .05 = 100; engagement 0 (tech touch). Billing and
    sentiment have no data and are dropped; usage_trend has no baseline and is dropped.
    (.30*38.333 + .15*78.333 + .05*100 + .10*100 + .04*100 + .03*60 + .05*100) / .72
    = 49.05 / .72 = 68.125 → 68.1, yellow.
    """
    async with health_stack() as stack:
        await send(
            stack,
            profile("hand", "tech_touch", arr="12000", currency="USD"),
            usage("hand", "u1", "reports"),
            usage("hand", "u2", "reports"),
            usage("hand", "u3", "export"),
            usage("hand", "u4", "export"),
            ticket("hand", "t1", "urgent", "phone"),
            ticket("hand", "t2", "low", "phone"),
        )
        body = await stack.score("hand", lambda b: values(b)["phone_tickets_14d"] == 2)
        assert body["score"] == 68.1
        assert body["band"] == "yellow"
        assert body["segment"] == "tech_touch"
        scores = {c["measure"]: c["score"] for c in body["components"]}
        assert scores["active_user_ratio"] == pytest.approx(46.67)
        assert scores["features_used_30d"] == 30
        assert scores["open_urgent_tickets"] == 60
        assert scores["usage_trend"] is None
        assert scores["max_days_overdue"] is None
        assert sum(c["contribution"] for c in body["components"]) == pytest.approx(
            68.125, abs=0.005
        )
        assert body["trend"] == {"delta_7d": None, "delta_30d": None}
        # The score went out on pulse.health.scores through the outbox, with a stable id.
        topic = Topics(stack.settings.topic_prefix).health_scores
        published = [
            orjson.loads(r.value)
            for r in await read_topics(stack.settings.kafka_bootstrap_servers, [topic])
            if r.key == b"hand"
        ]
        last = published[-1]
        assert (last["score"], last["band"], last["model_version"]) == (
            68.1,
            "yellow",
            body["model_version"],
        )
        assert last["id"].startswith("hs_")
        assert len({m["id"] for m in published}) == len(published)
        assert [m["previous_score"] for m in published[1:]] == [m["score"] for m in published[:-1]]


async def test_late_and_duplicate_events(health_stack: StackFactory) -> None:
    async with health_stack() as stack:
        ids = await send(stack, profile("late", "low_touch"), ticket("late", "t1", "low", "email"))
        await stack.score("late", lambda b: values(b)["tickets_opened_30d"] == 1)
        # The same event again, under its id: counted once.
        again = ticket("late", "t1", "low", "email") | {"id": ids[1]}
        await send(stack, again)
        # A late ticket, 20 days old but inside its 30-day window: counted.
        await send(stack, ticket("late", "t2", "low", "email", days=20))
        body = await stack.score("late", lambda b: values(b)["tickets_opened_30d"] == 2)
        # Older than the 30-day grace: ignored (it could not change any window anyway).
        await send(stack, ticket("late", "t3", "low", "email", days=40))
        await send(stack, ticket("late", "t4", "low", "email"))
        body = await stack.score("late", lambda b: values(b)["tickets_opened_30d"] >= 3)
        assert values(body)["tickets_opened_30d"] == 3


async def test_a_window_edge_changes_the_score_with_no_new_event(
    health_stack: StackFactory,
) -> None:
    async with health_stack() as stack:
        await send(
            stack, profile("edge", "low_touch"), ticket("edge", "t1", "low", "phone", days=13)
        )
        before = await stack.score("edge", lambda b: values(b)["phone_tickets_14d"] == 1)
        # Two days later the call has left the 14-day window: re-scored on the next tick.
        stack.clock.advance(timedelta(days=2))
        after = await stack.score("edge", lambda b: values(b)["phone_tickets_14d"] == 0)
        assert after["score"] > before["score"]
        history = await stack.health.get("/v1/accounts/edge/health/history", headers=READ_KEY)
        points = history.json()["points"]
        assert [p["score"] for p in points][-2:] == [before["score"], after["score"]]


async def test_drivers_and_trend_compare_with_history(health_stack: StackFactory) -> None:
    async with health_stack() as stack:
        await send(stack, profile("drift", "low_touch"))
        first = await stack.score("drift")
        stack.clock.advance(timedelta(days=8))
        await send(
            stack,
            *(ticket("drift", f"t{i}", "urgent", "phone", hours=1) for i in range(4)),
        )
        body = await stack.score("drift", lambda b: values(b)["open_urgent_tickets"] == 4)
        assert body["trend"]["delta_7d"] == pytest.approx(body["score"] - first["score"], abs=0.05)
        assert body["trend"]["delta_30d"] is None  # no history that old
        moved = {d["measure"]: d for d in body["drivers"] if d["horizon"] == "7d"}
        assert moved["open_urgent_tickets"]["value_before"] == 0
        assert moved["open_urgent_tickets"]["value_now"] == 4
        assert moved["open_urgent_tickets"]["contribution_delta"] < 0
        first_delta = body["drivers"][0]["contribution_delta"]
        assert all(abs(d["contribution_delta"]) <= abs(first_delta) for d in body["drivers"])


async def test_a_model_swap_rescores_every_account(
    health_stack: StackFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two accounts per transaction: the swap takes several, as for a large book.
    monkeypatch.setattr(runtime, "TICK_CHUNK", 2)
    async with health_stack() as stack:
        accounts = [f"swap{i}" for i in range(3)]
        await send(
            stack,
            *(profile(a, "low_touch", owner="swapper") for a in accounts),
            *(ticket(a, "t1", "urgent", "phone") for a in accounts),
        )
        before = {a: await stack.score(a) for a in accounts}
        # Support counts for everything: only support measures remain weighted.
        text = default_model_text().replace('version: "2026.11-default.1"', 'version: "test.2"')
        for group in ("usage", "reliability", "billing", "relationship", "engagement",
                      "sentiment", "marketing", "advocacy", "account_signals"):  # fmt: skip
            text = text.replace(f"  {group}:\n    weight: ", f"  {group}:\n    weight: 0 #", 1)
        text = text.replace(
            "    usage: 0.30\n    engagement: 0.0", "    usage: 0\n    engagement: 0"
        )
        text = text.replace(
            "    usage: 0.22\n    engagement: 0.12", "    usage: 0\n    engagement: 0"
        )
        put = await stack.health.put(
            "/v1/scoring-model",
            content=text,
            headers={**ADMIN_KEY, "Content-Type": "application/yaml"},
        )
        assert put.status_code == 200, put.text
        assert put.json()["version"] == "test.2"
        for account in accounts:
            body = await stack.score(account, lambda b: b["model_version"] == "test.2")
            # Support alone: mean(1 opened → 100, 1 by phone → 75, 1 urgent open → 60).
            assert body["score"] == pytest.approx(78.3)
            assert body["score"] != before[account]["score"]
            history = await stack.health.get(
                f"/v1/accounts/{account}/health/history", headers=READ_KEY
            )
            versions = [p["model_version"] for p in history.json()["points"]]
            assert versions[0] == "2026.11-default.1"
            assert versions[-1] == "test.2"
        listed = await stack.health.get("/v1/scoring-model", headers=READ_KEY)
        assert listed.json()["version"] == "test.2"
        assert {v["version"] for v in listed.json()["versions"]} >= {"2026.11-default.1", "test.2"}

        # The same version with other content is refused; an invalid model names its paths.
        clash = await stack.health.put(
            "/v1/scoring-model",
            content=text.replace("green: 70", "green: 75"),
            headers={**ADMIN_KEY, "Content-Type": "application/yaml"},
        )
        assert clash.status_code == 409, clash.text
        bad = await stack.health.put(
            "/v1/scoring-model",
            content=text.replace("green: 70", "green: 170"),
            headers={**ADMIN_KEY, "Content-Type": "application/yaml"},
        )
        assert bad.status_code == 422
        assert any("bands" in d["path"] for d in bad.json()["error"]["details"]), bad.text
        forbidden = await stack.health.put(
            "/v1/scoring-model",
            content=text,
            headers={**READ_KEY, "Content-Type": "application/yaml"},
        )
        assert forbidden.status_code == 403

        # Back to the default: the stored earlier version is re-activated, not duplicated.
        back = await stack.health.put(
            "/v1/scoring-model",
            content=default_model_text(),
            headers={**ADMIN_KEY, "Content-Type": "application/yaml"},
        )
        assert back.json()["version"] == "2026.11-default.1"
        await stack.score(accounts[0], lambda b: b["model_version"] == "2026.11-default.1")


async def test_csm_sentiment(health_stack: StackFactory) -> None:
    async with health_stack() as stack:
        await send(stack, profile("feel", "high_touch"))
        await stack.score("feel")
        url = "/v1/accounts/feel/csm-sentiment"
        assert (
            await stack.health.put(url, json={"value": "red"}, headers=READ_KEY)
        ).status_code == 403
        wrong = await stack.health.put(url, json={"value": "purple"}, headers=ADMIN_KEY)
        assert wrong.status_code == 422
        assert "value" in wrong.text
        put = await stack.health.put(
            url, json={"value": "red", "note": "sponsor unhappy"}, headers=ADMIN_KEY
        )
        assert put.status_code == 202, put.text
        red = await stack.score("feel", lambda b: values(b)["csm_sentiment"] == 0)
        await stack.health.put(url, json={"value": "green"}, headers=ADMIN_KEY)
        green = await stack.score("feel", lambda b: values(b)["csm_sentiment"] == 100)
        assert green["score"] > red["score"], (red, green)


async def test_account_list_filters_and_pages(health_stack: StackFactory) -> None:
    async with health_stack() as stack:
        accounts = [f"page{i}" for i in range(7)]
        await send(
            stack,
            *(profile(a, "low_touch", owner="pager") for a in accounts),
            # i urgent tickets for account i: scores fall as i grows.
            *(
                ticket(a, f"t{n}", "urgent", "email")
                for i, a in enumerate(accounts)
                for n in range(i)
            ),
        )
        for i, account in enumerate(accounts):
            await stack.score(account, has_open_urgent(i))

        seen: list[dict[str, Any]] = []
        cursor: str | None = None
        while True:
            params: dict[str, Any] = {"owner": "pager", "sort": "-score", "limit": 2}
            if cursor:
                params["cursor"] = cursor
            page = (await stack.health.get("/v1/accounts", params=params, headers=READ_KEY)).json()
            seen.extend(page["accounts"])
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert [a["account_id"] for a in seen] == accounts  # best first, each once
        scores = [a["score"] for a in seen]
        assert scores == sorted(scores, reverse=True)

        middle = scores[3]
        ranged = await stack.health.get(
            "/v1/accounts",
            params={"owner": "pager", "max_score": middle, "sort": "account_id"},
            headers=READ_KEY,
        )
        assert [a["account_id"] for a in ranged.json()["accounts"]] == accounts[3:]
        red = await stack.health.get(
            "/v1/accounts", params={"owner": "pager", "band": "red"}, headers=READ_KEY
        )
        assert all(a["band"] == "red" for a in red.json()["accounts"])
        assert {a["account_id"] for a in red.json()["accounts"]} == {
            a["account_id"] for a in seen if a["band"] == "red"
        }

        for params, field in (
            ({"limit": 0}, "limit"),
            ({"band": "blue"}, "band"),
            ({"min_score": "high"}, "min_score"),
            ({"sort": "arr"}, "sort"),
        ):
            bad = await stack.health.get("/v1/accounts", params=params, headers=READ_KEY)
            assert bad.status_code == 422, (params, bad.text)
            assert field in bad.text
        foreign = await stack.health.get(
            "/v1/accounts", params={"cursor": "not-ours"}, headers=READ_KEY
        )
        assert foreign.status_code == 422
        assert (await stack.health.get("/v1/accounts")).status_code == 401
        history = await stack.health.get(
            "/v1/accounts/page1/health/history", params={"from": "yesterday"}, headers=READ_KEY
        )
        assert history.status_code == 422
        assert (
            await stack.health.get("/v1/accounts/nobody/health/history", headers=READ_KEY)
        ).status_code == 404


async def test_concurrent_reads_while_scoring(health_stack: StackFactory) -> None:
    """Reads never see a half-written score: components always sum to the score."""
    async with health_stack() as stack:
        await send(stack, profile("busy", "low_touch"))
        await stack.score("busy")

        async def writer() -> None:
            for n in range(10):
                await send(stack, ticket("busy", f"w{n}", "high", "chat"))

        task = asyncio.create_task(writer())
        while not task.done():
            body = (await stack.health.get("/v1/accounts/busy/health", headers=READ_KEY)).json()
            total = sum(c["contribution"] for c in body["components"])
            assert total == pytest.approx(body["score"], abs=0.06)
            await asyncio.sleep(0.01)
        await task


async def test_a_model_file_becomes_the_active_model(
    health_stack: StackFactory, tmp_path: Path
) -> None:
    path = tmp_path / "model.yaml"
    text = default_model_text().replace('version: "2026.11-default.1"', 'version: "from-file"')
    path.write_text(text)
    async with health_stack(model_file=path) as stack:
        await send(stack, profile("filed", "low_touch"))
        body = await stack.score("filed")
        assert body["model_version"] == "from-file"
        model = await stack.health.get("/v1/scoring-model", headers=READ_KEY)
        assert model.json()["version"] == "from-file"
    # Leave the module's database on the default model for the tests after this one.
    async with health_stack(model_file=None) as stack:
        back = await stack.health.put(
            "/v1/scoring-model",
            content=default_model_text(),
            headers={**ADMIN_KEY, "Content-Type": "application/yaml"},
        )
        assert back.status_code == 200


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
    monkeypatch.setattr(runtime, "HOUSEKEEPING_S", 0.1)
    async with health_stack() as stack:
        ids = await send(stack, profile("old", "low_touch"))
        await stack.score("old")
        engine = create_engine(stack.settings, schema=health_app.SCHEMA)
        try:
            async with engine.begin() as connection:
                await connection.execute(
                    text(
                        "INSERT INTO processed_events (account_id, event_id, seen_at) "
                        "VALUES ('old', 'evt_ancient', now() - interval '8 days')"
                    )
                )
            for _ in range(100):
                async with engine.connect() as connection:
                    kept = (
                        (
                            await connection.execute(
                                text(
                                    "SELECT event_id FROM processed_events WHERE account_id = 'old'"
                                )
                            )
                        )
                        .scalars()
                        .all()
                    )
                if "evt_ancient" not in kept:
                    break
                await asyncio.sleep(0.1)
            assert kept == ids  # the recent id stays, the 8-day-old one is gone
        finally:
            await engine.dispose()


async def set_aside_count(stack: HealthStack) -> float:
    metrics = (await stack.health.get("/metrics")).text
    for line in metrics.splitlines():
        if line.startswith("pulse_health_rescores_set_aside_total "):
            return float(line.split()[1])
    return 0.0


async def test_an_account_that_cannot_be_scored_is_set_aside_and_the_rest_go_on(
    health_stack: StackFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runtime, "TICK_CHUNK", 50)  # both accounts in one chunk
    async with health_stack() as stack:
        await send(stack, profile("broken", "low_touch"), profile("sound", "low_touch"))
        await stack.score("broken")
        before = await stack.score("sound")
        set_aside = await set_aside_count(stack)  # the counter lives as long as the process
    engine = create_engine(stack.settings, schema=health_app.SCHEMA)
    try:
        # A stored state this version cannot read, and both accounts due when loaded.
        async with engine.begin() as connection:
            await connection.execute(
                text(
                    "UPDATE account_states SET next_change_at = now() - interval '1 hour' "
                    "WHERE account_id IN ('broken', 'sound')"
                )
            )
            await connection.execute(
                text(
                    "UPDATE account_states SET state = jsonb_set(state, '{state,v}', '99') "
                    "WHERE account_id = 'broken'"
                )
            )
        async with health_stack() as stack:
            after = await stack.score("sound", lambda b: b["computed_at"] != before["computed_at"])
            assert after["score"] == before["score"]
            for _ in range(100):
                if await set_aside_count(stack) > set_aside:
                    break
                await asyncio.sleep(0.1)
            assert await set_aside_count(stack) == set_aside + 1
    finally:
        async with engine.begin() as connection:  # leave no unreadable row to later tests
            await connection.execute(text("DELETE FROM account_states WHERE account_id = 'broken'"))
        await engine.dispose()
