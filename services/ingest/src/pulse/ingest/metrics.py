"""Prometheus metrics of ingest (the shared HTTP and Kafka metrics come from pulse.common)."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

EVENTS_ACCEPTED = Counter(
    "pulse_ingest_events_accepted_total", "Events produced to Kafka, by type.", ["type"]
)
EVENTS_REJECTED = Counter(
    "pulse_ingest_events_rejected_total",
    "Items rejected, by claimed type (a known one, else unknown) and the reason code of "
    "the first error (pulse.common.events.RejectReason).",
    ["type", "reason"],
)
VENDOR_UNMAPPED = Counter(
    "pulse_ingest_vendor_unmapped_total",
    "Vendor objects that could not be mapped to an account, by source.",
    ["source"],
)
VENDOR_IGNORED = Counter(
    "pulse_ingest_vendor_ignored_total",
    "Vendor events deliberately not turned into Pulse events, by source.",
    ["source"],
)
SIGNATURE_FAILURES = Counter(
    "pulse_ingest_signature_failures_total", "Webhooks refused for their signature.", ["source"]
)
REQUEST_BYTES = Histogram(
    "pulse_ingest_request_bytes",
    "Request body size as received (before decompression).",
    buckets=(256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 8388608),
)
BATCH_EVENTS = Histogram(
    "pulse_ingest_batch_events",
    "Items per request.",
    buckets=(1, 2, 5, 10, 50, 100, 250, 500, 1000),
)
PRODUCE_LATENCY = Histogram(
    "pulse_ingest_produce_seconds",
    "Time from handing a request's events to Kafka until all were acknowledged.",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
UNAVAILABLE = Counter(
    "pulse_ingest_unavailable_total", "Requests answered 503 because Kafka did not take them."
)
RATE_LIMITED = Counter("pulse_ingest_rate_limited_total", "Requests answered 429.", ["key"])
