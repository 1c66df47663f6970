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

from pulse.common.events.messages import describe
from pulse.ingest.sources.payload import PayloadObject

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
    obj: PayloadObject  # data.object
    previous: PayloadObject  # data.previous_attributes


def read_event(payload: Any) -> StripeEvent:
    event = PayloadObject.of(payload, expected="a Stripe event object")
    kind = event.get("object", "event")
    if kind != "event":  # e.g. an invoice posted by hand, or a thin "v2.core.event"
        raise event.error("object", f"expected a Stripe event ('event'), got {describe(kind)}")
    event_type = event.required_text("type")
    data = event.optional_object("data")
    obj = data.required_object("object", expected="the object the event is about")
    return StripeEvent(
        id=event.required_text("id"),
        type=event_type,
        created=event.unix_time("created"),
        basil=_is_basil(event.get("api_version"), obj),
        obj=obj,
        previous=data.optional_object("previous_attributes"),
    )


def _is_basil(api_version: object, obj: Mapping[str, Any]) -> bool:
    """Stripe renders events in the endpoint's API version; without one, the shape tells."""
    if isinstance(api_version, str) and re.match(r"\d{4}-\d{2}-\d{2}", api_version):
        return api_version[:10] >= BASIL_API_VERSION
    if obj.get("object") == "subscription":
        return "plan" not in obj
    return "parent" in obj
