"""Which secrets sign a message while a subscription's secret is being rotated.

After a rotation both the new and the old secret sign for an overlap window so receivers can
switch at their own pace; after it, the new one alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

DEFAULT_OVERLAP = timedelta(hours=24)
MAX_OVERLAP = timedelta(days=7)


@dataclass(frozen=True, slots=True)
class SubscriptionSecrets:
    """A subscription's current secret and, once rotated, the one it replaced."""

    current: str
    previous: str | None = None
    rotated_at: datetime | None = None
    overlap: timedelta = DEFAULT_OVERLAP

    def __post_init__(self) -> None:
        if not timedelta(0) <= self.overlap <= MAX_OVERLAP:
            raise ValueError(f"a rotation overlap is 0 to 7 days, not {self.overlap}")
        if (self.previous is None) != (self.rotated_at is None):
            raise ValueError("a previous secret and its rotation time come together")


def rotate(secrets: SubscriptionSecrets, new_secret: str, now: datetime) -> SubscriptionSecrets:
    """`secrets` with `new_secret` current from `now`; the one it replaces overlaps with it.

    Rotating again inside a window drops the oldest secret: only one old secret is kept.
    """
    return SubscriptionSecrets(
        current=new_secret, previous=secrets.current, rotated_at=now, overlap=secrets.overlap
    )


def signing_secrets(subscription_secrets: SubscriptionSecrets, now: datetime) -> tuple[str, ...]:
    """The secrets that sign a message sent at `now`, newest first."""
    previous, rotated_at = subscription_secrets.previous, subscription_secrets.rotated_at
    if previous is None or rotated_at is None or now >= rotated_at + subscription_secrets.overlap:
        return (subscription_secrets.current,)
    return (subscription_secrets.current, previous)
