"""From ingest's HTTP API to an alert: three phone tickets in 14 days open one alert with
the numbers and dates that tripped it; a fourth updates it; the window sliding past them
resolves it; people acknowledge, snooze and resolve alerts."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from pulse.devtools.testing.plugin import ADMIN_KEY, READ_KEY

from .conftest import StackFactory, profile, ticket

pytestmark = pytest.mark.integration


def _days_ago(days: float) -> datetime:
    return datetime.now(UTC) - timedelta(days=days)


async def test_three_phone_tickets_open_one_alert_with_the_reason(
    alerts_stack: StackFactory,
) -> None:
    async with alerts_stack() as stack:
        await stack.send(profile("acme", name="Acme", owner="dana", segment="high_touch"))
        await stack.send(
            ticket("acme", "t1", "phone", _days_ago(10)),
            ticket("acme", "t2", "email", _days_ago(9)),
            ticket("acme", "t3", "phone", _days_ago(5)),
        )
        await stack.send(ticket("acme", "t4", "phone", _days_ago(1)))
        [alert] = await stack.alerts_of("acme", rule="phone_tickets")
        assert alert["state"] == "open"
        assert alert["severity"] == "warning"
        assert alert["owner"] == "dana"
        assert alert["segment"] == "high_touch"
        assert alert["count"] == 3
        assert alert["reason"].startswith("Acme: 3 phone calls to support in 14 days (")
        assert len(alert["evidence"]) == 3
        assert alert["playbook_id"] == "support_escalation"

        one = await stack.alerts.get(f"/v1/alerts/{alert['id']}", headers=READ_KEY)
        assert one.status_code == 200
        assert one.json()["id"] == alert["id"]
        # The playbook started with the alert: its tasks are due from the opening, and the
        # CSM's are the account owner's.
        listed = await stack.alerts.get(f"/v1/alerts/{alert['id']}/tasks", headers=READ_KEY)
        tasks = listed.json()["tasks"]
        assert [t["title"] for t in tasks][:2] == [
            "Review the open tickets with the support lead",
            "Call the customer about their support experience",
        ]
        assert tasks[0]["assignee"] == "dana"

        await stack.send(ticket("acme", "t5", "phone", _days_ago(0.5)))
        [updated] = await stack.alerts_of("acme", lambda a: bool(a) and a[0]["count"] == 4)
        assert updated["id"] == alert["id"]
        assert updated["trips"] == 2
        assert updated["reason"].startswith("Acme: 4 phone calls")


async def test_the_window_sliding_past_the_tickets_resolves_the_alert(
    alerts_stack: StackFactory,
) -> None:
    async with alerts_stack() as stack:
        await stack.send(
            *(ticket("slide", f"s{n}", "phone", _days_ago(13 - n / 10)) for n in range(3))
        )
        [alert] = await stack.alerts_of("slide")
        assert alert["state"] == "open"
        # Past the window (14 days from the oldest) and keep_firing_for (1 day).
        stack.clock.advance(timedelta(days=2, hours=1))
        [resolved] = await stack.alerts_of("slide", lambda a: a[0]["state"] == "resolved")
        assert resolved["resolution"] == "cleared"
        assert resolved["id"] == alert["id"]


async def test_people_acknowledge_snooze_and_resolve(alerts_stack: StackFactory) -> None:
    async with alerts_stack() as stack:
        await stack.send(
            *(ticket("moves", f"m{n}", "phone", _days_ago(3 - n / 10)) for n in range(3))
        )
        [alert] = await stack.alerts_of("moves")
        url = f"/v1/alerts/{alert['id']}"

        acked = await stack.alerts.post(
            f"{url}/acknowledge", json={"note": "on it"}, headers=ADMIN_KEY
        )
        assert acked.status_code == 200, acked.text
        assert acked.json()["state"] == "acknowledged"
        assert acked.json()["note"] == "on it"
        again = await stack.alerts.post(f"{url}/acknowledge", headers=ADMIN_KEY)
        assert again.status_code == 409

        snoozed = await stack.alerts.post(f"{url}/snooze", json={"for": "2h"}, headers=ADMIN_KEY)
        assert snoozed.json()["state"] == "snoozed"
        stack.clock.advance(timedelta(hours=3))
        [woken] = await stack.alerts_of("moves", lambda a: a[0]["state"] == "open")
        assert woken["snoozed_until"] is None

        done = await stack.alerts.post(f"{url}/resolve", headers=ADMIN_KEY)
        assert done.json()["state"] == "resolved"
        assert done.json()["resolution"] == "manual"
        # The condition still holds: a new trip neither reopens it nor opens a twin.
        await stack.send(ticket("moves", "m9", "phone", _days_ago(0.1)))
        await stack.alerts_of("moves", lambda a: len(a) == 1 and a[0]["state"] == "resolved")

        read_only = await stack.alerts.post(f"{url}/acknowledge", headers=READ_KEY)
        assert read_only.status_code == 403
        missing = await stack.alerts.get("/v1/alerts/al_000000000000000000000000", headers=READ_KEY)
        assert missing.status_code == 404


async def test_listing_pages_with_a_cursor_and_filters(alerts_stack: StackFactory) -> None:
    async with alerts_stack() as stack:
        for n in range(5):
            await stack.send(
                *(ticket(f"page{n}", f"p{n}{k}", "phone", _days_ago(2 - k / 10)) for k in range(3))
            )
        for n in range(5):
            await stack.alerts_of(f"page{n}")
        seen: list[str] = []
        cursor = None
        while True:
            params = {
                "rule": "phone_tickets",
                "limit": "2",
                **({"cursor": cursor} if cursor else {}),
            }
            page = (await stack.alerts.get("/v1/alerts", params=params, headers=READ_KEY)).json()
            seen += [a["account_id"] for a in page["alerts"] if a["account_id"].startswith("page")]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert sorted(seen) == [f"page{n}" for n in range(5)]
        bad = await stack.alerts.get("/v1/alerts", params={"cursor": "nope"}, headers=READ_KEY)
        assert bad.status_code == 422
        critical = await stack.alerts.get(
            "/v1/alerts", params={"severity": "critical", "account_id": "page0"}, headers=READ_KEY
        )
        assert critical.json()["alerts"] == []


async def test_a_rule_that_does_not_resolve_by_itself_keeps_its_alert_for_a_person(
    alerts_stack: StackFactory,
) -> None:
    rule = {
        "id": "any_phone_call",
        "name": "Any phone call",
        "kind": "count",
        "severity": "info",
        "noun": "phone calls",
        "event": "support.ticket.opened",
        "where": {"field": "channel", "equals": "phone"},
        "at_least": 1,
        "window": "3d",
        "auto_resolve": False,
    }
    async with alerts_stack() as stack:
        created = await stack.alerts.post("/v1/rules", json=rule, headers=ADMIN_KEY)
        assert created.status_code == 201, created.text
        await stack.send(ticket("sticky", "k1", "phone", _days_ago(2.5)))
        [alert] = await stack.alerts_of("sticky", rule="any_phone_call")
        # The call leaves the window: the condition clears, the alert stays open.
        stack.clock.advance(timedelta(days=1))
        await stack.send(ticket("sticky", "k2", "email", _days_ago(0)))
        await asyncio.sleep(1)
        [still] = await stack.alerts_of("sticky", rule="any_phone_call")
        assert (still["state"], still["trips"]) == ("open", 1)
        # A new trip updates it instead of opening a second alert.
        await stack.send(ticket("sticky", "k3", "phone", _days_ago(0)))
        [again] = await stack.alerts_of(
            "sticky", lambda a: bool(a) and a[0]["trips"] == 2, rule="any_phone_call"
        )
        assert (again["id"], again["state"]) == (alert["id"], "open")
