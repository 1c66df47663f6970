"""Rule routes: the rule set in force, and changes to one rule at a time.

Every change stores a new version of the whole set (see `keeping.rule_book`), validated
with each problem's path; every process adopts it at its next tick.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Request
from sqlalchemy.ext.asyncio import AsyncSession

from pulse.alerts.alert_views import alert_view
from pulse.alerts.keeping import rule_book
from pulse.alerts.rules.loading import RuleError
from pulse.common.auth import ReadKey, WriteKey
from pulse.common.errors import NotFoundError, PulseError
from pulse.common.http import JSONResponse
from pulse.common.service import Context

router = APIRouter()
RuleId = Annotated[str, Path(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]
RuleBody = Annotated[dict[str, Any], Body(description="One rule, as in the rules YAML.")]


class InvalidRuleError(PulseError):
    """A rule that cannot be used; `details` names each problem's path in the body."""

    status_code = 422
    code = "invalid_rule"


class RuleExistsError(PulseError):
    """A rule with that id is in force already (409)."""

    status_code = 409
    code = "rule_exists"


@router.get("/rules", summary="The rule set in force")
async def list_rules(_: ReadKey, *, context: Context) -> JSONResponse:
    """Every rule in force and the version of the set."""
    async with context.reads() as session:
        found = await rule_book.in_force(session)
    version, rules = (found[0], found[1].rules) if found else (None, [])
    return JSONResponse({"version": version, "rules": [rule_book.rule_to_json(r) for r in rules]})


@router.get("/rules/{rule_id}", summary="One rule")
async def get_rule(_: ReadKey, *, rule_id: RuleId, context: Context) -> JSONResponse:
    """The rule; 404 when no rule in force has that id."""
    async with context.reads() as session:
        found = await rule_book.in_force(session)
    for rule in found[1].rules if found else []:
        if rule.id == rule_id:
            return JSONResponse(rule_book.rule_to_json(rule))
    raise NotFoundError(f"no rule {rule_id!r}")


@router.post("/rules", summary="Add a rule", status_code=201)
async def create_rule(
    _: WriteKey, request: Request, *, body: RuleBody, context: Context
) -> JSONResponse:
    """Validated with every problem's path; 409 when the id is taken."""
    rule_id = body.get("id")

    def add(rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if any(r["id"] == rule_id for r in rules):
            raise RuleExistsError(f"rule {rule_id!r} exists; PUT /v1/rules/{rule_id} replaces it")
        return [*rules, body]

    return await _change(request, context, add, f"created rule {rule_id}", 201)


@router.put("/rules/{rule_id}", summary="Replace a rule")
async def replace_rule(
    _: WriteKey, request: Request, *, rule_id: RuleId, body: RuleBody, context: Context
) -> JSONResponse:
    """The rule's state starts afresh (its open alerts stay open until the new condition
    is found not to hold); 404 when unknown."""
    if body.setdefault("id", rule_id) != rule_id:
        raise InvalidRuleError(
            "the body's id differs from the path's",
            details=[{"path": "id", "message": f"expected {rule_id!r}"}],
        )

    def replace(rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
        _position(rules, rule_id)
        return [body if r["id"] == rule_id else r for r in rules]

    return await _change(request, context, replace, f"replaced rule {rule_id}", 200)


@router.delete("/rules/{rule_id}", summary="Remove a rule")
async def delete_rule(
    _: WriteKey, request: Request, *, rule_id: RuleId, context: Context
) -> JSONResponse:
    """Its unresolved alerts are resolved (resolution `rule_removed`); 404 when unknown;
    422 when it is the last rule (a set holds at least one)."""

    def remove(rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
        _position(rules, rule_id)
        return [r for r in rules if r["id"] != rule_id]

    return await _change(request, context, remove, f"removed rule {rule_id}", 200)


async def _change(
    request: Request,
    context: Any,
    edit: Callable[[list[dict[str, Any]]], list[dict[str, Any]]],
    change: str,
    status: int,
) -> JSONResponse:
    loops = request.app.state.alerts
    now = loops.keeper.now()
    edited: list[dict[str, Any]] = []

    def remember(rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
        edited.extend(edit(rules))
        return edited

    session: AsyncSession
    try:
        async with context.sessions.begin() as session:
            version, rules, resolved = await rule_book.change_rules(session, remember, change, now)
            await loops.outputs.alerts_moved_by_hand(session, resolved, now)
    except RuleError as error:
        raise InvalidRuleError(
            f"invalid rule: {error}", details=_details(error, edited, change)
        ) from error
    loops.after_commit()
    loops.ticker.wake()
    body = {
        "version": version,
        "change": change,
        "rules": [rule_book.rule_to_json(r) for r in rules.rules],
        "resolved_alerts": [alert_view(r) for r in resolved],
    }
    return JSONResponse(body, status_code=status)


def _position(rules: list[dict[str, Any]], rule_id: str) -> int:
    for i, rule in enumerate(rules):
        if rule["id"] == rule_id:
            return i
    raise NotFoundError(f"no rule {rule_id!r}")


_RULE_PATH = re.compile(r"^rules\[(\d+)\]\.?")


def _details(error: RuleError, edited: list[dict[str, Any]], change: str) -> list[dict[str, str]]:
    """Problems by path; those inside the rule sent are given relative to the body."""
    sent = change.rsplit(" ", 1)[-1]
    details = []
    for path, message in error.errors:
        found = _RULE_PATH.match(path)
        if found and int(found.group(1)) < len(edited):
            rule = edited[int(found.group(1))]
            if isinstance(rule, dict) and rule.get("id") == sent:
                path = path[found.end() :]
        details.append({"path": path, "message": message})
    return details
