"""The webhook messages alert changes and band changes send: pure, from rows to messages.

Each message's key is stable (the same change replayed after a crash is the same message,
so the outbox keeps it once): an alert opens and resolves once, and each update is the
alert's n-th trip.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pulse.alerts.alert_views import alert_view
from pulse.alerts.delivery.enqueue import WebhookMessage
from pulse.alerts.playbooks.instantiate import PlannedTask
from pulse.alerts.playbooks.summary import playbook_summary
from pulse.alerts.rules.definitions import RenewalRule, Rule
from pulse.alerts.rules.transitions import Action
from pulse.common.score_changes import ScoreChange

_TYPES = {
    Action.OPEN: "alert.opened",
    Action.UPDATE: "alert.updated",
    Action.RESOLVE: "alert.resolved",
}


def alert_messages(
    action: Action,
    row: dict[str, Any],
    rule: Rule | None,
    health: tuple[float, str] | None,
    playbook: tuple[str, Sequence[PlannedTask]] | None,
    now: datetime,
) -> list[WebhookMessage]:
    """The messages of one alert change: `alert.opened|updated|resolved`, and
    `renewal.at_risk` too when a renewal rule opens."""
    data = alert_data(row, health, playbook)
    kind = _TYPES[action]
    key = f"{kind}:{row['id']}" + (f":{row['trips']}" if action is Action.UPDATE else "")
    messages = [_message(key, kind, row, data, now)]
    if action is Action.OPEN and isinstance(rule, RenewalRule):
        key = f"renewal.at_risk:{row['id']}"
        messages.append(_message(key, "renewal.at_risk", row, data, now))
    return messages


def resolved_by_hand(row: dict[str, Any], now: datetime) -> WebhookMessage:
    """`alert.resolved` for an alert resolved over the API or with its rule removed."""
    key = f"alert.resolved:{row['id']}"
    return _message(key, "alert.resolved", row, alert_data(row, None, None), now)


def band_changed(change: ScoreChange) -> WebhookMessage:
    """`health.band_changed` for a score message that moved the account to another band."""
    data = {
        "account_id": change.account_id,
        "segment": change.segment,
        "score": change.score,
        "band": change.band,
        "previous_score": change.previous_score,
        "previous_band": change.previous_band,
        "computed_at": change.computed_at,
        "links": {"alerts": f"/v1/alerts?account_id={change.account_id}"},
    }
    key = f"health.band_changed:{change.message_id}"
    return WebhookMessage(
        key, "health.band_changed", change.account_id, change.segment, change.computed_at, data
    )


def alert_data(
    row: dict[str, Any],
    health: tuple[float, str] | None,
    playbook: tuple[str, Sequence[PlannedTask]] | None,
) -> dict[str, Any]:
    """What a message says of an alert: the alert as the API shows it, with
    `alert_id`, the account's health when known and the playbook with its tasks."""
    data = alert_view(row)
    data["alert_id"] = row["id"]
    data["health"] = {"score": health[0], "band": health[1]} if health else None
    data["playbook"] = playbook_summary(*playbook) if playbook else None
    return data


def _message(
    key: str, kind: str, row: dict[str, Any], data: dict[str, Any], now: datetime
) -> WebhookMessage:
    return WebhookMessage(key, kind, row["account_id"], row["segment"], now, data)
