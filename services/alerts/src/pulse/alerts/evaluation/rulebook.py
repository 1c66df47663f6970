"""The rules in force, each with a fingerprint of its definition.

A rule's state is kept only while its definition is unchanged: a state built for "3 in 14
days" says nothing true about "5 in 7 days". The fingerprint tells a stored state which
definition it was built for.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator

import orjson

from pulse.alerts.rules.definitions import Rule
from pulse.alerts.rules.states import watches_scores


def fingerprint(rule: Rule) -> str:
    """A short digest of everything the rule says."""
    body = orjson.dumps(rule.model_dump(mode="json", by_alias=True), option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(body).hexdigest()[:16]


class Rulebook:
    """The rules in force, by id, with their fingerprints."""

    def __init__(self, rules: Iterable[Rule]) -> None:
        self.rules: dict[str, Rule] = {rule.id: rule for rule in rules}
        self.fingerprints = {rule_id: fingerprint(r) for rule_id, r in self.rules.items()}
        #: Event types some rule watches: other events need no evaluation.
        self.event_types = frozenset(
            event for rule in self.rules.values() if (event := getattr(rule, "event", None))
        )
        #: Rules over health scores, by id.
        self.score_rules = tuple(r.id for r in self.rules.values() if watches_scores(r))
        #: Whether some rule watches health scores (else score changes need no watch).
        self.watches_scores = any(watches_scores(rule) for rule in self.rules.values())
        self._readers: dict[str, tuple[str, ...]] = {}

    def readers(self, event_type: str) -> tuple[str, ...]:
        """Ids of the rules whose state events of this type can change."""
        found = self._readers.get(event_type)
        if found is None:
            found = tuple(r.id for r in self.rules.values() if r.reads(event_type))
            self._readers[event_type] = found
        return found

    def __iter__(self) -> Iterator[Rule]:
        return iter(self.rules.values())

    def __len__(self) -> int:
        return len(self.rules)
