"""The `webhook-id` of a message, derived from what the message is about.

Derived rather than drawn at random so that every retry, and a redelivery after a restart
or a manual replay, carries the same id: receivers deduplicate on it.
"""

from __future__ import annotations

import hashlib

MESSAGE_ID_PREFIX = "msg_"


def message_id(subscription_id: str, message_key: str) -> str:
    """The id of the message with `message_key` (say, the alert's event id) to one subscription.

    The subscription is part of it so two subscriptions never share an id for their own copy.
    """
    digest = hashlib.sha256(f"{subscription_id}\x00{message_key}".encode()).hexdigest()
    return MESSAGE_ID_PREFIX + digest[:32]
