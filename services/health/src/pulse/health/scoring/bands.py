"""The three bands a score falls in, which are also the values of a CSM's sentiment."""

from __future__ import annotations

from typing import Literal, get_args

Band = Literal["green", "yellow", "red"]
#: Best first.
BANDS: tuple[Band, ...] = get_args(Band)
