"""An account's stored state as a snapshot plus the changes after it.

Rewriting an account's whole state (~3 KiB of JSON) on every re-score cost about a fifth
of a busy health process's time. A re-score appends a change instead: the inputs it
applied (events and CSM sentiments, the raw bytes as consumed) and the moment it scored
at. Replaying a change repeats exactly what the keeper did: apply each input at that
moment, then prune at it (unless the re-score was deferred, see `deferral`); so a snapshot
plus its changes rebuilds the state in memory, byte for byte. After `SNAPSHOT_AFTER_STEPS`
steps (inputs and prunes) the keeper writes a new snapshot and drops the changes, which
bounds a load's replay; an account holding many items (full ledgers, thousands of distinct
users) waits one step more per `KEPT_ITEMS_PER_STEP` items, so that writing its large
snapshot costs each event about what the small ones do, not more as the account fills.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from datetime import UTC, datetime

from pulse.common.events import event_from_json, event_to_json
from pulse.health.messages import Incoming, SetCsmSentiment, stored_command_from_json
from pulse.health.scoring.state import AccountState

#: Steps (inputs applied, prunes) replayed on load at most, before a new snapshot.
SNAPSHOT_AFTER_STEPS = 32
#: Kept items (tickets, invoices, distinct values) a snapshot may hold per step it waits.
KEPT_ITEMS_PER_STEP = 16

_EVENT, _COMMAND = b"e", b"c"
_HEADER = struct.Struct(">cI")  # kind, length of the raw input that follows


def encode_input(item: Incoming, raw: bytes | None) -> bytes:
    """One input as a change keeps it: its kind and `raw`, the bytes it was decoded from
    (encoded again only when there are none, as in tests that build records by hand)."""
    if isinstance(item, SetCsmSentiment):
        kind, body = _COMMAND, raw if raw is not None else item.to_json()
    else:
        kind, body = _EVENT, raw if raw is not None else event_to_json(item)
    return _HEADER.pack(kind, len(body)) + body


_NO_FLOOR = datetime.min.replace(tzinfo=UTC)


def decode_inputs(inputs: bytes) -> Iterator[Incoming]:
    """The inputs of a change, in the order they were applied."""
    offset = 0
    while offset < len(inputs):
        kind, length = _HEADER.unpack_from(inputs, offset)
        offset += _HEADER.size
        raw = inputs[offset : offset + length]
        offset += length
        # Validated when first applied: replay judges neither by a later time floor nor
        # by today's clock.
        if kind == _COMMAND:
            yield stored_command_from_json(raw)
        else:
            yield event_from_json(raw, floor=_NO_FLOOR)


def apply_input(state: AccountState, item: Incoming, now: datetime) -> bool:
    """Apply one input at `now`, live or replayed; whether the state changed (False: an
    event too late to count, a sentiment older than the one in force...)."""
    if isinstance(item, SetCsmSentiment):
        return state.set_csm_sentiment(item.value, item.note, item.at)
    return state.apply(item, now)


def replay(state: AccountState, at: datetime, inputs: bytes, rescored: bool = True) -> int:
    """Repeat one change on `state` (the prune only if the keeper re-scored after the
    inputs: not for a deferred re-score); how many steps it took."""
    steps = 0
    for item in decode_inputs(inputs):
        apply_input(state, item, at)
        steps += 1
    if rescored:
        state.prune(at)
        steps += 1
    return steps
