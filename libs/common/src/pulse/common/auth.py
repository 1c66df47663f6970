"""API-key authentication with scopes (design §4): `Authorization: Bearer <secret>`."""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable, Sequence
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from pulse.common.errors import ForbiddenError, UnauthorizedError
from pulse.common.settings import ApiKey

bearer_scheme = HTTPBearer(auto_error=False, description="An API key from PULSE_API_KEYS.")
_CHALLENGE = {"WWW-Authenticate": "Bearer"}
#: The bearer credentials if any, for a route that decides itself whether it needs a key.
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)]


class ApiKeyRegistry:
    """Looks up a presented secret among the configured keys in constant time per key."""

    def __init__(self, keys: Sequence[ApiKey]) -> None:
        self._keys = tuple(keys)

    def find(self, secret: str) -> ApiKey | None:
        """The key whose secret matches, or None."""
        presented = secret.encode()
        match = None
        for key in self._keys:
            # Compare against every key so timing does not reveal which one matched.
            if hmac.compare_digest(presented, key.secret.encode()):
                match = key
        return match


def authenticate(
    request: Request, credentials: HTTPAuthorizationCredentials | None, scope: str
) -> ApiKey:
    """The key presented, checked for `scope`: 401 without a valid key, 403 without the scope."""
    if credentials is None:
        raise UnauthorizedError(
            "missing API key: send 'Authorization: Bearer <key>'", headers=_CHALLENGE
        )
    registry: ApiKeyRegistry = request.app.state.api_keys
    key = registry.find(credentials.credentials)
    if key is None:
        raise UnauthorizedError("unknown API key", headers=_CHALLENGE)
    if scope not in key.scopes and "admin" not in key.scopes:
        raise ForbiddenError(
            f"API key {key.name!r} lacks the {scope!r} scope",
            details={"required_scope": scope, "key_scopes": sorted(key.scopes)},
        )
    return key


def require_scope(scope: str) -> Callable[..., Awaitable[ApiKey]]:
    """A FastAPI dependency: 401 without a valid key, 403 when the key lacks `scope`.

    `admin` implies every scope.
    """

    async def dependency(request: Request, credentials: Credentials) -> ApiKey:
        return authenticate(request, credentials, scope)

    return dependency


#: The presented key, which must hold the scope named (401 without a key, 403 without
#: the scope); as a route parameter's type.
IngestKey = Annotated[ApiKey, Depends(require_scope("ingest"))]
ReadKey = Annotated[ApiKey, Depends(require_scope("read"))]
WriteKey = Annotated[ApiKey, Depends(require_scope("write"))]
AdminKey = Annotated[ApiKey, Depends(require_scope("admin"))]
