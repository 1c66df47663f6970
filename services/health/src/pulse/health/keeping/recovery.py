"""Whether the keeper's memory may be ahead of what PostgreSQL committed, and the reload
that brings it back.

The keeper changes accounts in memory inside a transaction it does not commit. When that
transaction fails or is cancelled (even while committing), memory is ahead. The consumer
runner handles a failed batch itself: it has the keeper forget and load again the
batch's partitions (`on_revoked`, `on_assigned`). Everything else that can leave memory
ahead (a time-driven re-score, a batch that re-scored deferred accounts of other
partitions, a partial load, work of the ticker's own transactions) marks it stale here,
and the keeper reloads every owned account before it next uses them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager

from sqlalchemy.ext.asyncio import AsyncSession

#: Drops every cached account and loads the owned partitions again.
Reload = Callable[[AsyncSession], Awaitable[None]]


class Recovery:
    """The stale flag of the keeper's memory, and its reload."""

    def __init__(self, reload: Reload) -> None:
        self._reload = reload
        self._stale = False

    @property
    def stale(self) -> bool:
        """Whether memory must be reloaded from PostgreSQL before it is used."""
        return self._stale

    def mark_stale(self) -> None:
        """What is in memory may be ahead of PostgreSQL: reload before the next use."""
        self._stale = True

    @contextmanager
    def guard(self) -> Iterator[None]:
        """Mark memory stale if the block fails or is cancelled: it changed memory that its
        transaction will not commit."""
        try:
            yield
        except BaseException:
            self._stale = True
            raise

    async def reload(self, session: AsyncSession) -> None:
        """Reload every owned account; memory stays stale until that completes."""
        self._stale = True
        await self._reload(session)
        self._stale = False

    async def reload_if_stale(self, session: AsyncSession) -> None:
        """Reload first if memory may be ahead of PostgreSQL."""
        if self._stale:
            await self.reload(session)
