"""Opening, updating and resolving alerts: for, keep_firing_for and cooldown."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from pulse.alerts.rules.transitions import Action, Step, Track, step

from .conftest import NOW
from .rule_builders import phone_rule

MINUTE = timedelta(minutes=1)
SECOND = timedelta(seconds=1)


@dataclass(frozen=True)
class Timing:
    for_: timedelta = timedelta(0)
    keep_firing_for: timedelta = timedelta(0)
    cooldown: timedelta = timedelta(0)


def run(timing: Timing, *moments: tuple[int, bool, tuple[str, ...]]) -> list[Step]:
    """Step through (minutes after NOW, holds, evidence) and return every step."""
    track = Track()
    out = []
    for minutes, holds, evidence in moments:
        result = step(track, holds, evidence, NOW + minutes * MINUTE, timing)
        out.append(result)
        track = result.track
    return out


def test_with_no_for_an_alert_opens_at_once_and_resolves_when_the_condition_goes() -> None:
    opened, same, resolved = run(Timing(), (0, True, ("a",)), (1, True, ("a",)), (2, False, ()))
    assert (opened.action, opened.track.phase, opened.track.opened_at) == (
        Action.OPEN,
        "firing",
        NOW,
    )
    assert same.action is None
    assert resolved.action is Action.RESOLVE
    assert resolved.track.phase == "quiet"


def test_for_delays_the_opening_to_the_second() -> None:
    timing = Timing(for_=10 * MINUTE)
    first, early, opened = run(timing, (0, True, ("a",)), (9, True, ("a",)), (10, True, ("a",)))
    assert first.action is None
    assert first.next_check == NOW + 10 * MINUTE
    assert early.action is None
    assert opened.action is Action.OPEN


def test_a_condition_that_stops_before_for_never_opens() -> None:
    timing = Timing(for_=10 * MINUTE)
    steps = run(timing, (0, True, ("a",)), (5, False, ()), (12, True, ("a",)), (21, True, ("a",)))
    assert [s.action for s in steps] == [None, None, None, None]
    assert steps[-1].next_check == NOW + 22 * MINUTE  # pending again since minute 12


def test_new_evidence_updates_an_open_alert() -> None:
    steps = run(Timing(), (0, True, ("a",)), (1, True, ("a", "b")), (2, True, ("a", "b")))
    assert [s.action for s in steps] == [Action.OPEN, Action.UPDATE, None]
    assert steps[1].track.evidence == ("a", "b")


def test_keep_firing_for_holds_the_alert_open_through_a_gap() -> None:
    timing = Timing(keep_firing_for=5 * MINUTE)
    steps = run(
        timing,
        (0, True, ("a",)),
        (1, False, ()),
        (3, True, ("a",)),  # back within the grace: still the same alert
        (4, False, ()),
        (8, False, ()),
        (9, False, ()),
    )
    assert [s.action for s in steps] == [Action.OPEN, None, None, None, None, Action.RESOLVE]
    assert steps[1].next_check == NOW + 6 * MINUTE
    assert steps[3].track.phase == "clearing"
    assert steps[3].next_check == NOW + 9 * MINUTE


def test_cooldown_holds_back_a_reopening_until_it_ends() -> None:
    timing = Timing(cooldown=30 * MINUTE)
    steps = run(
        timing,
        (0, True, ("a",)),
        (1, False, ()),
        (2, True, ("b",)),
        (31, True, ("b",)),
    )
    assert [s.action for s in steps] == [Action.OPEN, Action.RESOLVE, None, Action.OPEN]
    assert steps[1].track.quiet_until == NOW + 31 * MINUTE
    assert steps[2].next_check == NOW + 31 * MINUTE
    assert steps[3].track.evidence == ("b",)


def test_quiet_and_not_holding_needs_no_check() -> None:
    (quiet,) = run(Timing(), (0, False, ()))
    assert (quiet.action, quiet.next_check, quiet.track) == (None, None, Track())


def test_a_rule_supplies_its_own_timing() -> None:
    rule = phone_rule(**{"for": "1h", "keep_firing_for": "2h", "cooldown": "1d"})
    first = step(Track(), True, ("a",), NOW, rule)
    assert first.next_check == NOW + timedelta(hours=1)
    opened = step(first.track, True, ("a",), NOW + timedelta(hours=1), rule)
    assert opened.action is Action.OPEN
