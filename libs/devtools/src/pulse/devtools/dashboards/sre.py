"""The Pulse SRE dashboard: is the pipeline up, fast and keeping up? HTTP traffic, latency
and errors per service and route; ingest's events and produce latency; consumer lag,
throughput, freshness and dead letters; PostgreSQL pools and dependencies; webhooks.

Ratios and counts that are empty when nothing went wrong (no 5xx, no dead letter) fall
back to 0 with `or ... * 0`, so a quiet system reads 0, not "No data"."""

from __future__ import annotations

from grafana_foundation_sdk.models.dashboard import Dashboard

from pulse.devtools.dashboards.names import NEWEST_EVENT_TIMESTAMP
from pulse.devtools.dashboards.panels import (
    Query,
    Row,
    assemble,
    label_variable,
    new_dashboard,
    single_stat,
    time_series,
)

UID = "pulse-sre"
#: API routes only: probes and scrapes would drown the traffic (as in the recording rules).
API = 'route!~"/healthz|/readyz|/metrics"'
SERVICE = 'service=~"$service"'
GROUP = 'group=~"$group"'
HTTP_COUNT = "pulse_http_request_duration_seconds_count"
HTTP_BUCKET = "pulse_http_request_duration_seconds_bucket"


def http_row() -> Row:
    per_route = "{{service}} {{route}}"
    requests = f"sum by (service, route) (rate({HTTP_COUNT}{{{SERVICE}, {API}}}[$__rate_interval]))"
    p50 = (
        "histogram_quantile(0.5, sum by (service, route, le) "
        f"(rate({HTTP_BUCKET}{{{SERVICE}, {API}}}[$__rate_interval])))"
    )
    p99 = f"service_route:pulse_http_request_duration_seconds:p99_5m{{{SERVICE}, {API}}}"
    all_requests = f"service:pulse_http_requests:rate5m{{{SERVICE}}}"
    client_errors = (
        f'sum by (service) (rate({HTTP_COUNT}{{{SERVICE}, {API}, status=~"4.."}}[5m]))'
        f" / {all_requests}"
    )
    return Row(
        "HTTP",
        [
            time_series("Requests/s by service and route", "reqps", Query(requests, per_route)),
            time_series(
                "Latency by service and route",
                "s",
                Query(p50, "p50 " + per_route),
                Query(p99, "p99 " + per_route),
                description="p99 from the recording rule (5-minute window).",
            ),
            time_series(
                "5xx ratio (other than 503)",
                "percentunit",
                Query(
                    f"service:pulse_http_5xx_not_503:ratio_rate5m{{{SERVICE}}}"
                    f" or {all_requests} * 0",
                    "{{service}}",
                ),
                description="PulseHTTPServerErrors fires above 5% for 5 minutes.",
            ),
            time_series(
                "503 ratio",
                "percentunit",
                Query(
                    f"service:pulse_http_503:ratio_rate5m{{{SERVICE}}} or {all_requests} * 0",
                    "{{service}}",
                ),
                description="Kafka did not take the events (ingest) or the commands (health). "
                "PulseHTTPUnavailable fires above 5% for 5 minutes.",
            ),
            time_series(
                "4xx ratio",
                "percentunit",
                Query(f"{client_errors} or {all_requests} * 0", "{{service}}"),
                description="Requests refused for the client's fault (bad body, key, rate).",
            ),
        ],
    )


def ingest_row() -> Row:
    produce = "sum by (le) (rate(pulse_ingest_produce_seconds_bucket[$__rate_interval]))"
    return Row(
        "Ingest",
        [
            time_series(
                "Events accepted/s by type",
                "ops",
                Query(
                    "sum by (type) (rate(pulse_ingest_events_accepted_total[$__rate_interval]))",
                    "{{type}}",
                ),
                stacked=True,
            ),
            time_series(
                "Events rejected/s by type and reason",
                "ops",
                Query(
                    "sum by (type, reason) "
                    "(rate(pulse_ingest_events_rejected_total[$__rate_interval]))",
                    "{{type}}: {{reason}}",
                ),
            ),
            time_series(
                "Produce latency (events handed to Kafka until acknowledged)",
                "s",
                Query(f"histogram_quantile(0.5, {produce})", "p50"),
                Query(f"histogram_quantile(0.99, {produce})", "p99"),
            ),
            time_series(
                "Messages produced/s by topic",
                "ops",
                Query("topic:pulse_kafka_messages_produced:rate5m", "{{topic}}"),
            ),
        ],
    )


