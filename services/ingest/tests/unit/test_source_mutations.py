"""Every adapter, given its real samples with fields changed to any JSON, normalises the
payload or raises `PayloadError` (a 422 naming the field): never another exception, which
the route would answer with a 500."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings

from pulse.common.events import EVENT_TIME_FLOOR
from pulse.ingest.batch import validate_batch
from pulse.ingest.sources.base import PayloadError, SourceAdapter, SourceContext
from pulse.ingest.sources.registry import all_adapters

from .vendor_mutations import VENDORS, mutated, sweep

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
ADAPTERS = all_adapters()


def normalise_as_the_route_does(adapter: SourceAdapter, payload: Any) -> None:
    """References asked for, the payload normalised with each unknown and then with each
    mapped (the adapters branch on both), the envelopes validated as /v1/events would."""
    wanted = adapter.references_needed(payload)
    contexts = (
        SourceContext(now=NOW, all_accounts=("acme", "globex")),
        SourceContext(
            now=NOW,
            known=dict.fromkeys(wanted, "acme"),
            component_accounts={"cmp-api": ("acme",)},
            all_accounts=("acme", "globex"),
        ),
    )
    for context in contexts:
        outcome = adapter.normalise(payload, context)
        validate_batch(outcome.events, now=NOW, floor=EVENT_TIME_FLOOR)


@pytest.mark.parametrize("vendor", VENDORS)
def test_each_field_read_takes_each_kind_of_json_or_is_a_payload_error(vendor: str) -> None:
    adapter = ADAPTERS[vendor]
    for change, payload in sweep(vendor):
        try:
            normalise_as_the_route_does(adapter, payload)
        except PayloadError:
            continue  # the adapters' documented error
        except Exception as error:
            error.add_note(f"with {change}")
            raise


@pytest.mark.parametrize("vendor", VENDORS)
def test_any_json_in_a_few_fields_is_normalised_or_a_payload_error(vendor: str) -> None:
    adapter = ADAPTERS[vendor]

    @given(payload=mutated(vendor))
    @settings(max_examples=200, derandomize=True, database=None, deadline=None)
    def check(payload: Any) -> None:
        with contextlib.suppress(PayloadError):  # the adapters' documented error
            normalise_as_the_route_does(adapter, payload)

    check()
