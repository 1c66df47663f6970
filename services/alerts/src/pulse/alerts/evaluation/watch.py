"""Every rule watching one account: the account's facts, each rule's state and track.

`observe` offers an event to the rules that read its type (`note_facts` takes an
`account.updated`'s segment, owner and name); `step` evaluates the rules at a moment and
returns the alert changes (open, update, resolve), each with its stable alert id, verdict
and reason. `next_check` is the first moment a step can change something with no new
event: the service re-evaluates the account then (a window edge, a silence reaching its
length, a `for` or `keep_firing_for` ending).

A step evaluates only the rules that can have changed: those that took an event or a
score since their last evaluation, and those whose own next moment has come. Another
rule's verdict is the one it gave last, by construction; skipping it (and reusing its last
snapshot) is what keeps a busy account's usage events cheap.

A rule whose segments or owners leave the account out is treated as not holding, so an
alert it opened resolves when the account moves away.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pulse.alerts.evaluation.alert_ids import alert_id
from pulse.alerts.evaluation.rulebook import Rulebook
from pulse.alerts.evaluation.tracks import track_from_json, track_to_json
from pulse.alerts.rules.definitions import Rule
from pulse.alerts.rules.intake import Outcome
from pulse.alerts.rules.reasons import reason
from pulse.alerts.rules.score_points import ScorePoint
from pulse.alerts.rules.snapshots import from_micros, to_micros
from pulse.alerts.rules.states import RuleState, ScoreWatcher, new_state, restore_state
from pulse.alerts.rules.transitions import Action, Track, step
from pulse.alerts.rules.verdict import Verdict
from pulse.common.events import Event

#: Most past moments one catch-up steps through (each is an edge, so few are ever due).
MAX_CATCH_UP = 100


@dataclass(slots=True)
class RuleWatch:
    """One rule's state and alert track for the account."""

    fingerprint: str
    state: RuleState
    track: Track
    #: Alerts this rule has opened for the account (numbers the next one's id).
    opened: int = 0
    #: When the rule's answer can next change with no new input (None: only an input).
    due: datetime | None = None
    #: Whether it took an input since it was last evaluated.
    dirty: bool = True
    #: Its snapshot while nothing changed since it was taken.
    stored: dict[str, Any] | None = None

    def touched(self) -> None:
        """The state took an input: evaluate it at the next step, snapshot it anew."""
        self.dirty = True
        self.stored = None


@dataclass(frozen=True, slots=True)
class AlertChange:
    """An alert to open, update or resolve."""

    action: Action
    alert_id: str
    rule: Rule
    account_id: str
    verdict: Verdict
    reason: str
    at: datetime


