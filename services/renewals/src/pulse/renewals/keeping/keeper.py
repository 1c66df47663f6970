"""The renewal keeper: the consumer runner's batch handler, and the daily look at accounts.

For each batch, inside the runner's one transaction: load the books of the accounts it
names (from memory, else PostgreSQL, else new), apply the account's `account.updated`,
`contract.changed` and score changes, look at each touched renewal on today's date, and
write the books, their `renewal_accounts` rows, a standing row when the standing moved,
and the outbox: `renewal.at_risk` on entering at risk, a dead letter for a contract
change with no currency. The runner adds the offsets and commits once.

Time passes without events: `tick` looks again at the accounts not yet evaluated today,
so a renewal coming within the at-risk horizon sends its message on that day.

Memory is only a cache of committed books, dropped for revoked partitions and, after a
failed tick, for the accounts that tick touched.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence, Set
from datetime import datetime
from decimal import Decimal
from typing import Any

from aiokafka import TopicPartition
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from pulse.common.clock import Clock, utc_now
from pulse.common.events import AccountUpdated, ContractChanged
from pulse.common.kafka.outbox import add_to_outbox
from pulse.common.kafka.producer import OutgoingMessage
from pulse.common.kafka.records import Record
from pulse.common.metrics import DEAD_LETTERS
from pulse.common.score_changes import ScoreChange
from pulse.renewals import metrics
from pulse.renewals.book.account_book import AccountBook, Evaluation, NoCurrency
from pulse.renewals.book.scores import ScorePoint
from pulse.renewals.contracts.timeline import Applied
from pulse.renewals.forecast.config import Band, ForecastConfig
from pulse.renewals.keeping.notices import at_risk_message, unsized_contract_letter
from pulse.renewals.messages import Incoming
from pulse.renewals.storage import account_rows, books

#: Most due accounts looked at per tick transaction.
TICK_CHUNK = 500
#: Books kept in memory; past it the cache starts over (books reload on use).
CACHE_LIMIT = 50_000


class RenewalKeeper:
    """Batch handler of the renewals consumer; also looks at due accounts each day."""

    def __init__(
        self,
        config: ForecastConfig,
        *,
        at_risk_topic: str,
        dlq_topic: str,
        group_id: str,
        clock: Clock = utc_now,
        wake_relay: Callable[[], None] = lambda: None,
    ) -> None:
        self.config = config
        self._at_risk_topic = at_risk_topic
        self._dlq_topic = dlq_topic
        self._group_id = group_id
        self._clock = clock
        self._wake_relay = wake_relay
        self._cache: dict[str, AccountBook] = {}
        self._owned: set[TopicPartition] = set()
        #: Accounts the last tick touched (dropped from memory if it does not commit).
        self.touched: list[str] = []

    def now(self) -> datetime:
        """What time the keeper evaluates at."""
        return self._clock()

    async def handle(self, session: AsyncSession, records: Sequence[Record[Incoming]]) -> None:
        """Apply one batch inside the runner's transaction."""
        partition_of = {
            r.value.account_id: r.message.partition for r in records if _is_read(r.value)
        }
        if not partition_of:
            return
        accounts = await self._books(session, partition_of)
        outbox: list[tuple[str, OutgoingMessage]] = []
        for record in records:
            if _is_read(record.value):
                outbox += self._apply(accounts[record.value.account_id], record)
        await self._evaluate_and_write(session, accounts.values(), outbox)

    async def tick(self, session: AsyncSession) -> int:
        """Look at up to TICK_CHUNK accounts not evaluated today; how many."""
        today = self._clock().date()
        numbers = {tp.partition for tp in self._owned}
        due = await books.due_accounts(session, numbers, today, TICK_CHUNK)
        self.touched = due
        if not due:
            return 0
        stored = await books.load_books(session, [a for a in due if a not in self._cache])
        partition_of = {
            a: self._cache[a].partition if a in self._cache else stored[a][0] for a in due
        }
        accounts = await self._books(session, partition_of, stored)
        await self._evaluate_and_write(session, accounts.values(), [])
        return len(due)

    def forget_touched(self) -> None:
        """The last tick did not commit: drop what it touched."""
        for account_id in self.touched:
            self._cache.pop(account_id, None)

    async def on_assigned(self, session: AsyncSession, partitions: Set[TopicPartition]) -> None:
        """Own the partitions; their books load when an event or the ticker needs them."""
        self._owned |= set(partitions)

    async def on_revoked(self, partitions: Set[TopicPartition]) -> None:
        """Drop the partitions' books from memory (what is committed stays)."""
        self._owned -= set(partitions)
        numbers = {tp.partition for tp in partitions}
        for account_id in [a for a, b in self._cache.items() if b.partition in numbers]:
            del self._cache[account_id]

    def _apply(
        self, book: AccountBook, record: Record[Incoming]
    ) -> list[tuple[str, OutgoingMessage]]:
        item = record.value
        if isinstance(item, ScoreChange):
            point = ScorePoint(item.computed_at, item.message_id, item.score, Band(item.band))
            book.observe_score(point)
        elif isinstance(item, AccountUpdated):
            if book.apply_update(item.id, item.occurred_at, item.data):
                metrics.ACCOUNT_UPDATES.inc()
        elif isinstance(item, ContractChanged):
            try:
                outcome = book.apply_contract(item)
            except NoCurrency as error:
                metrics.CONTRACT_EVENTS.labels("unknown_currency").inc()
                DEAD_LETTERS.labels(self._group_id, record.message.topic, "unknown_currency").inc()
                letter = unsized_contract_letter(
                    record.message,
                    event_id=item.id,
                    dlq_topic=self._dlq_topic,
                    group_id=self._group_id,
                    error=str(error),
                )
                return [letter]
            metrics.CONTRACT_EVENTS.labels(
                "applied" if outcome is Applied.TAKEN else outcome.value
            ).inc()
        return []

    async def _books(
        self,
        session: AsyncSession,
        partition_of: Mapping[str, int],
        stored: Mapping[str, books.StoredBook] | None = None,
    ) -> dict[str, AccountBook]:
        missing = [a for a in partition_of if a not in self._cache]
        if len(self._cache) + len(missing) > CACHE_LIMIT:
            self._cache.clear()
            missing = list(partition_of)
            stored = None
        if stored is None or any(a not in stored for a in missing):
            stored = {**(stored or {}), **await books.load_books(session, missing)}
        for account_id in missing:
            if account_id in stored:
                partition, state = stored[account_id]
                self._cache[account_id] = AccountBook.restore(account_id, partition, state)
            else:
                self._cache[account_id] = AccountBook(account_id, partition_of[account_id])
        return {a: self._cache[a] for a in partition_of}

    async def _evaluate_and_write(
        self,
        session: AsyncSession,
        accounts: Iterable[AccountBook],
        outbox: list[tuple[str, OutgoingMessage]],
    ) -> None:
        now = self._clock()
        today = now.date()
        book_rows, account_list, standing_list = [], [], []
        for book in accounts:
            evaluation = book.evaluate(today, self.config)
            if evaluation.entered_at_risk is not None:
                metrics.AT_RISK_ENTRIES.inc()
                outbox.append(
                    at_risk_message(
                        self._at_risk_topic, book, evaluation, evaluation.entered_at_risk, now
                    )
                )
            if evaluation.moved:
                standing_list.append(_standing_row(book, evaluation, now))
            book_rows.append((book.account_id, book.partition, book.snapshot(), today))
            account_list.append(account_row(book, evaluation, now))
        await books.save_books(session, book_rows)
        await account_rows.save_accounts(session, account_list)
        await account_rows.add_standings(session, standing_list)
        if outbox:
            await add_to_outbox(session, outbox)
            wake = self._wake_relay

            def committed(_: Session) -> None:
                wake()

            event.listen(session.sync_session, "after_commit", committed, once=True)


