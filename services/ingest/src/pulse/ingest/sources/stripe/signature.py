"""The `Stripe-Signature` header: its parts, and whether its time is fresh.

(The HMAC itself is checked by `adapter.StripeAdapter.verify`.)
"""

from __future__ import annotations

import string
from datetime import datetime

from pulse.common.events.messages import describe
from pulse.ingest.sources.base import SignatureError

_SHA256_HEX_DIGITS = 64


def parse_signature(header: str) -> tuple[int, list[bytes]]:
    """`t=<unix>,v1=<hex>[,v1=<hex>][,v0=<hex>]` → the time and the v1 signatures."""
    timestamps: list[str] = []
    signatures: list[str] = []
    for part in header.split(","):
        key, equals, value = part.partition("=")
        if not equals or not key.strip() or not value.strip():
            raise _malformed(header, f"{part.strip()!r} is not scheme=value")
        if key.strip() == "t":
            timestamps.append(value.strip())
        elif key.strip() == "v1":
            signatures.append(value.strip().lower())
    if len(timestamps) != 1 or not _is_unix_text(timestamps[0]):
        raise _malformed(header, "expected one t=<unix seconds>")
    if not signatures:
        raise SignatureError(
            "Stripe-Signature has no v1 signature; Pulse checks v1 (HMAC-SHA256) only"
        )
    for signature in signatures:
        if len(signature) != _SHA256_HEX_DIGITS or not set(signature) <= set(string.hexdigits):
            raise _malformed(
                header, f"v1={signature[:70]!r} is not {_SHA256_HEX_DIGITS} hex digits"
            )
    return int(timestamps[0]), [signature.encode() for signature in signatures]


def _is_unix_text(text: str) -> bool:
    return text.isascii() and text.isdigit() and len(text) <= 12


def _malformed(header: str, why: str) -> SignatureError:
    return SignatureError(
        f"malformed Stripe-Signature {describe(header)}: {why}; expected t=<unix>,v1=<hex>"
    )


def check_fresh(signed_at: int, now: datetime, tolerance_s: int) -> None:
    age = now.timestamp() - signed_at
    if age > tolerance_s:
        raise SignatureError(
            f"stale Stripe-Signature: signed {age:.0f} s ago (t={signed_at}), more than the "
            f"{tolerance_s} s accepted; a replayed request, or this server's clock is behind"
        )
    if -age > tolerance_s:
        raise SignatureError(
            f"Stripe-Signature from the future: signed {-age:.0f} s after now (t={signed_at}), "
            f"more than the {tolerance_s} s accepted; this server's clock is ahead"
        )
