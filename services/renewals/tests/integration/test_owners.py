"""Books of business from events posted to ingest: per CSM the accounts, ARR, ARR at risk,
renewals in the next 90 days, accounts per segment and band, and the capacity guideline
(lowered here to 2 high-touch accounts per CSM so a book of 3 is over it)."""

from __future__ import annotations

import pytest

from pulse.renewals.config import Capacity

from .conftest import StackFactory, contract, in_days, profile, score

pytestmark = pytest.mark.integration


async def test_each_owner_has_a_book_with_its_figures(renewals_stack: StackFactory) -> None:
    capacity = {"high_touch": Capacity(low=1, high=2), "low_touch": Capacity(low=1, high=5)}
    async with renewals_stack(capacity=capacity) as stack:
        await stack.send(
            # ana: three high touch (over 2), one renewing at risk in 30 days.
            profile(
                "a1",
                currency="EUR",
                owner="ana",
                segment="high_touch",
                renewal_date=in_days(stack, 30),
            ),
            contract("a1", "new", "10000", "2025-01-01T00:00:00Z"),
            profile(
                "a2",
                currency="USD",
                owner="ana",
                segment="high_touch",
                renewal_date=in_days(stack, 60),
            ),
            contract("a2", "new", "20000", "2025-01-01T00:00:00Z"),
            profile(
                "a3",
                currency="EUR",
                owner="ana",
                segment="high_touch",
                renewal_date=in_days(stack, 200),
            ),
            contract("a3", "new", "5000", "2025-01-01T00:00:00Z"),
            # ben: one low touch, no renewal date.
            profile("b1", currency="EUR", owner="ben", segment="low_touch"),
            contract("b1", "new", "3000", "2025-01-01T00:00:00Z"),
        )
        await stack.send_scores(score("a1", 1, 20, "red", 1), score("a2", 1, 90, "green", 1))
        body = await stack.until(
            "/v1/owners",
            lambda b: (
                len(b["owners"]) == 2
                and b["owners"][0]["accounts_by_band"].get("red") == 1
                and b["owners"][0]["accounts_by_band"].get("green") == 1
            ),
        )
        ana, ben = body["owners"]
        # 10,000 + 20,000 USD x 0.90 + 5,000 = 33,000 EUR; a1 (10,000) at risk.
        assert ana == {
            "owner": "ana",
            "accounts_count": 3,
            "arr": "33000.00",
            "arr_at_risk": "10000.00",
            "renewals_next_90_days": 2,
            "accounts_by_segment": {"high_touch": 3},
            "accounts_by_band": {"green": 1, "red": 1, "unscored": 1},
            "over_capacity": ["high_touch"],
        }
        assert (ben["arr"], ben["renewals_next_90_days"], ben["over_capacity"]) == (
            "3000.00",
            0,
            [],
        )

        one = (await stack.get("/v1/owners/ana")).json()
        assert [(a["account_id"], a["arr"], a["category"]) for a in one["accounts"]] == [
            ("a1", "10000.00", "at_risk"),
            ("a2", "18000.00", "commit"),
            ("a3", "5000.00", None),  # renews in 200 days: not in the 90-day window
        ]
        missing = await stack.get("/v1/owners/nobody")
        assert missing.status_code == 404
