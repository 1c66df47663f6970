"""A Stripe webhook event as Pulse reads it: its id, type, time, object and previous attributes,
and which of Stripe's two shapes it is rendered in (before 2025-03-31, or 2025-03-31.basil on).

`read_event` checks the envelope of the event and raises `PayloadError` for anything that is not
one; what the object itself holds is read by the modules that handle its type.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pulse.common.events.messages import describe, json_type
from pulse.ingest.sources.base import PayloadError
from pulse.ingest.sources.stripe.values import json_object, required_text, unix_time

NAME = "stripe"
#: The first API version without top-level `plan`/`quantity` on subscriptions and with the
#: invoice's subscription under `parent.subscription_details`.
BASIL_API_VERSION = "2025-03-31"


@dataclass(frozen=True, slots=True)
class StripeEvent:
    """The parts of a Stripe event Pulse reads."""

    id: str
    type: str
    created: int
    basil: bool  # the 2025-03-31 shapes
    obj: Mapping[str, Any]
    previous: Mapping[str, Any]


def read_event(payload: Any) -> StripeEvent:
    if not isinstance(payload, dict):
        raise PayloadError("", f"expected a Stripe event object, got {json_type(payload)}")
    kind = payload.get("object", "event")
    if kind != "event":  # e.g. an invoice posted by hand, or a thin "v2.core.event"
        raise PayloadError("object", f"expected a Stripe event ('event'), got {describe(kind)}")
    event_type = required_text(payload, "type", "")
    data = payload.get("data")
    obj = data.get("object") if isinstance(data, dict) else None
    if not isinstance(obj, dict):
        got = json_type(obj) if isinstance(data, dict) and "object" in data else "nothing"
        raise PayloadError("data.object", f"expected the object the event is about, got {got}")
    previous = data.get("previous_attributes") if isinstance(data, dict) else None
    return StripeEvent(
        id=required_text(payload, "id", ""),
        type=event_type,
        created=unix_time(payload.get("created"), "created"),
        basil=_is_basil(payload.get("api_version"), obj),
        obj=obj,
        previous={} if previous is None else json_object(previous, "data.previous_attributes"),
    )


def _is_basil(api_version: object, obj: Mapping[str, Any]) -> bool:
    """Stripe renders events in the endpoint's API version; without one, the shape tells."""
    if isinstance(api_version, str) and re.match(r"\d{4}-\d{2}-\d{2}", api_version):
        return api_version[:10] >= BASIL_API_VERSION
    if obj.get("object") == "subscription":
        return "plan" not in obj
    return "parent" in obj
