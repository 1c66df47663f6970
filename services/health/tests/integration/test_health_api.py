"""Health through its HTTP API with ingest in front: hand-computed scores, late and
duplicate events, time passing, drivers and trend, CSM sentiment, the account list."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import orjson
import pytest

from pulse.common.topics import Topics
from pulse.devtools.testing.kafka import read_topics
from pulse.devtools.testing.plugin import ADMIN_KEY, READ_KEY

from .conftest import StackFactory
from .ingest_events import has_open_urgent, profile, send, ticket, usage, values

pytestmark = pytest.mark.integration


async def test_a_hand_computed_account(health_stack: StackFactory) -> None:
    """Tech-touch account: 4 of 10 seats active, 2 features, 2 phone tickets (1 urgent).

    Recomputed by hand for model 2026.12-default.2. Present groups (tech_touch weights):
    usage .36 = mean(active 0.4 → 45 + 30 * 0.1/0.3 = 55, features 2 → log 35 * ln 2 / ln 3
    = 22.08, 1 event per active user → 0, 0.4 events per seat → 0) = 19.27; support .15 =
    mean(2 opened → 100, 2 by phone → 75, 1 urgent open → 60) = 78.333. The trends have no
    baseline and billing and sentiment no data (dropped); outages, contacts, engagement,
    marketing and signals were never sent (absent).
    (.36 * 19.2706 + .15 * 78.333) / .51 = 18.687 / .51 = 36.64 → 36.6, red.
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
        assert body["score"] == 36.6
        assert body["band"] == "red"
        assert body["segment"] == "tech_touch"
        scores = {c["measure"]: c["score"] for c in body["components"]}
        assert scores["active_user_ratio"] == 55
        assert scores["features_used_30d"] == pytest.approx(22.08)
        assert scores["usage_per_active_user_28d"] == 0
        assert scores["open_urgent_tickets"] == 60
        assert scores["usage_trend"] is None
        missing = {c["measure"]: c["missing"] for c in body["components"]}
        assert missing["usage_trend"] == "no_value"
        assert missing["outages_30d"] == "never_sent"
        assert scores["max_days_overdue"] is None
        assert sum(c["contribution"] for c in body["components"]) == pytest.approx(36.64, abs=0.005)
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
            36.6,
            "red",
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
        # A low ticket by email: the account's tickets reach Pulse, so the support measures
        # are present (not absent as never sent) before the urgent tickets arrive.
        await send(stack, profile("drift", "low_touch"), ticket("drift", "t0", "low", "email"))
        first = await stack.score("drift", lambda b: values(b)["tickets_opened_30d"] == 1)
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


def opened_in_30_days(count: int) -> Callable[[dict[str, Any]], bool]:
    return lambda body: bool(values(body)["tickets_opened_30d"] == count)


async def test_account_list_filters_and_pages(health_stack: StackFactory) -> None:
    async with health_stack() as stack:
        accounts = [f"page{i}" for i in range(7)]
        await send(
            stack,
            *(profile(a, "low_touch", owner="pager") for a in accounts),
            # A low ticket 25 days ago: every account's tickets reach Pulse (so none has its
            # support measures absent as never sent); it leaves the 30-day window below.
            *(ticket(a, "t-old", "low", "email", days=25) for a in accounts),
            # i urgent tickets for account i: scores fall as i grows.
            *(
                ticket(a, f"t{n}", "urgent", "email")
                for i, a in enumerate(accounts)
                for n in range(i)
            ),
        )
        for i, account in enumerate(accounts):
            await stack.score(account, has_open_urgent(i))
        stack.clock.advance(timedelta(days=6))
        for i, account in enumerate(accounts):
            await stack.score(account, opened_in_30_days(i))

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
