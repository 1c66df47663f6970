"""Prometheus metrics of the alert engine (served at /metrics with the shared ones; webhook
delivery and playbooks add theirs). Labels are rule ids, severities and states: sets an
operator configures, never accounts."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

EVENTS_EVALUATED = Counter(
    "pulse_alerts_events_evaluated_total", "Consumed events the rules were evaluated against."
)
EVENTS_TOO_LATE = Counter(
    "pulse_alerts_events_too_late_total",
    "Events some rule watches but could not count: more than 30 days behind the "
    "account's latest moment (ingest accepted them; health counts them the same way).",
    ["type"],
)
RULE_EVALUATIONS = Counter(
    "pulse_alerts_rule_evaluations_total",
    "Rule evaluations (one rule for one account at one moment), on events and on time.",
)
ALERTS_OPENED = Counter(
    "pulse_alerts_opened_total", "Alerts opened, by rule and severity.", ["rule", "severity"]
)
ALERTS_UPDATED = Counter(
    "pulse_alerts_updated_total",
    "New trips of open alerts (new events behind them), by rule and severity.",
    ["rule", "severity"],
)
ALERTS_RESOLVED = Counter(
    "pulse_alerts_resolved_total",
    "Alerts resolved, by rule, severity and how: cleared (the condition stopped holding), "
    "manual, rule_removed.",
    ["rule", "severity", "resolution"],
)
OPEN_ALERTS = Gauge(
    "pulse_alerts_open",
    "Alerts not resolved, by severity and state (open, acknowledged, snoozed).",
    ["severity", "state"],
)
ACCOUNTS_SET_ASIDE = Counter(
    "pulse_alerts_accounts_set_aside_total",
    "Accounts whose time-driven evaluation failed on its own and waits an hour (a bug: "
    "the log has the error).",
)
CACHED_WATCHES = Gauge(
    "pulse_alerts_cached_accounts", "Accounts whose rule states this process holds in memory."
)
