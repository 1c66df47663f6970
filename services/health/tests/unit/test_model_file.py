"""`PULSE_HEALTH_MODEL_FILE`: validated before the service serves, one line per problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from pulse.health.scoring.model import default_model_text
from pulse.health.startup_model import model_file_or_exit


def test_a_valid_file_is_loaded(tmp_path: Path) -> None:
    path = tmp_path / "model.yaml"
    path.write_text(default_model_text().replace("green: 70", "green: 75"))
    loaded = model_file_or_exit(path)
    assert loaded.model.bands.green == 75
    assert loaded.text == path.read_text()


def test_an_invalid_file_exits_2_naming_each_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "model.yaml"
    path.write_text(default_model_text().replace("green: 70", "green: 170"))
    with pytest.raises(SystemExit) as exit_info:
        model_file_or_exit(path)
    assert exit_info.value.code == 2
    error = capsys.readouterr().err
    assert str(path) in error
    assert "bands" in error


def test_a_missing_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        model_file_or_exit(tmp_path / "absent.yaml")
    assert exit_info.value.code == 2
    assert "PULSE_HEALTH_MODEL_FILE" in capsys.readouterr().err
