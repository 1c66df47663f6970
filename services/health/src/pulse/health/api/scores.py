"""The score routes: an account's health explained, its history, and the account list by
health, filtered and keyset-paginated."""

from __future__ import annotations

import base64
from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Query

from pulse.common.auth import ReadKey
from pulse.common.errors import NotFoundError, PulseError
from pulse.common.http import JSONResponse
from pulse.common.service import Context
from pulse.health.api.params import AccountId
from pulse.health.scoring.bands import Band
from pulse.health.scoring.score import Component, drivers
from pulse.health.storage import score_reads

router = APIRouter()
Segment = Literal["high_touch", "low_touch", "tech_touch"]
#: Drivers and trend horizons: (label, days back).
HORIZONS = (("7d", 7), ("30d", 30))
#: Drivers listed per horizon, largest move first (a score event carries fewer).
DRIVERS_PER_HORIZON = 5


class BadCursorError(PulseError):
    """A cursor that this API did not hand out (422)."""

    status_code = 422
    code = "invalid_cursor"


def _not_found(account_id: str) -> NotFoundError:
    return NotFoundError(f"no health score for account {account_id!r}")


@router.get("/accounts/{account_id}/health", summary="An account's health, explained")
async def get_health(
    _: ReadKey,
    *,
    account_id: AccountId,
    context: Context,
) -> JSONResponse:
    """Score, band, segment, components, drivers of 7 and 30 days, trend; 404 when unknown.

    Drivers and trend compare against the history point in force 7 and 30 days before
    `computed_at`; with no history that old they are empty and the delta is null.
    """
    async with context.reads() as session:
        found_row = await score_reads.get_score_and_past(
            session, account_id, [days for _label, days in HORIZONS]
        )
    if found_row is None:
        raise _not_found(account_id)
    row, past = found_row
    computed_at: datetime = row["computed_at"]
    components = [Component(**c) for c in row["components"]]
    found: list[dict[str, Any]] = []
    trend: dict[str, float | None] = {}
    for (label, _days), point in zip(HORIZONS, past, strict=True):
        if point is None:
            trend[f"delta_{label}"] = None
            continue
        trend[f"delta_{label}"] = round(row["score"] - point["score"], 1)
        before = [Component(**c) for c in point["components"]]
        found.extend(asdict(d) for d in drivers(components, before, label, DRIVERS_PER_HORIZON))
    # Rendered directly: the body is plain JSON already, and FastAPI's validation and
    # encoding of an untyped dict would only add CPU to the hottest read.
    body = {
        "account_id": row["account_id"],
        "score": row["score"],
        "band": row["band"],
        "segment": row["segment"],
        "owner": row["owner"],
        "model_version": row["model_version"],
        "computed_at": computed_at,
        "as_of": computed_at,
        "components": row["components"],
        "drivers": found,
        "trend": trend,
    }
    return JSONResponse(body)


@router.get("/accounts/{account_id}/health/history", summary="An account's score history")
async def get_history(
    _: ReadKey,
    *,
    account_id: AccountId,
    start: Annotated[datetime | None, Query(alias="from")] = None,
    end: Annotated[datetime | None, Query(alias="to")] = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 1000,
    context: Context,
) -> dict[str, Any]:
    """Points whenever the band changed or the score moved by 1 or more, and daily."""
    async with context.reads() as session:
        if await score_reads.get_score(session, account_id) is None:
            raise _not_found(account_id)
        points = await score_reads.get_history(session, account_id, start, end, limit)
    return {"account_id": account_id, "points": points}


@router.get("/accounts", summary="Accounts by health, filtered and paginated")
async def list_accounts(
    _: ReadKey,
    context: Context,
    band: Band | None = None,
    segment: Segment | None = None,
    owner: Annotated[str | None, Query(max_length=256)] = None,
    min_score: Annotated[float | None, Query(ge=0, le=100)] = None,
    max_score: Annotated[float | None, Query(ge=0, le=100)] = None,
    sort: Literal[
        "score", "-score", "account_id", "-account_id", "computed_at", "-computed_at"
    ] = "score",
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Annotated[str | None, Query(max_length=1024)] = None,
) -> dict[str, Any]:
    """Keyset pagination: pass `next_cursor` back as `cursor` for the next page."""
    filters = score_reads.AccountFilter(band, segment, owner, min_score, max_score)
    after = _read_cursor(cursor, sort) if cursor else None
    async with context.reads() as session:
        rows = await score_reads.list_scores(session, filters, sort, limit + 1, after)
    page, more = rows[:limit], len(rows) > limit
    column = sort.lstrip("-")
    next_cursor = _make_cursor(sort, page[-1][column], page[-1]["account_id"]) if more else None
    return {
        "accounts": [
            {k: r[k] for k in ("account_id", "score", "band", "segment", "owner", "computed_at")}
            for r in page
        ],
        "next_cursor": next_cursor,
    }


def _make_cursor(sort: str, value: Any, account_id: str) -> str:
    raw = orjson.dumps([sort, value, account_id], option=orjson.OPT_UTC_Z)
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _read_cursor(cursor: str, sort: str) -> tuple[Any, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        cursor_sort, value, account_id = orjson.loads(raw)
    except (ValueError, TypeError, orjson.JSONDecodeError) as error:
        raise BadCursorError("cursor is not one this API handed out") from error
    if cursor_sort != sort or not isinstance(account_id, str):
        raise BadCursorError(f"cursor belongs to sort {cursor_sort!r}, not {sort!r}")
    if sort.lstrip("-") == "computed_at" and isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value, account_id
