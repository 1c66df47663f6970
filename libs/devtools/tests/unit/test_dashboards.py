"""The Grafana dashboards: the committed JSON is what the code generates, `pulse dashboards
--check` catches a difference, every panel queries the provisioned data source, and every
`$variable` a query uses is defined (the live stack test runs the queries themselves)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from pulse.devtools.cli import main
from pulse.devtools.dashboards.names import DATASOURCE_UID
from pulse.devtools.dashboards.queries import panel_queries, runnable, variable_names
from pulse.devtools.dashboards.rendering import DASHBOARDS, differences, rendered_dashboards

REPO = Path(__file__).resolve().parents[4]
GRAFANA = REPO / "deploy" / "grafana"
MACROS = {"__rate_interval", "__interval", "__range"}


def dashboards() -> list[dict[str, Any]]:
    return [json.loads(text) for text in rendered_dashboards().values()]


def test_the_committed_dashboards_are_what_the_code_generates() -> None:
    assert sorted(p.name for p in (GRAFANA / "dashboards").glob("*.json")) == sorted(DASHBOARDS)
    diff = differences(GRAFANA / "dashboards")
    assert diff == "", f"run `make dashboards`:\n{diff}"


def test_check_exits_1_with_a_diff_until_the_files_are_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as written:
        main(["dashboards", "--directory", str(tmp_path)])
    assert written.value.code == 0
    sre = tmp_path / "pulse-sre.json"
    sre.write_text(sre.read_text().replace('"Pulse SRE"', '"Edited by hand"'))
    capsys.readouterr()
    with pytest.raises(SystemExit) as checked:
        main(["dashboards", "--check", "--directory", str(tmp_path)])
    assert checked.value.code == 1
    out = capsys.readouterr().out
    assert '-  "title": "Edited by hand"' in out
    assert '+  "title": "Pulse SRE"' in out
    with pytest.raises(SystemExit) as rewritten:
        main(["dashboards", "--directory", str(tmp_path)])
    with pytest.raises(SystemExit) as rechecked:
        main(["dashboards", "--check", "--directory", str(tmp_path)])
    assert (rewritten.value.code, rechecked.value.code) == (0, 0)


def test_a_stray_dashboard_file_is_a_difference(tmp_path: Path) -> None:
    main_files = rendered_dashboards()
    for name, text in main_files.items():
        (tmp_path / name).write_text(text)
    assert differences(tmp_path) == ""
    (tmp_path / "old.json").write_text("{}\n")
    assert "old.json" in differences(tmp_path)


def test_every_panel_and_variable_uses_the_provisioned_data_source() -> None:
    provisioned = yaml.safe_load((GRAFANA / "provisioning/datasources/prometheus.yml").read_text())
    assert [source["uid"] for source in provisioned["datasources"]] == [DATASOURCE_UID]
    for dashboard in dashboards():
        variables = dashboard["templating"]["list"]
        panels = [p for p in dashboard["panels"] if p["type"] != "row"]
        assert panels
        for item in [*variables, *panels, *(t for p in panels for t in p["targets"])]:
            assert item["datasource"] == {"type": "prometheus", "uid": DATASOURCE_UID}


def test_panel_ids_are_unique_and_every_query_variable_is_defined() -> None:
    for dashboard in dashboards():
        ids = [panel["id"] for panel in dashboard["panels"]]
        assert len(ids) == len(set(ids))
        defined = set(variable_names(dashboard)) | MACROS
        for query in panel_queries(dashboard):
            used = set(re.findall(r"\$\{?(\w+)", query.expr))
            assert used <= defined, query


def test_runnable_sets_variables_to_all_and_macros_to_the_window() -> None:
    expr = 'rate(x{service=~"$service", group=~"${group}", s=~"$s"}[$__rate_interval])'
    assert runnable(expr, ["s", "service", "group"], "1m") == (
        'rate(x{service=~".*", group=~".*", s=~".*"}[1m])'
    )


def test_the_dashboards_provider_loads_the_generated_files() -> None:
    provider = yaml.safe_load((GRAFANA / "provisioning/dashboards/pulse.yml").read_text())
    assert [p["type"] for p in provider["providers"]] == ["file"]
