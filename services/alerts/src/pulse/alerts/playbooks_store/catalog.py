"""Playbooks by id for the alert engine, kept in memory between reads.

The engine looks a playbook up for every alert it opens; the catalog reads every stored
playbook at once and answers from memory after that. A change made through this
process's API clears it at once (`forget`); a change made by another replica is seen
within `max_age_s`.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncSession

from pulse.alerts.playbooks.definitions import Playbook
from pulse.alerts.playbooks_store.playbook_rows import list_playbooks

#: How long a read of the playbooks serves, at most, when nothing in this process changed them.
DEFAULT_MAX_AGE_S = 30.0


class PlaybookCatalog:
    """Stored playbooks by id, read whole and kept for `max_age_s` or until `forget`."""

    def __init__(
        self,
        max_age_s: float = DEFAULT_MAX_AGE_S,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._max_age_s = max_age_s
        self._monotonic = monotonic
        self._by_id: dict[str, Playbook] | None = None
        self._read_at = 0.0
        # Bumped by `forget`: a read that began before a change must not be kept after it.
        self._generation = 0

    async def get(self, session: AsyncSession, playbook_id: str) -> Playbook | None:
        """The playbook with this id; None when unknown or deleted."""
        if self._by_id is None or self._monotonic() - self._read_at >= self._max_age_s:
            read_at, generation = self._monotonic(), self._generation
            stored = await list_playbooks(session)
            by_id = {s.playbook.id: s.playbook for s in stored}
            if generation == self._generation:
                self._by_id, self._read_at = by_id, read_at
            return by_id.get(playbook_id)
        return self._by_id.get(playbook_id)

    def forget(self) -> None:
        """Playbooks changed: read them again at the next lookup."""
        self._by_id = None
        self._generation += 1
