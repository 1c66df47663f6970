"""Stable alert ids: the n-th alert a rule opens for an account always has the same id.

Derived rather than drawn at random, so a batch replayed after a crash (its transaction
lost) opens the alert under the same id it would have had, and webhook messages keyed by
it stay the same message.
"""

from __future__ import annotations

import hashlib


def alert_id(account_id: str, rule_id: str, number: int) -> str:
    """The id of the `number`-th alert (from 1) of `rule_id` for `account_id`."""
    digest = hashlib.sha256(f"{account_id}\x00{rule_id}\x00{number}".encode()).hexdigest()
    return f"al_{digest[:24]}"
