"""The account cache: frozen states thaw to the same state; the coldest are frozen first."""

from __future__ import annotations

import gc
from collections.abc import Callable
from datetime import datetime, timedelta

import orjson
import pytest

from pulse.common.events import Event
from pulse.common.service_main import GC_YOUNG_THRESHOLD
from pulse.health.keeping.cache import AccountCache, CachedAccount, freeze
from pulse.health.scoring.state import AccountState


def busy_state(event: Callable[..., Event], now: datetime) -> AccountState:
    state = AccountState()
    for day in range(40):
        at = now - timedelta(days=day)
        state.apply(event("usage.activity", at, user_id=f"u{day % 7}", feature=f"f{day % 3}"))
        state.apply(event("support.ticket.opened", at, ticket_id=f"t{day}", priority="high"))
    return state


def test_a_frozen_account_thaws_to_the_state_it_was_frozen_with(
    event: Callable[..., Event], now: datetime
) -> None:
    state = busy_state(event, now)
    account = CachedAccount("acme", 0, state, meta={"score": 61.5, "band": "yellow"})
    account.freeze()
    forms = [account.is_frozen]
    assert account.state.to_dict() == state.to_dict()
    forms.append(account.is_frozen)
    assert forms == [True, False]  # frozen, then thawed by reading the state
    assert (account.score, account.band) == (61.5, "yellow")


def test_an_account_loaded_as_stored_json_thaws_to_that_state(
    event: Callable[..., Event], now: datetime
) -> None:
    state = busy_state(event, now)
    # Rows written before migration 0003 (jsonb) come back with spaces after separators.
    stored = orjson.dumps(state.to_dict()).replace(b",", b", ").replace(b":", b": ")
    account = CachedAccount("acme", 3, frozen=freeze(stored), meta={"model_version": "m-1"})
    assert account.state.to_dict() == state.to_dict()
    assert account.model_version == "m-1"


def test_a_cached_account_needs_exactly_one_form_of_its_state() -> None:
    with pytest.raises(ValueError, match="decoded or frozen"):
        CachedAccount("acme", 0)
    with pytest.raises(ValueError, match="decoded or frozen"):
        CachedAccount("acme", 0, AccountState(), frozen=b"x")


def test_the_least_recently_scored_accounts_are_frozen_beyond_the_hot_limit() -> None:
    cache = AccountCache(hot_limit=2)
    accounts = [CachedAccount(f"a{i}", 0, AccountState()) for i in range(4)]
    for account in accounts:
        cache.add(account)
    cache.used(accounts[0])  # a0 is now the most recent: a1 and a2 are the coldest
    frozen = cache.freeze_coldest()
    assert [(a.account_id, orjson.loads(j)) for a, j in frozen] == [
        ("a1", AccountState().to_dict()),
        ("a2", AccountState().to_dict()),
    ]  # with the JSON of their states, for their snapshots
    assert [a.is_frozen for a in accounts] == [False, True, True, False]
    assert cache.hot == 2
    accounts[1].state  # noqa: B018 - thawing on access
    cache.used(accounts[1])
    assert [a.account_id for a, _ in cache.freeze_coldest()] == ["a3"]
    assert [a.is_frozen for a in accounts] == [False, False, True, True]


def test_dropping_partitions_forgets_their_accounts() -> None:
    cache = AccountCache(hot_limit=10)
    for i in range(6):
        cache.add(CachedAccount(f"a{i}", i % 3, AccountState()))
    cache.drop_partitions({0, 2})
    assert sorted(a.account_id for a in cache) == ["a1", "a4"]
    assert cache.hot == 2
    assert cache.get("a0") is None


def test_measure_results_are_kept_when_asked_and_dropped_when_frozen(
    event: Callable[..., Event], now: datetime
) -> None:
    account = CachedAccount("acme", 0, busy_state(event, now))
    passing = account.measure_results(keep=False)  # a re-score as time passes
    assert account.measure_results(keep=False) is not passing  # nothing was kept
    kept = account.measure_results(keep=True)  # a re-score after events
    assert account.measure_results(keep=False) is kept
    account.freeze()
    assert account.measure_results(keep=False) is not kept  # they went with the state


def test_churning_decoded_accounts_keeps_the_young_generation_small(
    event: Callable[..., Event], now: datetime
) -> None:
    # Freeing long-lived decoded states lowers CPython's count of young objects, while
    # the states thawed in their place stay young: unforced, this churn grows the young
    # generation by ~2,100 objects a round, uncounted, to ~130,000.
    frozen = freeze(orjson.dumps(busy_state(event, now).to_dict()))
    cache = AccountCache(hot_limit=6_000)
    saved = gc.get_threshold()
    gc.set_threshold(GC_YOUNG_THRESHOLD, 50, 100)  # as services run
    try:
        young: list[int] = []
        for round_ in range(120):  # 60 rounds fill the hot set, 60 replace it
            for i in range(100):
                account = CachedAccount(f"a{round_}-{i}", 0, frozen=frozen)
                cache.add(account)
                account.state  # noqa: B018 - thawing on access
                cache.used(account)
            cache.freeze_coldest()
            if round_ == 59:
                gc.collect()  # the hot set has lived long: it is old
            young.append(len(gc.get_objects(0)))
    finally:
        gc.set_threshold(*saved)
    assert cache.hot == 6_000
    assert max(young) < GC_YOUNG_THRESHOLD
