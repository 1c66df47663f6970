"""Statuspage: incidents and component outages become `outage.started` / `outage.resolved`.

One envelope per webhook names every affected account in `affected_account_ids` (ingest fans
it out; past 10,000 accounts, several envelopes with the same id share them): the accounts
`PULSE_INGEST_STATUSPAGE_COMPONENT_ACCOUNTS` lists for the affected components, every known
account for a component listed with `"*"` or when the setting is empty. An incident's
components are its `components` and the `affected_components` of its updates. Its envelope
id names the incident and the phase (started, resolved), so an account hears of an
incident's start once however many updates follow, and an account whose component joins the
incident later still hears of it. Scheduled maintenance is ignored.

Statuspage does not sign webhooks, and a subscriber is only a URL: the request must carry
the configured token in `X-Pulse-Webhook-Token` (added by a proxy or gateway in front of
ingest), or as the password of HTTP Basic authentication, which senders build from a URL of
the form `https://pulse:TOKEN@host/v1/sources/statuspage`. The adapter sees headers and the
body only, never the query string, so a `?token=` in the URL cannot be checked here.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from pulse.common.events.data import MAX_AFFECTED_ACCOUNTS
from pulse.ingest.sources.base import (
    Ignored,
    Normalised,
    PayloadError,
    Reference,
    SignatureError,
    SourceContext,
    SourceRequest,
    Unmapped,
)
from pulse.ingest.sources.payload import PayloadObject

NAME = "statuspage"
TOKEN_HEADER = "x-pulse-webhook-token"
COMPONENT_ACCOUNTS_SETTING = "PULSE_INGEST_STATUSPAGE_COMPONENT_ACCOUNTS"
EVERY_ACCOUNT = "*"
_MAX_COMPONENT_LABEL = 256
_STARTED_STATUSES = {"investigating", "identified", "monitoring"}
_RESOLVED_STATUSES = {"resolved", "postmortem"}
_SEVERITY_OF_IMPACT = {"none": "minor", "minor": "minor", "major": "major", "critical": "critical"}
_SEVERITY_OF_COMPONENT_STATUS = {
    "degraded_performance": "minor",
    "partial_outage": "major",
    "major_outage": "critical",
}


@dataclass(frozen=True, slots=True)
class _Outage:
    """What Pulse takes from an incident or a component update."""

    phase: str  # "started" or "resolved"
    event_id: str
    incident_id: str
    occurred_at: str
    severity: str | None
    component_ids: tuple[str, ...]
    component_names: tuple[str, ...]
    path: str  # where the components are, for Unmapped
    vendor_id: str


class StatuspageAdapter:
    """`/v1/sources/statuspage`: Statuspage webhook subscriptions."""

    name: str = NAME
    signature_header: str = TOKEN_HEADER

    def verify(self, request: SourceRequest) -> None:
        """The shared token, from X-Pulse-Webhook-Token or a Basic password; nothing is signed."""
        token = request.headers.get(TOKEN_HEADER)
        if token is None:
            token = _basic_password(request.headers.get("authorization"))
        if token is None:
            raise SignatureError(
                "missing X-Pulse-Webhook-Token header (or Basic authentication carrying the "
                "token); Statuspage does not sign webhooks, so Pulse checks a shared token"
            )
        if not token.strip():
            raise SignatureError("malformed X-Pulse-Webhook-Token: the token is empty")
        if not hmac.compare_digest(token.strip().encode(), request.secret.encode()):
            raise SignatureError("X-Pulse-Webhook-Token does not match the configured token")

    def references_needed(self, payload: Any) -> set[Reference]:
        """None: accounts come from settings, not from references."""
        return set()

    def normalise(self, payload: Any, context: SourceContext) -> Normalised:
        """One incident or component update → at most one envelope naming its accounts."""
        outcome = Normalised()
        # Ids and codes are strings in Statuspage's documents; a number is read as its text.
        read = _read(PayloadObject.of(payload, numbers_as_text=True))
        if isinstance(read, Ignored):
            outcome.ignored.append(read)
            return outcome
        accounts = _affected_accounts(read.component_ids, context)
        if accounts:
            # An envelope names at most MAX_AFFECTED_ACCOUNTS: more accounts take several,
            # sharing the id (each account's copy's id derives from it and the account).
            outcome.events.extend(
                _envelope(read, accounts[start : start + MAX_AFFECTED_ACCOUNTS])
                for start in range(0, len(accounts), MAX_AFFECTED_ACCOUNTS)
            )
        else:
            outcome.unmapped.append(
                Unmapped(read.path, _unmapped_reason(read, context), read.vendor_id)
            )
        return outcome


def _read(payload: PayloadObject) -> _Outage | Ignored:
    if "incident" in payload:
        return _read_incident(payload.required_object("incident"))
    if "component_update" in payload:
        return _read_component(payload)
    raise PayloadError(
        "", "expected a Statuspage webhook with an 'incident' or a 'component_update' object"
    )


def _read_incident(incident: PayloadObject) -> _Outage | Ignored:
    incident_id = incident.required_text("id")
    status = incident.required_text("status").lower()
    if status in _STARTED_STATUSES:
        phase, times = "started", ("started_at", "created_at")
    elif status in _RESOLVED_STATUSES:
        phase, times = "resolved", ("resolved_at", "updated_at")
    else:
        return Ignored(
            "incident.status",
            f"incident status {status!r} is scheduled maintenance or unknown, not an outage",
        )
    ids, names = _incident_components(incident)
    return _Outage(
        phase=phase,
        event_id=f"{NAME}:incident:{incident_id}:{phase}",
        incident_id=incident_id,
        occurred_at=_first_time(incident, times),
        severity=_SEVERITY_OF_IMPACT.get((incident.text("impact") or "").lower()),
        component_ids=ids,
        component_names=names,
        path="incident.components",
        vendor_id=incident_id,
    )


def _read_component(payload: PayloadObject) -> _Outage | Ignored:
    update = payload.required_object("component_update")
    component = payload.optional_object("component")
    component_id = update.text("component_id") or component.text("id")
    if component_id is None:
        raise update.error("component_id", "expected the component's id")
    new_status = update.required_text("new_status").lower()
    severity = _SEVERITY_OF_COMPONENT_STATUS.get(new_status)
    if severity is None and new_status != "operational":
        return Ignored(
            "component_update.new_status",
            f"component status {new_status!r} is not an outage nor its end",
        )
    occurred_at = update.required_text("created_at")
    update_id = update.text("id") or f"{new_status}:{occurred_at}"
    name = component.text("name")
    return _Outage(
        phase="resolved" if severity is None else "started",
        event_id=f"{NAME}:component:{component_id}:{update_id}",
        incident_id=f"component:{component_id}",
        occurred_at=occurred_at,
        severity=severity,
        component_ids=(component_id,),
        component_names=() if name is None else (name,),
        path="component_update.component_id",
        vendor_id=update_id,
    )


def _incident_components(incident: PayloadObject) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Ids and names of `components` and of every update's `affected_components`."""
    found: dict[str, str | None] = {}
    for entry, id_field in _component_entries(incident):
        component_id = entry.required_text(id_field)
        if found.get(component_id) is None:
            found[component_id] = entry.text("name")
    names = tuple(dict.fromkeys(name for name in found.values() if name is not None))
    return tuple(found), names


