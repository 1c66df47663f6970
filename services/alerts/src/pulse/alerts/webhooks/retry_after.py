"""The `Retry-After` header: delay-seconds or an HTTP-date (RFC 9110, section 10.2.3)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

#: The most a receiver can push an attempt back; also the schedule's longest step, so a
#: header cannot hold a message beyond what the schedule would have done anyway.
MAX_RETRY_AFTER = timedelta(hours=24)


def retry_after(value: str | None, now: datetime) -> timedelta | None:
    """How long the receiver asked us to wait, capped at `MAX_RETRY_AFTER`; None when the
    header is absent or unreadable (the schedule then decides alone)."""
    if value is None:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        return min(timedelta(seconds=int(value)), MAX_RETRY_AFTER)
    try:
        at = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if at.tzinfo is None:
        # RFC 5322 "-0000" parses naive; HTTP-dates are always GMT.
        at = at.replace(tzinfo=UTC)
    return min(max(at - now, timedelta(0)), MAX_RETRY_AFTER)
