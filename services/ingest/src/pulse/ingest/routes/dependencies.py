"""What ingest's routes depend on, as annotated types FastAPI resolves per request."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from pulse.common.auth import AdminKey, Credentials, IngestKey, ReadKey
from pulse.ingest.state import IngestState, ingest_state

#: The running ingest's state.
IngestStateDep = Annotated[IngestState, Depends(ingest_state)]
#: The bearer credentials, and keys of each scope (see `pulse.common.auth`).
CredentialsDep = Credentials
IngestKeyDep = IngestKey
ReadKeyDep = ReadKey
AdminKeyDep = AdminKey
