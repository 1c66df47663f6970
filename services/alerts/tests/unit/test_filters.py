"""Filters on event data: equals, in, comparisons, all/any, and absent values."""

from __future__ import annotations

from typing import Any

import pytest

from pulse.alerts.rules.filters import Filter

from .conftest import NOW, make_event


def passes(where: dict[str, Any], event_type: str, **data: Any) -> bool:
    return Filter.model_validate(where).matches(make_event(event_type, NOW, **data).data)


def test_equals_compares_enum_values_with_their_spelling() -> None:
    where = {"field": "channel", "equals": "phone"}
    assert passes(where, "support.ticket.opened", ticket_id="t1", channel="phone")
    assert not passes(where, "support.ticket.opened", ticket_id="t1", channel="email")


def test_absent_values_never_pass() -> None:
    assert not passes(
        {"field": "channel", "equals": "phone"}, "support.ticket.opened", ticket_id="t"
    )
    assert not passes({"field": "days_overdue", "lt": 5}, "invoice.overdue", invoice_id="i")


def test_in_accepts_any_listed_value() -> None:
    where = {"field": "role", "in": ["sponsor", "champion", "executive"]}
    for role, expected in [("sponsor", True), ("executive", True), ("user", False)]:
        got = passes(where, "contact.changed", contact_id="c", role=role, change="left")
        assert got is expected


@pytest.mark.parametrize(
    ("test", "bound", "below", "at", "above"),
    [
        ("gt", 30, False, False, True),
        ("gte", 30, False, True, True),
        ("lt", 30, True, False, False),
        ("lte", 30, True, True, False),
    ],
)
def test_comparisons_at_and_around_the_bound(
    test: str, bound: int, below: bool, at: bool, above: bool
) -> None:
    where = {"field": "days_overdue", test: bound}
    got = [
        passes(where, "invoice.overdue", invoice_id="i", days_overdue=days)
        for days in (bound - 1, bound, bound + 1)
    ]
    assert got == [below, at, above]


def test_comparisons_on_money_are_exact() -> None:
    where = {"field": "amount", "gte": 0.1}
    assert passes(where, "invoice.overdue", invoice_id="i", amount="0.10", currency="EUR")
    assert not passes(where, "invoice.overdue", invoice_id="i", amount="0.09", currency="EUR")


def test_a_range_is_two_comparisons_on_one_field() -> None:
    where = {"field": "score", "gte": 7, "lte": 8}
    got = [passes(where, "survey.response", kind="nps", score=s) for s in (6, 7, 8, 9)]
    assert got == [False, True, True, False]


def test_all_and_any_combine() -> None:
    where = {
        "any": [
            {"all": [{"field": "kind", "equals": "nps"}, {"field": "score", "lte": 6}]},
            {"all": [{"field": "kind", "equals": "csat"}, {"field": "score", "lte": 2}]},
        ]
    }
    cases = [("nps", 6, True), ("nps", 7, False), ("csat", 2, True), ("csat", 3, False)]
    for kind, score, expected in cases:
        assert passes(where, "survey.response", kind=kind, score=score) is expected


def test_booleans_only_equal_booleans() -> None:
    where = {"field": "with_executive", "equals": True}
    assert passes(where, "engagement.touchpoint", kind="qbr", with_executive=True)
    assert not passes(where, "engagement.touchpoint", kind="qbr", with_executive=False)
    assert not passes(
        {"field": "quantity", "equals": True}, "usage.activity", user_id="u", quantity=1
    )


def test_filters_list_the_fields_they_read() -> None:
    where = Filter.model_validate(
        {"all": [{"field": "kind", "equals": "nps"}, {"any": [{"field": "score", "lt": 3}]}]}
    )
    assert where.fields() == ["kind", "score"]
    assert where.comparisons() == ["score"]


def test_deep_nesting_is_refused() -> None:
    where: dict[str, Any] = {"field": "score", "lt": 3}
    for _ in range(8):
        where = {"all": [where]}
    with pytest.raises(ValueError, match="nested at most 8 deep"):
        Filter.model_validate(where)
