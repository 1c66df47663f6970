"""Alert routes: list (filtered, keyset-paginated), one alert, and the moves people make:
acknowledge, snooze, resolve."""

from __future__ import annotations

import base64
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Body, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from pulse.alerts.alert_views import alert_view
from pulse.alerts.rules.definitions import Severity
from pulse.alerts.rules.durations import Duration
from pulse.alerts.storage import alert_rows
from pulse.alerts.storage.alert_rows import AlertFilters
from pulse.common.auth import ReadKey, WriteKey
from pulse.common.errors import NotFoundError, PulseError
from pulse.common.http import JSONResponse
from pulse.common.service import Context

router = APIRouter()
AlertId = Annotated[str, Path(pattern=r"^al_[0-9a-f]{24}$")]
#: Longest a snooze may last.
MAX_SNOOZE = timedelta(days=90)


class BadCursorError(PulseError):
    """A cursor that this API did not hand out (422)."""

    status_code = 422
    code = "invalid_cursor"


class ConflictError(PulseError):
    """The alert is not in a state that allows the move (409)."""

    status_code = 409
    code = "conflict"


class Note(BaseModel):
    """An optional note kept on the alert."""

    model_config = ConfigDict(extra="forbid")
    note: str | None = Field(None, max_length=2_000)


class Snooze(Note):
    """Snooze for a while (`for`, e.g. `2d`) or until a moment (`until`); one of the two."""

    for_: Duration | None = Field(None, alias="for")
    until: datetime | None = None


@router.get("/alerts", summary="Alerts, newest first")
async def list_alerts(
    _: ReadKey,
    *,
    state: Literal["open", "acknowledged", "snoozed", "resolved"] | None = None,
    rule: Annotated[str | None, Query(max_length=64)] = None,
    owner: Annotated[str | None, Query(max_length=200)] = None,
    severity: Severity | None = None,
    account_id: Annotated[str | None, Query(max_length=128)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
    context: Context,
) -> JSONResponse:
    """Keyset pagination: pass `next_cursor` back as `cursor` for the next page."""
    filters = AlertFilters(state, rule, owner, severity, account_id)
    after = _read_cursor(cursor) if cursor else None
    async with context.reads() as session:
        rows = await alert_rows.list_alerts(session, filters, limit=limit + 1, after=after)
    page, more = rows[:limit], len(rows) > limit
    next_cursor = _make_cursor(page[-1]["opened_at"], page[-1]["id"]) if more else None
    return JSONResponse({"alerts": [alert_view(r) for r in page], "next_cursor": next_cursor})


@router.get("/alerts/{alert_id}", summary="One alert, with the events behind it")
async def get_alert(_: ReadKey, *, alert_id: AlertId, context: Context) -> JSONResponse:
    """The alert; 404 when unknown."""
    async with context.reads() as session:
        row = await alert_rows.get_alert(session, alert_id)
    if row is None:
        raise NotFoundError(f"no alert {alert_id!r}")
    return JSONResponse(alert_view(row))


@router.post("/alerts/{alert_id}/acknowledge", summary="Acknowledge an alert")
async def acknowledge(
    _: WriteKey,
    request: Request,
    *,
    alert_id: AlertId,
    body: Annotated[Note | None, Body()] = None,
    context: Context,
) -> JSONResponse:
    """Someone is on it. Open or snoozed alerts only (409 otherwise)."""
    now = _clock(request)()
    values = {"state": "acknowledged", "acknowledged_at": now, "snoozed_until": None}
    return await _move(request, context, alert_id, values, body, ("open", "snoozed"))


@router.post("/alerts/{alert_id}/snooze", summary="Snooze an alert")
async def snooze(
    _: WriteKey,
    request: Request,
    *,
    alert_id: AlertId,
    body: Snooze,
    context: Context,
) -> JSONResponse:
    """Hide it until a moment; it is open again then. Not for resolved alerts (409)."""
    now = _clock(request)()
    if (body.for_ is None) == (body.until is None):
        raise PulseError("give exactly one of `for` (e.g. 2d) and `until`", details=[])
    until = now + body.for_ if body.for_ is not None else body.until
    assert until is not None
    if until.tzinfo is None:
        raise PulseError("`until` needs a time zone, e.g. 2026-12-24T09:00:00Z")
    if not now < until <= now + MAX_SNOOZE:
        raise PulseError(f"a snooze must end after now and within {MAX_SNOOZE.days} days")
    values = {"state": "snoozed", "snoozed_until": until}
    return await _move(
        request, context, alert_id, values, body, ("open", "acknowledged", "snoozed")
    )


@router.post("/alerts/{alert_id}/resolve", summary="Resolve an alert by hand")
async def resolve(
    _: WriteKey,
    request: Request,
    *,
    alert_id: AlertId,
    body: Annotated[Note | None, Body()] = None,
    context: Context,
) -> JSONResponse:
    """Done with it. While its condition still holds, the rule opens no new alert; it may
    once the condition has cleared (and any cooldown passed)."""
    now = _clock(request)()
    values = {
        "state": "resolved",
        "resolved_at": now,
        "resolution": "manual",
        "snoozed_until": None,
    }
    return await _move(
        request, context, alert_id, values, body, ("open", "acknowledged", "snoozed")
    )


async def _move(
    request: Request,
    context: Any,
    alert_id: str,
    values: dict[str, Any],
    body: Note | None,
    allowed_from: tuple[str, ...],
) -> JSONResponse:
    now = _clock(request)()
    loops = request.app.state.alerts
    async with context.sessions.begin() as session:
        row = await alert_rows.get_alert(session, alert_id, for_update=True)
        if row is None:
            raise NotFoundError(f"no alert {alert_id!r}")
        if row["state"] not in allowed_from:
            raise ConflictError(
                f"alert {alert_id} is {row['state']}; this needs it {' or '.join(allowed_from)}"
            )
        if body is not None and body.note is not None:
            values = {**values, "note": body.note}
        moved = await alert_rows.set_state(session, alert_id, {**values, "updated_at": now})
        assert moved is not None
        await loops.outputs.alerts_moved_by_hand(session, [moved], now)
    loops.after_commit()
    return JSONResponse(alert_view(moved))


def _clock(request: Request) -> Any:
    return request.app.state.alerts.keeper.now


def _make_cursor(opened_at: datetime, alert_id: str) -> str:
    raw = orjson.dumps([opened_at.isoformat(), alert_id])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _read_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        opened_at, alert_id = orjson.loads(raw)
        return datetime.fromisoformat(opened_at), str(alert_id)
    except (ValueError, TypeError) as error:
        raise BadCursorError("cursor is not one this API handed out") from error
