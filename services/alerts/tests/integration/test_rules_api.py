"""Rules over HTTP: the shipped defaults are in force at start; a rule is created,
replaced and removed with validation errors that name the path in the body; a new rule
takes effect on the stream; removing a rule resolves its alerts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from pulse.alerts.rules.loading import default_rules
from pulse.devtools.testing.plugin import ADMIN_KEY, READ_KEY

from .conftest import StackFactory, ticket

pytestmark = pytest.mark.integration


def email_rule(**changes: Any) -> dict[str, Any]:
    return {
        "id": "email_tickets",
        "name": "Many email tickets",
        "kind": "count",
        "severity": "info",
        "noun": "email tickets",
        "event": "support.ticket.opened",
        "where": {"field": "channel", "equals": "email"},
        "at_least": 2,
        "window": "7d",
        **changes,
    }


async def test_the_defaults_are_in_force_and_readable(alerts_stack: StackFactory) -> None:
    async with alerts_stack() as stack:
        body = (await stack.alerts.get("/v1/rules", headers=READ_KEY)).json()
        assert [r["id"] for r in body["rules"]] == [r.id for r in default_rules().rules]
        assert isinstance(body["version"], int)
        one = await stack.alerts.get("/v1/rules/phone_tickets", headers=READ_KEY)
        assert one.json()["window"] == "14d"
        assert (await stack.alerts.get("/v1/rules/nope", headers=READ_KEY)).status_code == 404


async def test_a_new_rule_watches_the_stream_and_its_removal_resolves_its_alerts(
    alerts_stack: StackFactory,
) -> None:
    async with alerts_stack() as stack:
        created = await stack.alerts.post("/v1/rules", json=email_rule(), headers=ADMIN_KEY)
        assert created.status_code == 201, created.text
        version = created.json()["version"]
        twin = await stack.alerts.post("/v1/rules", json=email_rule(), headers=ADMIN_KEY)
        assert twin.status_code == 409

        now = datetime.now(UTC)
        await stack.send(
            ticket("mail", "e1", "email", now - timedelta(hours=5)),
            ticket("mail", "e2", "email", now - timedelta(hours=4)),
        )
        [alert] = await stack.alerts_of("mail", rule="email_tickets")
        assert alert["severity"] == "info"
        assert alert["reason"].startswith("mail: 2 email tickets in 7 days (")

        replaced = await stack.alerts.put(
            "/v1/rules/email_tickets", json=email_rule(severity="warning"), headers=ADMIN_KEY
        )
        assert replaced.status_code == 200, replaced.text
        assert replaced.json()["version"] > version

        removed = await stack.alerts.delete("/v1/rules/email_tickets", headers=ADMIN_KEY)
        assert removed.status_code == 200
        assert [a["id"] for a in removed.json()["resolved_alerts"]] == [alert["id"]]
        [gone] = await stack.alerts_of("mail", rule="email_tickets")
        assert (gone["state"], gone["resolution"]) == ("resolved", "rule_removed")
        missing = await stack.alerts.delete("/v1/rules/email_tickets", headers=ADMIN_KEY)
        assert missing.status_code == 404


async def test_an_invalid_rule_is_refused_with_each_problem_by_path(
    alerts_stack: StackFactory,
) -> None:
    async with alerts_stack() as stack:
        bad = email_rule(where={"field": "chanel", "equals": "email"}, window="7 days")
        response = await stack.alerts.post("/v1/rules", json=bad, headers=ADMIN_KEY)
        assert response.status_code == 422
        error = response.json()["error"]
        assert error["code"] == "invalid_rule"
        paths = [d["path"] for d in error["details"]]
        assert paths == ["window"], error
        fixed = email_rule(where={"field": "chanel", "equals": "email"})
        response = await stack.alerts.post("/v1/rules", json=fixed, headers=ADMIN_KEY)
        assert response.status_code == 422
        [detail] = response.json()["error"]["details"]
        assert detail["path"] == "where.field"
        assert "unknown field 'chanel'" in detail["message"]
        read_only = await stack.alerts.post("/v1/rules", json=email_rule(), headers=READ_KEY)
        assert read_only.status_code == 403
        mismatch = await stack.alerts.put(
            "/v1/rules/phone_tickets", json=email_rule(), headers=ADMIN_KEY
        )
        assert mismatch.status_code == 422
