"""One installer at a time: test processes running side by side (pytest-xdist workers,
two test runs) must not unpack or install the same tool into `.tools/` at once."""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def installing(tools_dir: Path) -> Iterator[None]:
    """Hold an exclusive lock on `tools_dir/.install.lock` for the block."""
    tools_dir.mkdir(parents=True, exist_ok=True)
    with (tools_dir / ".install.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
