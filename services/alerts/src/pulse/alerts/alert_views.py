"""An alert as the API shows it and webhook messages carry it."""

from __future__ import annotations

from typing import Any

#: Columns shown as they are stored.
_PLAIN = (
    "id",
    "rule_id",
    "account_id",
    "name",
    "severity",
    "state",
    "owner",
    "segment",
    "reason",
    "count",
    "total",
    "evidence",
    "trips",
    "playbook_id",
    "opened_at",
    "last_trip_at",
    "updated_at",
    "acknowledged_at",
    "snoozed_until",
    "resolved_at",
    "resolution",
    "note",
)


def alert_view(row: dict[str, Any]) -> dict[str, Any]:
    """The JSON body of one alert row, with a link to itself."""
    view = {column: row[column] for column in _PLAIN}
    view["links"] = {
        "self": f"/v1/alerts/{row['id']}",
        "account_alerts": f"/v1/alerts?account_id={row['account_id']}",
        "tasks": f"/v1/alerts/{row['id']}/tasks",
    }
    return view
