"""Validating a batch item by item: the valid events go on, each invalid one is reported.

Pure: no I/O. Outages naming `affected_account_ids` become one event per account, and an
event repeated within the batch (same id) is produced once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
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
        """The JSON shape of design §4."""
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
class Tally:
    """What producing a batch's events came to, for the answer: counts, not every copy."""

    produced: int = 0
    #: the id of each event produced as sent: an outage fanned out appears once, by its id
    ids: list[str] = field(default_factory=list)
    #: outage id -> accounts it reached (copies produced)
    fanned_out: dict[str, int] = field(default_factory=dict)
    accounts: set[str] = field(default_factory=set)


@dataclass(slots=True)
class BatchOutcome:
    """The valid items (unique by id; an outage naming accounts still one) and those
    rejected. `events()` fans outages out lazily, so 100,000 copies never sit in memory."""

    accepted: list[Event] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)
    tally: Tally = field(default_factory=Tally)

    def events(self) -> Iterator[Event]:
        """Every event to produce, in order, each id once; counts them in `tally`."""
        tally = self.tally = Tally()
        seen: set[str] = set()
        for event in self.accepted:
            reached = 0
            for single in fan_out(event):
                if single.id in seen:
                    continue
                seen.add(single.id)
                tally.produced += 1
                tally.accounts.add(single.account_id)
                reached += 1
                yield single
            if not reached:
                continue
            if _fans_out(event):
                # Chunks of one outage (Statuspage) share its id: one entry, their sum.
                if event.id not in tally.fanned_out:
                    tally.ids.append(event.id)
                tally.fanned_out[event.id] = tally.fanned_out.get(event.id, 0) + reached
            else:
                tally.ids.append(event.id)


def validate_batch(
    items: Sequence[Any], *, now: datetime, floor: datetime | None = None
) -> BatchOutcome:
    """Validate each item (`floor`: the earliest `occurred_at`, default the events' own);
    the valid ones in order. Outages fan out, and repeats drop, in `BatchOutcome.events`."""
    outcome = BatchOutcome()
    for index, item in enumerate(items):
        if isinstance(item, MalformedLine):
            problem = FieldError("", item.message, RejectReason.MALFORMED)
            outcome.rejected.append(Rejection(index, None, (problem,)))
            continue
        try:
            outcome.accepted.append(validate_event(item, now=now, floor=floor))
        except EventValidationError as error:
            outcome.rejected.append(
                Rejection(index, _claimed_id(item), tuple(error.errors), _claimed_type(item))
            )
    return outcome


def _fans_out(event: Event) -> bool:
    return isinstance(event, (OutageStarted, OutageResolved)) and bool(
        event.data.affected_account_ids
    )


def fan_out(event: Event) -> Iterator[Event]:
    """An outage naming affected accounts → one event per account (design §3), else itself.

    Each copy is about one account, so it carries no `affected_account_ids`; its id is
    derived from the original id and the account, so a retried request yields the same ids.
    """
    if not isinstance(event, (OutageStarted, OutageResolved)) or not _fans_out(event):
        yield event
        return
    data = event.data.model_copy(update={"affected_account_ids": ()})
    for account in dict.fromkeys(event.data.affected_account_ids):
        yield event.model_copy(
            update={"account_id": account, "data": data, "id": _fanned_out_id(event.id, account)}
        )


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
