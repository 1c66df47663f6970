"""Event time as the state keeps it: UTC day numbers and whole seconds since the epoch.

A day number counts UTC days since 1970-01-01; it fits 16 bits until the year 2149,
which is what the packed stores of the state rely on.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

SECONDS_PER_DAY = 86_400
#: The last day a packed 16-bit day field can hold (2149-06-06).
MAX_DAY = 0xFFFF
#: The last second a packed 32-bit time field can hold (2106-02-07).
MAX_SECOND = 0xFFFF_FFFF
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def seconds_of(moment: datetime) -> int:
    """Whole seconds since the epoch (floor) of a timezone-aware moment."""
    if moment.tzinfo is None:
        raise ValueError(f"expected a timezone-aware datetime, got {moment!r}")
    since = moment - EPOCH  # days and seconds only: quicker than dividing timedeltas
    return since.days * SECONDS_PER_DAY + since.seconds


def day_of(moment: datetime) -> int:
    """The UTC day number of a timezone-aware moment."""
    return seconds_of(moment) // SECONDS_PER_DAY


def day_of_second(second: int) -> int:
    """The UTC day number of a time in seconds since the epoch."""
    return second // SECONDS_PER_DAY


def midnight(day: int) -> datetime:
    """The moment day `day` starts (00:00 UTC)."""
    return EPOCH + timedelta(days=day)


def moment_of(second: int) -> datetime:
    """The UTC moment of a time in seconds since the epoch."""
    return EPOCH + timedelta(seconds=second)


def representable(second: int) -> bool:
    """Whether a time fits the state's packed fields (1970 to 2106)."""
    return 0 <= second <= MAX_SECOND and second // SECONDS_PER_DAY <= MAX_DAY
