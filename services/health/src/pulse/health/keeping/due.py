"""The "next change due" index: when each owned account's score can next change with no
new event (a window edge, an invoice growing more overdue, a deferred re-score).

An account's due time lives on the account (`CachedAccount.next_due`); the queue is a heap
of (moment, account id) over it, so finding what is due costs a pop, not a scan of every
account. Entries whose account moved its due time or left are skipped when popped, and
the heap is rebuilt when they pile up.
"""

from __future__ import annotations

import heapq
from datetime import datetime

from pulse.health.keeping.cache import AccountCache, CachedAccount


class DueQueue:
    """Owned accounts by the moment they are next due."""

    def __init__(self, accounts: AccountCache) -> None:
        self._accounts = accounts
        self._heap: list[tuple[datetime, str]] = []

    def __len__(self) -> int:
        """Entries queued, including those skipped when popped."""
        return len(self._heap)

    def clear(self) -> None:
        """Forget every entry (the accounts are being reloaded)."""
        self._heap = []

    def track(self, account: CachedAccount) -> None:
        """Queue the account at its current due time, if it has one."""
        if account.next_due is not None:
            heapq.heappush(self._heap, (account.next_due, account.account_id))

    def schedule(self, account: CachedAccount, at: datetime | None) -> None:
        """Make the account due at `at` (None: only an event can change its score)."""
        account.next_due = at
        self.track(account)
        if len(self._heap) > 2 * len(self._accounts) + 1024:
            self._heap = [(c.next_due, c.account_id) for c in self._accounts if c.next_due]
            heapq.heapify(self._heap)

    def has_due(self, now: datetime) -> bool:
        """Whether some entry is due at `now` (it may turn out to be stale when popped)."""
        return bool(self._heap) and self._heap[0][0] <= now

    def pop_due(self, now: datetime, limit: int | None = None) -> dict[str, CachedAccount]:
        """The accounts due at `now`, earliest first, at most `limit`, taken off the queue."""
        due: dict[str, CachedAccount] = {}
        heap = self._heap
        while heap and heap[0][0] <= now and (limit is None or len(due) < limit):
            at, account_id = heapq.heappop(heap)
            account = self._accounts.get(account_id)
            if account is not None and account.next_due == at:
                due[account_id] = account
        return due
