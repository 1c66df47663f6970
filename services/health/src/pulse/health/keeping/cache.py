"""The accounts one health process owns, in memory: the busiest decoded, the rest frozen.

A decoded `AccountState` costs about 7 KiB (arrays, series keys, ledgers); frozen (its
JSON, zlib-compressed) about 2 KiB. The `hot_limit` accounts scored most recently stay
decoded, so an account with a steady stream of events is never thawed per batch; the
others (most of a large book, re-scored once a day when their windows move) are thawed
when an event or a due time needs them, and frozen again when they fall out of the hot set.
"""

from __future__ import annotations

import gc
import sys
import zlib
from collections.abc import Iterator
from datetime import datetime
from itertools import islice
from typing import Any

import orjson

from pulse.health.scoring.measured import MeasureResults
from pulse.health.scoring.model import ScoringModel
from pulse.health.scoring.state import AccountState

#: zlib level for frozen states: level 1 compresses them about 2.2x at ~45 µs each; higher
#: levels gain under 5% for half again the time.
FREEZE_LEVEL = 1
#: Accounts frozen between the young collections `AccountCache.freeze_coldest` forces.
COLLECT_YOUNG_EVERY_FROZEN = 1_000


def freeze(state_json: bytes) -> bytes:
    """A state's JSON, compressed for keeping in memory."""
    return zlib.compress(state_json, FREEZE_LEVEL)


class CachedAccount:
    """An owned account: its state (decoded or frozen) and what its last scoring said.

    Past scores and components live in `score_history` only (drivers of 7 and 30 days
    are computed when read), which keeps a cached account to its compact state.
    """

    __slots__ = (
        "_frozen",
        "_results",
        "_state",
        "account_id",
        "archived_state_day",
        "band",
        "history_day",
        "history_score",
        "model_version",
        "next_due",
        "partition",
        "score",
        "steps_since_snapshot",
    )

    def __init__(
        self,
        account_id: str,
        partition: int,
        state: AccountState | None = None,
        *,
        frozen: bytes | None = None,
        meta: dict[str, Any] | None = None,
        next_due: datetime | None = None,
    ) -> None:
        if (state is None) == (frozen is None):
            raise ValueError("a cached account needs its state, decoded or frozen")
        meta = meta or {}
        self.account_id = account_id
        self.partition = partition
        self._state = state
        self._frozen = frozen
        self._results: MeasureResults | None = None
        self.remember(meta, next_due)
        #: Steps stored as changes after the account's snapshot (see `changes`); None
        #: while no snapshot is stored.
        self.steps_since_snapshot: int | None = None
        #: The day of the last state this process put in the step archive (see
        #: `rescoring.add_state`); None: none yet.
        self.archived_state_day: int | None = None

    def remember(self, meta: dict[str, Any], next_due: datetime | None) -> None:
        """Take what a stored scoring said (`meta()`) and when the account is next due."""
        self.score: float | None = meta.get("score")
        self.band: str | None = _shared(meta.get("band"))
        self.model_version: str | None = _shared(meta.get("model_version"))
        #: Score of the last history point and its UTC day (ISO), to decide on the next one.
        self.history_score: float | None = meta.get("history_score")
        self.history_day: str | None = _shared(meta.get("history_day"))
        self.next_due = next_due

    @property
    def state(self) -> AccountState:
        """The account's state, decoded (thawed first when frozen)."""
        if self._state is None:
            assert self._frozen is not None
            self._state = AccountState.from_dict(orjson.loads(zlib.decompress(self._frozen)))
            self._frozen = None
        return self._state

    def measure_results(self, keep: bool) -> MeasureResults:
        """The measure results kept with the decoded state (see `measured`); when there
        are none, new ones, kept only if `keep`. (An account re-scored only as time passes
        gains nothing from keeping them: its next re-score falls on another day, which
        evaluates every measure again; not keeping them spares ~0.7 KiB per account.)"""
        if self._results is not None:
            return self._results
        results = MeasureResults()
        if keep:
            self._results = results
        return results

    def changed(self, model: ScoringModel, input_: str) -> None:
        """An event of type `input_` (or a CSM sentiment) changed the state."""
        if self._results is not None:
            self._results.changed(model, input_)

    @property
    def is_frozen(self) -> bool:
        """Whether the state is kept compressed."""
        return self._state is None

    def freeze(self) -> bytes | None:
        """Keep the state compressed until it is needed again; its JSON, if it was decoded."""
        if self._state is None:
            return None
        state_json = orjson.dumps(self._state.to_dict())
        self._frozen = freeze(state_json)
        self._state = self._results = None
        return state_json

    def meta(self) -> dict[str, Any]:
        """What the last scoring said, stored beside the state."""
        return {
            "score": self.score,
            "band": self.band,
            "model_version": self.model_version,
            "history_score": self.history_score,
            "history_day": self.history_day,
        }


