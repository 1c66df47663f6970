"""Prometheus metrics of the health service (served at /metrics with the shared ones)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

EVENTS_APPLIED = Counter(
    "pulse_health_events_applied_total",
    "New events (and CSM sentiments, type csm_sentiment) that count toward the score.",
    ["type"],
)
EVENTS_DUPLICATE = Counter(
    "pulse_health_events_duplicate_total", "Events whose id was already applied (ignored)."
)
EVENTS_IGNORED = Counter(
    "pulse_health_events_ignored_total",
    "New events (and CSM sentiments) consumed but not counted toward the score, by reason: "
    "too_late, no_change, over_limit, not_in_model (see pulse.health.keeping.ignored).",
    ["type", "reason"],
)
RESCORED = Counter(
    "pulse_health_accounts_rescored_total",
    "Account re-scores, by cause: event, time (a window edge or due date), model.",
    ["cause"],
)
BAND_CHANGES = Counter(
    "pulse_health_band_changes_total", "Re-scores that moved an account to another band.", ["to"]
)
CACHED_ACCOUNTS = Gauge(
    "pulse_health_cached_accounts", "Accounts whose state this process holds in memory."
)
DUE_ACCOUNTS = Gauge(
    "pulse_health_scheduled_rescores", "Entries in the queue of time-driven re-scores."
)
RESCORE_DURATION = Histogram(
    "pulse_health_rescore_seconds",
    "Time to score and write one batch of accounts (inside the batch transaction).",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
DECODED_ACCOUNTS = Gauge(
    "pulse_health_decoded_accounts",
    "Cached accounts kept decoded (the most recently scored); the others are compressed.",
)
SET_ASIDE = Counter(
    "pulse_health_rescores_set_aside_total",
    "Time-driven re-scores that failed on their own, postponed to the next midnight.",
)
RESCORES_DEFERRED = Counter(
    "pulse_health_rescores_deferred_total",
    "Accounts whose re-score a batch left to a later one, while a backlog drained.",
)
LIMITS_HIT = Counter(
    "pulse_health_account_limits_hit_total",
    "Items or values an account's state dropped at a per-account limit (the stalest open "
    "item or distinct value), or events it ignored at one (metric names), by limit.",
    ["limit"],
)
ACCOUNTS = Gauge(
    "pulse_health_accounts",
    "Scored accounts by band and segment (the whole table, counted every 30 s by each "
    "process: take max across instances).",
    ["band", "segment"],
)
ACCOUNTS_BY_SCORE = Gauge(
    "pulse_health_accounts_by_score",
    "Scored accounts by score decile: score_from 0, 10, ..., 90 (90 covers 90-100); "
    "counted like pulse_health_accounts.",
    ["score_from"],
)
NEWEST_EVENT_TIMESTAMP = Gauge(
    "pulse_health_newest_event_timestamp_seconds",
    "occurred_at (Unix seconds) of the newest event this process has applied; "
    "time() minus it is the age of the newest applied event. Absent until the first one.",
)
ARCHIVE_ROWS_DELETED = Counter(
    "pulse_health_archive_rows_deleted_total",
    "Step archive rows deleted past PULSE_HEALTH_ARCHIVE_DAYS (what a replay from the "
    "cutoff reads is kept).",
)
ARCHIVE_BYTES = Gauge(
    "pulse_health_archive_bytes",
    "Size of the step archive on disk (indexes included), read every prune round by "
    "each process: take max across instances.",
)
