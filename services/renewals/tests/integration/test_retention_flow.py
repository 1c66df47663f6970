"""The retention route from events posted to ingest: the worked example of the retention
README (EUR, period [2026-01-01, 2027-01-01)), with A's middle change arriving late."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import RenewalsStack, StackFactory

pytestmark = pytest.mark.integration

PERIOD = {"from": "2026-01-01", "to": "2027-01-01"}


def updated(account: str, occurred_at: str, **data: Any) -> dict[str, Any]:
    return {
        "type": "account.updated",
        "account_id": account,
        "occurred_at": f"{occurred_at}T00:00:00Z",
        "data": data,
    }


def change(account: str, kind: str, arr: str, day: str, **data: Any) -> dict[str, Any]:
    return {
        "type": "contract.changed",
        "account_id": account,
        "occurred_at": "2026-11-30T00:00:00Z",
        "data": {"change": kind, "arr_after": arr, "effective_at": f"{day}T00:00:00Z", **data},
    }


def book() -> list[dict[str, Any]]:
    """Accounts A to F of the README, less A's 12,000 from 2025-06-01 (sent late)."""
    return [
        updated("a", "2021-01-01", currency="EUR", segment="high_touch"),
        change("a", "new", "10000", "2022-06-01"),
        change("a", "expansion", "15000", "2026-04-01"),
        updated("b", "2021-01-01", currency="EUR", segment="high_touch"),
        change("b", "new", "20000", "2023-01-01"),
        change("b", "contraction", "16000", "2026-07-01"),
        updated("b", "2026-08-01", segment="low_touch"),
        updated("c", "2021-01-01", currency="EUR", segment="low_touch"),
        change("c", "new", "8000", "2025-01-01"),
        change("c", "churn", "0", "2026-03-01", reason_category="price"),
        updated("d", "2021-01-01", currency="EUR"),
        updated("d", "2026-05-01", segment="low_touch"),
        change("d", "new", "5000", "2026-05-01"),
        updated("e", "2021-01-01", currency="EUR", segment="low_touch"),
        change("e", "new", "6000", "2024-02-01"),
        change("e", "churn", "0", "2025-02-01", reason_category="adoption"),
        change("e", "new", "4000", "2026-09-01"),
        updated("f", "2021-01-01", currency="EUR", segment="high_touch"),
        change("f", "new", "10000", "2025-03-01"),
        change("f", "churn", "0", "2026-02-01", reason_category="support"),
        change("f", "new", "7000", "2026-10-01"),
    ]


async def _period(stack: RenewalsStack, starting: str, **params: Any) -> dict[str, Any]:
    return await stack.until(
        "/v1/retention",
        lambda b: (
            b["total"]["period"]["starting"] == starting
            and b["total"]["period"]["ending"] == "47000.00"
        ),
        method="period",
        **PERIOD,
        **params,
    )


async def test_retention_figures_follow_the_worked_example_after_a_late_change(
    renewals_stack: StackFactory,
) -> None:
    async with renewals_stack() as stack:
        await stack.send(*book())
        before = await _period(stack, "48000.00")
        # Without A's 2025 change, A starts the period at 10,000 and expands by 5,000.
        assert before["total"]["period"]["expansion"] == "5000.00"

        await stack.send(change("a", "renewal", "12000", "2025-06-01"))
        body = await _period(stack, "50000.00", group_by="segment")
        # 50,000 + 5,000 + 3,000 - 4,000 - 18,000 + 11,000 = 47,000
        assert body["total"]["period"] == {
            "starting": "50000.00",
            "new": "5000.00",
            "expansion": "3000.00",
            "contraction": "4000.00",
            "churn": "18000.00",
            "reactivation": "11000.00",
            "currency_effect": "0.00",
            "ending": "47000.00",
        }
        assert body["total"]["churn_by_reason"] == [
            {"reason": "price", "accounts": 1, "arr": "8000.00"},
            {"reason": "support", "accounts": 1, "arr": "10000.00"},
        ]
        # A and B signed before 2024-01-01: 15,000 + 16,000 against 10,000 + 20,000.
        assert body["total"]["tenure"]["arr"] == "31000.00"
        assert body["total"]["tenure"]["first_contract_arr"] == "30000.00"
        groups = {g["group"]: g["period"] for g in body["groups"]}
        # high_touch A, B, F: 42,000 + 3,000 - 4,000 - 10,000 + 7,000; low_touch C, D, E.
        assert (groups["high_touch"]["starting"], groups["high_touch"]["ending"]) == (
            "42000.00",
            "38000.00",
        )
        assert (groups["low_touch"]["starting"], groups["low_touch"]["ending"]) == (
            "8000.00",
            "9000.00",
        )

        cohort = (await stack.get("/v1/retention", **PERIOD)).json()["total"]["cohort"]
        # Members A, B, C, F: s = 50,000; r = 15,000 + 16,000 + 0 + 0 = 31,000;
        # min(r, s) = 12,000 + 16,000 = 28,000.
        assert (cohort["accounts"], cohort["starting_arr"], cohort["retained_arr"]) == (
            4,
            "50000.00",
            "31000.00",
        )
        assert (cohort["nrr"], cohort["grr"]) == (0.62, 0.56)
        assert (cohort["logo_churn_rate"], cohort["grown_share"]) == (0.5, 0.25)
        back = (await stack.get("/v1/retention", include_reactivations=True, **PERIOD)).json()
        # F's 7,000 counts: 38,000 / 50,000 and 35,000 / 50,000.
        assert (back["total"]["cohort"]["nrr"], back["total"]["cohort"]["grr"]) == (0.76, 0.7)

        wrong = await stack.get("/v1/retention", **{"from": "2027-01-01", "to": "2026-01-01"})
        assert wrong.status_code == 422
        assert wrong.json()["error"]["code"] == "invalid_range"
