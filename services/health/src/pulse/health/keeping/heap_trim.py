"""Handing freed heap memory back to the operating system.

Loading partitions and re-scoring every account at midnight thaw and re-freeze states:
megabytes of short-lived buffers interleaved with long-lived ones. glibc keeps the freed
pages in its heap, so RSS stays at the peak; `malloc_trim` returns them.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from collections.abc import Callable
from functools import cache


@cache
def _malloc_trim() -> Callable[[int], int] | None:
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        trim: Callable[[int], int] = ctypes.CDLL(name).malloc_trim
        return trim
    except (OSError, AttributeError):  # not glibc (musl, macOS): nothing to do
        return None


def release_free_memory() -> bool:
    """Return free heap pages to the OS; whether this C library can."""
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True
