"""Which resolved addresses a webhook may be sent to.

Webhook URLs come from customers, so without this guard the delivery worker would post to
whatever the URL resolves to: its own loopback, the private network, the cloud metadata
service. The check runs on addresses already resolved, and the worker must connect to the
address it checked, not resolve the name again (a second lookup may answer differently).
"""

from __future__ import annotations

from collections.abc import Iterable
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network

IPAddress = IPv4Address | IPv6Address

#: Instance metadata services; refused even where private networks are allowed, because
#: they hand out the host's cloud credentials.
METADATA_ADDRESSES: frozenset[IPAddress] = frozenset(
    {IPv4Address("169.254.169.254"), IPv6Address("fd00:ec2::254")}
)
PRIVATE_IPV4 = (
    IPv4Network("10.0.0.0/8"),
    IPv4Network("172.16.0.0/12"),
    IPv4Network("192.168.0.0/16"),
)
SHARED_IPV4 = IPv4Network("100.64.0.0/10")
UNIQUE_LOCAL_IPV6 = IPv6Network("fc00::/7")
#: IPv6 prefixes that carry an IPv4 address in their last 32 bits and reach it.
NAT64_IPV6 = IPv6Network("64:ff9b::/96")


class AddressRefused(ValueError):
    """A destination address webhooks are not sent to."""


def embedded_ipv4(address: IPv6Address) -> IPv4Address | None:
    """The IPv4 address an IPv6 form stands for (mapped, NAT64 or 6to4), if any."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in NAT64_IPV6:
        return IPv4Address(int(address) & 0xFFFFFFFF)
    return address.sixtofour


def local_network_reason(address: IPAddress) -> str | None:
    """Why `address` is on a local network (allowed with `allow_private_networks`)."""
    if address.is_loopback:
        return "a loopback address"
    if address.is_link_local:
        return "a link-local address"
    if isinstance(address, IPv4Address) and any(address in net for net in PRIVATE_IPV4):
        return "a private address"
    if isinstance(address, IPv4Address) and address in SHARED_IPV4:
        return "a carrier-grade NAT address"
    if isinstance(address, IPv6Address) and address in UNIQUE_LOCAL_IPV6:
        return "a unique-local address"
    return None


def never_allowed_reason(address: IPAddress) -> str | None:
    """Why no webhook may ever go to `address`, private networks allowed or not."""
    if address in METADATA_ADDRESSES:
        return "a cloud metadata address"
    if address.is_unspecified:
        return "the unspecified address"
    if address.is_multicast:
        return "a multicast address"
    return None


def refusal_reason(address: IPAddress, *, allow_private_networks: bool = False) -> str | None:
    """Why a webhook may not go to `address`, or None when it may."""
    if isinstance(address, IPv6Address) and (embedded := embedded_ipv4(address)) is not None:
        reason = refusal_reason(embedded, allow_private_networks=allow_private_networks)
        return None if reason is None else f"{address} embeds {embedded}, {reason}"
    reason = never_allowed_reason(address)
    if reason is None:
        reason = local_network_reason(address)
        if reason is not None and allow_private_networks:
            return None
    # Judged after the local networks because ::1 lies in the reserved ::/8.
    if reason is None and address.is_reserved:
        reason = "a reserved address"
    if reason is None and not address.is_global:
        # Documentation, benchmarking and other special-purpose ranges nobody receives on.
        reason = "not a publicly routable address"
    return None if reason is None else f"{address} is {reason}"


def check_addresses(
    addresses: Iterable[IPAddress], *, allow_private_networks: bool = False
) -> None:
    """Raise `AddressRefused` unless every address a host resolved to may be sent to.

    All of them, not any: the connection may be made to whichever one the client picks.
    """
    addresses = list(addresses)
    if not addresses:
        raise AddressRefused("the host resolved to no address")
    reasons = [
        reason
        for address in addresses
        if (reason := refusal_reason(address, allow_private_networks=allow_private_networks))
    ]
    if reasons:
        raise AddressRefused("; ".join(reasons))
