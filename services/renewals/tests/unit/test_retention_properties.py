"""Retention invariants over random books, against references that rescan the raw changes.

Each example is a few accounts with random changes (some to 0, a few on the same day), in
EUR, USD or JPY, a random period and a random rate table (rates that move on random days).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from pulse.common.events.enums import ContractReasonCategory
from pulse.renewals.contracts.attributes import Attribute, AttributeHistory, AttributeUpdate
from pulse.renewals.contracts.changes import ContractEvent
from pulse.renewals.contracts.timeline import ContractTimeline
from pulse.renewals.money.amounts import Amount
from pulse.renewals.money.rates import DatedRate, RateTable
from pulse.renewals.retention.period import Period
from pulse.renewals.retention.report import AccountHistory, RetentionFigures, retention_report

from .builders import change, day

ORIGIN = day(2022, 1, 1)
FIRST_RATE_DAY = date(2021, 1, 1)
REASONS = [None, *ContractReasonCategory]


@dataclass(frozen=True)
class Book:
    """Raw changes per account, their segments, a period and rates."""

    changes: list[list[ContractEvent]]
    segments: list[str | None]
    period: Period
    rates: RateTable

    def histories(self, orders: list[list[ContractEvent]] | None = None) -> list[AccountHistory]:
        histories = []
        for i, events in enumerate(orders or self.changes):
            timeline = ContractTimeline()
            for event in events:
                timeline.apply(event)
            attributes = AttributeHistory()
            if (segment := self.segments[i]) is not None:
                update = AttributeUpdate(f"s{i}", day(2000, 1, 1), {Attribute.SEGMENT: segment})
                attributes.apply(update)
            histories.append(AccountHistory(f"acct{i}", timeline, attributes))
        return histories


def _account(index: int, currencies: list[str]) -> st.SearchStrategy[list[ContractEvent]]:
    row = st.tuples(
        st.integers(0, 1500),
        st.one_of(st.just(0), st.integers(1, 10**7)),
        st.sampled_from(currencies),
        st.sampled_from(REASONS),
    )
    return st.lists(row, max_size=6).map(
        lambda rows: [
            change(
                f"a{index}c{j}",
                ORIGIN + timedelta(days=offset),
                arr,
                currency=currency,
                reason=reason,
            )
            for j, (offset, arr, currency, reason) in enumerate(rows)
        ]
    )


def _dated_rates() -> st.SearchStrategy[tuple[DatedRate, ...]]:
    rate = st.integers(1, 100_000).map(lambda n: Decimal(n).scaleb(-4))
    moves = st.lists(st.tuples(st.integers(1, 2500), rate), max_size=4, unique_by=lambda m: m[0])
    return st.tuples(rate, moves).map(
        lambda first_and_moves: (
            DatedRate(FIRST_RATE_DAY, first_and_moves[0]),
            *(
                DatedRate(FIRST_RATE_DAY + timedelta(days=d), r)
                for d, r in sorted(first_and_moves[1])
            ),
        )
    )


@st.composite
def books(draw: st.DrawFn, currencies: tuple[str, ...] = ("EUR", "USD", "JPY")) -> Book:
    count = draw(st.integers(0, 6))
    changes = [draw(_account(i, list(currencies))) for i in range(count)]
    segments = [draw(st.sampled_from(["a", "b", None])) for _ in range(count)]
    start = ORIGIN + timedelta(days=draw(st.integers(-30, 1500)))
    end = start + timedelta(days=draw(st.integers(1, 800)))
    rates = RateTable("EUR", {"USD": draw(_dated_rates()), "JPY": draw(_dated_rates())})
    return Book(changes, segments, Period(start, end), rates)


def reference_arr(events: list[ContractEvent], moment: datetime) -> Amount | None:
    before = [e for e in events if e.effective_at < moment]
    return max(before, key=lambda e: e.order_key).arr_after if before else None


def reference_churned(events: list[ContractEvent], period: Period) -> bool:
    ordered = sorted(events, key=lambda e: e.order_key)
    held = 0
    for event in ordered:
        if period.start <= event.effective_at < period.end and held > 0 == event.arr_after.minor:
            return True
        held = event.arr_after.minor
    return False


def converted(amount: Amount | None, on: date, rates: RateTable) -> int:
    return 0 if amount is None else rates.convert(amount, on)


@settings(max_examples=200, deadline=None)
@given(books())
def test_movements_sum_exactly_to_the_change_in_arr(book: Book) -> None:
    period, rates = book.period, book.rates
    report = retention_report(book.histories(), period, rates, group_by=Attribute.SEGMENT)
    for figures in [report.total, *report.groups.values()]:
        movements = figures.movements
        assert movements.starting + movements.net_change == movements.ending
    starting = sum(
        converted(reference_arr(e, period.start), period.start_day, rates) for e in book.changes
    )
    ending = sum(
        converted(reference_arr(e, period.end), period.end_day, rates) for e in book.changes
    )
    assert (report.total.movements.starting, report.total.movements.ending) == (starting, ending)
    # Every churn step is on one reason line (None included).
    churned = sum(reason.arr for reason in report.total.churn_reasons.values())
    assert churned == report.total.movements.churn


@settings(max_examples=200, deadline=None)
@given(books(), st.booleans())
def test_grr_never_exceeds_one_and_nrr_minus_grr_is_the_growth_of_those_that_grew(
    book: Book, include_reactivations: bool
) -> None:
    period, rates = book.period, book.rates
    cohort = retention_report(
        book.histories(), period, rates, include_reactivations=include_reactivations
    ).total.cohort
    starts, retained = [], []
    for events in book.changes:
        opening = reference_arr(events, period.start)
        if opening is None or opening.minor == 0:
            continue  # not a member: new logos and returns from before are not in the cohort
        closing = reference_arr(events, period.end)
        counted = not reference_churned(events, period) or include_reactivations
        starts.append(rates.convert(opening, period.start_day))
        retained.append(converted(closing, period.start_day, rates) if counted else 0)
    assert cohort.accounts == len(starts)
    if not sum(starts):
        assert cohort.nrr is None
        return
    assert cohort.grr is not None
    assert cohort.grr <= 1
    assert cohort.nrr == Fraction(sum(retained), sum(starts))
    growth = sum(max(r - s, 0) for r, s in zip(retained, starts, strict=True))
    assert cohort.nrr - cohort.grr == Fraction(growth, sum(starts))


@settings(max_examples=200, deadline=None)
@given(books(), st.sampled_from(list(Attribute)))
def test_groups_add_up_to_the_total(book: Book, attribute: Attribute) -> None:
    report = retention_report(book.histories(), book.period, book.rates, group_by=attribute)
    assert sum(report.groups.values(), RetentionFigures()) == report.total
    by_segment = retention_report(
        book.histories(), book.period, book.rates, group_by=Attribute.SEGMENT
    )
    assert sum(by_segment.groups.values(), RetentionFigures()) == by_segment.total


@settings(max_examples=200, deadline=None)
@given(books(currencies=("EUR",)))
def test_conversion_never_changes_a_single_currency_result(book: Book) -> None:
    histories = book.histories()
    plain = retention_report(histories, book.period, RateTable.single("EUR"))
    moving = retention_report(histories, book.period, book.rates)  # USD and JPY rates move
    assert moving == plain
    assert plain.total.movements.currency_effect == 0
    assert plain.total.cohort.currency_effect == 0
    native_start = sum(
        (reference_arr(e, book.period.start) or Amount(0, "EUR")).minor for e in book.changes
    )
    assert plain.total.movements.starting == native_start


@settings(max_examples=100, deadline=None)
@given(books(), st.data())
def test_the_report_does_not_depend_on_arrival_order(book: Book, data: st.DataObject) -> None:
    shuffled = [data.draw(st.permutations(events)) for events in book.changes]
    in_order = retention_report(book.histories(), book.period, book.rates)
    arrived = retention_report(book.histories(shuffled), book.period, book.rates)
    assert arrived == in_order


@settings(max_examples=200, deadline=None)
@given(books(), st.integers(1, 799))
def test_two_adjacent_periods_move_as_much_as_the_span_they_tile(book: Book, cut: int) -> None:
    period = book.period
    middle = min(period.start + timedelta(days=cut), period.end - timedelta(seconds=1))
    first, second = Period(period.start, middle), Period(middle, period.end)
    whole = retention_report(book.histories(), period, book.rates).total.movements
    one = retention_report(book.histories(), first, book.rates).total.movements
    two = retention_report(book.histories(), second, book.rates).total.movements
    assert one.ending == two.starting  # the ARR at the cut closes one and opens the other
    assert one + two == replace(
        whole, starting=whole.starting + one.ending, ending=whole.ending + two.starting
    )
