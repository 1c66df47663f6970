"""The reference receiver: the Standard Webhooks library, verifying at a chosen moment.

The library reads the wall clock to reject stale timestamps; pinning its clock lets tests
verify messages signed at any moment instead of only at the present one.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, tzinfo
from unittest import mock

import standardwebhooks.webhooks as reference


@contextmanager
def receiver_clock(at_unix_seconds: int) -> Iterator[None]:
    pinned = datetime.fromtimestamp(at_unix_seconds, tz=UTC)

    class PinnedDatetime(datetime):
        @classmethod
        def now(cls, tz: tzinfo | None = None) -> PinnedDatetime:
            return cls.fromtimestamp(pinned.timestamp(), tz=tz)

    with mock.patch.object(reference, "datetime", PinnedDatetime):
        yield


def verify(secret: str, body: bytes, headers: dict[str, str], at_unix_seconds: int) -> None:
    """Raises the library's `WebhookVerificationError` unless it accepts the message."""
    with receiver_clock(at_unix_seconds):
        reference.Webhook(secret).verify(body, headers, json_parse=False)
