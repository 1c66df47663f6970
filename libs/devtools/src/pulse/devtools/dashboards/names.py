"""Names the dashboards share with Grafana's provisioning and the services' metrics."""

from __future__ import annotations

#: The Prometheus data source's uid, fixed in deploy/grafana/provisioning/datasources.
DATASOURCE_UID = "pulse-prometheus"

#: Epoch seconds of the newest event health applied (its age is the scores' freshness).
NEWEST_EVENT_TIMESTAMP = "pulse_health_newest_event_timestamp_seconds"
