"""The state's stored form: compact stores, versioned JSON, older formats, exact values."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pulse.common.events import Event, validate_event
from pulse.devtools.testing.strategies import NOW as STRATEGY_NOW
from pulse.devtools.testing.strategies import raw_events
from pulse.health.scoring.days import day_of
from pulse.health.scoring.lastseen import LastSeen
from pulse.health.scoring.ledger import Item, ItemLedger
from pulse.health.scoring.model import default_model
from pulse.health.scoring.score import score_account
from pulse.health.scoring.state import AccountState

from .state_canonical import canonical

Make = Callable[..., Event]
DAY = timedelta(days=1)


# -- compact stores --------------------------------------------------------------------


def test_last_seen_keeps_the_latest_day_and_forgets_the_stalest_past_its_limit() -> None:
    seen = LastSeen(limit=3)
    assert seen.see("a", 10)
    assert not seen.see("a", 9)
    assert seen.see("a", 12)
    seen.see("b", 11)
    seen.see("c", 13)
    seen.see("d", 14)  # over the limit: b, the stalest, goes
    assert (len(seen), seen.day_of("a"), seen.day_of("b"), seen.day_of("d")) == (3, 12, None, 14)
    assert seen.count_since(13) == 2
    assert seen.earliest_since(13) == 13


def test_ledger_round_trips_and_drops_closed_before_open_past_its_limit() -> None:
    ledger = ItemLedger(limit=2)
    ledger.put(1, Item(opened=100, closed=0, tag=3, due_day=20000, amount=12.5))
    ledger.put(2, Item(opened=100, closed=200))
    ledger.put(3, Item(opened=300))
    assert ledger.get(2) is None  # the closed one went first
    assert ledger.get(1) == Item(100, 0, 3, 20000, 12.5)
    assert ItemLedger.from_list(ledger.to_list()).to_list() == ledger.to_list()


# -- JSON ------------------------------------------------------------------------------


def test_state_json_is_compact_and_versioned(event: Make, now: datetime) -> None:
    state = AccountState()
    state.apply(event("support.ticket.opened", now, ticket_id="a", priority="urgent"))
    today = day_of(now)
    assert state.to_dict() == {
        "v": 2,
        "clock": int(now.timestamp()),
        "series": {
            "keys": ["support.ticket.opened|urgent|-"],
            "last": [today],
            "cells": [1],
            "d": [today],
            "n": [1],
        },
        "tickets": [[state.to_dict()["tickets"][0][0], int(now.timestamp()), 0, 4, 0, 0.0]],
    }
    with pytest.raises(ValueError, match="format 1 or 2, got 99"):
        AccountState.from_dict({"v": 99, "clock": 0})


def test_format_1_states_still_load(now: datetime) -> None:
    today = day_of(now)
    stored = {
        "v": 1,
        "clock": int(now.timestamp()),
        "series": {
            "support.ticket.opened|urgent|-": {"d": [today - 2, 2], "n": [1, 3]},
            "usage.activity": {
                "d": [today - 1], "n": [2], "t": today, "vt": 5, "v": 4,
                "vd": [today - 1], "vn": [-1], "vs": [2.5],
            },
        },
    }  # fmt: skip
    state = AccountState.from_dict(stored)
    assert state.to_dict()["v"] == 2
    assert canonical(state)["series"] == {
        "support.ticket.opened|urgent|-": {
            "d": [today - 2, today], "n": [1, 3], "last": today, "vt": 0, "v": 0.0,
            "vd": [], "vn": [], "vs": [],
        },
        "usage.activity": {
            "d": [today - 1], "n": [2], "last": today, "vt": 5, "v": 4.0,
            "vd": [today - 1], "vn": [-1], "vs": [2.5],
        },
    }  # fmt: skip
    assert state.daily.valued(1, today - 1) == (1, 4.5)


def test_inconsistent_columns_are_refused(now: datetime) -> None:
    state = AccountState()
    state.daily.add("usage.activity", day_of(now), int(now.timestamp()), 2.0, True)
    stored = state.to_dict()
    stored["series"]["cells"] = [2]
    with pytest.raises(ValueError, match="lengths do not match"):
        AccountState.from_dict(stored)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raws=st.lists(raw_events(), max_size=40), sentiment=st.sampled_from([None, "green", "red"]))
def test_json_round_trip_keeps_everything(
    raws: list[dict[str, Any]], sentiment: str | None
) -> None:
    state = AccountState()
    for raw in sorted(raws, key=lambda r: str(r["occurred_at"])):
        state.apply(validate_event(raw, now=STRATEGY_NOW))
    if sentiment is not None:
        state.set_csm_sentiment(sentiment, "a note", STRATEGY_NOW)
    stored = orjson.loads(orjson.dumps(state.to_dict()))
    loaded = AccountState.from_dict(stored)
    assert loaded.to_dict() == state.to_dict()
    model = default_model()
    assert score_account(model, loaded, STRATEGY_NOW) == score_account(model, state, STRATEGY_NOW)
    assert loaded.next_change_at(model, STRATEGY_NOW) == state.next_change_at(model, STRATEGY_NOW)


def test_daily_counts_widen_past_65535_events_a_day(now: datetime) -> None:
    state = AccountState()
    second, today = int(now.timestamp()), day_of(now)
    for _ in range(70_000):
        state.daily.add("usage.activity", today, second, None, True)
    assert state.daily.count(0, today) == 70_000
    assert AccountState.from_dict(state.to_dict()).daily.count(0, today) == 70_000


def test_value_sums_stay_exact_through_storage(now: datetime) -> None:
    state = AccountState()
    second, today = int(now.timestamp()), day_of(now)
    daily = state.daily
    daily.add("usage.activity", today - 1, second - 86_400, 3.0, True)
    daily.add("usage.activity", today, second, 2.0, True)
    daily.add("usage.activity", today, second, None, True)  # carries no value
    assert daily.valued(0, today - 1) == (2, 5.0)
    daily.add("usage.activity", today, second, 0.25, True)
    daily.add("usage.activity", today, second, 3e9, True)
    assert daily.valued(0, today) == (3, 2.0 + 0.25 + 3e9)
    loaded = AccountState.from_dict(orjson.loads(orjson.dumps(state.to_dict())))
    assert loaded.daily.valued(0, today - 1) == (4, 5.0 + 0.25 + 3e9)
    assert loaded.to_dict() == state.to_dict()
