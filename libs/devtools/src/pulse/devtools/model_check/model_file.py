"""A new model version file: the old model with calibrated group weights.

It keeps every measure, function and band of the old model (read from its YAML), sets
the group weights and a new version, and drops `segment_weights` (the fit is across
segments, and an override would undo it). The text is checked with health's own model
parser before it is returned, so a file that health would refuse is never written.
"""

from __future__ import annotations

from typing import Any

import yaml

from pulse.common.documents import read_yaml
from pulse.health.scoring.model import MAX_YAML_VALUES, load_model

#: Decimals kept of each weight (weights are relative, so this is ample).
WEIGHT_DECIMALS = 4


def calibrated_model_text(
    original: str, weights: dict[str, float], version: str, header: list[str]
) -> str:
    """The YAML of `original` with `weights` and `version`, `header` lines as comments."""
    data: Any = read_yaml(original, MAX_YAML_VALUES)
    data["version"] = version
    for group, weight in weights.items():
        data["groups"][group]["weight"] = round(weight, WEIGHT_DECIMALS)
    data.pop("segment_weights", None)
    comments = "".join(f"# {line}\n" for line in header)
    text = comments + yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
    load_model(text)  # raises ModelError naming each problem
    return text


def new_version(old_version: str, tag: str) -> str:
    """`<old>+cal.<tag>` cut to the 64 characters a version may have."""
    suffix = f"+cal.{tag}"
    return old_version[: 64 - len(suffix)] + suffix
