"""The scoring model a health process starts with: a model file (validated before the
service starts), else the stored active model, else the shipped default."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from pulse.common.service import ServiceContext
from pulse.health.scoring.model import (
    ModelError,
    ScoringModel,
    default_model,
    default_model_text,
    load_model,
)
from pulse.health.storage import model_versions


@dataclass(frozen=True, slots=True)
class ModelFile:
    """A validated scoring model file: the model and its YAML text."""

    model: ScoringModel
    text: str


def model_file_or_exit(path: Path) -> ModelFile:
    """Read and validate the model file; on a problem print one line each and exit 2."""
    try:
        text = path.read_text(encoding="utf-8")
        return ModelFile(load_model(text), text)
    except OSError as error:
        print(f"pulse: PULSE_HEALTH_MODEL_FILE {path}: {error.strerror}", file=sys.stderr)
    except ModelError as error:
        for where, message in error.errors:
            print(f"pulse: scoring model {path}: {where or '(top)'}: {message}", file=sys.stderr)
    raise SystemExit(2)


async def initial_model(context: ServiceContext, model_file: ModelFile | None) -> ScoringModel:
    """The model to start with, stored as the active version.

    A model file wins (stored as a new version when its content is new); otherwise the
    stored active model; on the very first start, the shipped default.
    """
    async with context.sessions.begin() as session:
        if model_file is not None:
            model, body = model_file.model, model_file.text
        else:
            stored = await model_versions.active_model(session)
            if stored is not None:
                return load_model(stored[1])
            model, body = default_model(), default_model_text()
        await model_versions.store_model(session, model.version, model.fingerprint(), body)
        return model
