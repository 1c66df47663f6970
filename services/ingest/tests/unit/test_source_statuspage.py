"""Statuspage adapter: incidents and component outages → outage.started / outage.resolved."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from pulse.common.events import Event, OutageResolved, OutageStarted, validate_event
from pulse.ingest.batch import validate_batch
from pulse.ingest.sources.base import (
    Normalised,
    PayloadError,
    SignatureError,
    SourceAdapter,
    SourceContext,
    SourceRequest,
)
from pulse.ingest.sources.statuspage import StatuspageAdapter

FIXTURES = Path(__file__).parents[1] / "fixtures" / "statuspage"
NOW = datetime(2026, 11, 20, 18, tzinfo=UTC)
TOKEN = "statuspage-token-1"
ADAPTER: SourceAdapter = StatuspageAdapter()
SERVED = {
    "cmp-api": ("acme", "globex"),
    "cmp-dashboard": ("globex", "initech"),
    "cmp-db": ("hooli",),
}
EVERYONE = ("acme", "globex", "initech", "hooli", "umbrella")


def fixture(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = orjson.loads((FIXTURES / name).read_bytes())
    return loaded


def normalise(
    payload: Any,
    component_accounts: Mapping[str, tuple[str, ...]] | None = None,
    all_accounts: tuple[str, ...] = EVERYONE,
) -> Normalised:
    context = SourceContext(
        now=NOW,
        component_accounts=SERVED if component_accounts is None else component_accounts,
        all_accounts=all_accounts,
    )
    return ADAPTER.normalise(payload, context)


def valid(outcome: Normalised) -> list[Event]:
    """Every envelope produced, validated as /v1/events would."""
    return [validate_event(raw, now=NOW) for raw in outcome.events]


def test_investigating_incident_starts_an_outage_for_the_accounts_of_its_components() -> None:
    outcome = normalise(fixture("incident_investigating.json"))

    [event] = valid(outcome)
    assert isinstance(event, OutageStarted)
    assert event.id == "statuspage:incident:p31zjtct2jer:started"
    assert event.source == "statuspage"
    assert event.occurred_at == datetime(2026, 11, 20, 14, 5, tzinfo=UTC)  # started_at
    assert event.data.incident_id == "p31zjtct2jer"
    assert event.data.severity == "major"
    assert event.data.component == "API, Dashboard"
    # cmp-api from incident.components, cmp-dashboard from the update's affected_components
    assert event.data.affected_account_ids == ("acme", "globex", "initech")
    assert event.account_id == "acme"
    assert (outcome.unmapped, outcome.ignored, outcome.learned) == ([], [], {})


def test_ingest_fans_the_envelope_out_to_one_event_per_account() -> None:
    outcome = normalise(fixture("incident_investigating.json"))

    fanned = validate_batch(outcome.events, now=NOW)
    assert [e.account_id for e in fanned.events()] == ["acme", "globex", "initech"]
    assert fanned.rejected == []


@pytest.mark.parametrize("status", ["investigating", "identified", "monitoring"])
def test_every_ongoing_status_is_the_same_started_event(status: str) -> None:
    payload = fixture("incident_investigating.json")
    payload["incident"]["status"] = status

    [event] = valid(normalise(payload))
    assert isinstance(event, OutageStarted)
    assert event.id == "statuspage:incident:p31zjtct2jer:started"


@pytest.mark.parametrize("status", ["resolved", "postmortem"])
def test_resolved_incident_resolves_the_outage(status: str) -> None:
    payload = fixture("incident_resolved.json")
    payload["incident"]["status"] = status

    [event] = valid(normalise(payload))
    assert isinstance(event, OutageResolved)
    assert event.id == "statuspage:incident:p31zjtct2jer:resolved"
    assert event.occurred_at == datetime(2026, 11, 20, 15, 30, 15, tzinfo=UTC)  # resolved_at
    assert event.data.incident_id == "p31zjtct2jer"
    assert event.data.component == "API"
    assert event.data.affected_account_ids == ("acme", "globex")


@pytest.mark.parametrize(
    ("impact", "severity"),
    [("none", "minor"), ("minor", "minor"), ("major", "major"), ("critical", "critical")],
)
def test_severity_follows_the_incident_impact(impact: str, severity: str) -> None:
    payload = fixture("incident_investigating.json")
    payload["incident"]["impact"] = impact

    [event] = valid(normalise(payload))
    assert isinstance(event, OutageStarted)
    assert event.data.severity == severity


def test_a_component_serving_everyone_reaches_every_known_account() -> None:
    served = {"cmp-api": ("acme", "*")}

    [event] = valid(normalise(fixture("incident_investigating.json"), served))
    assert isinstance(event, OutageStarted)
    assert event.data.affected_account_ids == EVERYONE


def test_without_a_component_map_every_known_account_is_affected() -> None:
    [event] = valid(normalise(fixture("incident_investigating.json"), {}))
    assert isinstance(event, OutageStarted)
    assert event.data.affected_account_ids == EVERYONE
    assert event.account_id == "acme"


def test_components_serving_no_account_leave_the_outage_unmapped() -> None:
    outcome = normalise(fixture("incident_investigating.json"), {"cmp-other": ("acme",)})

    assert outcome.events == []
    [unmapped] = outcome.unmapped
    assert unmapped.path == "incident.components"
    assert unmapped.vendor_id == "p31zjtct2jer"
    assert "cmp-api, cmp-dashboard" in unmapped.reason
    assert "PULSE_INGEST_STATUSPAGE_COMPONENT_ACCOUNTS" in unmapped.reason


def test_no_known_account_at_all_leaves_the_outage_unmapped() -> None:
    outcome = normalise(fixture("incident_investigating.json"), {}, all_accounts=())

    [unmapped] = outcome.unmapped
    assert "ingest has seen no account yet" in unmapped.reason
    assert "PULSE_INGEST_STATUSPAGE_COMPONENT_ACCOUNTS" in unmapped.reason


def test_an_incident_naming_no_component_is_unmapped_when_components_are_mapped() -> None:
    payload = fixture("incident_investigating.json")
    del payload["incident"]["components"]
    payload["incident"]["incident_updates"][0]["affected_components"] = []

    [unmapped] = normalise(payload).unmapped
    assert "names no component" in unmapped.reason


@pytest.mark.parametrize("status", ["scheduled", "in_progress", "verifying", "completed"])
def test_scheduled_maintenance_is_ignored(status: str) -> None:
    payload = fixture("incident_investigating.json")
    payload["incident"]["status"] = status

    outcome = normalise(payload)
    assert (outcome.events, outcome.unmapped) == ([], [])
    [ignored] = outcome.ignored
    assert ignored.path == "incident.status"


@pytest.mark.parametrize(
    ("new_status", "severity"),
    [("major_outage", "critical"), ("partial_outage", "major"), ("degraded_performance", "minor")],
)
def test_component_outage_starts_an_outage_of_the_component(new_status: str, severity: str) -> None:
    payload = fixture("component_update.json")
    payload["component_update"]["new_status"] = new_status

    [event] = valid(normalise(payload))
    assert isinstance(event, OutageStarted)
    assert event.id == "statuspage:component:cmp-db:k7730b5v92bv"
    assert event.occurred_at == datetime(2026, 11, 20, 14, 32, 28, tzinfo=UTC)
    assert event.data.incident_id == "component:cmp-db"
    assert event.data.severity == severity
    assert event.data.component == "Database"
    assert event.data.affected_account_ids == ("hooli",)
    assert event.account_id == "hooli"


def test_component_back_to_operational_resolves_its_outage() -> None:
    payload = fixture("component_update.json")
    payload["component_update"].update(
        {"id": "q2w3e4r5t6y7", "old_status": "major_outage", "new_status": "operational"}
    )

    [event] = valid(normalise(payload))
    assert isinstance(event, OutageResolved)
    assert event.id == "statuspage:component:cmp-db:q2w3e4r5t6y7"
    assert event.data.incident_id == "component:cmp-db"
    assert event.data.severity is None


def test_component_under_maintenance_is_ignored() -> None:
    payload = fixture("component_update.json")
    payload["component_update"]["new_status"] = "under_maintenance"

    [ignored] = normalise(payload).ignored
    assert ignored.path == "component_update.new_status"


def _incident_with(**changes: Any) -> dict[str, Any]:
    payload = fixture("incident_investigating.json")
    payload["incident"].update(changes)
    return payload


def _component_without(field: str) -> dict[str, Any]:
    payload = fixture("component_update.json")
    del payload["component_update"][field]
    return payload


@pytest.mark.parametrize(
    ("payload", "path"),
    [
        ("incident", ""),
        ({"page": {"id": "j2mfxwj97wnj"}}, ""),
        ({"incident": []}, "incident"),
        (_incident_with(id=None), "incident.id"),
        (_incident_with(status=None), "incident.status"),
        (_incident_with(started_at=None, created_at=None), "incident.created_at"),
        (_incident_with(components={"id": "cmp-api"}), "incident.components"),
        (_incident_with(components=[{"name": "API"}]), "incident.components.0.id"),
        (
            _incident_with(incident_updates=[{"affected_components": ["cmp-api"]}]),
            "incident.incident_updates.0.affected_components.0",
        ),
        (_component_without("new_status"), "component_update.new_status"),
        (_component_without("created_at"), "component_update.created_at"),
        ({"component_update": {"new_status": "major_outage"}}, "component_update.component_id"),
    ],
)
def test_malformed_payloads_name_the_path(payload: Any, path: str) -> None:
    with pytest.raises(PayloadError) as raised:
        normalise(payload)
    assert raised.value.path == path


def test_no_references_are_needed() -> None:
    assert ADAPTER.references_needed(fixture("incident_investigating.json")) == set()


# --- the shared token -------------------------------------------------------------------

BODY = (FIXTURES / "incident_investigating.json").read_bytes()


def basic(user: str, password: str) -> dict[str, str]:
    return {"authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def verify(headers: Mapping[str, str]) -> None:
    ADAPTER.verify(SourceRequest(headers, BODY, NOW, TOKEN))


def test_the_token_header_is_accepted() -> None:
    verify({"x-pulse-webhook-token": TOKEN})


def test_the_token_as_basic_password_is_accepted() -> None:
    verify(basic("pulse", TOKEN))


def test_another_token_is_refused() -> None:
    with pytest.raises(SignatureError, match="does not match"):
        verify({"x-pulse-webhook-token": "guess"})
    with pytest.raises(SignatureError, match="does not match"):
        verify(basic("pulse", "guess"))


@pytest.mark.parametrize("headers", [{}, {"authorization": "Bearer some-api-key"}])
def test_a_missing_token_is_refused(headers: dict[str, str]) -> None:
    with pytest.raises(SignatureError, match="missing X-Pulse-Webhook-Token"):
        verify(headers)


@pytest.mark.parametrize(
    "headers",
    [
        {"x-pulse-webhook-token": "  "},
        {"authorization": "Basic not-base64!"},
        {"authorization": "Basic " + base64.b64encode(b"no-colon").decode()},
    ],
)
def test_a_malformed_token_is_refused(headers: dict[str, str]) -> None:
    with pytest.raises(SignatureError, match="malformed"):
        verify(headers)
