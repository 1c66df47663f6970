"""The webhook routes: the secret shown once, scopes, changes, deletion, and the delivery
log's pages and filters."""

from __future__ import annotations

import pytest

from pulse.devtools.testing.plugin import ADMIN_KEY, INGEST_KEY, READ_KEY

from .conftest import Receivers, StackFactory, alert
from .webhook_endpoint import Answer

pytestmark = pytest.mark.integration


async def test_the_secret_is_shown_when_created_and_never_again(
    webhook_stack: StackFactory, receivers: Receivers
) -> None:
    async with webhook_stack() as stack:
        receiver = await receivers(stack.clock)
        created = await stack.subscribe(receiver, segments=["high_touch"])
        assert created["id"].startswith("wh_")
        assert created["secret"].startswith("whsec_")
        assert (created["enabled"], created["ordered"], created["segments"]) == (
            True,
            False,
            ["high_touch"],
        )

        one = (await stack.api.get(f"/v1/webhooks/{created['id']}", headers=READ_KEY)).json()
        listed = (await stack.api.get("/v1/webhooks", headers=READ_KEY)).json()["webhooks"]
        assert [w["id"] for w in listed] == [created["id"]]
        for shown in (one, listed[0]):
            assert "secret" not in shown
            assert "previous_secret" not in shown
            assert created["secret"] not in str(shown)


async def test_reads_need_read_and_changes_need_admin(webhook_stack: StackFactory) -> None:
    async with webhook_stack() as stack:
        body = {"url": "http://127.0.0.1:9/x", "event_types": ["alert.opened"]}
        assert (await stack.api.get("/v1/webhooks")).status_code == 401
        assert (await stack.api.get("/v1/webhooks", headers=INGEST_KEY)).status_code == 403
        refused = await stack.api.post("/v1/webhooks", json=body, headers=READ_KEY)
        assert refused.status_code == 403
        assert refused.json()["error"]["code"] == "forbidden"
        redeliver = await stack.api.post("/v1/deliveries/1/redeliver", headers=READ_KEY)
        assert redeliver.status_code == 403


async def test_bad_bodies_and_unknown_ids_answer_in_the_error_shape(
    webhook_stack: StackFactory,
) -> None:
    async with webhook_stack() as stack:
        body = {"url": "http://127.0.0.1:9/x", "event_types": ["alert.fired"]}
        invalid = await stack.api.post("/v1/webhooks", json=body, headers=ADMIN_KEY)
        assert invalid.status_code == 422
        assert invalid.json()["error"]["details"][0]["path"] == "body.event_types.0"
        missing = await stack.api.get("/v1/webhooks/wh_nope", headers=READ_KEY)
        assert missing.status_code == 404
        assert missing.json()["error"] == {
            "code": "not_found",
            "message": "no webhook subscription 'wh_nope'",
            "details": None,
        }
        gone = await stack.api.post("/v1/deliveries/999999/redeliver", headers=ADMIN_KEY)
        assert gone.status_code == 404
        overlap = await stack.api.post(
            "/v1/webhooks/wh_nope/rotate-secret", params={"overlap": 8 * 86400}, headers=ADMIN_KEY
        )
        assert overlap.status_code == 422


async def test_patch_changes_only_what_it_names_and_delete_removes_everything(
    webhook_stack: StackFactory, receivers: Receivers
) -> None:
    async with webhook_stack() as stack:
        receiver = await receivers(stack.clock)
        created = await stack.subscribe(receiver, account_ids=["acme"])
        path = f"/v1/webhooks/{created['id']}"

        patched = await stack.api.patch(
            path, json={"event_types": ["alert.resolved"], "account_ids": None}, headers=ADMIN_KEY
        )
        assert patched.status_code == 200, patched.text
        after = patched.json()
        assert (after["event_types"], after["account_ids"], after["url"]) == (
            ["alert.resolved"],
            None,
            receiver.url,
        )
        null_url = await stack.api.patch(path, json={"url": None}, headers=ADMIN_KEY)
        assert null_url.status_code == 400

        deleted = await stack.api.delete(path, headers=ADMIN_KEY)
        assert deleted.status_code == 204
        assert (await stack.api.get(path, headers=READ_KEY)).status_code == 404
        assert (await stack.api.delete(path, headers=ADMIN_KEY)).status_code == 404


async def test_the_delivery_log_pages_newest_first_and_filters_by_state(
    webhook_stack: StackFactory, receivers: Receivers
) -> None:
    async with webhook_stack() as stack:
        receiver = await receivers(stack.clock)
        sub = await stack.subscribe(receiver)
        await stack.enqueue(*(alert(f"p-{n}") for n in range(5)))
        await receiver.wait_for(5)
        await stack.settled(sub["id"])
        receiver.answer = Answer(500)
        await stack.enqueue(alert("p-failing"))
        await stack.settled(sub["id"])

        first = await stack.api.get(
            f"/v1/webhooks/{sub['id']}/deliveries", params={"limit": 4}, headers=READ_KEY
        )
        page = first.json()
        second = await stack.api.get(
            f"/v1/webhooks/{sub['id']}/deliveries",
            params={"limit": 4, "cursor": page["next_cursor"]},
            headers=READ_KEY,
        )
        ids = [d["id"] for d in page["deliveries"] + second.json()["deliveries"]]
        assert len(ids) == 6
        assert ids == sorted(ids, reverse=True)
        assert second.json()["next_cursor"] is None
        assert page["deliveries"][0]["attempt_log"][0]["status"] == 500

        pending = await stack.deliveries(sub["id"], state="pending")
        assert [d["state"] for d in pending] == ["pending"]
        bad = await stack.api.get(
            f"/v1/webhooks/{sub['id']}/deliveries", params={"cursor": "x"}, headers=READ_KEY
        )
        assert bad.json()["error"]["code"] == "invalid_cursor"


async def test_disabling_by_hand_gives_up_pending_work_and_takes_no_new_messages(
    webhook_stack: StackFactory, receivers: Receivers
) -> None:
    async with webhook_stack() as stack:
        receiver = await receivers(stack.clock)
        receiver.answer = Answer(500)
        sub = await stack.subscribe(receiver)
        path = f"/v1/webhooks/{sub['id']}"
        await stack.enqueue(alert("h-1"))
        assert (await stack.settled(sub["id"]))["state"] == "pending"

        off = await stack.api.patch(path, json={"enabled": False}, headers=ADMIN_KEY)
        assert (off.json()["enabled"], off.json()["disabled_reason"]) == (
            False,
            "disabled by request",
        )
        assert [d["state"] for d in await stack.deliveries(sub["id"])] == ["failed"]
        await stack.enqueue(alert("h-2"))
        assert len(await stack.deliveries(sub["id"])) == 1

        receiver.answer = Answer(200)
        on = await stack.api.patch(path, json={"enabled": True}, headers=ADMIN_KEY)
        assert (on.json()["enabled"], on.json()["disabled_at"]) == (True, None)
        await stack.enqueue(alert("h-3"))
        delivered = await stack.settled(sub["id"])
        assert (delivered["state"], receiver.received[-1].json["type"]) == (
            "delivered",
            "alert.opened",
        )
        assert len(await stack.deliveries(sub["id"])) == 2
