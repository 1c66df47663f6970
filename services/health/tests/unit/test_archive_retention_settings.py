"""The archive's retention settings: a cutoff `days` before health's now, and a period
that cannot be turned off or set below the minimum (refused at start, naming it)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from pulse.common.service_main import load_settings_or_exit
from pulse.health.config import MIN_ARCHIVE_DAYS, HealthSettings
from pulse.health.keeping.archive_retention import archive_cutoff


def test_the_cutoff_is_the_given_days_before_now() -> None:
    now = datetime(2026, 3, 1, 12, 30, tzinfo=UTC)
    assert archive_cutoff(now, 400) == datetime(2025, 1, 25, 12, 30, tzinfo=UTC)
    assert archive_cutoff(now, 30) == datetime(2026, 1, 30, 12, 30, tzinfo=UTC)


def test_the_archive_is_kept_400_days_and_pruned_hourly_by_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("PULSE_HEALTH_ARCHIVE_DAYS", raising=False)
    monkeypatch.delenv("PULSE_HEALTH_ARCHIVE_PRUNE_S", raising=False)
    settings = HealthSettings()
    assert (settings.archive_days, settings.archive_prune_s) == (400, 3600.0)
    assert HealthSettings(archive_days=MIN_ARCHIVE_DAYS).archive_days == MIN_ARCHIVE_DAYS


@pytest.mark.parametrize("days", [0, -1, MIN_ARCHIVE_DAYS - 1])
def test_a_period_below_the_minimum_is_refused(days: int) -> None:
    with pytest.raises(ValidationError, match=f"expected at least 30 days, got {days}"):
        HealthSettings(archive_days=days)


def test_the_service_refuses_to_start_naming_the_setting(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PULSE_HEALTH_ARCHIVE_DAYS", "0")
    with pytest.raises(SystemExit) as exit_:
        load_settings_or_exit(HealthSettings)
    assert exit_.value.code == 2
    error = capsys.readouterr().err
    assert "PULSE_HEALTH_ARCHIVE_DAYS" in error
    assert "the archive cannot be turned off" in error
