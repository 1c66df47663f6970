"""Retention figures of one year, computed by hand: movements, cohort, churn, tenure, groups.

Six accounts in EUR (amounts in cents), period [2026-01-01, 2027-01-01):

- A high_touch: new 2022-06-01 at 10,000; 12,000 from 2025-06-01; 15,000 from 2026-04-01.
- B high_touch: new 2023-01-01 at 20,000; 16,000 from 2026-07-01 (moves to low_touch on
  2026-08-01: its group stays the one it had at the start).
- C low_touch: new 2025-01-01 at 8,000; churns 2026-03-01 (price).
- D: new logo 2026-05-01 at 5,000; given low_touch that day.
- E low_touch: new 2024-02-01 at 6,000; churns 2025-02-01 (adoption); back 2026-09-01 at
  4,000 (sent as `new`).
- F high_touch: new 2025-03-01 at 10,000; churns 2026-02-01 (support); back 2026-10-01 at
  7,000.
"""

from __future__ import annotations

from fractions import Fraction

from pulse.common.events.enums import ContractChange, ContractReasonCategory
from pulse.renewals.contracts.attributes import Attribute, AttributeUpdate
from pulse.renewals.money.rates import RateTable
from pulse.renewals.retention.cohort import CohortRetention
from pulse.renewals.retention.movements import PeriodMovements
from pulse.renewals.retention.period import Period
from pulse.renewals.retention.report import AccountHistory, ChurnReason, retention_report
from pulse.renewals.retention.tenure import TenureComparison

from .builders import account, change, day

NEW, CHURN = ContractChange.NEW, ContractChange.CHURN
PRICE, SUPPORT = ContractReasonCategory.PRICE, ContractReasonCategory.SUPPORT
ADOPTION = ContractReasonCategory.ADOPTION
YEAR = Period(day(2026, 1, 1), day(2027, 1, 1))
EUR = RateTable.single("EUR")
K = 100_000  # 1,000.00 EUR in cents


def book() -> list[AccountHistory]:
    a = account(
        "A",
        change("a3", day(2026, 4, 1), 15 * K),  # listed first: it arrived late
        change("a1", day(2022, 6, 1), 10 * K, kind=NEW),
        change("a2", day(2025, 6, 1), 12 * K),
        segment="high_touch",
    )
    b = account(
        "B",
        change("b1", day(2023, 1, 1), 20 * K, kind=NEW),
        change("b2", day(2026, 7, 1), 16 * K),
        segment="high_touch",
    )
    b.attributes.apply(
        AttributeUpdate("b-moved", day(2026, 8, 1), {Attribute.SEGMENT: "low_touch"})
    )
    c = account(
        "C",
        change("c1", day(2025, 1, 1), 8 * K, kind=NEW),
        change("c2", day(2026, 3, 1), 0, kind=CHURN, reason=PRICE),
        segment="low_touch",
    )
    d = account("D", change("d1", day(2026, 5, 1), 5 * K, kind=NEW))
    d.attributes.apply(AttributeUpdate("d-seg", day(2026, 5, 1), {Attribute.SEGMENT: "low_touch"}))
    e = account(
        "E",
        change("e1", day(2024, 2, 1), 6 * K, kind=NEW),
        change("e2", day(2025, 2, 1), 0, kind=CHURN, reason=ADOPTION),
        change("e3", day(2026, 9, 1), 4 * K, kind=NEW),
        segment="low_touch",
    )
    f = account(
        "F",
        change("f1", day(2025, 3, 1), 10 * K, kind=NEW),
        change("f2", day(2026, 2, 1), 0, kind=CHURN, reason=SUPPORT),
        change("f3", day(2026, 10, 1), 7 * K),
        segment="high_touch",
    )
    return [a, b, c, d, e, f]


def test_period_movements_reconcile_exactly() -> None:
    movements = retention_report(book(), YEAR, EUR).total.movements
    assert movements == PeriodMovements(
        starting=(12 + 20 + 8 + 10) * K,  # A, B, C, F paying at the start: 50,000
        new=5 * K,  # D
        expansion=3 * K,  # A 12,000 -> 15,000
        contraction=4 * K,  # B 20,000 -> 16,000
        churn=(8 + 10) * K,  # C and F
        reactivation=(4 + 7) * K,  # E and F came back
        currency_effect=0,
        ending=(15 + 16 + 5 + 4 + 7) * K,  # A, B, D, E, F: 47,000
    )
    # 50,000 + 5,000 + 3,000 - 4,000 - 18,000 + 11,000 = 47,000
    assert movements.starting + movements.net_change == movements.ending


