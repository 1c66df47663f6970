"""The scoring model routes: read the active model and its versions, replace it (admin)."""

from __future__ import annotations

from typing import Any, Protocol

from fastapi import APIRouter, Request

from pulse.common.auth import AdminKey, ReadKey
from pulse.common.errors import PulseError
from pulse.common.service import Context
from pulse.health.api.model_upload import parse_model, read_model_text
from pulse.health.scoring.model import ScoringModel
from pulse.health.storage import model_versions

router = APIRouter()


class ModelVersionConflictError(PulseError):
    """Another model already has this version (409)."""

    status_code = 409
    code = "scoring_model_version_taken"


class ActiveModel(Protocol):
    """What these routes need of the running service, at `app.state.health` (the app
    composes it: the API does not import the consumer side)."""

    @property
    def model(self) -> ScoringModel:
        """The model scores are computed with."""
        ...

    @property
    def max_model_bytes(self) -> int:
        """Largest model body taken."""
        ...

    async def apply_model_now(self) -> None:
        """A new model was stored: switch to it without waiting for the next tick."""
        ...


def _active(request: Request) -> ActiveModel:
    active: ActiveModel = request.app.state.health
    return active


@router.get("/scoring-model", summary="The active scoring model")
async def get_model(
    request: Request,
    _: ReadKey,
    context: Context,
) -> dict[str, Any]:
    """The model the scores are computed with, and every version stored."""
    model = _active(request).model
    async with context.reads() as session:
        versions = await model_versions.list_models(session)
    return {"version": model.version, "model": model.model_dump(mode="json"), "versions": versions}


@router.put(
    "/scoring-model",
    summary="Replace the scoring model (admin)",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/yaml": {"schema": {"type": "string"}}},
        }
    },
)
async def put_model(
    request: Request,
    _: AdminKey,
    context: Context,
) -> dict[str, Any]:
    """Validate the YAML model, store it as the active version; every account is then
    re-scored from stored state (history records the model version). 413 over
    `PULSE_HEALTH_MAX_MODEL_BYTES` (1 MiB), 422 listing each problem's path."""
    active = _active(request)
    body = await read_model_text(
        request.stream(),
        content_length=request.headers.get("content-length"),
        limit=active.max_model_bytes,
    )
    model = await parse_model(body)
    try:
        async with context.sessions.begin() as session:
            version = await model_versions.store_model(
                session, model.version, model.fingerprint(), body
            )
    except model_versions.ModelVersionTaken as error:
        raise ModelVersionConflictError(str(error)) from error
    await active.apply_model_now()
    return {"version": version, "fingerprint": model.fingerprint()}
