"""What ingest's routes depend on, as annotated types FastAPI resolves per request."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials

from pulse.common.auth import bearer_scheme, require_scope
from pulse.common.settings import ApiKey
from pulse.ingest.state import IngestState, ingest_state

#: The running ingest's state.
IngestStateDep = Annotated[IngestState, Depends(ingest_state)]
#: The bearer credentials if any, for a route that decides itself whether it needs a key.
CredentialsDep = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)]
#: The presented key, which must hold the scope named (401 without a key, 403 without it).
IngestKeyDep = Annotated[ApiKey, Depends(require_scope("ingest"))]
ReadKeyDep = Annotated[ApiKey, Depends(require_scope("read"))]
AdminKeyDep = Annotated[ApiKey, Depends(require_scope("admin"))]
