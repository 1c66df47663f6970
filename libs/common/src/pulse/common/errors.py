"""Domain errors and the one JSON error shape every service answers with (design §4)."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from pulse.common.http import JSONResponse

log = logging.getLogger(__name__)


class PulseError(Exception):
    """An error a client can act on; services raise it, one handler turns it into JSON."""

    status_code = 400
    code = "bad_request"

    def __init__(
        self, message: str, *, details: Any = None, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.details = details
        self.headers = headers


class NotFoundError(PulseError):
    """The thing asked for does not exist."""

    status_code = 404
    code = "not_found"


class UnauthorizedError(PulseError):
    """No valid API key."""

    status_code = 401
    code = "unauthorized"


class ForbiddenError(PulseError):
    """A valid key without the scope the route needs."""

    status_code = 403
    code = "forbidden"


class UnavailableError(PulseError):
    """A dependency (broker, database) cannot take the request now; retry later."""

    status_code = 503
    code = "unavailable"


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    """The JSON error shape: `{"error": {"code", "message", "details"}}`."""
    return {"error": {"code": code, "message": message, "details": details}}


def _validation_details(exc: RequestValidationError) -> list[dict[str, str]]:
    return [
        {"path": ".".join(str(part) for part in err["loc"]), "message": err["msg"]}
        for err in exc.errors()
    ]


def install_error_handlers(app: FastAPI) -> None:
    """Answer every error, expected or not, in the JSON error shape."""

    @app.exception_handler(PulseError)
    async def _pulse_error(_: Request, exc: PulseError) -> JSONResponse:
        return JSONResponse(
            error_body(exc.code, exc.message, exc.details),
            status_code=exc.status_code,
            headers=exc.headers,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = HTTPStatus(exc.status_code).phrase.lower().replace(" ", "_")
        return JSONResponse(
            error_body(code, str(exc.detail)),
            status_code=exc.status_code,
            headers=exc.headers,
        )

    @app.exception_handler(RequestValidationError)
    async def _invalid_request(_: Request, exc: RequestValidationError) -> JSONResponse:
        details = _validation_details(exc)
        first = details[0] if details else {"path": "", "message": "invalid request"}
        message = f"invalid request: {first['path']}: {first['message']}"
        return JSONResponse(error_body("invalid_request", message, details), status_code=422)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        # A bug, not the client's fault: log it with its traceback, answer in our shape.
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return JSONResponse(
            error_body("internal_error", "internal error; it has been logged"), status_code=500
        )
