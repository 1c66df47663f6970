"""Prometheus metrics of renewals (served at /metrics with the shared ones). Labels are
bands, segments, categories and outcomes: sets the code fixes, never accounts."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

CONTRACT_EVENTS = Counter(
    "pulse_renewals_contract_events_total",
    "contract.changed events by outcome: applied, duplicate (a replay), conflict (a known "
    "id with other content; the first is kept), unknown_currency (dead-lettered).",
    ["outcome"],
)
ACCOUNT_UPDATES = Counter(
    "pulse_renewals_account_updates_total", "account.updated events applied (replays left out)."
)
AT_RISK_ENTRIES = Counter(
    "pulse_renewals_at_risk_entries_total",
    "Accounts that entered at risk within the horizon (a renewal.at_risk message each).",
)
ARR = Gauge(
    "pulse_renewals_arr",
    "ARR in minor units of the reporting currency, by health band and segment.",
    ["band", "segment"],
)
ARR_AT_RISK = Gauge(
    "pulse_renewals_arr_at_risk",
    "ARR (reporting minor units) of renewals in the next 90 days forecast at risk.",
)
AT_RISK_ACCOUNTS = Gauge(
    "pulse_renewals_at_risk_accounts",
    "Accounts whose renewal in the next 90 days is forecast at risk, by segment (none: unknown).",
    ["segment"],
)
RENEWALS_NEXT_90_DAYS = Gauge(
    "pulse_renewals_next_90_days",
    "Renewals in the next 90 days, by forecast category.",
    ["category"],
)
UNCONVERTIBLE_ACCOUNTS = Gauge(
    "pulse_renewals_unconvertible_accounts",
    "Accounts left out of the ARR gauges: their currency has no rate in the rate table.",
)