def _shared(text: str | None) -> str | None:
    """Bands, model versions and days repeat across accounts: keep one copy of each."""
    return None if text is None else sys.intern(text)


class AccountCache:
    """Owned accounts by id; the `hot_limit` most recently used stay decoded."""

    def __init__(self, hot_limit: int) -> None:
        self.hot_limit = hot_limit
        self._accounts: dict[str, CachedAccount] = {}
        self._hot: dict[str, None] = {}  # least recently used first
        self._frozen_since_collection = 0

    def __len__(self) -> int:
        return len(self._accounts)

    def __iter__(self) -> Iterator[CachedAccount]:
        return iter(self._accounts.values())

    def get(self, account_id: str) -> CachedAccount | None:
        """The cached account, if owned and loaded."""
        return self._accounts.get(account_id)

    def add(self, account: CachedAccount) -> None:
        """Cache an account (replacing any earlier copy)."""
        self._accounts[account.account_id] = account
        self._hot.pop(account.account_id, None)
        if not account.is_frozen:
            self._hot[account.account_id] = None

    def used(self, account: CachedAccount) -> None:
        """`account` was just scored: it is the most recently used."""
        self._hot.pop(account.account_id, None)
        self._hot[account.account_id] = None

    def freeze_coldest(self) -> list[tuple[CachedAccount, bytes]]:
        """Freeze the least recently used decoded accounts beyond `hot_limit`; each with
        its state's JSON."""
        excess = len(self._hot) - self.hot_limit
        if excess <= 0:
            return []
        coldest = list(islice(self._hot, excess))  # oldest first: dicts keep insertion order
        frozen = []
        for account_id in coldest:
            del self._hot[account_id]
            account = self._accounts.get(account_id)
            if account is not None and (state_json := account.freeze()) is not None:
                frozen.append((account, state_json))
        self._frozen_since_collection += excess
        if self._frozen_since_collection >= COLLECT_YOUNG_EVERY_FROZEN:
            # CPython counts freed container objects against the young generation's
            # allocations. Freeing long-lived decoded states while thawing others in their
            # place kept that count under the threshold while the thawed states piled up
            # young, uncollected: a churning cache grew the young generation to ~450,000
            # objects, and the collection that came at last stalled the event loop (and
            # every HTTP request) for ~200 ms. Collecting here keeps each one small.
            gc.collect(0)
            self._frozen_since_collection = 0
        return frozen

    @property
    def hot(self) -> int:
        """How many accounts are decoded."""
        return len(self._hot)

    def drop_partitions(self, numbers: set[int]) -> None:
        """Forget the accounts of those partition numbers."""
        self._accounts = {a: c for a, c in self._accounts.items() if c.partition not in numbers}
        self._hot = {a: None for a in self._hot if a in self._accounts}

    def clear(self) -> None:
        """Forget every account."""
        self._accounts, self._hot = {}, {}
