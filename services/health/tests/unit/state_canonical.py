"""A state's JSON in a form two equal states share."""

from __future__ import annotations

from itertools import accumulate
from typing import Any

from pulse.health.scoring.state import AccountState


def canonical(state: AccountState) -> dict[str, Any]:
    """The state's JSON with its daily-count columns regrouped by series key: series are
    numbered in arrival order, which two equal states need not share."""
    out = state.to_dict()
    columns = out.pop("series", {})
    by_key: dict[str, dict[str, Any]] = {}
    for layout in (("cells", "d", "n"), ("vcells", "vd", "vn", "vs")):
        if layout[0] not in columns:
            continue
        days = list(accumulate(columns[layout[1]]))
        start = 0
        for key, length in zip(columns["keys"], columns[layout[0]], strict=True):
            entry = by_key.setdefault(key, {})
            entry[layout[1]] = days[start : start + length]
            for name in layout[2:]:
                entry[name] = columns[name][start : start + length]
            start += length
    for position, key in enumerate(columns.get("keys", [])):
        for name in ("last", "vt", "v"):
            if name in columns:
                by_key[key][name] = columns[name][position]
    return {**out, "series": by_key}
