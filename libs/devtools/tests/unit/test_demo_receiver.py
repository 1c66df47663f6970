"""The demo's webhook receiver accepts what alerts signs, once, and refuses forgeries."""

from __future__ import annotations

import os
import queue
import time

import httpx
import orjson

from pulse.alerts.webhooks.secret_keys import generate_secret
from pulse.alerts.webhooks.signing import signature_headers
from pulse.devtools.demo.receiver import WebhookReceiver

BODY = orjson.dumps({"type": "alert.opened", "data": {"account_id": "a1"}})


def _post(receiver: WebhookReceiver, secret: str, message_id: str, now: int) -> int:
    headers = signature_headers([secret], message_id, now, BODY)
    return httpx.post(receiver.url, content=BODY, headers=headers).status_code


def test_signed_messages_arrive_once_and_forgeries_are_refused() -> None:
    secret = generate_secret(os.urandom)
    now = int(time.time())
    with WebhookReceiver() as receiver:
        assert _post(receiver, secret, "msg_1", now) == 503  # not subscribed yet: retried
        receiver.trust(secret)
        assert _post(receiver, secret, "msg_1", now) == 204
        assert _post(receiver, secret, "msg_1", now) == 204  # a retry: accepted, not repeated
        assert _post(receiver, generate_secret(os.urandom), "msg_2", now) == 401
        assert receiver.messages.get_nowait() == orjson.loads(BODY)
        try:
            extra = receiver.messages.get_nowait()
        except queue.Empty:
            extra = None
        assert extra is None
        assert receiver.rejected == 1
