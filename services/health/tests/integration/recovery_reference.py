"""The scores health must end with, from the pure scoring domain, and the check that
what it serves over HTTP equals them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime
from typing import Any

import httpx
import pytest

from pulse.common.events import Event
from pulse.devtools.testing.plugin import READ_KEY
from pulse.health.scoring.model import default_model
from pulse.health.scoring.score import score_account
from pulse.health.scoring.state import AccountState

from .recovery_stream import Stream


def expected_score(events: Sequence[Event], as_of: datetime) -> dict[str, Any]:
    """The score the keeper must reach for an account: as `ScoreKeeper.handle` does it,
    each distinct event applied once at the batch's moment, then pruned and scored at it."""
    state = AccountState()
    for event in events:
        state.apply(event, as_of)
    state.prune(as_of)
    result = score_account(default_model(), state, as_of)
    return {
        "score": result.score,
        "band": result.band,
        "segment": result.segment,
        "model_version": result.model_version,
        "components": [asdict(c) for c in result.components],
    }


def comparable(components: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Components with their numbers wrapped for float comparison."""
    return [
        {
            k: pytest.approx(v, rel=1e-9, abs=1e-9) if isinstance(v, float) else v
            for k, v in c.items()
        }
        for c in components
    ]


async def assert_scores_match(url: str, stream: Stream) -> None:
    """Every account's score, band, segment and components over HTTP equal the reference
    at the moment the service computed them; the account list names exactly the accounts."""
    by_account = stream.by_account()
    async with httpx.AsyncClient(base_url=url, headers=READ_KEY, timeout=30) as client:
        listed: dict[str, dict[str, Any]] = {}
        cursor: str | None = None
        while True:
            params: dict[str, Any] = {"sort": "account_id", "limit": 97}
            if cursor is not None:
                params["cursor"] = cursor
            response = await client.get("/v1/accounts", params=params)
            assert response.status_code == 200, response.text
            page = response.json()
            for row in page["accounts"]:
                assert row["account_id"] not in listed, f"listed twice: {row['account_id']}"
                listed[row["account_id"]] = row
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert sorted(listed) == sorted(by_account)
        mismatches: list[str] = []
        for account_id, events in sorted(by_account.items()):
            response = await client.get(f"/v1/accounts/{account_id}/health")
            assert response.status_code == 200, f"{account_id}: {response.text}"
            body = response.json()
            as_of = datetime.fromisoformat(body["computed_at"])
            want = expected_score(events, as_of)
            got = {k: body[k] for k in want}
            if got != {**want, "components": comparable(want["components"])}:
                mismatches.append(describe_mismatch(account_id, as_of, want, got))
            row = listed[account_id]
            same_moment = row["computed_at"] == body["computed_at"]  # no re-score in between
            if same_moment and (row["score"], row["band"]) != (body["score"], body["band"]):
                mismatches.append(f"{account_id}: list says {row}, health says {body['score']}")
        assert not mismatches, f"{len(mismatches)} accounts differ:\n" + "\n".join(mismatches[:20])


def describe_mismatch(
    account_id: str, as_of: datetime, want: dict[str, Any], got: dict[str, Any]
) -> str:
    """Which fields of an account's score differ from the reference."""
    lines = [f"{account_id} at {as_of.isoformat()}:"]
    for key in ("score", "band", "segment", "model_version"):
        if want[key] != got[key]:
            lines.append(f"  {key}: expected {want[key]!r}, got {got[key]!r}")
    expected = {c["measure"]: c for c in want["components"]}
    for component in got["components"]:
        reference = expected.pop(component["measure"], None)
        if reference is None or comparable([reference]) != [component]:
            lines.append(f"  {component['measure']}: expected {reference}, got {component}")
    lines.extend(f"  {name}: expected {c}, missing" for name, c in expected.items())
    return "\n".join(lines)
