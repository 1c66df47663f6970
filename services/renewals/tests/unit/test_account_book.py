"""The account book: facts by event time, the score trend, contract changes in the
account's currency, at-risk entries numbered, and a snapshot that restores the same book."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from pulse.common.events import ContractChanged, validate_event
from pulse.common.events.data import AccountUpdatedData
from pulse.renewals.book.account_book import AccountBook, NoCurrency
from pulse.renewals.book.scores import ScorePoint
from pulse.renewals.contracts.timeline import Applied
from pulse.renewals.forecast.config import Band, ForecastCategory, ForecastConfig
from pulse.renewals.money.amounts import Amount

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)
TODAY = NOW.date()
CONFIG = ForecastConfig()


def contract(event_id: str, arr: str, effective: str) -> ContractChanged:
    event = validate_event(
        {
            "id": event_id,
            "type": "contract.changed",
            "account_id": "acme",
            "occurred_at": NOW.isoformat(),
            "data": {"change": "new", "arr_after": arr, "effective_at": effective},
        }
    )
    assert isinstance(event, ContractChanged)
    return event


def update(book: AccountBook, event_id: str, days_back: int, **data: object) -> bool:
    at = NOW - timedelta(days=days_back)
    return book.apply_update(event_id, at, AccountUpdatedData.model_validate(data))


def scored(book: AccountBook, n: int, days_back: float, value: float, band: Band) -> None:
    book.observe_score(ScorePoint(NOW - timedelta(days=days_back), f"s{n}", value, band))


def test_each_fact_is_the_newest_by_event_time_whatever_the_arrival_order() -> None:
    book = AccountBook("acme", 0)
    assert update(book, "u2", 5, renewal_date="2027-03-01", owner="ana")
    assert update(book, "u1", 9, renewal_date="2027-01-01", currency="EUR")
    assert not update(book, "u1", 9, renewal_date="2027-01-01", currency="EUR")  # a replay
    assert book.facts.renewal_date == date(2027, 3, 1)  # u2 is newer though it came first
    assert (book.facts.currency, book.facts.latest("owner")) == ("EUR", "ana")


def test_a_contract_change_is_sized_in_the_account_currency_or_refused_without_one() -> None:
    book = AccountBook("acme", 0)
    with pytest.raises(NoCurrency, match="c1 of account 'acme': the account has no currency"):
        book.apply_contract(contract("c1", "1000", "2026-01-01T00:00:00Z"))
    update(book, "u1", 9, currency="JPY")
    assert book.apply_contract(contract("c1", "1000.4", "2026-01-01T00:00:00Z")) is Applied.TAKEN
    assert (
        book.apply_contract(contract("c1", "1000.4", "2026-01-01T00:00:00Z")) is Applied.DUPLICATE
    )
    assert book.arr(NOW) == Amount(1000, "JPY")  # yen have no minor unit


def test_arr_comes_from_account_updated_until_a_contract_change_is_known() -> None:
    book = AccountBook("acme", 0)
    update(book, "u1", 9, currency="EUR", arr="1200.50")
    assert book.arr(NOW) == Amount(120050, "EUR")
    book.apply_contract(contract("c1", "900", "2026-06-01T00:00:00Z"))
    assert book.arr(NOW) == Amount(90000, "EUR")


def test_the_score_change_spans_the_trend_window() -> None:
    book = AccountBook("acme", 0)
    scored(book, 1, 40, 90, Band.GREEN)
    assert book.scores.change is None  # one score: unknown
    scored(book, 2, 35, 80, Band.GREEN)
    scored(book, 3, 10, 70, Band.YELLOW)
    scored(book, 4, 0, 60, Band.YELLOW)
    # In force 30 days before the latest: 80 (35 days back). 60 - 80 = -20.
    assert book.scores.change == Decimal(-20)
    assert book.scores.band is Band.YELLOW
    assert [p.message_id for p in book.scores.points] == ["s2", "s3", "s4"]


def test_entries_at_risk_are_numbered_and_staying_at_risk_sends_nothing() -> None:
    book = AccountBook("acme", 0)
    update(book, "u1", 9, currency="EUR", renewal_date="2027-02-01")  # 62 days
    first = book.evaluate(TODAY, CONFIG)
    assert (first.standing and first.standing.category, first.entered_at_risk) == (
        ForecastCategory.PIPELINE,
        None,
    )
    scored(book, 1, 0, 20, Band.RED)
    entered = book.evaluate(TODAY, CONFIG)
    assert (entered.entered_at_risk, entered.moved, entered.probability) == (
        1,
        True,
        Decimal("0.50"),
    )
    again = book.evaluate(TODAY + timedelta(days=1), CONFIG)
    assert (again.entered_at_risk, again.moved) == (None, False)
    update(book, "u2", 1, renewal_date="2027-08-01")  # out of the horizon
    assert book.evaluate(TODAY, CONFIG).entered_at_risk is None
    update(book, "u3", 0, renewal_date="2027-01-15")  # back in it
    assert book.evaluate(TODAY, CONFIG).entered_at_risk == 2


def test_a_snapshot_restores_the_same_book() -> None:
    book = AccountBook("acme", 3)
    update(book, "u1", 9, currency="EUR", renewal_date="2027-02-01", segment="low_touch")
    book.apply_contract(contract("c1", "5000", "2025-01-01T00:00:00Z"))
    book.apply_contract(contract("c2", "7000.25", "2026-01-01T00:00:00Z"))
    scored(book, 1, 5, 50, Band.YELLOW)
    scored(book, 2, 0, 20, Band.RED)
    book.evaluate(TODAY, CONFIG)

    restored = AccountBook.restore("acme", 3, book.snapshot())
    assert restored.snapshot() == book.snapshot()
    assert restored.arr(NOW) == Amount(700025, "EUR")
    assert restored.standing == book.standing
    assert restored.at_risk_entries == 1
    assert restored.evaluate(TODAY, CONFIG).entered_at_risk is None  # still at risk
