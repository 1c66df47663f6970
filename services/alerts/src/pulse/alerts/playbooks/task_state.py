"""Whether a task is open, done or overdue at a moment.

A task is overdue from its due moment on (`due_at <= now`) until it is done; a done task
is never overdue, however late it was done. `open` counts overdue tasks too: overdue is
a kind of open.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

TaskFilter = Literal["open", "done", "overdue"]


def is_overdue(due_at: datetime, done_at: datetime | None, now: datetime) -> bool:
    """Whether a task due at `due_at` is late at `now` (never once done)."""
    return done_at is None and due_at <= now
