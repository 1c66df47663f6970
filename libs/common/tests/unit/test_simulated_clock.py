"""The simulated clock: compressed time read from a wall clock, and the
`PULSE_SIMULATED_TIME_*` settings that make it."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from pulse.common.clock import CompressedClock, clock_from_settings, utc_now
from pulse.common.settings import Settings

ANCHOR = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
START = datetime(2026, 8, 1, tzinfo=UTC)
DAY_PER_SECOND = 86_400.0


class Wall:
    """A wall clock the test sets."""

    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def __call__(self) -> datetime:
        return self.moment


def test_reads_start_at_the_anchor_then_runs_speed_times_as_fast() -> None:
    wall = Wall(ANCHOR)
    clock = CompressedClock(START, ANCHOR, DAY_PER_SECOND, wall=wall)
    assert clock() == START
    wall.moment = ANCHOR + timedelta(seconds=2.5)
    assert clock() == datetime(2026, 8, 3, 12, 0, tzinfo=UTC)
    wall.moment = ANCHOR + timedelta(minutes=2)
    assert clock() == datetime(2026, 11, 29, tzinfo=UTC)


def test_reads_start_before_the_anchor() -> None:
    wall = Wall(ANCHOR - timedelta(seconds=30))
    assert CompressedClock(START, ANCHOR, DAY_PER_SECOND, wall=wall)() == START


def test_stands_still_at_the_end() -> None:
    end = datetime(2026, 8, 11, tzinfo=UTC)
    wall = Wall(ANCHOR + timedelta(seconds=9))
    clock = CompressedClock(START, ANCHOR, DAY_PER_SECOND, end, wall=wall)
    assert clock() == datetime(2026, 8, 10, tzinfo=UTC)
    wall.moment = ANCHOR + timedelta(seconds=10)
    assert clock() == end
    wall.moment = ANCHOR + timedelta(hours=5)
    assert clock() == end


def test_reads_utc_whatever_the_offsets_given() -> None:
    paris = timezone(timedelta(hours=2))
    wall = Wall(ANCHOR + timedelta(seconds=1))
    clock = CompressedClock(START.astimezone(paris), ANCHOR.astimezone(paris), 3600.0, wall=wall)
    assert clock() == datetime(2026, 8, 1, 1, 0, tzinfo=UTC)
    assert clock().utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    ("start", "speed", "end", "problem"),
    [
        (START.replace(tzinfo=None), 1.0, None, "start must be timezone-aware"),
        (START, 0.0, None, "speed must be above 0"),
        (START, 1.0, START, "must be after start"),
    ],
)
def test_refuses_a_clock_it_cannot_read(
    start: datetime, speed: float, end: datetime | None, problem: str
) -> None:
    with pytest.raises(ValueError, match=problem):
        CompressedClock(start, ANCHOR, speed, end)


SIMULATED = {
    "simulated_time_start": "2026-08-01T00:00:00Z",
    "simulated_time_anchor": "2026-12-03T12:00:00Z",
    "simulated_time_speed": "86400",
}


def test_no_simulated_settings_give_the_wall_clock(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        assert clock_from_settings(Settings()) is utc_now
    assert caplog.records == []


def test_simulated_settings_give_one_clock_for_every_process(
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = Settings(**SIMULATED, simulated_time_end="2026-11-30T00:00:00Z")  # type: ignore[arg-type]
    with caplog.at_level(logging.WARNING):
        clock = clock_from_settings(settings)
    assert clock == CompressedClock(
        START, ANCHOR, DAY_PER_SECOND, datetime(2026, 11, 30, tzinfo=UTC)
    )
    assert [r.levelname for r in caplog.records] == ["WARNING"]
    assert "SIMULATED clock" in caplog.records[0].getMessage()


def test_settings_read_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in SIMULATED.items():
        monkeypatch.setenv(f"PULSE_{name.upper()}", value)
    settings = Settings()
    assert settings.simulated_time_start == START
    assert settings.simulated_time_anchor == ANCHOR
    assert settings.simulated_time_speed == DAY_PER_SECOND
    assert settings.simulated_time_end is None


@pytest.mark.parametrize(
    ("values", "problem"),
    [
        ({"simulated_time_start": "2026-08-01T00:00:00Z"}, "missing PULSE_SIMULATED_TIME_ANCHOR"),
        (
            {k: v for k, v in SIMULATED.items() if k != "simulated_time_speed"},
            "missing PULSE_SIMULATED_TIME_SPEED",
        ),
        ({"simulated_time_end": "2026-08-01T00:00:00Z"}, "END needs a simulated clock"),
        ({**SIMULATED, "simulated_time_start": "2026-08-01T00:00:00"}, "timezone"),
        ({**SIMULATED, "simulated_time_anchor": "2026-12-03T12:00:00"}, "timezone"),
        ({**SIMULATED, "simulated_time_speed": "0"}, "greater than 0"),
        ({**SIMULATED, "simulated_time_speed": "-2"}, "greater than 0"),
        ({**SIMULATED, "simulated_time_end": "2026-07-31T00:00:00Z"}, "must be after"),
    ],
)
def test_settings_refuse_an_incomplete_or_impossible_clock(
    values: dict[str, str], problem: str
) -> None:
    with pytest.raises(ValidationError, match=problem):
        Settings(**values)  # type: ignore[arg-type]
