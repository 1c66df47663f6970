"""Whether the keeper's memory may be ahead of what PostgreSQL committed, and the reload
that brings it back.

The keeper changes accounts in memory inside a transaction it does not commit; if that
transaction fails or is cancelled (even while committing), memory is ahead. Two cases:

- A batch that re-scores only its own accounts: the consumer runner reloads the batch's
  partitions itself after a failed batch (`on_revoked`, `on_assigned`); nothing here.
- Everything else (a tick's re-scores; a batch that also re-scores accounts deferred by
  earlier batches, of any partition): memory is stale from then until that transaction
  commits (`until_commit`). A load or a model switch cut short leaves it stale too
  (`guard`).

Stale memory is reloaded, every owned account, before its next use.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

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

    def until_commit(self, session: AsyncSession) -> None:
        """Memory is about to move ahead of PostgreSQL in `session`'s transaction (begun
        already): stale until that transaction commits. A rollback, or a commit that
        fails or is cancelled, leaves it stale."""
        self._stale = True
        transaction = session.sync_session.get_transaction()

        def committed(sync_session: Session) -> None:
            if transaction is None or sync_session.in_nested_transaction():
                return  # no transaction to wait for, or only a savepoint released
            if sync_session.get_transaction() is transaction:
                self._stale = False

        event.listen(session.sync_session, "after_commit", committed)

    @contextmanager
    def guard(self) -> Iterator[None]:
        """Mark memory stale if the block fails or is cancelled (a load or a model switch
        cut short)."""
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
