"""`PULSE_ALERTS_PLAYBOOKS_FILE` is read before the service serves: a valid file gives an
app, an invalid or unreadable one stops it (exit 2) naming the file and each problem."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import FastAPI

from pulse.alerts.app import create_app
from pulse.alerts.config import AlertsSettings
from pulse.alerts.delivery.config import WebhookSettings
from pulse.alerts.playbooks.loading import default_playbooks_text
from pulse.common.settings import Settings

TWO_DAYS = """version: "1"
playbooks:
  - id: churn_save
    name: Churn save
    tasks: [{ title: Call the sponsor, due: 2 days, owner_role: csm }]
"""


def app_with(playbooks_file: Path) -> FastAPI:
    return create_app(
        Settings(), AlertsSettings(playbooks_file=playbooks_file), webhook_config=WebhookSettings()
    )


def test_a_valid_playbooks_file_gives_an_app(tmp_path: Path) -> None:
    path = tmp_path / "playbooks.yaml"
    path.write_text(default_playbooks_text())
    assert isinstance(app_with(path), FastAPI)


def test_an_invalid_playbooks_file_stops_the_service_naming_each_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "playbooks.yaml"
    path.write_text(TWO_DAYS)
    with pytest.raises(SystemExit) as stopped:
        app_with(path)
    assert stopped.value.code == 2
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith(f"pulse: playbooks {path}: playbooks[0].tasks[0].due: expected a ")


def test_a_missing_playbooks_file_stops_the_service(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "absent.yaml"
    with pytest.raises(SystemExit) as stopped:
        app_with(path)
    assert stopped.value.code == 2
    assert capsys.readouterr().err == (
        f"pulse: PULSE_ALERTS_PLAYBOOKS_FILE {path}: No such file or directory\n"
    )
