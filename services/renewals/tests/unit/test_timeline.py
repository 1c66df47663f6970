"""Contract timelines: effective-time order, late and repeated changes, step kinds, edges."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from pulse.common.events import ContractChanged, validate_event
from pulse.common.events.enums import ContractChange, ContractReasonCategory
from pulse.renewals.contracts.changes import contract_event
from pulse.renewals.contracts.timeline import Applied, ContractTimeline, StepKind
from pulse.renewals.money.amounts import Amount

from .builders import change, day, timeline_of

SIGNED = change("c1", day(2024, 1, 1), 1_200_000, kind=ContractChange.NEW)
GREW = change("c2", day(2025, 1, 1), 1_500_000)
SHRANK = change("c3", day(2025, 6, 1), 900_000, kind=ContractChange.CONTRACTION)
LEFT = change(
    "c4", day(2026, 1, 1), 0, kind=ContractChange.CHURN, reason=ContractReasonCategory.PRICE
)
BACK = change("c5", day(2026, 3, 1), 600_000, kind=ContractChange.NEW)


def test_steps_are_named_by_the_arr_before_and_after() -> None:
    timeline = timeline_of(SIGNED, GREW, SHRANK, LEFT, BACK)
    assert [(s.kind, s.before.minor, s.after.minor) for s in timeline.steps] == [
        (StepKind.NEW, 0, 1_200_000),
        (StepKind.EXPANSION, 1_200_000, 1_500_000),  # a renewal at a higher ARR
        (StepKind.CONTRACTION, 1_500_000, 900_000),
        (StepKind.CHURN, 900_000, 0),
        (StepKind.REACTIVATION, 0, 600_000),  # labelled new by the source, but it came back
    ]
    assert timeline.steps[3].event.reason_category is ContractReasonCategory.PRICE


def test_a_late_change_inserts_into_the_past() -> None:
    timeline = timeline_of(SIGNED, SHRANK)
    assert timeline.arr_at(day(2025, 3, 1)) == Amount(1_200_000, "EUR")
    assert timeline.apply(GREW) is Applied.TAKEN  # arrives after SHRANK, effective before
    assert timeline.arr_at(day(2025, 3, 1)) == Amount(1_500_000, "EUR")
    assert [s.kind for s in timeline.steps] == [
        StepKind.NEW,
        StepKind.EXPANSION,
        StepKind.CONTRACTION,  # 1,500,000 -> 900,000, no longer an expansion from 1,200,000
    ]


def test_a_repeated_id_changes_nothing() -> None:
    timeline = timeline_of(SIGNED, GREW)
    assert timeline.apply(GREW) is Applied.DUPLICATE
    altered = change("c2", day(2025, 2, 1), 1)
    assert timeline.apply(altered) is Applied.CONFLICT
    assert timeline.arr_at(day(2025, 3, 1)) == Amount(1_500_000, "EUR")
    assert len(timeline.steps) == 2


def test_a_change_counts_from_the_moment_after_it_takes_effect() -> None:
    timeline = timeline_of(SIGNED, GREW)
    at = GREW.effective_at
    assert timeline.arr_at(at) == Amount(1_200_000, "EUR")  # the opening of `at`
    assert timeline.arr_at(at + timedelta(microseconds=1)) == Amount(1_500_000, "EUR")
    assert timeline.arr_at(SIGNED.effective_at) is None
    assert not timeline.is_active_at(SIGNED.effective_at)
    assert timeline.steps_between(at, day(2025, 6, 1)) == timeline.steps[1:2]


def test_active_means_paying_something() -> None:
    timeline = timeline_of(SIGNED, GREW, SHRANK, LEFT, BACK)
    assert timeline.is_active_at(day(2025, 12, 31))
    assert not timeline.is_active_at(day(2026, 2, 1))
    assert timeline.is_active_at(day(2026, 4, 1))


def test_the_churn_in_force_gives_its_reason() -> None:
    timeline = timeline_of(SIGNED, GREW, SHRANK, LEFT, BACK)
    churn = timeline.churn_at(day(2026, 2, 1))
    assert churn is not None
    assert (churn.effective_at, churn.before.minor) == (day(2026, 1, 1), 900_000)
    assert churn.event.reason_category is ContractReasonCategory.PRICE
    assert timeline.churn_at(day(2025, 12, 31)) is None  # still paying
    assert timeline.churn_at(day(2026, 4, 1)) is None  # back since 1 March
    assert timeline.churn_at(day(2023, 1, 1)) is None  # before its first contract


def test_the_first_contract_is_the_first_new_step() -> None:
    timeline = timeline_of(BACK, LEFT, GREW, SIGNED)
    first = timeline.first_contract
    assert first is not None
    assert (first.effective_at, first.after) == (day(2024, 1, 1), Amount(1_200_000, "EUR"))
    assert ContractTimeline().first_contract is None


def test_a_flat_renewal_is_no_movement() -> None:
    timeline = timeline_of(SIGNED, change("r", day(2025, 1, 1), 1_200_000))
    assert timeline.steps[1].kind is StepKind.FLAT


def test_the_edge_turns_a_contract_event_into_minor_units_of_the_account_currency() -> None:
    event = validate_event(
        {
            "id": "evt-1",
            "type": "contract.changed",
            "account_id": "acme",
            "occurred_at": "2026-02-03T10:00:00Z",
            "data": {
                "change": "expansion",
                "arr_after": 12000.505,  # a float in major units, as sources send it
                "arr_before": 10000,
                "effective_at": "2026-02-01T00:00:00Z",
                "reason_category": "adoption",
            },
        },
        now=datetime(2026, 2, 3, 10, tzinfo=UTC),
    )
    assert isinstance(event, ContractChanged)
    recorded = contract_event(event.id, event.data, "EUR")
    assert recorded.arr_after == Amount(1_200_050, "EUR")  # 1,200,050.5 cents, half to even
    assert recorded.arr_after.major == Decimal("12000.50")
    assert recorded.effective_at == day(2026, 2, 1)
    assert recorded.change is ContractChange.EXPANSION
    assert recorded.reason_category is ContractReasonCategory.ADOPTION


def test_a_change_without_a_zone_is_refused() -> None:
    with pytest.raises(ValueError, match="time zone"):
        change("x", datetime(2026, 1, 1), 1)  # no zone: refused