def test_cohort_excludes_new_logos_and_by_default_reactivations() -> None:
    cohort = retention_report(book(), YEAR, EUR).total.cohort
    # Members A, B, C, F. Retained: A 15,000, B 16,000, C 0, F 0 (its return is excluded).
    assert cohort == CohortRetention(
        accounts=4,
        starting_arr=50 * K,
        retained_arr=31 * K,
        capped_arr=(12 + 16) * K,  # A capped at its 12,000
        currency_effect=0,
        churned_accounts=2,  # C and F
        grown_accounts=1,  # A
    )
    assert cohort.nrr == Fraction(31, 50)  # 62 %
    assert cohort.grr == Fraction(28, 50)  # 56 %
    assert cohort.nrr - cohort.grr == Fraction(3, 50)  # A's 3,000 of growth on 50,000
    assert cohort.logo_churn_rate == Fraction(2, 4)
    assert cohort.grown_share == Fraction(1, 4)


def test_cohort_counts_a_member_that_came_back_when_asked() -> None:
    cohort = retention_report(book(), YEAR, EUR, include_reactivations=True).total.cohort
    # F now retains its 7,000: 38,000 / 50,000; GRR 35,000 / 50,000; only C churned.
    assert (cohort.nrr, cohort.grr) == (Fraction(38, 50), Fraction(35, 50))
    assert cohort.logo_churn_rate == Fraction(1, 4)


def test_churn_by_reason_counts_the_period_churns() -> None:
    reasons = retention_report(book(), YEAR, EUR).total.churn_reasons
    # E's adoption churn was in 2025: not this period's.
    assert dict(reasons) == {PRICE: ChurnReason(1, 8 * K), SUPPORT: ChurnReason(1, 10 * K)}


def test_tenure_compares_accounts_over_three_years_with_their_first_contract() -> None:
    tenure = retention_report(book(), YEAR, EUR).total.tenure
    # First contract before 2024-01-01: A (2022, 10,000 -> 15,000) and B (2023, 20,000 ->
    # 16,000). E began 2024-02-01: too young.
    assert tenure == TenureComparison(accounts=2, current_arr=31 * K, first_contract_arr=30 * K)
    assert tenure.average_arr == Fraction(31 * K, 2)  # 15,500.00
    assert tenure.average_first_contract_arr == Fraction(30 * K, 2)  # 15,000.00
    assert tenure.growth_multiple == Fraction(31, 30)


def test_groups_take_the_attribute_at_the_start_and_add_up_to_the_total() -> None:
    report = retention_report(book(), YEAR, EUR, group_by=Attribute.SEGMENT)
    high, low = report.groups["high_touch"], report.groups["low_touch"]
    assert set(report.groups) == {"high_touch", "low_touch"}
    # high_touch: A, B, F. 42,000 + 3,000 - 4,000 - 10,000 + 7,000 = 38,000
    assert high.movements == PeriodMovements(
        starting=42 * K,
        expansion=3 * K,
        contraction=4 * K,
        churn=10 * K,
        reactivation=7 * K,
        ending=38 * K,
    )
    # low_touch: C, D (its segment came with it), E. 8,000 + 5,000 - 8,000 + 4,000 = 9,000
    assert low.movements == PeriodMovements(
        starting=8 * K, new=5 * K, churn=8 * K, reactivation=4 * K, ending=9 * K
    )
    assert high.cohort.nrr == Fraction(31, 42)
    assert low.cohort.nrr == Fraction(0)
    assert high + low == report.total


def test_an_account_with_nothing_in_the_period_is_left_out() -> None:
    quiet = account("Q", change("q1", day(2020, 1, 1), 0, kind=CHURN), segment="tech_touch")
    report = retention_report([quiet], YEAR, EUR, group_by=Attribute.SEGMENT)
    assert report.groups == {}
    assert report.total.cohort.nrr is None
