"""Validating a subscription's webhook URL before it is stored."""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import ip_address
from urllib.parse import urlsplit

from pulse.alerts.webhooks.address_guard import IPAddress

SCHEMES = frozenset({"https", "http"})
MAX_URL_LENGTH = 2048


class InvalidWebhookUrl(ValueError):
    """A URL webhooks cannot be sent to; the message says why, for the subscriber."""


@dataclass(frozen=True, slots=True)
class WebhookUrl:
    url: str
    scheme: str
    host: str
    port: int

    @property
    def address(self) -> IPAddress | None:
        """The address when the host is an IP literal (it then needs no lookup to be guarded)."""
        try:
            return ip_address(self.host)
        except ValueError:
            return None


def validate_webhook_url(url: str) -> WebhookUrl:
    if not url:
        raise InvalidWebhookUrl("the webhook URL is empty")
    if len(url) > MAX_URL_LENGTH:
        raise InvalidWebhookUrl(f"the webhook URL is longer than {MAX_URL_LENGTH} characters")
    if any(char.isspace() or not char.isprintable() for char in url):
        raise InvalidWebhookUrl("the webhook URL contains whitespace or control characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise InvalidWebhookUrl(f"the webhook URL cannot be parsed: {error}") from None
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        given = parts.scheme or "no scheme"
        raise InvalidWebhookUrl(f"the webhook URL must be https or http, not {given!r}")
    if parts.username is not None or parts.password is not None:
        # Credentials in the URL would be stored and logged with it; the signature is the
        # receiver's proof the call is ours.
        raise InvalidWebhookUrl("the webhook URL must not contain a user name or password")
    host = parts.hostname
    if not host:
        raise InvalidWebhookUrl("the webhook URL has no host")
    if port == 0:
        raise InvalidWebhookUrl("the webhook URL's port must be 1-65535")
    return WebhookUrl(
        url=url, scheme=scheme, host=host, port=port or (443 if scheme == "https" else 80)
    )
