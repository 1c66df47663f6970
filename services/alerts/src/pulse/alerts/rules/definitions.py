"""Alert rules: what each kind watches for and the timing every rule shares.

Kinds (the `kind` field picks one). Over events (`event` and `where` pick them):
- `count`: at least `at_least` matching events in a sliding `window`;
- `sum`: the matching events' numeric `field` adds up to at least `at_least` in `window`;
- `absence`: no matching event for `silence`;
- `match`: one matching event; the condition holds for `lasts` after it.
Over health scores (and, for `renewal`, the account's renewal date):
- `band`: the latest band is one of `bands`;
- `score_below`: the latest score is below `below`;
- `score_drop`: the latest score is at least `points` under the highest of the last `within`;
- `renewal`: the renewal is at most `within` away, not yet come, and the latest band is
  one of `bands`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from pulse.alerts.rules.durations import Duration
from pulse.alerts.rules.filters import Filter
from pulse.alerts.rules.score_points import BANDS, Band, ScorePoint, exact_score
from pulse.common.events import AccountSegment, Event

Severity = Literal["info", "warning", "critical"]
RuleId = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]
#: Largest count or sum a rule may ask for; money in events has at most 15 integer digits.
MAX_THRESHOLD = 1e15


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class _Rule(_Part):
    """What every kind shares: identity, audience and timing."""

    id: RuleId
    name: str = Field(min_length=1, max_length=200)
    severity: Severity
    #: What the rule counts, in words for reasons: "phone calls to support".
    noun: str = Field(min_length=1, max_length=200)
    segments: list[AccountSegment] | None = Field(None, min_length=1)
    owners: list[str] | None = Field(None, min_length=1, max_length=1_000)
    playbook: str | None = Field(None, min_length=1, max_length=200)
    #: The condition must hold this long before the alert opens.
    for_: Duration = Field(timedelta(0), alias="for")
    #: Once open, the alert stays open this long after the condition stops holding.
    keep_firing_for: Duration = timedelta(0)
    #: After a resolution, the alert cannot reopen for this long.
    cooldown: Duration = timedelta(0)
    #: Whether the alert resolves when its condition clears; if not, it stays open until
    #: someone resolves it, and a new trip meanwhile updates it.
    auto_resolve: bool = True

    def reads(self, event_type: str) -> bool:
        """Whether events of this type can change the rule's state (so that others need
        not be offered to it)."""
        return False

    def applies_to(self, segment: str | None, owner: str | None) -> bool:
        """Whether the rule watches an account of this segment and owner."""
        if self.segments is not None and segment not in self.segments:
            return False
        return self.owners is None or owner in self.owners


class _EventRule(_Rule):
    """A kind over events: `event` names their type and `where` filters their data."""

    event: str
    where: Filter | None = None

    def selects(self, event: Event) -> bool:
        """Whether an event is one this rule watches (its type and filter)."""
        return event.type == self.event and (self.where is None or self.where.matches(event.data))

    def reads(self, event_type: str) -> bool:
        """Events of the rule's type."""
        return event_type == self.event


class CountRule(_EventRule):
    """At least `at_least` matching events in the last `window`."""

    kind: Literal["count"]
    at_least: int = Field(ge=1, le=1_000_000)
    window: Duration


class SumRule(_EventRule):
    """The matching events' `field` adds up to at least `at_least` in the last `window`."""

    kind: Literal["sum"]
    field: str = Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)
    at_least: float = Field(gt=0, le=MAX_THRESHOLD, allow_inf_nan=False)
    window: Duration


class AbsenceRule(_EventRule):
    """No matching event for `silence` (counted from tracking start if none ever came)."""

    kind: Literal["absence"]
    silence: Duration


class MatchRule(_EventRule):
    """A single matching event; the condition holds for `lasts` after it occurred."""

    kind: Literal["match"]
    lasts: Duration = timedelta(days=1)


def _each_once(bands: list[Band]) -> list[Band]:
    repeated = [band for band in BANDS if bands.count(band) > 1]
    if repeated:
        raise ValueError(f"expected each band once, got {', '.join(repeated)} more than once")
    return bands


Bands = Annotated[list[Band], Field(min_length=1), AfterValidator(_each_once)]


class BandRule(_Rule):
    """The latest health band is one of `bands` (it opens when the band enters them)."""

    kind: Literal["band"]
    bands: Bands

    def holds_for(self, point: ScorePoint) -> bool:
        """Whether the condition holds while `point` is the latest score."""
        return point.band in self.bands


class ScoreBelowRule(_Rule):
    """The latest health score is below `below`."""

    kind: Literal["score_below"]
    below: float = Field(gt=0, le=100, allow_inf_nan=False)

    def holds_for(self, point: ScorePoint) -> bool:
        """Whether the condition holds while `point` is the latest score."""
        return exact_score(point.score) < exact_score(self.below)


class ScoreDropRule(_Rule):
    """The latest score is at least `points` under the highest score of the last `within`."""

    kind: Literal["score_drop"]
    points: float = Field(gt=0, le=100, allow_inf_nan=False)
    within: Duration


class RenewalRule(_Rule):
    """The renewal is at most `within` away, not yet come, and the latest band is in `bands`."""

    kind: Literal["renewal"]
    within: Duration
    bands: Bands = ["yellow", "red"]

    def reads(self, event_type: str) -> bool:
        """`account.updated`, which brings the renewal date."""
        return event_type == "account.updated"


Rule = Annotated[
    CountRule
    | SumRule
    | AbsenceRule
    | MatchRule
    | BandRule
    | ScoreBelowRule
    | ScoreDropRule
    | RenewalRule,
    Field(discriminator="kind"),
]
EventRule = CountRule | SumRule | AbsenceRule | MatchRule
WindowRule = CountRule | SumRule | MatchRule
ScoreRule = BandRule | ScoreBelowRule | ScoreDropRule | RenewalRule
#: Kinds that hold while the latest score passes a test of its own.
LevelRule = BandRule | ScoreBelowRule


def window_of(rule: WindowRule) -> timedelta:
    """How long an event counts toward a windowed rule."""
    return rule.lasts if isinstance(rule, MatchRule) else rule.window


def threshold_of(rule: WindowRule) -> float:
    """The count or sum a windowed rule needs (a match needs one event)."""
    return 1 if isinstance(rule, MatchRule) else rule.at_least


class RuleSet(_Part):
    """A file of rules."""

    version: str = Field(min_length=1, max_length=64)
    rules: list[Rule] = Field(min_length=1, max_length=1_000)
