"""Builders every Pulse dashboard shares: the data source, queries, the few panel kinds we
use, template variables, and rows laid out on Grafana's 24-column grid with stable ids."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from grafana_foundation_sdk.builders import bargauge, prometheus, stat, timeseries
from grafana_foundation_sdk.builders import common as common_builders
from grafana_foundation_sdk.builders import dashboard as dashboard_builders
from grafana_foundation_sdk.cog.builder import Builder
from grafana_foundation_sdk.cog.variants import Dataquery
from grafana_foundation_sdk.models import common
from grafana_foundation_sdk.models.dashboard import (
    DataSourceRef,
    VariableHide,
    VariableRefresh,
    VariableSort,
)

from pulse.devtools.dashboards.names import DATASOURCE_UID

DATASOURCE = DataSourceRef(type_val="prometheus", uid=DATASOURCE_UID)
#: What a multi-value variable's "All" stands for: any value (a regex, used with =~).
ALL_VALUES = ".*"
PANEL_HEIGHT = 8
PanelBuilder = timeseries.Panel | stat.Panel | bargauge.Panel
GRID_WIDTH = 24


@dataclass(frozen=True)
class Query:
    """One PromQL expression of a panel and the legend of its series."""

    expr: str
    legend: str = ""


def _targets(queries: Sequence[Query], *, instant: bool = False) -> list[Builder[Dataquery]]:
    targets: list[Builder[Dataquery]] = []
    for ref, query in zip("ABCDEFGH", queries, strict=False):
        target = prometheus.Dataquery().expr(query.expr).ref_id(ref).datasource(DATASOURCE)
        if query.legend:
            target = target.legend_format(query.legend)
        targets.append(target.instant() if instant else target.range())
    return targets


def time_series(
    title: str, unit: str, *queries: Query, description: str = "", stacked: bool = False
) -> timeseries.Panel:
    """A graph of the queries over time."""
    panel = (
        timeseries.Panel()
        .title(title)
        .description(description)
        .datasource(DATASOURCE)
        .unit(unit)
        .targets(_targets(queries))
        .fill_opacity(10)
        .legend(
            common_builders.VizLegendOptions()
            .display_mode(common.LegendDisplayMode.TABLE)
            .placement(common.LegendPlacement.BOTTOM)
            .show_legend(True)
        )
    )
    if stacked:
        panel = panel.stacking(
            common_builders.StackingConfig().mode(common.StackingMode.NORMAL)
        ).fill_opacity(40)
    return panel


def single_stat(title: str, unit: str, query: Query, *, description: str = "") -> stat.Panel:
    """One number (the last value), with a sparkline."""
    return (
        stat.Panel()
        .title(title)
        .description(description)
        .datasource(DATASOURCE)
        .unit(unit)
        .targets(_targets([query]))
        .graph_mode(common.BigValueGraphMode.AREA)
        .reduce_options(_last_value())
    )


def _last_value() -> common_builders.ReduceDataOptions:
    return common_builders.ReduceDataOptions().calcs(["lastNotNull"]).values(False)


def bars(title: str, unit: str, query: Query, *, description: str = "") -> bargauge.Panel:
    """The current value of each series as a bar (a distribution, a ranking)."""
    return (
        bargauge.Panel()
        .title(title)
        .description(description)
        .datasource(DATASOURCE)
        .unit(unit)
        .targets(_targets([query], instant=True))
        .display_mode(common.BarGaugeDisplayMode.GRADIENT)
        .orientation(common.VizOrientation.VERTICAL)
        .reduce_options(_last_value())
    )


def label_variable(name: str, label_of: str, title: str) -> dashboard_builders.QueryVariable:
    """A multi-value variable over the values one label takes (`label_values(metric, label)`),
    "All" meaning any value: panels match it with `label=~"$name"`."""
    metric, _, label = label_of.rpartition(",")
    return (
        dashboard_builders.QueryVariable(name)
        .label(title)
        .datasource(DATASOURCE)
        .query(f"label_values({metric.strip()}, {label.strip()})")
        .refresh(VariableRefresh.ON_TIME_RANGE_CHANGED)
        .sort(VariableSort.ALPHABETICAL_ASC)
        .multi(True)
        .include_all(True)
        .all_value(ALL_VALUES)
        .hide(VariableHide.DONT_HIDE)
    )


@dataclass(frozen=True)
class Row:
    """A titled row of panels, `per_line` panels side by side."""

    title: str
    panels: Sequence[PanelBuilder]
    per_line: int = 2


def assemble(dashboard: dashboard_builders.Dashboard, rows: Sequence[Row]) -> None:
    """Add the rows and their panels to `dashboard` (the builder lays them out on the grid),
    numbering panels from 1 in order, so that a link to a panel (`viewPanel=`) stays valid
    when the dashboards are generated again."""
    panel_id = 0
    for row in rows:
        panel_id += 1
        dashboard.with_row(dashboard_builders.Row(row.title).id(panel_id))
        for panel in row.panels:
            panel_id += 1
            width = GRID_WIDTH // row.per_line
            dashboard.with_panel(panel.id(panel_id).span(width).height(PANEL_HEIGHT))


def new_dashboard(uid: str, title: str, description: str) -> dashboard_builders.Dashboard:
    """A dashboard with Pulse's defaults: the last 6 hours, refreshed every 30 s, UTC."""
    return (
        dashboard_builders.Dashboard(title)
        .uid(uid)
        .description(description)
        .tags(["pulse"])
        .editable()
        .timezone("utc")
        .time("now-6h", "now")
        .refresh("30s")
    )
