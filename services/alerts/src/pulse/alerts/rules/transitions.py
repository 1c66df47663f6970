"""When an alert opens, updates and resolves, from whether its condition holds over time.

An alert of one (rule, account) is in one of four phases:
- `quiet`: not open; after a resolution it may not open again before `quiet_until`;
- `pending`: the condition holds since `since`, not yet for the rule's `for`;
- `firing`: open;
- `clearing`: open, but the condition stopped holding at `since`; it resolves once that
  has lasted `keep_firing_for`, and is simply firing again if the condition returns.

`step` is called with what a verdict said at `now` (never earlier than the last call) and
returns the new track, the action to take, and when to call again with no new event.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Literal, Protocol

Phase = Literal["quiet", "pending", "firing", "clearing"]


class Action(StrEnum):
    """What the alerts service does with the alert."""

    OPEN = "open"
    UPDATE = "update"
    RESOLVE = "resolve"


class Timing(Protocol):
    """The timing fields every rule has."""

    @property
    def for_(self) -> timedelta: ...
    @property
    def keep_firing_for(self) -> timedelta: ...
    @property
    def cooldown(self) -> timedelta: ...


@dataclass(frozen=True, slots=True)
class Track:
    """Where an alert stands; `evidence` is the event ids last reported."""

    phase: Phase = "quiet"
    since: datetime | None = None
    opened_at: datetime | None = None
    quiet_until: datetime | None = None
    evidence: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Step:
    """The outcome of one step: new track, action (or None), and when to look again."""

    track: Track
    action: Action | None
    next_check: datetime | None


def step(
    track: Track, holds: bool, evidence: tuple[str, ...], now: datetime, timing: Timing
) -> Step:
    """Advance an alert's track to `now` given whether its condition holds."""
    if track.phase == "quiet":
        if not holds:
            return Step(track, None, None)
        track = replace(track, phase="pending", since=now)
    if track.phase == "pending":
        return _pending(track, holds, evidence, now, timing)
    if holds:
        return _holding_while_open(track, evidence)
    return _not_holding_while_open(track, now, timing)


def _pending(
    track: Track, holds: bool, evidence: tuple[str, ...], now: datetime, timing: Timing
) -> Step:
    if not holds:
        return Step(replace(track, phase="quiet", since=None), None, None)
    assert track.since is not None
    opens_at = max(track.since + timing.for_, track.quiet_until or track.since)
    if now < opens_at:
        return Step(track, None, opens_at)
    opened = Track(phase="firing", since=None, opened_at=now, evidence=evidence)
    return Step(opened, Action.OPEN, None)


def _holding_while_open(track: Track, evidence: tuple[str, ...]) -> Step:
    firing = replace(track, phase="firing", since=None, evidence=evidence)
    return Step(firing, Action.UPDATE if evidence != track.evidence else None, None)


def _not_holding_while_open(track: Track, now: datetime, timing: Timing) -> Step:
    if track.phase == "firing":
        track = replace(track, phase="clearing", since=now)
    assert track.since is not None
    resolves_at = track.since + timing.keep_firing_for
    if now < resolves_at:
        return Step(track, None, resolves_at)
    quiet = Track(phase="quiet", quiet_until=now + timing.cooldown)
    return Step(quiet, Action.RESOLVE, None)
