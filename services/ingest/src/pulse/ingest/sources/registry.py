"""The vendor adapters by source name (the path segment of /v1/sources/{name})."""

from __future__ import annotations

from pulse.ingest.sources.base import SourceAdapter
from pulse.ingest.sources.segment import SegmentAdapter
from pulse.ingest.sources.statuspage import StatuspageAdapter
from pulse.ingest.sources.stripe.adapter import StripeAdapter
from pulse.ingest.sources.zendesk import ZendeskAdapter


def all_adapters() -> dict[str, SourceAdapter]:
    """Every adapter by its source name."""
    adapters: list[SourceAdapter] = [
        SegmentAdapter(),
        StripeAdapter(),
        ZendeskAdapter(),
        StatuspageAdapter(),
    ]
    return {adapter.name: adapter for adapter in adapters}
