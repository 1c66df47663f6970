"""Every rule watching one account: alert ids, catch-up at missed edges, account filters,
rule changes, and a watch stored and read back mid-stream."""

from __future__ import annotations

from datetime import timedelta

import orjson

from pulse.alerts.evaluation.alert_ids import alert_id
from pulse.alerts.evaluation.rulebook import Rulebook
from pulse.alerts.evaluation.watch import AccountWatch, AlertChange
from pulse.alerts.rules.transitions import Action
from pulse.common.events import Event

from .conftest import NOW, make_event
from .rule_builders import phone_rule, quiet_rule

START = NOW - timedelta(days=30)


def phone(at_day: float, n: int) -> Event:
    at = START + timedelta(days=at_day)
    return make_event(
        "support.ticket.opened", at, event_id=f"t{n}", ticket_id=f"t{n}", channel="phone"
    )


def watching(book: Rulebook) -> AccountWatch:
    watch = AccountWatch("acme", 0, START)
    watch.follow(book, START)
    return watch


def feed(watch: AccountWatch, book: Rulebook, event: Event, now_day: float) -> list[AlertChange]:
    now = START + timedelta(days=now_day)
    changes = watch.catch_up(book, now)
    watch.note_facts(event)
    watch.observe(event, now)
    return changes + watch.step(book, now)


def test_three_tickets_open_an_alert_with_a_stable_id_and_the_reason() -> None:
    book = Rulebook([phone_rule(keep_firing_for="1d")])
    watch = watching(book)
    assert feed(watch, book, phone(1, 1), 1) == []
    assert feed(watch, book, phone(2, 2), 2) == []
    [opened] = feed(watch, book, phone(3, 3), 3)
    assert opened.action is Action.OPEN
    assert opened.alert_id == alert_id("acme", "phone_tickets", 1)
    assert opened.reason.startswith("acme: 3 phone calls to support in 14 days")
    assert watch.next_check == START + timedelta(days=15)  # the first ticket leaves


def test_a_late_tick_clears_from_the_edge_not_from_when_it_looked() -> None:
    book = Rulebook([phone_rule(keep_firing_for="1d")])
    watch = watching(book)
    for n in range(1, 4):
        feed(watch, book, phone(n, n), n)
    # Nothing steps the watch until day 40: the condition stopped on day 15 and the
    # alert resolves one day later, on day 16, not on day 41.
    late = START + timedelta(days=40)
    changes = watch.catch_up(book, late) + watch.step(book, late)
    [resolved] = [c for c in changes if c.action is Action.RESOLVE]
    assert resolved.at == START + timedelta(days=16)


def test_the_next_alert_of_a_rule_gets_the_next_id() -> None:
    book = Rulebook([phone_rule(at_least=1, window="1d")])
    watch = watching(book)
    [first] = feed(watch, book, phone(1, 1), 1)
    watch.catch_up(book, START + timedelta(days=5))
    watch.step(book, START + timedelta(days=5))
    [second] = feed(watch, book, phone(5, 2), 5)
    assert (first.action, second.action) == (Action.OPEN, Action.OPEN)
    assert second.alert_id == alert_id("acme", "phone_tickets", 2) != first.alert_id


def test_a_rule_for_another_segment_never_fires_and_resolves_when_the_account_moves() -> None:
    book = Rulebook([phone_rule(at_least=1, segments=["high_touch"])])
    watch = watching(book)
    assert feed(watch, book, phone(1, 1), 1) == []
    moved = make_event("account.updated", START + timedelta(days=2), segment="high_touch")
    [opened] = feed(watch, book, moved, 2)
    assert opened.action is Action.OPEN
    away = make_event("account.updated", START + timedelta(days=3), segment="tech_touch")
    [resolved] = feed(watch, book, away, 3)
    assert resolved.action is Action.RESOLVE


def test_owner_filters_follow_account_updates() -> None:
    book = Rulebook([phone_rule(at_least=1, owners=["dana"])])
    watch = watching(book)
    owner = make_event("account.updated", START, owner="dana", name="Acme Corp")
    feed(watch, book, owner, 0.5)
    [opened] = feed(watch, book, phone(1, 1), 1)
    assert opened.reason.startswith("Acme Corp: 1 phone calls")


