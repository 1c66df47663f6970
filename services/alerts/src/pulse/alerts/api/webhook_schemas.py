"""Request bodies of the webhook routes: what a subscription may ask for."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from pulse.common.events.fields import AccountId

#: `payloads.EVENT_TYPES`, as a type the OpenAPI document lists.
EventType = Literal[
    "alert.opened", "alert.updated", "alert.resolved", "health.band_changed", "renewal.at_risk"
]
Segment = Literal["high_touch", "low_touch", "tech_touch"]
DeliveryState = Literal["pending", "delivering", "delivered", "failed"]


class SubscriptionCreate(BaseModel):
    """A new subscription. Without `account_ids` (`segments`), every account (segment)."""

    model_config = ConfigDict(extra="forbid")

    url: str = Field(max_length=2048, description="https (or http) URL receiving the POSTs.")
    event_types: list[EventType] = Field(min_length=1)
    account_ids: list[AccountId] | None = Field(None, min_length=1, max_length=10_000)
    segments: list[Segment] | None = Field(None, min_length=1)
    enabled: bool = True
    ordered: bool = Field(
        False,
        description="Send one account's messages one at a time, in order: the next waits "
        "until the previous one is delivered or given up.",
    )


class SubscriptionPatch(BaseModel):
    """Changes to a subscription; a field left out stays as it is, `null` clears a filter.

    `enabled: true` on a disabled subscription re-enables it and ends its failure streak.
    """

    model_config = ConfigDict(extra="forbid")

    url: str | None = Field(None, max_length=2048)
    event_types: list[EventType] | None = Field(None, min_length=1)
    account_ids: list[AccountId] | None = Field(None, min_length=1, max_length=10_000)
    segments: list[Segment] | None = Field(None, min_length=1)
    enabled: bool | None = None
    ordered: bool | None = None
