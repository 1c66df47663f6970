"""Refused destination addresses and webhook URL validation."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv6Address, ip_address

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pulse.alerts.webhooks.address_guard import (
    AddressRefused,
    IPAddress,
    check_addresses,
    embedded_ipv4,
    refusal_reason,
)
from pulse.alerts.webhooks.urls import InvalidWebhookUrl, WebhookUrl, validate_webhook_url

ALWAYS_REFUSED = {
    "169.254.169.254": "cloud metadata",
    "fd00:ec2::254": "cloud metadata",
    "::ffff:169.254.169.254": "cloud metadata",
    "0.0.0.0": "unspecified",
    "::": "unspecified",
    "224.0.0.1": "multicast",
    "ff02::1": "multicast",
    "240.0.0.1": "reserved",
    "255.255.255.255": "reserved",
    "192.0.2.10": "not a publicly routable",
    "2001:db8::1": "not a publicly routable",
    "::ffff:0.0.0.0": "unspecified",
}
LOCAL_NETWORKS = {
    "127.0.0.1": "loopback",
    "127.8.9.10": "loopback",
    "::1": "loopback",
    "::ffff:127.0.0.1": "loopback",
    "64:ff9b::7f00:1": "loopback",
    "2002:7f00:1::": "loopback",
    "10.1.2.3": "private",
    "172.16.0.1": "private",
    "172.31.255.255": "private",
    "192.168.1.1": "private",
    "::ffff:10.0.0.1": "private",
    "::ffff:192.168.0.1": "private",
    "100.64.0.1": "carrier-grade NAT",
    "169.254.1.1": "link-local",
    "fe80::1": "link-local",
    "fc00::1": "unique-local",
    "fd12:3456::1": "unique-local",
}
PUBLIC = ["93.184.216.34", "8.8.8.8", "172.32.0.1", "2606:4700::1111", "::ffff:8.8.8.8"]


@pytest.mark.parametrize(("address", "why"), ALWAYS_REFUSED.items())
def test_always_refused(address: str, why: str) -> None:
    for allow in (False, True):
        reason = refusal_reason(ip_address(address), allow_private_networks=allow)
        assert reason is not None
        assert why in reason


@pytest.mark.parametrize(("address", "why"), LOCAL_NETWORKS.items())
def test_local_networks_are_refused_unless_allowed(address: str, why: str) -> None:
    reason = refusal_reason(ip_address(address))
    assert reason is not None
    assert why in reason
    assert str(ip_address(address)) in reason
    assert refusal_reason(ip_address(address), allow_private_networks=True) is None


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_are_allowed(address: str) -> None:
    assert refusal_reason(ip_address(address)) is None


def test_every_resolved_address_must_pass() -> None:
    check_addresses([IPv4Address("8.8.8.8"), IPv6Address("2606:4700::1111")])
    with pytest.raises(AddressRefused, match=r"10\.0\.0\.1 is a private address"):
        check_addresses([IPv4Address("8.8.8.8"), IPv4Address("10.0.0.1")])
    with pytest.raises(AddressRefused, match="no address"):
        check_addresses([])


@given(st.ip_addresses(v=4))
def test_an_ipv4_address_and_its_mapped_form_are_judged_alike(address: IPv4Address) -> None:
    mapped = IPv6Address(f"::ffff:{address}")
    for allow in (False, True):
        direct = refusal_reason(address, allow_private_networks=allow)
        via_mapped = refusal_reason(mapped, allow_private_networks=allow)
        assert (direct is None) == (via_mapped is None)


@given(st.ip_addresses())
def test_whatever_is_allowed_is_globally_routable(address: IPAddress) -> None:
    if refusal_reason(address) is None:
        embedded = embedded_ipv4(address) if isinstance(address, IPv6Address) else None
        assert (embedded or address).is_global


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://hooks.example.com/pulse", WebhookUrl("", "https", "hooks.example.com", 443)),
        ("HTTP://Hooks.Example.com:8080/x?y=1", WebhookUrl("", "http", "hooks.example.com", 8080)),
        ("https://[2606:4700::1111]/", WebhookUrl("", "https", "2606:4700::1111", 443)),
    ],
)
def test_valid_urls(url: str, expected: WebhookUrl) -> None:
    parsed = validate_webhook_url(url)
    assert (parsed.scheme, parsed.host, parsed.port) == (
        expected.scheme,
        expected.host,
        expected.port,
    )
    assert parsed.url == url


def test_an_ip_literal_host_is_exposed_for_the_guard() -> None:
    assert validate_webhook_url("http://127.0.0.1:9000/").address == IPv4Address("127.0.0.1")
    assert validate_webhook_url("https://[::1]/").address == IPv6Address("::1")
    assert validate_webhook_url("https://example.com/").address is None


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("", "is empty"),
        ("ftp://example.com/", "must be https or http, not 'ftp'"),
        ("example.com/hook", "must be https or http, not 'no scheme'"),
        ("javascript:alert(1)", "must be https or http"),
        ("https://user:secret@example.com/", "user name or password"),
        ("https://user@example.com/", "user name or password"),
        ("https:///path", "has no host"),
        ("https://example.com:99999/", "cannot be parsed"),
        ("https://example.com:0/", "port must be 1-65535"),
        ("https://[::1/", "cannot be parsed"),
        ("https://exa mple.com/", "whitespace or control"),
        ("https://example.com/\r\nX-Injected: 1", "whitespace or control"),
        ("https://example.com/" + "a" * 2048, "longer than 2048"),
    ],
)
def test_invalid_urls_say_why(url: str, message: str) -> None:
    with pytest.raises(InvalidWebhookUrl, match=message):
        validate_webhook_url(url)