def consumers_row() -> Row:
    return Row(
        "Consumers",
        [
            time_series(
                "Consumer lag by group and partition",
                "short",
                Query(
                    f"max by (group, topic, partition) (pulse_kafka_consumer_lag{{{GROUP}}})",
                    "{{group}} {{topic}}[{{partition}}]",
                ),
                description="Set when a batch commits: a stopped consumer's lag freezes "
                "(see Freshness).",
            ),
            time_series(
                "Consumer lag by group",
                "short",
                Query(f"group:pulse_kafka_consumer_lag:sum{{{GROUP}}}", "{{group}}"),
            ),
            time_series(
                "Messages consumed/s by group and topic",
                "ops",
                Query(
                    f"group_topic:pulse_kafka_messages_consumed:rate5m{{{GROUP}}}",
                    "{{group}} {{topic}}",
                ),
            ),
            time_series(
                "Events applied/s (health) by type",
                "ops",
                Query(
                    "sum by (type) (rate(pulse_health_events_applied_total[$__rate_interval]))",
                    "{{type}}",
                ),
                stacked=True,
            ),
            time_series(
                "Freshness: age of the newest applied event",
                "s",
                Query(f"time() - max({NEWEST_EVENT_TIMESTAMP})", "age"),
                description="How far behind real time the health scores are.",
            ),
            time_series(
                "Dead letters (last 10 minutes) by group",
                "short",
                Query(
                    f"sum by (group) (group_topic_reason:pulse_dead_letters:increase10m{{{GROUP}}})"
                    f" or sum by (group) (group_topic:pulse_kafka_messages_consumed:rate5m"
                    f"{{{GROUP}}}) * 0",
                    "{{group}}",
                ),
                description="Any dead letter fires PulseDeadLetters; the topic and reason "
                "are in the alert and the dead-letter topic.",
            ),
            time_series(
                "Batch processing p99 by group",
                "s",
                Query(
                    "histogram_quantile(0.99, sum by (group, le) (rate("
                    f"pulse_batch_processing_duration_seconds_bucket{{{GROUP}}}"
                    "[$__rate_interval])))",
                    "{{group}}",
                ),
            ),
        ],
    )


def dependencies_row() -> Row:
    return Row(
        "Dependencies and PostgreSQL",
        [
            time_series(
                "Services up (scraped)",
                "short",
                Query('up{job=~"pulse-.+"}', "{{job}}"),
            ),
            time_series(
                "Dependency up by service",
                "short",
                Query("min by (job, dependency) (pulse_dependency_up)", "{{job}} {{dependency}}"),
                description="1 when the service reaches PostgreSQL or Kafka.",
            ),
            time_series(
                "DB pool connections by state",
                "short",
                Query("sum by (job, state) (pulse_db_pool_connections)", "{{job}} {{state}}"),
                Query("sum by (job) (pulse_db_pool_size)", "{{job}} size"),
            ),
        ],
        per_line=3,
    )


def webhooks_row() -> Row:
    latency = "sum by (le) (rate(pulse_webhook_delivery_latency_seconds_bucket[$__rate_interval]))"
    return Row(
        "Webhooks",
        [
            time_series(
                "Webhook attempts/s by outcome",
                "ops",
                Query("outcome:pulse_webhook_attempts:rate15m", "{{outcome}}"),
                stacked=True,
            ),
            time_series(
                "Webhook delivery latency (enqueued until delivered)",
                "s",
                Query(f"histogram_quantile(0.5, {latency})", "p50"),
                Query(f"histogram_quantile(0.99, {latency})", "p99"),
            ),
            single_stat(
                "Failed attempts (15 minutes)",
                "percentunit",
                Query(
                    "pulse_webhook_attempts_failed:ratio_rate15m"
                    " or sum(outcome:pulse_webhook_attempts:rate15m) * 0"
                ),
                description="PulseWebhookDeliveryFailures fires above 25% for 15 minutes.",
            ),
            time_series(
                "Deliveries waiting",
                "short",
                Query("max(pulse_webhook_retry_queue_depth)", "pending or in flight"),
            ),
        ],
    )


def sre_dashboard() -> Dashboard:
    """The Pulse SRE dashboard."""
    dashboard = (
        new_dashboard(UID, "Pulse SRE", "Pulse's services: traffic, errors, lag, freshness.")
        .with_variable(label_variable("service", f"{HTTP_COUNT}, service", "Service"))
        .with_variable(
            label_variable("group", "pulse_kafka_messages_consumed_total, group", "Group")
        )
    )
    assemble(
        dashboard,
        [http_row(), ingest_row(), consumers_row(), dependencies_row(), webhooks_row()],
    )
    return dashboard.build()
