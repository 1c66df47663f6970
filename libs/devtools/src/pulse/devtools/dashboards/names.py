"""Names the dashboards share with Grafana's provisioning and the services' metrics."""

from __future__ import annotations

#: The Prometheus data source's uid, fixed in deploy/grafana/provisioning/datasources.
DATASOURCE_UID = "pulse-prometheus"

#: Epoch seconds of the newest event health applied (its age is the scores' freshness).
#: Kept in one place: it may become `pulse_consumer_newest_event_timestamp_seconds{group}`.
NEWEST_EVENT_TIMESTAMP = "pulse_health_newest_event_timestamp_seconds"

#: Metrics the dashboards chart that the services are only now being given (issue 28).
#: A panel on one of them shows no data until the services expose it.
NEW_METRICS = frozenset(
    {
        "pulse_health_accounts",
        "pulse_health_accounts_by_score",
        NEWEST_EVENT_TIMESTAMP,
        "pulse_dependency_up",
        "pulse_db_pool_connections",
        "pulse_db_pool_size",
        "pulse_renewals_at_risk_accounts",
    }
)
