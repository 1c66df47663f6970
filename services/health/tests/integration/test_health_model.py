"""Scoring model changes: a swap over the API and a model file both re-score every
account from stored state."""

from __future__ import annotations

from pathlib import Path

import pytest

from pulse.devtools.testing.plugin import ADMIN_KEY, READ_KEY
from pulse.health.keeping import ticker
from pulse.health.scoring.model import default_model_text

from .conftest import StackFactory
from .ingest_events import profile, send, ticket

pytestmark = pytest.mark.integration


async def test_a_model_swap_rescores_every_account(
    health_stack: StackFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two accounts per transaction: the swap takes several, as for a large book.
    monkeypatch.setattr(ticker, "TICK_CHUNK", 2)
    async with health_stack() as stack:
        accounts = [f"swap{i}" for i in range(3)]
        await send(
            stack,
            *(profile(a, "low_touch", owner="swapper") for a in accounts),
            *(ticket(a, "t1", "urgent", "phone") for a in accounts),
        )
        before = {a: await stack.score(a) for a in accounts}
        # Support counts for everything: only support measures remain weighted.
        text = default_model_text().replace('version: "2026.12-default.2"', 'version: "test.2"')
        for group in ("usage", "reliability", "billing", "relationship", "engagement",
                      "sentiment", "marketing", "advocacy", "account_signals"):  # fmt: skip
            text = text.replace(f"  {group}:\n    weight: ", f"  {group}:\n    weight: 0 #", 1)
        text = text.replace(
            "    usage: 0.36\n    engagement: 0.0", "    usage: 0\n    engagement: 0"
        )
        text = text.replace(
            "    usage: 0.26\n    engagement: 0.12", "    usage: 0\n    engagement: 0"
        )
        put = await stack.health.put(
            "/v1/scoring-model",
            content=text,
            headers={**ADMIN_KEY, "Content-Type": "application/yaml"},
        )
        assert put.status_code == 200, put.text
        assert put.json()["version"] == "test.2"
        for account in accounts:
            body = await stack.score(account, lambda b: b["model_version"] == "test.2")
            # Support alone: mean(1 opened → 100, 1 by phone → 75, 1 urgent open → 60).
            assert body["score"] == pytest.approx(78.3)
            assert body["score"] != before[account]["score"]
            history = await stack.health.get(
                f"/v1/accounts/{account}/health/history", headers=READ_KEY
            )
            versions = [p["model_version"] for p in history.json()["points"]]
            assert versions[0] == "2026.12-default.2"
            assert versions[-1] == "test.2"
        listed = await stack.health.get("/v1/scoring-model", headers=READ_KEY)
        assert listed.json()["version"] == "test.2"
        assert {v["version"] for v in listed.json()["versions"]} >= {"2026.12-default.2", "test.2"}

        # The same version with other content is refused; an invalid model names its paths.
        clash = await stack.health.put(
            "/v1/scoring-model",
            content=text.replace("green: 70", "green: 75"),
            headers={**ADMIN_KEY, "Content-Type": "application/yaml"},
        )
        assert clash.status_code == 409, clash.text
        bad = await stack.health.put(
            "/v1/scoring-model",
            content=text.replace("green: 70", "green: 170"),
            headers={**ADMIN_KEY, "Content-Type": "application/yaml"},
        )
        assert bad.status_code == 422
        assert any("bands" in d["path"] for d in bad.json()["error"]["details"]), bad.text
        forbidden = await stack.health.put(
            "/v1/scoring-model",
            content=text,
            headers={**READ_KEY, "Content-Type": "application/yaml"},
        )
        assert forbidden.status_code == 403

        # Back to the default: the stored earlier version is re-activated, not duplicated.
        back = await stack.health.put(
            "/v1/scoring-model",
            content=default_model_text(),
            headers={**ADMIN_KEY, "Content-Type": "application/yaml"},
        )
        assert back.json()["version"] == "2026.12-default.2"
        await stack.score(accounts[0], lambda b: b["model_version"] == "2026.12-default.2")


async def test_a_model_file_becomes_the_active_model(
    health_stack: StackFactory, tmp_path: Path
) -> None:
    path = tmp_path / "model.yaml"
    text = default_model_text().replace('version: "2026.12-default.2"', 'version: "from-file"')
    path.write_text(text)
    async with health_stack(model_file=path) as stack:
        await send(stack, profile("filed", "low_touch"))
        body = await stack.score("filed")
        assert body["model_version"] == "from-file"
        model = await stack.health.get("/v1/scoring-model", headers=READ_KEY)
        assert model.json()["version"] == "from-file"
    # Leave the module's database on the default model for the tests after this one.
    async with health_stack(model_file=None) as stack:
        back = await stack.health.put(
            "/v1/scoring-model",
            content=default_model_text(),
            headers={**ADMIN_KEY, "Content-Type": "application/yaml"},
        )
        assert back.status_code == 200
