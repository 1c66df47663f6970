"""Prometheus metrics of webhook delivery. Labels come from fixed sets only: no account and
no subscription id, so `/metrics` cannot grow with subscriptions."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

ATTEMPTS = Counter(
    "pulse_webhook_attempts_total",
    "Delivery attempts by outcome: delivered, failed, throttled (429/503), gone (410).",
    ["outcome"],
)
DELIVERIES = Counter(
    "pulse_webhook_deliveries_total",
    "Deliveries finished, by outcome: delivered or failed (given up).",
    ["outcome"],
)
DELIVERY_LATENCY = Histogram(
    "pulse_webhook_delivery_latency_seconds",
    "From a message's enqueueing to the 2xx of its delivery.",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800, 7200, 86400, 259200),
)
ATTEMPTS_PER_DELIVERY = Histogram(
    "pulse_webhook_attempts_per_delivery",
    "Attempts a delivery took by the time it finished (delivered or given up).",
    buckets=(1, 2, 3, 4, 5, 6, 8, 10, 11, 15, 20),
)
QUEUE_DEPTH = Gauge(
    "pulse_webhook_retry_queue_depth", "Deliveries pending or in flight (refreshed periodically)."
)
OLDEST_PENDING_AGE = Gauge(
    "pulse_webhook_oldest_pending_age_seconds",
    "Age of the oldest message with a pending delivery; 0 when none.",
)
DISABLED_SUBSCRIPTIONS = Gauge(
    "pulse_webhook_subscriptions_disabled", "Subscriptions disabled (by failures, 410 or hand)."
)
WARNED_SUBSCRIPTIONS = Gauge(
    "pulse_webhook_subscriptions_warned", "Enabled subscriptions warned they will be disabled."
)
