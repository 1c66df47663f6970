"""Batch validation: valid items go on, invalid ones are reported, outages fan out."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pulse.common.events import OutageStarted
from pulse.ingest.batch import validate_batch
from pulse.ingest.body import MalformedLine

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)


def usage(account: str = "acme", **extra: Any) -> dict[str, Any]:
    return {
        "type": "usage.activity",
        "account_id": account,
        "occurred_at": "2026-11-20T10:00:00Z",
        "data": {"user_id": "u1"},
        **extra,
    }


def outage(accounts: list[str], **extra: Any) -> dict[str, Any]:
    return {
        "type": "outage.started",
        "account_id": "statuspage",
        "occurred_at": "2026-11-20T10:00:00Z",
        "data": {"incident_id": "inc-1", "severity": "major", "affected_account_ids": accounts},
        **extra,
    }


def test_invalid_items_are_reported_and_the_rest_goes_on() -> None:
    items = [
        usage(),
        {"type": "usage.activity", "id": "mine", "account_id": "a b"},
        MalformedLine(3, "malformed JSON on line 3"),
        "not an object",
        usage("globex"),
    ]
    outcome = validate_batch(items, now=NOW)
    assert [e.account_id for e in outcome.events()] == ["acme", "globex"]
    assert [r.index for r in outcome.rejected] == [1, 2, 3]
    first = outcome.rejected[0]
    assert first.id == "mine"
    assert first.event_type == "usage.activity"
    assert [e.path for e in first.errors] == ["account_id", "occurred_at", "data"]
    assert outcome.rejected[1].as_dict() == {
        "index": 2,
        "id": None,
        "errors": [{"path": "", "message": "malformed JSON on line 3"}],
    }
    # Reasons are codes of a closed set (they label metrics), never a client's field name.
    assert [r.reason for r in outcome.rejected] == ["bad_value", "malformed", "not_an_object"]


def test_the_same_event_twice_is_produced_once() -> None:
    outcome = validate_batch([usage(), usage(), usage(id="x"), usage(id="x")], now=NOW)
    assert len(list(outcome.events())) == 2
    assert outcome.tally.produced == 2
    assert outcome.tally.ids[1] == "x"


def test_outage_fans_out_one_event_per_account_with_stable_ids() -> None:
    outcome = validate_batch([outage(["acme", "globex", "acme"])], now=NOW)
    events = list(outcome.events())
    assert [e.account_id for e in events] == ["acme", "globex"]
    assert all(isinstance(e, OutageStarted) for e in events)
    assert all(e.data.affected_account_ids == () for e in events)  # type: ignore[union-attr]
    ids = [e.id for e in events]
    assert len(set(ids)) == 2
    again = validate_batch([outage(["acme", "globex", "acme"])], now=NOW)
    assert [e.id for e in again.events()] == ids  # a retried request yields the same ids
    other = validate_batch([outage(["acme"], id="inc-1-start")], now=NOW)
    assert next(other.events()).id != ids[0]


def test_an_outage_is_counted_once_by_its_id_and_chunks_sharing_it_add_up() -> None:
    chunks = [outage(["a", "b"], id="inc-1-start"), outage(["c", "a"], id="inc-1-start")]
    outcome = validate_batch([usage(id="u"), *chunks], now=NOW)
    assert [e.account_id for e in outcome.events()] == ["acme", "a", "b", "c"]
    assert outcome.tally.produced == 4
    assert outcome.tally.ids == ["u", "inc-1-start"]
    assert outcome.tally.fanned_out == {"inc-1-start": 3}
    assert outcome.tally.accounts == {"acme", "a", "b", "c"}


def test_outage_without_affected_accounts_stays_one_event() -> None:
    outcome = validate_batch([outage([])], now=NOW)
    assert [e.account_id for e in outcome.events()] == ["statuspage"]
    assert outcome.tally.fanned_out == {}
