"""The Customer health dashboard: how the book of business is doing. Accounts per health
band by segment, the score distribution, ARR at risk and renewals at risk, alerts opened
and open.

Gauges read from PostgreSQL report the same value from every replica: `max`, never `sum`."""

from __future__ import annotations

from grafana_foundation_sdk.models.dashboard import Dashboard

from pulse.devtools.dashboards.panels import (
    Query,
    Row,
    assemble,
    bars,
    label_variable,
    new_dashboard,
    single_stat,
    time_series,
)

UID = "pulse-customer-health"
SEGMENT = 'segment=~"$segment"'
#: The renewals gauges are in minor units of the reporting currency.
MINOR_UNITS = 100


def health_row() -> Row:
    return Row(
        "Health",
        [
            time_series(
                "Accounts per band by segment",
                "short",
                Query(
                    f"max by (band, segment) (pulse_health_accounts{{{SEGMENT}}})",
                    "{{segment}} {{band}}",
                ),
                stacked=True,
            ),
            bars(
                "Score distribution (accounts per score bucket)",
                "short",
                Query("max by (score_from) (pulse_health_accounts_by_score)", "{{score_from}}"),
                description="Each bar counts the accounts scoring from its label to 9 above.",
            ),
        ],
    )


def revenue_row() -> Row:
    return Row(
        "Revenue at risk",
        [
            single_stat(
                "ARR at risk (renewals in the next 90 days)",
                "short",
                Query(f"max(pulse_renewals_arr_at_risk) / {MINOR_UNITS}"),
                description="In the reporting currency.",
            ),
            time_series(
                "Renewals at risk by segment",
                "short",
                Query(
                    f"max by (segment) (pulse_renewals_at_risk_accounts{{{SEGMENT}}})",
                    "{{segment}}",
                ),
            ),
            time_series(
                "ARR by band and segment",
                "short",
                Query(
                    f"max by (band, segment) (pulse_renewals_arr{{{SEGMENT}}}) / {MINOR_UNITS}",
                    "{{segment}} {{band}}",
                ),
                stacked=True,
            ),
            time_series(
                "Renewals in the next 90 days by forecast",
                "short",
                Query("max by (category) (pulse_renewals_next_90_days)", "{{category}}"),
            ),
        ],
    )


def alerts_row() -> Row:
    return Row(
        "Alerts",
        [
            time_series(
                "Alerts opened by rule (per hour)",
                "short",
                Query("sum by (rule) (increase(pulse_alerts_opened_total[1h]))", "{{rule}}"),
            ),
            time_series(
                "Open alerts by severity",
                "short",
                Query(
                    "max by (severity) (sum by (instance, severity) (pulse_alerts_open))",
                    "{{severity}}",
                ),
                description="Not resolved: open, acknowledged or snoozed.",
            ),
        ],
    )


def customer_health_dashboard() -> Dashboard:
    """The Customer health dashboard."""
    dashboard = new_dashboard(
        UID, "Customer health", "Accounts by health band, revenue and renewals at risk, alerts."
    ).with_variable(label_variable("segment", "pulse_renewals_arr, segment", "Segment"))
    assemble(dashboard, [health_row(), revenue_row(), alerts_row()])
    return dashboard.build()
