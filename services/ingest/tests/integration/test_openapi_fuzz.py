"""schemathesis against ingest's own /openapi.json, on a real ingest process: never a 5xx."""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pulse.common.kafka.admin import ensure_topics
from pulse.common.settings import Settings
from pulse.common.topics import Topics
from pulse.devtools.embedded import free_port
from pulse.devtools.testing.plugin import ADMIN_KEY
from pulse.devtools.testing.services import running_service, settings_env

pytestmark = pytest.mark.integration


@pytest.fixture
async def ingest_url(pulse_settings: Settings) -> AsyncIterator[str]:
    await ensure_topics(pulse_settings, Topics(pulse_settings.topic_prefix).all)
    log = Path(tempfile.mkdtemp(prefix="pulse-fuzz-")) / "ingest.log"
    with running_service("ingest", settings_env(pulse_settings), free_port(), log) as (url, _):
        yield url


def test_no_operation_answers_5xx(ingest_url: str) -> None:
    schema = schemathesis.openapi.from_url(f"{ingest_url}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]
    assert len(operations) >= 7  # events, 4 sources, references list/put/delete, probes
    strategy = st.one_of(*(operation.as_strategy() for operation in operations))

    @given(case=strategy, authorised=st.booleans())
    @settings(
        max_examples=300,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    def check(case: schemathesis.Case[Any], authorised: bool) -> None:
        headers = ADMIN_KEY if authorised else {}
        response = case.call(base_url=ingest_url, headers=headers, timeout=30)
        assert response.status_code < 500, (
            f"{case.method} {case.formatted_path} → {response.status_code}: {response.text[:500]}"
        )
        if response.status_code >= 400:  # every error in the JSON error shape
            assert response.json()["error"]["code"], response.text[:500]

    check()
