"""An alert's track (see `rules.transitions`) as JSON-able values, for storage."""

from __future__ import annotations

from typing import Any

from pulse.alerts.rules.snapshots import from_micros, to_micros
from pulse.alerts.rules.transitions import Track


def track_to_json(track: Track) -> dict[str, Any]:
    """A track as JSON-able values (moments in epoch microseconds)."""
    return {
        "phase": track.phase,
        "since": _micros(track.since),
        "opened_at": _micros(track.opened_at),
        "quiet_until": _micros(track.quiet_until),
        "evidence": list(track.evidence),
    }


def track_from_json(value: dict[str, Any]) -> Track:
    """The track `track_to_json` gave `value` for."""
    return Track(
        phase=value["phase"],
        since=_moment(value["since"]),
        opened_at=_moment(value["opened_at"]),
        quiet_until=_moment(value["quiet_until"]),
        evidence=tuple(value["evidence"]),
    )


def _micros(moment: Any) -> int | None:
    return None if moment is None else to_micros(moment)


def _moment(micros: int | None) -> Any:
    return None if micros is None else from_micros(micros)
