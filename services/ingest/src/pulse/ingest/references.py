"""Account references (vendor name → account_id) and the set of accounts seen, in Postgres."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Mapping

from sqlalchemy import delete, func, select, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from pulse.ingest.sources.base import Reference
from pulse.ingest.tables import account_references, known_accounts

log = logging.getLogger(__name__)


def storable(reference: Reference) -> bool:
    """Whether PostgreSQL can hold the reference: its text takes no NUL character, which
    JSON and a URL can carry (a vendor id never does)."""
    return not any("\x00" in part for part in (reference.source, reference.kind, reference.value))


async def load_references(
    session: AsyncSession, wanted: Iterable[Reference]
) -> dict[Reference, str]:
    """The account of each wanted reference that is known (one never stored is not)."""
    keys = sorted({reference for reference in wanted if storable(reference)})
    if not keys:
        return {}
    t = account_references
    rows = await session.execute(
        select(t.c.source, t.c.kind, t.c.reference, t.c.account_id).where(
            tuple_(t.c.source, t.c.kind, t.c.reference).in_(
                [(r.source, r.kind, r.value) for r in keys]
            )
        )
    )
    return {Reference(s, k, v): account for s, k, v, account in rows}


async def save_references(session: AsyncSession, learned: Mapping[Reference, str]) -> None:
    """Insert or update references (the latest mapping wins). One that cannot be stored is
    not learned: the webhook that taught it goes on without it."""
    rows = [
        {"source": r.source, "kind": r.kind, "reference": r.value, "account_id": account}
        for r, account in sorted(learned.items())
        if storable(r)
    ]
    if not rows:
        return
    statement = insert(account_references).values(rows)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["source", "kind", "reference"],
            set_={"account_id": statement.excluded.account_id, "updated_at": func.now()},
        )
    )


async def list_references(session: AsyncSession, source: str) -> list[dict[str, str]]:
    """Every reference of one source, sorted."""
    t = account_references
    rows = await session.execute(
        select(t.c.kind, t.c.reference, t.c.account_id)
        .where(t.c.source == source)
        .order_by(t.c.kind, t.c.reference)
    )
    return [{"kind": k, "reference": r, "account_id": a} for k, r, a in rows]


async def delete_reference(session: AsyncSession, reference: Reference) -> bool:
    """Forget one reference; False when it was not there."""
    if not storable(reference):
        return False
    t = account_references
    result = await session.execute(
        delete(t).where(
            t.c.source == reference.source,
            t.c.kind == reference.kind,
            t.c.reference == reference.value,
        )
    )
    return bool(getattr(result, "rowcount", 0))


class KnownAccounts:
    """The accounts ingest has seen: a set in memory, new ones written in the background.

    Written off the request path (a request must not wait on Postgres); a crash loses
    at most the last flush interval of *new* accounts, which reappear with their next event.
    """

    def __init__(self, sessions: async_sessionmaker[AsyncSession], interval_s: float = 1.0) -> None:
        self._sessions = sessions
        self._interval_s = interval_s
        self._known: set[str] = set()
        self._pending: set[str] = set()

    def note(self, account_ids: Iterable[str]) -> None:
        """Remember accounts seen in a request (cheap: a set difference)."""
        for account in account_ids:
            if account not in self._known:
                self._known.add(account)
                self._pending.add(account)

    def all(self) -> tuple[str, ...]:
        """Every known account, sorted."""
        return tuple(sorted(self._known))

    async def load(self) -> None:
        """Read the accounts stored so far."""
        async with self._sessions() as session:
            rows = await session.scalars(select(known_accounts.c.account_id))
            self._known.update(rows)

    async def flush(self) -> None:
        """Write the accounts seen since the last flush."""
        if not self._pending:
            return
        batch, self._pending = self._pending, set()
        try:
            async with self._sessions.begin() as session:
                await session.execute(
                    insert(known_accounts)
                    .values([{"account_id": a} for a in sorted(batch)])
                    .on_conflict_do_nothing()
                )
        except Exception:
            self._pending |= batch  # try again next time
            raise

    async def run(self) -> None:
        """Flush every interval until cancelled; a failed flush is logged and retried."""
        while True:
            await asyncio.sleep(self._interval_s)
            try:
                await self.flush()
            except Exception:
                log.exception("could not store newly seen accounts; retrying")
