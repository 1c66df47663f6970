"""The sender connects to the address it checked while the receiver sees its own host
(Host header, TLS server name), keeps a KiB of the answer, and follows no redirect."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv6Address

import httpx
import pytest

from pulse.alerts.delivery.sender import (
    RESPONSE_EXCERPT_BYTES,
    WebhookSender,
    checked_address,
    pinned_request,
    resolve_host,
)
from pulse.alerts.webhooks.address_guard import AddressRefused, IPAddress
from pulse.alerts.webhooks.outcomes import Response, TransportFailure
from pulse.alerts.webhooks.urls import validate_webhook_url

PUBLIC = IPv4Address("93.184.216.34")


def test_https_goes_to_the_address_with_the_hosts_name_for_host_and_sni() -> None:
    url = validate_webhook_url("https://hooks.example.com:8443/in?x=1")
    request = pinned_request(url, PUBLIC, {"webhook-id": "msg_1"}, b"{}")
    assert str(request.url) == "https://93.184.216.34:8443/in?x=1"
    assert request.headers["host"] == "hooks.example.com:8443"
    assert request.extensions["sni_hostname"] == "hooks.example.com"
    assert request.headers["webhook-id"] == "msg_1"


def test_http_to_an_ipv6_address_needs_no_server_name() -> None:
    url = validate_webhook_url("http://hooks.example.com/in")
    request = pinned_request(url, IPv6Address("2606:2800:220:1::1"), {}, b"{}")
    assert str(request.url) == "http://[2606:2800:220:1::1]/in"
    assert request.headers["host"] == "hooks.example.com"
    assert "sni_hostname" not in request.extensions


def _resolver(*addresses: IPAddress):  # type: ignore[no-untyped-def]
    async def resolve(host: str, port: int) -> list[IPAddress]:
        return list(addresses)

    return resolve


async def test_every_resolved_address_must_pass_and_the_first_is_used() -> None:
    url = validate_webhook_url("https://hooks.example.com/in")
    chosen = await checked_address(url, allow_private=False, resolve=_resolver(PUBLIC))
    assert chosen == PUBLIC
    mixed = _resolver(PUBLIC, IPv4Address("10.0.0.7"))
    with pytest.raises(AddressRefused, match=r"10\.0\.0\.7 is a private address"):
        await checked_address(url, allow_private=False, resolve=mixed)
    assert await checked_address(url, allow_private=True, resolve=mixed) == PUBLIC


async def test_an_ip_literal_resolves_to_itself() -> None:
    assert await resolve_host("127.0.0.1", 80) == [IPv4Address("127.0.0.1")]
    assert await resolve_host("::1", 80) == [IPv6Address("::1")]


async def test_a_kib_of_the_body_is_kept_and_redirects_are_not_followed() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path == "/moved":
            return httpx.Response(302, headers={"location": "http://10.0.0.1/"})
        return httpx.Response(200, content=b"x" * 5000)

    client = httpx.AsyncClient(transport=httpx.MockTransport(answer), follow_redirects=False)
    sender = WebhookSender(client, timeout_s=5, allow_private=False, resolve=_resolver(PUBLIC))
    ok = await sender.send("https://hooks.example.com/in", {"webhook-id": "msg_1"}, b"{}")
    assert ok.result == Response(200)
    assert ok.response_excerpt == "x" * RESPONSE_EXCERPT_BYTES
    moved = await sender.send("https://hooks.example.com/moved", {}, b"{}")
    assert moved.result == Response(302)
    assert [r.url.host for r in seen] == ["93.184.216.34", "93.184.216.34"]


async def test_a_refused_address_is_a_failed_attempt_that_sends_nothing() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        raise AssertionError("nothing may be sent to a refused address")

    client = httpx.AsyncClient(transport=httpx.MockTransport(answer))
    sender = WebhookSender(
        client, timeout_s=5, allow_private=False, resolve=_resolver(IPv4Address("127.0.0.1"))
    )
    refused = await sender.send("https://localhost.example/in", {}, b"{}")
    assert refused.result is TransportFailure.CONNECTION_ERROR
    assert refused.error == "refused: 127.0.0.1 is a loopback address"