def test_an_absence_rule_opens_by_time_alone() -> None:
    book = Rulebook([quiet_rule(silence="14d")])
    watch = watching(book)
    use = make_event("usage.activity", START, user_id="u")
    assert feed(watch, book, use, 0) == []
    assert watch.next_check == START + timedelta(days=14)
    later = START + timedelta(days=20)
    changes = watch.catch_up(book, later)
    assert [c.action for c in changes] == [Action.OPEN]
    assert changes[0].at == START + timedelta(days=14)


def test_a_changed_rule_starts_afresh_and_a_removed_one_is_dropped() -> None:
    book = Rulebook([phone_rule(at_least=2), quiet_rule()])
    watch = watching(book)
    feed(watch, book, phone(1, 1), 1)
    changed = Rulebook([phone_rule(at_least=3)])
    watch.follow(changed, START + timedelta(days=2))
    assert set(watch.rules) == {"phone_tickets"}
    verdict = watch.rules["phone_tickets"].state.evaluate(START + timedelta(days=2))
    assert verdict.count == 0


def test_a_watch_read_back_mid_stream_goes_on_exactly_as_the_one_kept() -> None:
    book = Rulebook([phone_rule(keep_firing_for="1d"), quiet_rule(silence="3d")])
    kept = watching(book)
    feed(kept, book, make_event("account.updated", START, owner="dana"), 0)
    feed(kept, book, phone(1, 1), 1)
    feed(kept, book, phone(2, 2), 2)
    stored = orjson.loads(orjson.dumps(kept.snapshot()))
    restored = AccountWatch.restore("acme", 0, stored, book)
    restored.follow(book, START + timedelta(days=2))
    assert restored.owner == "dana"
    assert restored.next_check == kept.next_check
    changes: dict[int, list[AlertChange]] = {}
    later = START + timedelta(days=30)
    for watch in (kept, restored):
        made = feed(watch, book, phone(3, 3), 3)
        made += watch.catch_up(book, later) + watch.step(book, later)
        changes[id(watch)] = made
    a, b = changes[id(kept)], changes[id(restored)]
    assert [(c.action, c.alert_id, c.at, c.reason) for c in a] == [
        (c.action, c.alert_id, c.at, c.reason) for c in b
    ]
    # The phone alert opened and resolved, and the silence opened.
    assert sorted(c.action for c in a) == [Action.OPEN, Action.OPEN, Action.RESOLVE]


def test_a_clock_that_goes_back_never_moves_the_watch_back() -> None:
    book = Rulebook([phone_rule(at_least=1, window="1d")])
    watch = watching(book)
    feed(watch, book, phone(5, 1), 5)
    # Another process with a clock two days behind takes the account over.
    behind = START + timedelta(days=3)
    changes = watch.catch_up(book, behind) + watch.step(book, behind)
    assert changes == []
    assert watch.stepped_at == START + timedelta(days=5)


def test_a_rule_added_later_catches_up_from_the_last_step() -> None:
    book = Rulebook([phone_rule(at_least=1, window="1d")])
    watch = watching(book)
    feed(watch, book, phone(1, 1), 1)
    grown = Rulebook([phone_rule(at_least=1, window="1d"), quiet_rule(silence="3d")])
    later = START + timedelta(days=10)
    watch.follow(grown, later)
    changes = watch.catch_up(grown, later) + watch.step(grown, later)
    assert [c.action for c in changes] == [Action.RESOLVE, Action.OPEN]


def test_a_rule_that_does_not_resolve_by_itself_leaves_the_resolution_to_a_person() -> None:
    book = Rulebook([phone_rule(at_least=1, window="1d", auto_resolve=False)])
    watch = watching(book)
    [opened] = feed(watch, book, phone(1, 1), 1)
    later = START + timedelta(days=5)
    assert watch.catch_up(book, later) + watch.step(book, later) == []
    [again] = feed(watch, book, phone(6, 2), 6)
    assert again.action is Action.OPEN  # the store turns it into an update of the open one
    assert again.alert_id != opened.alert_id