def _component_entries(incident: PayloadObject) -> Iterator[tuple[PayloadObject, str]]:
    """Each component object of an incident, and the field holding its id."""
    for component in incident.objects("components"):
        yield component, "id"
    for update in incident.objects("incident_updates"):
        for component in update.objects("affected_components"):
            yield component, "code"


def _affected_accounts(component_ids: tuple[str, ...], context: SourceContext) -> tuple[str, ...]:
    if not context.component_accounts:
        return context.all_accounts
    listed: list[str] = []
    everyone = False
    for component_id in component_ids:
        served = context.component_accounts.get(component_id, ())
        everyone = everyone or EVERY_ACCOUNT in served
        listed.extend(account for account in served if account != EVERY_ACCOUNT)
    if everyone:
        listed.extend(context.all_accounts)
    return tuple(dict.fromkeys(listed))


def _unmapped_reason(outage: _Outage, context: SourceContext) -> str:
    if not context.component_accounts:
        return (
            f"no account to attribute the outage to: {COMPONENT_ACCOUNTS_SETTING} is empty, "
            "which means every account, and ingest has seen no account yet; list the accounts "
            f"each component serves in {COMPONENT_ACCOUNTS_SETTING}"
        )
    if not outage.component_ids:
        return (
            f"incident {outage.incident_id} names no component, so "
            f"{COMPONENT_ACCOUNTS_SETTING} maps it to no account; add its components in "
            "Statuspage"
        )
    return (
        f"no account is served by components {', '.join(outage.component_ids)}: add them to "
        f'{COMPONENT_ACCOUNTS_SETTING} (e.g. {{"{outage.component_ids[0]}": ["acme"]}}, or '
        f'["{EVERY_ACCOUNT}"] for every account)'
    )


def _envelope(outage: _Outage, accounts: tuple[str, ...]) -> dict[str, Any]:
    data: dict[str, object] = {
        "incident_id": outage.incident_id,
        "severity": outage.severity,
        "component": ", ".join(outage.component_names)[:_MAX_COMPONENT_LABEL] or None,
        "affected_account_ids": list(accounts),
    }
    return {
        "id": outage.event_id,
        "type": f"outage.{outage.phase}",
        "account_id": accounts[0],
        "occurred_at": outage.occurred_at,
        "source": NAME,
        "data": {key: value for key, value in data.items() if value is not None},
    }


def _basic_password(authorization: str | None) -> str | None:
    """The password of `Authorization: Basic ...`; None for no or another scheme."""
    scheme, _, credentials = (authorization or "").strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(credentials.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError) as error:
        raise SignatureError(f"malformed Basic authorization: {error}") from error
    _user, colon, password = decoded.partition(":")
    if not colon:
        raise SignatureError("malformed Basic authorization: expected user:token")
    return password


def _first_time(incident: PayloadObject, fields: tuple[str, ...]) -> str:
    found = incident.first_string(fields)
    if found is None:
        raise incident.error(fields[-1], f"expected a timestamp in {' or '.join(fields)}")
    return found