def _is_read(item: Incoming) -> bool:
    return isinstance(item, ScoreChange | AccountUpdated | ContractChanged)


def account_row(book: AccountBook, evaluation: Evaluation, now: datetime) -> dict[str, Any]:
    """The `renewal_accounts` row of a book just evaluated."""
    arr = book.arr(now)
    latest = book.scores.latest
    facts = book.facts
    return {
        "account_id": book.account_id,
        "name": facts.name,
        "segment": facts.latest("segment"),
        "owner": facts.latest("owner"),
        "industry": facts.latest("industry"),
        "plan": facts.latest("plan"),
        "currency": arr.currency if arr else facts.currency,
        "arr_minor": arr.minor if arr else None,
        "renewal_date": facts.renewal_date,
        "band": evaluation.band.value,
        "score": latest.score if latest else None,
        "score_change": book.scores.change,
        "category": evaluation.standing.category.value if evaluation.standing else None,
        "probability": evaluation.probability,
        "updated_at": now,
    }


def _standing_row(book: AccountBook, evaluation: Evaluation, now: datetime) -> dict[str, Any]:
    standing = evaluation.standing
    return {
        "account_id": book.account_id,
        "evaluated_at": now,
        "renewal_date": standing.renewal_date if standing else None,
        "band": evaluation.band.value,
        "category": standing.category.value if standing else None,
        "probability": Decimal(evaluation.probability),
    }