class AccountWatch:
    """The rules watching one account."""

    def __init__(self, account_id: str, partition: int, started_at: datetime) -> None:
        self.account_id = account_id
        self.partition = partition
        self.started_at = started_at
        self.segment: str | None = None
        self.owner: str | None = None
        self.name: str | None = None
        self.rules: dict[str, RuleWatch] = {}
        self.rulebook = Rulebook([])
        self.next_check: datetime | None = None
        #: The latest health (score, band) health reported, if any.
        self.health: tuple[float, str] | None = None
        #: The last moment the rules were stepped at.
        self.stepped_at: datetime | None = None

    def follow(self, rulebook: Rulebook, now: datetime) -> None:
        """Watch with the rules in force: fresh states for new or changed rules (an open
        alert keeps its track), none for removed ones. A fresh state starts at the last
        step, so catching up on the edges missed since then never moves it back."""
        start = self.stepped_at or now
        self.rulebook = rulebook
        for rule in rulebook:
            printed = rulebook.fingerprints[rule.id]
            kept = self.rules.get(rule.id)
            if kept is None:
                self.rules[rule.id] = RuleWatch(printed, new_state(rule, start), Track())
            elif kept.fingerprint != printed:
                kept.fingerprint, kept.state = printed, new_state(rule, start)
                kept.touched()
        for rule_id in self.rules.keys() - rulebook.rules.keys():
            del self.rules[rule_id]

    def observe(self, event: Event, now: datetime) -> set[Outcome]:
        """Take an event seen at `now` (an `account.updated` also moves the account's
        facts: `note_facts`); what the rules did with it."""
        now = self.not_before(now)
        outcomes = set()
        for rule_id in self.rulebook.readers(event.type):
            watch = self.rules.get(rule_id)
            if watch is None:
                continue
            outcome = watch.state.observe(event, now)
            if outcome is Outcome.TAKEN:
                watch.touched()
            outcomes.add(outcome)
        return outcomes

    def not_before(self, now: datetime) -> datetime:
        """`now`, or the moment the watch was last stepped at if that is later: a clock
        that went back (another process's, a corrected one) never moves a watch back."""
        return self.stepped_at if self.stepped_at is not None and self.stepped_at > now else now

    def catch_up(self, rulebook: Rulebook, now: datetime) -> list[AlertChange]:
        """Step at each moment something was due before `now` and not yet stepped (a late
        tick, a restart): a condition that stopped holding at an edge clears from that
        edge, not from whenever the service looked. Call before observing `now`'s events."""
        changes: list[AlertChange] = []
        for _ in range(MAX_CATCH_UP):
            due = self.next_check
            if due is None or due >= now or (self.stepped_at and due <= self.stepped_at):
                break
            changes += self.step(rulebook, due)
        return changes

    def observe_score(self, point: ScorePoint, segment: str | None, now: datetime) -> bool:
        """Take a health score point seen at `now`; whether any rule took it."""
        now = self.not_before(now)
        self.segment = self.segment or segment
        self.health = (point.score, point.band)
        taken = False
        for rule_id in self.rulebook.score_rules:
            watch = self.rules.get(rule_id)
            if watch is not None and isinstance(watch.state, ScoreWatcher):
                if watch.state.observe_score(point, now) is Outcome.TAKEN:
                    watch.touched()
                    taken = True
        return taken

    def step(self, rulebook: Rulebook, now: datetime) -> list[AlertChange]:
        """Evaluate the rules that can have changed at `now` (or later: `not_before`);
        the alert changes, and `next_check` set."""
        now = self.not_before(now)
        changes = []
        checks: list[datetime] = []
        self.stepped_at = now
        for rule_id, watch in self.rules.items():
            if not watch.dirty and (watch.due is None or watch.due > now):
                if watch.due is not None:
                    checks.append(watch.due)
                continue
            rule = rulebook.rules[rule_id]
            verdict = watch.state.evaluate(now)
            holds = verdict.holds and rule.applies_to(self.segment, self.owner)
            evidence = tuple(e.event_id for e in verdict.evidence)
            stepped = step(watch.track, holds, evidence, now, rule)
            watch.track = stepped.track
            moments = [m for m in (verdict.next_change, stepped.next_check) if m is not None]
            watch.due = min(moments, default=None)
            watch.dirty, watch.stored = False, None
            checks += moments
            if stepped.action is None:
                continue
            if stepped.action is Action.RESOLVE and not rule.auto_resolve:
                continue  # cleared, but the alert waits for a person to resolve it
            if stepped.action is Action.OPEN:
                watch.opened += 1
            number = watch.opened
            label = self.name or self.account_id
            changes.append(
                AlertChange(
                    action=stepped.action,
                    alert_id=alert_id(self.account_id, rule_id, number),
                    rule=rule,
                    account_id=self.account_id,
                    verdict=verdict,
                    reason=reason(rule, label, verdict),
                    at=now,
                )
            )
        self.next_check = min(checks, default=None)
        return changes

    def snapshot(self) -> dict[str, Any]:
        """Everything the watch holds, as JSON-able values."""
        return {
            "started_at": to_micros(self.started_at),
            "stepped_at": None if self.stepped_at is None else to_micros(self.stepped_at),
            "next_check": None if self.next_check is None else to_micros(self.next_check),
            "segment": self.segment,
            "owner": self.owner,
            "name": self.name,
            "health": list(self.health) if self.health else None,
            "rules": {rule_id: _rule_snapshot(w) for rule_id, w in self.rules.items()},
        }

    @classmethod
    def restore(
        cls, account_id: str, partition: int, snapshot: dict[str, Any], rulebook: Rulebook
    ) -> AccountWatch:
        """The watch `snapshot` was taken of; rules since removed are dropped, and rules
        since changed keep their track but need `follow` for a fresh state."""
        watch = cls(account_id, partition, from_micros(snapshot["started_at"]))
        stepped_at, next_check = snapshot["stepped_at"], snapshot["next_check"]
        watch.stepped_at = None if stepped_at is None else from_micros(stepped_at)
        watch.next_check = None if next_check is None else from_micros(next_check)
        watch.segment = snapshot["segment"]
        watch.owner = snapshot["owner"]
        watch.name = snapshot["name"]
        health = snapshot.get("health")
        watch.health = (health[0], health[1]) if health else None
        watch.rulebook = rulebook
        for rule_id, stored in snapshot["rules"].items():
            rule = rulebook.rules.get(rule_id)
            if rule is None:
                continue
            track = track_from_json(stored["track"])
            kept = RuleWatch(stored["fingerprint"], new_state(rule, watch.started_at), track)
            kept.opened = stored["opened"]
            if rulebook.fingerprints[rule_id] == stored["fingerprint"]:
                kept.state = restore_state(rule, stored["state"])
                if stored.get("dirty") is False:  # else evaluated at the next step
                    due = stored["due"]
                    kept.due = None if due is None else from_micros(due)
                    kept.dirty, kept.stored = False, stored
            # else: `follow` gives it a fresh state; the track is kept
            watch.rules[rule_id] = kept
        return watch

    def note_facts(self, event: Event) -> bool:
        """Take an `account.updated`'s segment, owner and name; whether they moved."""
        if event.type != "account.updated":
            return False
        data = event.data
        before = (self.segment, self.owner, self.name)
        self.segment = getattr(data, "segment", None) or self.segment
        self.owner = getattr(data, "owner", None) or self.owner
        self.name = getattr(data, "name", None) or self.name
        moved = (self.segment, self.owner, self.name) != before
        if moved:  # a rule for some segments or owners may now apply, or no longer
            for watch in self.rules.values():
                watch.touched()
        return moved


def _rule_snapshot(watch: RuleWatch) -> dict[str, Any]:
    if watch.stored is None:
        watch.stored = {
            "fingerprint": watch.fingerprint,
            "state": watch.state.snapshot(),
            "track": track_to_json(watch.track),
            "opened": watch.opened,
            "due": None if watch.due is None else to_micros(watch.due),
            "dirty": watch.dirty,
        }
    return watch.stored
