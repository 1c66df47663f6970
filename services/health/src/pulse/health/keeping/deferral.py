"""Deferring re-scores while a backlog drains.

When the consumer runner reports many records waiting after a batch, the batch commits
its events (as changes marked not re-scored, see `changes`) with its offsets, and the
accounts it touched are re-scored with a later batch: the first with no such backlog, or
the first after `defer_s`. An account with an event in each of several batches is then
scored once, not once per batch: re-scoring is most of a batch's cost. Each deferred
account is also due at that deadline, so the ticker re-scores it if no batch does; a
process that loads it after a crash re-scores it at once (see `loading.catch_up`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from pulse.health.keeping.cache import CachedAccount

#: Records waiting after a batch from which its re-scores are deferred.
DEFAULT_DEFER_BACKLOG = 5_000
#: Longest a re-score is deferred while a backlog drains.
DEFAULT_DEFER_S = 5.0


class RescoreDeferral:
    """The accounts whose re-score waits for a later batch, and until when."""

    def __init__(
        self,
        backlog: Callable[[], int] = lambda: 0,
        min_backlog: int = DEFAULT_DEFER_BACKLOG,
        defer_s: float = DEFAULT_DEFER_S,
    ) -> None:
        self._backlog = backlog
        self._min_backlog = min_backlog
        self._defer_for = timedelta(seconds=defer_s)
        self._held: dict[str, CachedAccount] = {}
        self._until: datetime | None = None

    @property
    def holding(self) -> bool:
        """Whether some account's re-score is waiting."""
        return bool(self._held)

    def applies(self, now: datetime) -> bool:
        """Whether the re-scores of a batch handled at `now` wait for a later one."""
        if not self._defer_for or self._backlog() < self._min_backlog:
            return False
        return self._until is None or now < self._until

    def deadline(self, now: datetime) -> datetime:
        """When the waiting re-scores are due: `defer_s` after the first was deferred."""
        if self._until is None:
            self._until = now + self._defer_for
        return self._until

    def hold(self, account: CachedAccount) -> None:
        """The account's re-score waits."""
        self._held[account.account_id] = account

    def take(self) -> dict[str, CachedAccount]:
        """Every waiting account, by id, for a batch to re-score now."""
        held, self._held, self._until = self._held, {}, None
        return held

    def release(self, account_ids: Iterable[str]) -> None:
        """Those accounts are re-scored elsewhere (a tick): they wait no more."""
        for account_id in account_ids:
            self._held.pop(account_id, None)

    def drop_partitions(self, numbers: set[int]) -> None:
        """Forget the accounts of partition numbers no longer owned."""
        self._held = {a: c for a, c in self._held.items() if c.partition not in numbers}

    def clear(self) -> None:
        """Forget every waiting account (they are being reloaded)."""
        self._held, self._until = {}, None
