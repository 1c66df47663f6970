"""`pulse dev`'s restart policy: backoff doubles to a cap, resets after a healthy run,
and five exits within a minute give up."""

from __future__ import annotations

from pulse.devtools.devstack.restarts import GiveUp, Restart, RestartPolicy, RestartTracker


def crash_at(tracker: RestartTracker, moments: list[float], run_s: float) -> list[object]:
    """Each moment the service starts, runs `run_s` and exits; the decisions."""
    decisions: list[object] = []
    for moment in moments:
        tracker.started(moment)
        decisions.append(tracker.exited(moment + run_s))
    return decisions


def test_backoff_doubles_from_one_second_to_thirty() -> None:
    # Exits two minutes apart never crash-loop, and 10 s runs are not healthy ones.
    tracker = RestartTracker(RestartPolicy(healthy_after_s=60))
    decisions = crash_at(tracker, [120.0 * n for n in range(8)], run_s=10)
    assert [d.delay_s for d in decisions if isinstance(d, Restart)] == [1, 2, 4, 8, 16, 30, 30, 30]
    assert [d.number for d in decisions if isinstance(d, Restart)] == [1, 2, 3, 4, 5, 6, 7, 8]


def test_a_healthy_run_resets_the_backoff_but_not_the_count() -> None:
    tracker = RestartTracker(RestartPolicy(healthy_after_s=60))
    crash_at(tracker, [0.0, 100.0, 200.0], run_s=5)  # delays 1, 2, 4
    tracker.started(300.0)
    decision = tracker.exited(300.0 + 60)  # ran a healthy minute
    assert decision == Restart(delay_s=1, number=4)
    tracker.started(400.0)
    assert tracker.exited(405.0) == Restart(delay_s=2, number=5)


def test_five_exits_within_a_minute_give_up() -> None:
    tracker = RestartTracker()
    decisions = crash_at(tracker, [0.0, 3.0, 7.0, 13.0, 23.0], run_s=1)
    assert all(isinstance(d, Restart) for d in decisions[:4])
    assert decisions[4] == GiveUp(exits=5, window_s=60)


def test_exits_older_than_the_window_do_not_count() -> None:
    tracker = RestartTracker()
    # Four quick exits, then the fifth 61 s after the first: only four within the window.
    decisions = crash_at(tracker, [0.0, 2.0, 5.0, 10.0, 60.0], run_s=1)
    assert all(isinstance(d, Restart) for d in decisions)
