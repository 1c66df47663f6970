"""The dashboards as the JSON files Grafana provisions, and how those files differ from
what the code renders (`pulse dashboards --check`)."""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable
from pathlib import Path

from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models.dashboard import Dashboard

from pulse.devtools.dashboards.customer_health import customer_health_dashboard
from pulse.devtools.dashboards.sre import sre_dashboard

#: File name of each dashboard under deploy/grafana/dashboards/.
DASHBOARDS: dict[str, Callable[[], Dashboard]] = {
    "pulse-sre.json": sre_dashboard,
    "customer-health.json": customer_health_dashboard,
}


def render(dashboard: Dashboard) -> str:
    """Stable JSON (sorted keys, 2-space indent, final newline), so diffs stay readable."""
    return json.dumps(dashboard, cls=JSONEncoder, indent=2, sort_keys=True) + "\n"


def rendered_dashboards() -> dict[str, str]:
    """Every dashboard's JSON by file name."""
    return {name: render(build()) for name, build in DASHBOARDS.items()}


def write_dashboards(directory: Path) -> list[Path]:
    """Write every dashboard into `directory`; the files written."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in rendered_dashboards().items():
        path = directory / name
        path.write_text(text)
        written.append(path)
    return written


def differences(directory: Path) -> str:
    """A unified diff from the files in `directory` to the rendered dashboards; '' when
    they match. A stray .json file there counts as a difference (Grafana would load it)."""
    rendered = rendered_dashboards()
    names = sorted({*rendered, *(path.name for path in directory.glob("*.json"))})
    chunks: list[str] = []
    for name in names:
        path = directory / name
        committed = path.read_text() if path.is_file() else ""
        chunks.extend(
            difflib.unified_diff(
                committed.splitlines(keepends=True),
                rendered.get(name, "").splitlines(keepends=True),
                fromfile=str(path),
                tofile=f"{name} (generated)",
            )
        )
    return "".join(chunks)
