"""The PromQL of rendered dashboards, made runnable against Prometheus' HTTP API: template
variables replaced as Grafana would with "All" selected, and Grafana's interval macros
replaced by a fixed window."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from pulse.devtools.dashboards.panels import ALL_VALUES


@dataclass(frozen=True)
class PanelQuery:
    """One target of one panel."""

    dashboard: str
    panel: str
    expr: str

    def __str__(self) -> str:
        return f"{self.dashboard} / {self.panel}: {self.expr}"


def panel_queries(dashboard: Mapping[str, Any]) -> Iterator[PanelQuery]:
    """Every panel target's expression, rows' nested panels included."""
    for panel in _panels(dashboard.get("panels", [])):
        for target in panel.get("targets") or []:
            if target.get("expr"):
                yield PanelQuery(dashboard["title"], panel["title"], target["expr"])


def _panels(panels: list[Mapping[str, Any]]) -> Iterator[Mapping[str, Any]]:
    for panel in panels:
        yield panel
        yield from _panels(panel.get("panels") or [])


def variable_names(dashboard: Mapping[str, Any]) -> list[str]:
    """Names of the dashboard's template variables."""
    return [variable["name"] for variable in dashboard.get("templating", {}).get("list", [])]


def runnable(expr: str, variables: list[str], window: str) -> str:
    """`expr` with every variable set to "All" and `$__rate_interval`, `$__interval` and
    `$__range` set to `window` (a PromQL duration such as `1m`)."""
    for macro in ("$__rate_interval", "$__interval", "$__range"):
        expr = expr.replace(macro, window)
    for name in sorted(variables, key=len, reverse=True):  # $group before $g
        expr = re.sub(rf"\$\{{{name}\}}|\${name}\b", ALL_VALUES, expr)
    return expr
