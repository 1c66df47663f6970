"""The messages the keeper writes to the outbox: `renewal.at_risk`, and dead letters of
contract changes it cannot size. Pure: from a book to (id, message) pairs.

A `renewal.at_risk` id is derived from the account and the number of its at-risk entry,
both in committed state, so a batch replayed after a crash makes the same id and the
outbox keeps it once.
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime

import orjson

from pulse.common.kafka.dead_letters import dead_letter
from pulse.common.kafka.producer import OutgoingMessage
from pulse.common.kafka.records import ConsumedMessage
from pulse.renewals.book.account_book import AccountBook, Evaluation

AT_RISK = "renewal.at_risk"


def at_risk_message(
    topic: str, book: AccountBook, evaluation: Evaluation, entry: int, now: datetime
) -> tuple[str, OutgoingMessage]:
    """(stable id, message) of an account's `entry`-th entry at risk."""
    standing = evaluation.standing
    assert standing is not None  # only a standing at risk enters
    digest = hashlib.sha256(orjson.dumps([AT_RISK, book.account_id, entry])).hexdigest()[:32]
    message_id = f"ra_{digest}"
    arr = book.arr(now)
    latest = book.scores.latest
    body = {
        "id": message_id,
        "type": AT_RISK,
        "account_id": book.account_id,
        "name": book.facts.name,
        "segment": book.facts.latest("segment"),
        "owner": book.facts.latest("owner"),
        "renewal_date": standing.renewal_date,
        "days_to_renewal": _days(standing.on, standing.renewal_date),
        "arr": {"amount": str(arr.major), "currency": arr.currency} if arr else None,
        "score": latest.score if latest else None,
        "band": evaluation.band.value,
        "score_change": str(book.scores.change) if book.scores.change is not None else None,
        "category": standing.category.value,
        "probability": str(evaluation.probability),
        "entered_at": now,
    }
    value = orjson.dumps(body, option=orjson.OPT_UTC_Z)
    return message_id, OutgoingMessage(topic, book.account_id.encode(), value)


def unsized_contract_letter(
    message: ConsumedMessage, *, event_id: str, dlq_topic: str, group_id: str, error: str
) -> tuple[str, OutgoingMessage]:
    """(stable id, dead letter) of a contract change that has no currency to be sized in."""
    letter = dead_letter(
        message, dlq_topic=dlq_topic, group_id=group_id, reason="unknown_currency", error=error
    )
    return f"dlq:{group_id}:{event_id}", letter


def _days(on: date, renewal: date) -> int:
    return (renewal - on).days
