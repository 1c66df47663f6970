"""The vendor adapters by source name (the path segment of /v1/sources/{name})."""

from __future__ import annotations

from pulse.ingest.sources.base import SourceAdapter


def all_adapters() -> dict[str, SourceAdapter]:
    """Every adapter by its source name. (Adapters are being added; none registered yet.)"""
    return {}
