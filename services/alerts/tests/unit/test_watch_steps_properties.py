"""Stepping only the rules that can have changed gives exactly what stepping every rule
every time gives: the same alert changes at the same moments, the same next check, and a
watch stored and read back at any point goes on the same way."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from pulse.alerts.evaluation.rulebook import Rulebook
from pulse.alerts.evaluation.watch import AccountWatch, AlertChange
from pulse.alerts.rules.loading import default_rules

from .conftest import NOW, make_event, make_point
from .rule_builders import phone_rule, quiet_rule

START = NOW - timedelta(days=60)
BOOK = Rulebook(
    [
        *default_rules().rules,
        phone_rule(id="phone_for", at_least=2, window="2d", **{"for": "6h"}),
        quiet_rule(id="quiet_segment", silence="2d", segments=["high_touch"]),
    ]
)

#: One input: a phone or email ticket, usage, a segment move, or a health score.
inputs = st.one_of(
    st.tuples(st.just("ticket"), st.sampled_from(["phone", "email"]), st.integers(0, 3 * 86400)),
    st.tuples(st.just("usage"), st.just(""), st.integers(0, 86400)),
    st.tuples(st.just("segment"), st.sampled_from(["high_touch", "tech_touch"]), st.just(0)),
    st.tuples(st.just("score"), st.sampled_from(["90", "55", "30"]), st.just(0)),
)
steps = st.lists(
    st.tuples(st.integers(0, 3 * 86400), st.lists(inputs, max_size=3)), min_size=1, max_size=25
)


def _apply(watch: AccountWatch, now: Any, batch: list[tuple[str, str, int]], n: int) -> None:
    for k, (kind, value, ago) in enumerate(batch):
        at = now - timedelta(seconds=ago)
        key = f"{n}-{k}"
        if kind == "ticket":
            event = make_event(
                "support.ticket.opened", at, event_id=key, ticket_id=key, channel=value
            )
        elif kind == "usage":
            event = make_event("usage.activity", at, event_id=key, user_id="u")
        elif kind == "segment":
            event = make_event("account.updated", at, event_id=key, segment=value)
        else:
            watch.observe_score(make_point(now, float(value), message_id=key), None, now)
            continue
        watch.note_facts(event)
        watch.observe(event, now)


def _seen(changes: list[AlertChange]) -> list[tuple[Any, ...]]:
    return [(c.action, c.alert_id, c.at, c.reason) for c in changes]


@settings(max_examples=150, deadline=None)
@given(steps, st.integers(0, 25))
def test_stepping_the_changed_rules_gives_what_stepping_all_of_them_gives(
    run: list[tuple[int, list[tuple[str, str, int]]]], stored_at: int
) -> None:
    lazy = AccountWatch("acme", 0, START)
    lazy.follow(BOOK, START)
    full = AccountWatch("acme", 0, START)
    full.follow(BOOK, START)
    now = START
    for n, (advance, batch) in enumerate(run):
        now += timedelta(seconds=advance)
        if n == stored_at:  # the lazy one goes through storage
            snapshot = orjson.loads(orjson.dumps(lazy.snapshot()))
            lazy = AccountWatch.restore("acme", 0, snapshot, BOOK)
            lazy.follow(BOOK, now)
        made = {}
        for name, watch in (("lazy", lazy), ("full", full)):
            if name == "full":
                for rule in watch.rules.values():
                    rule.touched()  # every rule evaluated at every step
            changes = watch.catch_up(BOOK, now)
            _apply(watch, now, batch, n)
            made[name] = _seen(changes + watch.step(BOOK, now))
        assert made["lazy"] == made["full"]
        assert lazy.next_check == full.next_check
