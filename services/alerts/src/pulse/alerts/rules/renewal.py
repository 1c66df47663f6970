"""Renewal rules: the renewal is near and the account's health is not what it should be.

The renewal moment is 00:00 UTC of the account's `renewal_date`, from `account.updated`
events (an update without the field leaves it). The condition holds while
`renewal - within <= now < renewal` and the latest band (see `score_feed`) is one of the
rule's `bands`; with no score yet it does not hold. The newest update by `occurred_at`
gives the date, from the moment it is taken (it names a day, not a moment in a window):
an older one arriving late is taken but changes nothing, as a late event outside a window
counts for nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from fractions import Fraction
from typing import Self

from pulse.alerts.rules.definitions import RenewalRule
from pulse.alerts.rules.intake import Outcome
from pulse.alerts.rules.score_feed import ScoreFeed
from pulse.alerts.rules.score_points import ScorePoint, exact_score, point_evidence
from pulse.alerts.rules.snapshots import Snapshot, from_micros, to_micros
from pulse.alerts.rules.verdict import Evidence, Verdict
from pulse.common.events import AccountUpdated, Event


@dataclass(frozen=True, slots=True)
class RenewalDate:
    """The renewal date an `account.updated` event set."""

    event_id: str
    occurred_at: datetime
    renews_on: date

    @property
    def renews_at(self) -> datetime:
        """00:00 UTC of the renewal date."""
        return datetime.combine(self.renews_on, time(), tzinfo=UTC)


class RenewalState:
    """The renewal date and the latest score of one (renewal rule, account)."""

    def __init__(self, rule: RenewalRule, started_at: datetime) -> None:
        self.rule = rule
        self._feed = ScoreFeed(started_at)
        self._renewal: RenewalDate | None = None

    def observe(self, event: Event, now: datetime) -> Outcome:
        """Take an `account.updated` event with a `renewal_date`; others are not watched."""
        self._feed.advance(now)
        if not isinstance(event, AccountUpdated) or event.data.renewal_date is None:
            return Outcome.NOT_WATCHED
        held = self._renewal
        if held is not None and held.event_id == event.id:
            return Outcome.DUPLICATE
        if held is None or event.occurred_at >= held.occurred_at:
            self._renewal = RenewalDate(event.id, event.occurred_at, event.data.renewal_date)
        return Outcome.TAKEN

    def observe_score(self, point: ScorePoint, now: datetime) -> Outcome:
        """Take a score point seen at `now`; one at or before the latest taken is a duplicate."""
        self._feed.advance(now)
        outcome = self._feed.admit(point)
        self._feed.advance(now)
        return outcome

    def evaluate(self, now: datetime) -> Verdict:
        """Whether the renewal is within reach at `now` with the latest band in `bands`.

        `evidence` is the update that set the date (value 0: it brings a date, given as
        `renews_at`) and the latest point (value its score), oldest first; `count` is 1
        with a score, else 0; `total` the latest score (0 with none)."""
        self._feed.advance(now)
        latest = self._feed.current
        renewal = self._renewal
        edges = [self._feed.next_arrival()]
        near = False
        if renewal is not None:
            opens_at = renewal.renews_at - self.rule.within
            near = opens_at <= now < renewal.renews_at
            edges += [edge for edge in (opens_at, renewal.renews_at) if edge > now]
        evidence = []
        if renewal is not None:
            evidence.append(Evidence(renewal.event_id, renewal.occurred_at, Fraction(0)))
        if latest is not None:
            evidence.append(point_evidence(latest))
        return Verdict(
            holds=near and latest is not None and latest.band in self.rule.bands,
            at=now,
            count=1 if latest else 0,
            total=exact_score(latest.score) if latest else Fraction(0),
            evidence=tuple(sorted(evidence, key=lambda e: e.occurred_at)),
            next_change=min((edge for edge in edges if edge is not None), default=None),
            band=latest.band if latest else None,
            renews_at=renewal.renews_at if renewal else None,
        )

    def snapshot(self) -> Snapshot:
        """What the state holds, as JSON-able values (see `snapshots`)."""
        renewal = self._renewal
        return {
            "feed": self._feed.snapshot(),
            "renewal": (
                [renewal.event_id, to_micros(renewal.occurred_at), renewal.renews_on.isoformat()]
                if renewal
                else None
            ),
        }

    @classmethod
    def restore(cls, rule: RenewalRule, snapshot: Snapshot) -> Self:
        """The state `snapshot` was taken of, for the same rule."""
        feed = ScoreFeed.restore(snapshot["feed"])
        state = cls(rule, feed.clock)
        state._feed = feed
        if (renewal := snapshot["renewal"]) is not None:
            event_id, micros, renews_on = renewal
            state._renewal = RenewalDate(
                event_id, from_micros(micros), date.fromisoformat(renews_on)
            )
        return state
