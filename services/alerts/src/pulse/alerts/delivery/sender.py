"""One delivery attempt over HTTP, to an address the guard checked.

The host is resolved at every attempt and every address it resolves to must pass the
address guard (a name that resolved to a public address yesterday may resolve to a private
one today). The request then goes to the first checked address, not to the name: a second
lookup by the HTTP client could answer differently (DNS rebinding). The URL's host is
replaced by that address while the `Host` header and, for https, the TLS server name (SNI,
and with it certificate verification) stay the original host's. Connections are not kept
alive: a pooled connection is keyed by address, and two hosts on one address must not share
a TLS session made for the other's name.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from ipaddress import ip_address

import httpx

from pulse.alerts.webhooks.address_guard import AddressRefused, IPAddress, check_addresses
from pulse.alerts.webhooks.outcomes import Response, TransportFailure
from pulse.alerts.webhooks.urls import InvalidWebhookUrl, WebhookUrl, validate_webhook_url

#: What is kept of a response body in the delivery log.
RESPONSE_EXCERPT_BYTES = 1024

#: Resolves a host and port to its addresses.
Resolver = Callable[[str, int], Awaitable[list[IPAddress]]]


@dataclass(frozen=True, slots=True)
class AttemptResult:
    """What one attempt got: a response or a transport failure, and what the log keeps."""

    result: Response | TransportFailure
    latency_s: float
    error: str | None = None
    response_excerpt: str | None = None


def _ip_or_none(host: str) -> IPAddress | None:
    try:
        return ip_address(host)
    except ValueError:
        return None


async def resolve_host(host: str, port: int) -> list[IPAddress]:
    """Every address `host` resolves to (an IP literal is its own), in the resolver's order."""
    literal = _ip_or_none(host)
    if literal is not None:
        return [literal]
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    found: dict[str, IPAddress] = {}
    for _family, _type, _proto, _name, sockaddr in infos:
        address = _ip_or_none(str(sockaddr[0]))
        if address is not None:
            found.setdefault(str(address), address)
    return list(found.values())


async def checked_address(
    url: WebhookUrl, *, allow_private: bool, resolve: Resolver = resolve_host
) -> IPAddress:
    """The address to connect to for `url`: every resolved address must pass the guard.

    Raises `AddressRefused` (also when the host does not resolve).
    """
    try:
        addresses = await resolve(url.host, url.port)
    except OSError as error:
        raise AddressRefused(f"{url.host} could not be resolved: {error}") from None
    check_addresses(addresses, allow_private_networks=allow_private)
    return addresses[0]


def pinned_request(
    url: WebhookUrl, address: IPAddress, headers: Mapping[str, str], body: bytes
) -> httpx.Request:
    """A POST of `body` to `address` that the receiver sees as addressed to `url`'s host."""
    original = httpx.URL(url.url)
    extensions = {"sni_hostname": url.host} if url.scheme == "https" else {}
    return httpx.Request(
        "POST",
        original.copy_with(host=str(address)),
        headers={
            **headers,
            "Host": original.netloc.decode("ascii"),
            "Content-Type": "application/json",
            "User-Agent": "Pulse-Webhooks/1",
        },
        content=body,
        extensions=extensions,
    )


class WebhookSender:
    """Sends one signed attempt; never raises for what the network or the receiver does."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        timeout_s: float,
        allow_private: bool,
        resolve: Resolver = resolve_host,
    ) -> None:
        self._client = client
        self._timeout_s = timeout_s
        self._allow_private = allow_private
        self._resolve = resolve

    async def send(self, url: str, headers: Mapping[str, str], body: bytes) -> AttemptResult:
        started = time.perf_counter()
        try:
            async with asyncio.timeout(self._timeout_s):
                return await self._attempt(url, headers, body, started)
        except TimeoutError:
            return AttemptResult(
                TransportFailure.TIMEOUT,
                time.perf_counter() - started,
                f"no response within {self._timeout_s:g} s",
            )

    async def _attempt(
        self, url: str, headers: Mapping[str, str], body: bytes, started: float
    ) -> AttemptResult:
        failure = TransportFailure.CONNECTION_ERROR
        try:
            webhook_url = validate_webhook_url(url)
            address = await checked_address(
                webhook_url, allow_private=self._allow_private, resolve=self._resolve
            )
            request = pinned_request(webhook_url, address, headers, body)
            response = await self._client.send(request, stream=True)
        except (InvalidWebhookUrl, AddressRefused) as error:
            return AttemptResult(failure, time.perf_counter() - started, f"refused: {error}")
        except httpx.TimeoutException as error:
            return AttemptResult(
                TransportFailure.TIMEOUT, time.perf_counter() - started, f"timeout: {error!r}"
            )
        except httpx.HTTPError as error:
            return AttemptResult(failure, time.perf_counter() - started, f"{error!r}")
        try:
            excerpt = await _read_excerpt(response)
        finally:
            await response.aclose()
        return AttemptResult(
            Response(response.status_code, response.headers.get("retry-after")),
            time.perf_counter() - started,
            response_excerpt=excerpt,
        )


async def _read_excerpt(response: httpx.Response) -> str:
    """The first KiB of the body; the rest is not read (a receiver may answer with a lot)."""
    kept = b""
    cut_short = ""
    try:
        async for chunk in response.aiter_bytes():
            kept += chunk
            if len(kept) >= RESPONSE_EXCERPT_BYTES:
                break
    except httpx.HTTPError as error:
        # The status decides the outcome; a body cut short is noted in the log's excerpt.
        cut_short = f" [body cut short: {type(error).__name__}]"
    return kept[:RESPONSE_EXCERPT_BYTES].decode("utf-8", errors="replace") + cut_short


def webhook_client(timeout_s: float) -> httpx.AsyncClient:
    """The HTTP client of delivery: no redirects followed (their target was never
    guarded), no proxies from the environment (they would resolve the name themselves),
    no kept-alive connections (see the module docstring)."""
    return httpx.AsyncClient(
        follow_redirects=False,
        trust_env=False,
        timeout=httpx.Timeout(timeout_s),
        limits=httpx.Limits(max_keepalive_connections=0),
    )
