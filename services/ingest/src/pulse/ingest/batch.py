"""Validating a batch item by item: the valid events go on, each invalid one is reported.

Pure: no I/O. Outages naming `affected_account_ids` become one event per account, and an
event repeated within the batch (same id) is produced once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pulse.common.events import (
    EVENT_MODELS,
    Event,
    EventValidationError,
    FieldError,
    OutageResolved,
    OutageStarted,
    RejectReason,
    validate_event,
)
from pulse.common.events.envelope import ID_PREFIX
from pulse.ingest.body import MalformedLine


@dataclass(frozen=True, slots=True)
class Rejection:
    """One item that was not accepted: its position, its id if it had one, and why."""

    index: int
    id: str | None
    errors: tuple[FieldError, ...]
    event_type: str = "unknown"

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape of DESIGN §4."""
        return {
            "index": self.index,
            "id": self.id,
            "errors": [{"path": e.path, "message": e.message} for e in self.errors],
        }

    @property
    def reason(self) -> RejectReason:
        """The kind of the first problem: a closed set, so it can label metrics."""
        return self.errors[0].reason if self.errors else RejectReason.INVALID


@dataclass(slots=True)
class BatchOutcome:
    """Events to produce (in order, unique by id) and the items rejected."""

    events: list[Event] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)

    @property
    def ids(self) -> list[str]:
        """The ids of the events to produce."""
        return [e.id for e in self.events]


def validate_batch(
    items: Sequence[Any], *, now: datetime, floor: datetime | None = None
) -> BatchOutcome:
    """Validate each item (`floor`: the earliest `occurred_at`, default the events' own);
    fan out outages; keep the first of events sharing an id."""
    outcome = BatchOutcome()
    seen: set[str] = set()
    for index, item in enumerate(items):
        if isinstance(item, MalformedLine):
            problem = FieldError("", item.message, RejectReason.MALFORMED)
            outcome.rejected.append(Rejection(index, None, (problem,)))
            continue
        try:
            event = validate_event(item, now=now, floor=floor)
        except EventValidationError as error:
            outcome.rejected.append(
                Rejection(index, _claimed_id(item), tuple(error.errors), _claimed_type(item))
            )
            continue
        for single in fan_out(event):
            if single.id not in seen:
                seen.add(single.id)
                outcome.events.append(single)
    return outcome


def fan_out(event: Event) -> list[Event]:
    """An outage naming affected accounts → one event per account (DESIGN §3), else itself.

    Each copy is about one account, so it carries no `affected_account_ids`; its id is
    derived from the original id and the account, so a retried request yields the same ids.
    """
    if not isinstance(event, (OutageStarted, OutageResolved)):
        return [event]
    accounts = list(dict.fromkeys(event.data.affected_account_ids))
    if not accounts:
        return [event]
    data = event.data.model_copy(update={"affected_account_ids": ()})
    return [
        event.model_copy(
            update={"account_id": account, "data": data, "id": _fanned_out_id(event.id, account)}
        )
        for account in accounts
    ]


def _fanned_out_id(original: str, account_id: str) -> str:
    digest = hashlib.sha256(f"{original}\x00{account_id}".encode()).hexdigest()
    return ID_PREFIX + digest[:32]


def _claimed_id(item: object) -> str | None:
    if isinstance(item, dict):
        claimed = item.get("id")
        if isinstance(claimed, str) and claimed.strip():
            return claimed.strip()[:128]
    return None


def _claimed_type(item: object) -> str:
    if isinstance(item, dict):
        claimed = item.get("type")
        if isinstance(claimed, str) and claimed.strip().lower() in EVENT_MODELS:
            return claimed.strip().lower()
    return "unknown"
