"""The address guard, when a subscription is made and at every attempt: private targets
are refused, by address or by a name that resolves to one, unless private networks are
allowed."""

from __future__ import annotations

import pytest

from pulse.alerts.delivery import management
from pulse.alerts.webhooks.secret_keys import generate_secret
from pulse.devtools.testing.plugin import ADMIN_KEY

from .conftest import Receivers, StackFactory, alert

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://127.0.0.1:9/hook", "127.0.0.1 is a loopback address"),
        ("http://localhost:9/hook", "is a loopback address"),
        ("http://10.1.2.3/hook", "10.1.2.3 is a private address"),
        ("http://169.254.169.254/latest", "a cloud metadata address"),
        ("http://[::ffff:192.168.0.1]/hook", "embeds 192.168.0.1, 192.168.0.1 is a private"),
        ("ftp://example.com/hook", "must be https or http"),
        ("https://user:pw@example.com/hook", "user name or password"),
    ],
)
async def test_private_or_malformed_targets_are_refused_when_subscribing(
    webhook_stack: StackFactory, url: str, reason: str
) -> None:
    async with webhook_stack(allow_private=False) as stack:
        response = await stack.api.post(
            "/v1/webhooks", json={"url": url, "event_types": ["alert.opened"]}, headers=ADMIN_KEY
        )
        assert response.status_code == 422
        error = response.json()["error"]
        assert error["code"] == "webhook_url_refused"
        assert reason in error["message"]
        assert error["details"][0]["path"] == "body.url"


async def test_metadata_addresses_stay_refused_when_private_networks_are_allowed(
    webhook_stack: StackFactory,
) -> None:
    async with webhook_stack(allow_private=True) as stack:
        body = {"url": "http://169.254.169.254/latest", "event_types": ["alert.opened"]}
        response = await stack.api.post("/v1/webhooks", json=body, headers=ADMIN_KEY)
        assert response.status_code == 422
        assert "cloud metadata" in response.json()["error"]["message"]


async def test_the_guard_runs_again_at_send_time(
    webhook_stack: StackFactory, receivers: Receivers
) -> None:
    """A subscription stored while its name resolved elsewhere (here: written directly)
    is still refused when the attempt resolves the name to loopback."""
    async with webhook_stack(allow_private=False) as stack:
        receiver = await receivers(stack.clock)
        async with stack.context.sessions.begin() as session:
            await management.create_subscription(
                session,
                management.NewSubscription(
                    id="wh_local",
                    url=f"http://localhost:{receiver.port}/hook",
                    event_types=["alert.opened"],
                    account_ids=None,
                    segments=None,
                    enabled=True,
                    ordered=False,
                    secret=generate_secret(bytes),
                ),
                stack.clock(),
            )
        await stack.enqueue(alert("private-1"))
        delivery = await stack.settled("wh_local")
        assert delivery["state"] == "pending"
        [attempt] = delivery["attempt_log"]
        assert attempt["status"] is None
        assert attempt["error"].startswith("refused: ")
        assert "is a loopback address" in attempt["error"]
        assert receiver.received == []
