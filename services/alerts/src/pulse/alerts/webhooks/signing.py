"""Signatures and headers per the Standard Webhooks specification.

The signed content is `{webhook-id}.{webhook-timestamp}.{body}`; the signature header holds
one `v1,<base64 HMAC-SHA256>` per secret, separated by spaces, so a receiver holding either
the old or the new secret during a rotation accepts the message.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Sequence

from pulse.alerts.webhooks.secret_keys import signing_key

SIGNATURE_VERSION = "v1"


def signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """One `v1,<base64>` signature of `body` sent as `message_id` at unix second `timestamp`."""
    signed = b"%s.%d.%s" % (message_id.encode(), timestamp, body)
    digest = hmac.new(signing_key(secret), signed, hashlib.sha256).digest()
    return f"{SIGNATURE_VERSION},{base64.b64encode(digest).decode('ascii')}"


def signature_headers(
    secrets: Sequence[str], message_id: str, timestamp: int, body: bytes
) -> dict[str, str]:
    """The three headers of one delivery attempt, signed with every secret in order.

    Each attempt is signed afresh with its own timestamp (receivers reject stale ones) while
    `message_id` stays the message's, so a receiver can drop the duplicates of a retry.
    """
    if not secrets:
        raise ValueError("a webhook needs at least one secret to be signed")
    if "." in message_id or not message_id:
        # The id is the first field of the dot-separated signed content.
        raise ValueError(f"a message id is non-empty and has no '.': {message_id!r}")
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(
            signature(secret, message_id, timestamp, body) for secret in secrets
        ),
    }
