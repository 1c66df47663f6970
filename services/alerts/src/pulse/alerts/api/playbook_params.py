"""What the playbook and task routes share: the playbook runtime and its clock, a
playbook read from a JSON body, and keyset cursors."""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Annotated, Any

import orjson
from fastapi import Depends, Request
from pydantic import BaseModel

from pulse.alerts.playbook_hook import PlaybookRuntime
from pulse.alerts.playbooks.definitions import Playbook
from pulse.alerts.playbooks.loading import PlaybookError, parse_playbook
from pulse.common.errors import PulseError

#: Largest playbook body (50 tasks of 2,000-character descriptions fit in about 110 KiB).
MAX_PLAYBOOK_BYTES = 256 * 1024


class InvalidPlaybookError(PulseError):
    """The playbook does not validate (422), with a path per problem."""

    status_code = 422
    code = "invalid_playbook"


class MalformedBodyError(PulseError):
    """The body is not JSON (400)."""

    status_code = 400
    code = "malformed_body"


class BodyTooLargeError(PulseError):
    """The body is over the limit (413)."""

    status_code = 413
    code = "too_large"


class BadCursorError(PulseError):
    """A cursor that this API did not hand out (422)."""

    status_code = 422
    code = "invalid_cursor"


async def _runtime(request: Request) -> PlaybookRuntime:
    runtime: PlaybookRuntime = request.app.state.playbooks
    return runtime


async def _now(request: Request) -> datetime:
    """The moment "overdue" is judged at: the runtime's clock (tests move it)."""
    runtime: PlaybookRuntime = request.app.state.playbooks
    return runtime.clock()


Runtime = Annotated[PlaybookRuntime, Depends(_runtime)]
Now = Annotated[datetime, Depends(_now)]


async def read_playbook(request: Request) -> Playbook:
    """The playbook in the request's JSON body; 413 past `MAX_PLAYBOOK_BYTES` (checked as
    it streams), 400 when not JSON, 422 listing each problem's path."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_PLAYBOOK_BYTES:
        raise _too_large()
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_PLAYBOOK_BYTES:
            raise _too_large()
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as error:
        raise MalformedBodyError(f"the body is not JSON: {error}") from error
    try:
        return parse_playbook(data)
    except PlaybookError as error:
        details = [{"path": path, "message": message} for path, message in error.errors]
        raise InvalidPlaybookError(f"playbook invalid: {error}", details=details) from error


def playbook_body_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The OpenAPI request body of a route that reads `model` itself, its nested models
    written inline (the route declares no body parameter, so FastAPI adds none)."""
    schema = model.model_json_schema()
    definitions = schema.pop("$defs", {})

    def inline(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                return inline(definitions[ref.removeprefix("#/$defs/")])
            return {key: inline(value) for key, value in node.items()}
        if isinstance(node, list):
            return [inline(value) for value in node]
        return node

    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": inline(schema)}},
        }
    }


def make_cursor(due_at: datetime, task_id: int) -> str:
    """The cursor after a task: its due moment and id."""
    raw = orjson.dumps([due_at.isoformat(), task_id])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def read_cursor(cursor: str) -> tuple[datetime, int]:
    """(due_at, id) of a cursor `make_cursor` gave; 422 for any other."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        due_at, task_id = orjson.loads(raw)
        moment = datetime.fromisoformat(due_at)
    except (ValueError, TypeError) as error:
        raise BadCursorError("cursor is not one this API handed out") from error
    if not isinstance(task_id, int) or moment.tzinfo is None:
        raise BadCursorError("cursor is not one this API handed out")
    return moment, task_id


def _too_large() -> BodyTooLargeError:
    return BodyTooLargeError(
        f"the playbook is over {MAX_PLAYBOOK_BYTES} bytes",
        details={"limit_bytes": MAX_PLAYBOOK_BYTES},
    )
