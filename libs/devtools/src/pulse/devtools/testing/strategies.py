"""Hypothesis strategies of raw events (what clients send), valid for every event type.

Only tests import this module (hypothesis is a development dependency).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from pulse.common.events import EVENT_TYPES

#: The clock every strategy is relative to; pass it as `now=` when validating.
NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)

_ACCOUNT_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._:@-"
#: Valid account ids: an id made only of dots is refused (a URL reads it as a path step).
account_ids = st.text(_ACCOUNT_CHARS, min_size=1, max_size=128).filter(lambda t: t.strip("."))
external_ids = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Zs", "Zl", "Zp")),
    min_size=1,
    max_size=40,
)


def _case_and_space(value: str) -> st.SearchStrategy[str]:
    """An enum value as clients write it: any case, maybe padded."""
    return st.sampled_from([value, value.upper(), value.title(), f" {value} "])


def enum_values(*values: str) -> st.SearchStrategy[str]:
    """One of `values`, in a client's casing."""
    return st.sampled_from(values).flatmap(_case_and_space)


@st.composite
def timestamps(draw: st.DrawFn, *, max_future: timedelta = timedelta(hours=23)) -> str:
    """An RFC 3339 timestamp in the past year (or up to 23 h ahead), any offset."""
    moment = draw(
        st.datetimes(
            min_value=(NOW - timedelta(days=365)).replace(tzinfo=None),
            max_value=(NOW + max_future).replace(tzinfo=None),
        )
    ).replace(tzinfo=UTC)
    offset = timedelta(minutes=draw(st.integers(-14 * 60, 14 * 60).map(lambda m: m - m % 15)))
    local = moment.astimezone(timezone(offset))
    text = local.isoformat(
        timespec=draw(st.sampled_from(["seconds", "milliseconds", "microseconds"]))
    )
    return text.replace("+00:00", "Z") if draw(st.booleans()) else text


amounts = st.one_of(
    st.decimals(min_value=0, max_value=Decimal("999999999"), places=2).map(str),
    st.integers(0, 10**9),
)
currencies = st.sampled_from(["EUR", "usd", "Gbp", "JPY", "chf"])


def _optional(fields: dict[str, st.SearchStrategy[Any]]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({}, optional=fields)


DATA: dict[str, st.SearchStrategy[dict[str, Any]]] = {
    "usage.activity": st.fixed_dictionaries(
        {"user_id": external_ids},
        optional={"feature": external_ids, "quantity": st.floats(0, 1e6, allow_nan=False)},
    ),
    "metric.recorded": st.fixed_dictionaries(
        {"name": external_ids, "value": st.floats(-1e9, 1e9, allow_nan=False)}
    ),
    "support.ticket.opened": st.fixed_dictionaries(
        {"ticket_id": external_ids},
        optional={
            "priority": enum_values("low", "normal", "high", "urgent"),
            "channel": enum_values("phone", "email", "chat", "web", "other"),
        },
    ),
    "support.ticket.resolved": st.fixed_dictionaries(
        {"ticket_id": external_ids}, optional={"csat": st.integers(1, 5)}
    ),
    "outage.started": st.fixed_dictionaries(
        {"incident_id": external_ids},
        optional={
            "severity": enum_values("minor", "major", "critical"),
            "component": external_ids,
            "affected_account_ids": st.lists(account_ids, max_size=5),
        },
    ),
    "invoice.issued": st.fixed_dictionaries(
        {
            "invoice_id": external_ids,
            "amount": amounts,
            "currency": currencies,
            "due_at": timestamps(max_future=timedelta(days=90)),
        }
    ),
    "invoice.paid": st.fixed_dictionaries({"invoice_id": external_ids}),
    "invoice.overdue": st.fixed_dictionaries(
        {"invoice_id": external_ids},
        optional={"days_overdue": st.integers(0, 3650), "amount": amounts, "currency": currencies},
    ),
    "contact.changed": st.fixed_dictionaries(
        {
            "contact_id": external_ids,
            "role": enum_values("sponsor", "champion", "power_user", "executive", "admin", "user"),
            "change": enum_values("joined", "left", "role_changed"),
        },
        optional={"previous_role": enum_values("sponsor", "user")},
    ),
    "engagement.touchpoint": st.fixed_dictionaries(
        {
            "kind": enum_values(
                "qbr", "ebr", "meeting", "call", "email", "onsite", "webinar", "training"
            )
        },
        optional={"with_executive": st.booleans()},
    ),
    "survey.response": st.one_of(
        st.fixed_dictionaries({"kind": enum_values("nps"), "score": st.integers(0, 10)}),
        st.fixed_dictionaries({"kind": enum_values("csat"), "score": st.integers(1, 5)}),
        st.fixed_dictionaries(
            {"kind": enum_values("ces"), "score": st.integers(1, 7)},
            optional={"comment": st.text(max_size=200)},
        ),
    ),
    "marketing.engagement": st.fixed_dictionaries(
        {"kind": enum_values("email_open", "email_click", "bounce", "opt_out", "event_attended")}
    ),
    "account.signal": st.fixed_dictionaries(
        {
            "kind": enum_values(
                "merger",
                "acquisition",
                "restructuring",
                "bankruptcy",
                "referral_willing",
                "case_study_willing",
                "executive_sponsor_meeting",
            )
        },
        optional={"note": st.text(max_size=200)},
    ),
    "account.updated": _optional(
        {
            "name": external_ids,
            "segment": enum_values("high_touch", "low_touch", "tech_touch"),
            "arr": amounts,
            "currency": currencies,
            "owner": external_ids,
            "licensed_seats": st.integers(0, 100_000),
            "renewal_date": st.dates().map(lambda d: d.isoformat()),
            "industry": external_ids,
            "plan": external_ids,
        }
    ),
    "contract.changed": st.fixed_dictionaries(
        {
            "change": enum_values("new", "renewal", "expansion", "contraction", "churn"),
            "arr_after": amounts,
            "effective_at": timestamps(),
        },
        optional={
            "arr_before": amounts,
            "reason": st.text(max_size=200),
            "reason_category": enum_values(
                "adoption", "product_fit", "price", "support", "external"
            ),
        },
    ),
}
DATA["outage.resolved"] = DATA["outage.started"]
assert set(DATA) == set(EVENT_TYPES), set(EVENT_TYPES) ^ set(DATA)


@st.composite
def raw_events(draw: st.DrawFn, event_type: str | None = None) -> dict[str, Any]:
    """A valid raw event (of `event_type`, else of any type), as a client would send it."""
    kind = event_type or draw(st.sampled_from(EVENT_TYPES))
    event: dict[str, Any] = {
        "type": draw(_case_and_space(kind)),
        "account_id": draw(account_ids.map(lambda a: a if len(a) > 126 else f" {a} ")),
        "occurred_at": draw(timestamps()),
        "data": draw(DATA[kind]),
    }
    if draw(st.booleans()):
        event["id"] = draw(st.text(_ACCOUNT_CHARS, min_size=1, max_size=128))
    if draw(st.booleans()):
        event["source"] = draw(st.text(max_size=30))
    return event
