"""`AccountBook`: everything renewals keeps of one account, and its renewal standing.

Contract changes carry no currency: they are taken in the account's currency (the newest
`account.updated` that set one). A change for an account with no currency yet cannot be
sized and raises `NoCurrency`; the keeper dead-letters it rather than guess.

The standing is the account's forecast category and renewal date as seen on a day; going
from one standing to the next may enter at risk (`forecast.at_risk`). Each entry is
numbered, so the message it sends has an id that a replay repeats.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pulse.common.events import ContractChanged
from pulse.common.events.data import AccountUpdatedData
from pulse.common.events.enums import ContractChange, ContractReasonCategory
from pulse.renewals.book.facts import AccountFacts, AccountUpdate
from pulse.renewals.book.scores import ScoreHistory, ScorePoint
from pulse.renewals.contracts.attributes import Attribute
from pulse.renewals.contracts.changes import ContractEvent, contract_event
from pulse.renewals.contracts.timeline import Applied, ContractTimeline
from pulse.renewals.forecast.at_risk import RenewalStanding, enters_at_risk
from pulse.renewals.forecast.config import Band, ForecastCategory, ForecastConfig
from pulse.renewals.forecast.renewals import RenewalAccount
from pulse.renewals.money.amounts import Amount
from pulse.renewals.retention.report import AccountHistory


class NoCurrency(ValueError):
    """A contract change of an account whose currency no `account.updated` gave yet."""

    def __init__(self, account_id: str, event_id: str) -> None:
        super().__init__(
            f"contract.changed {event_id} of account {account_id!r}: the account has no "
            "currency (an account.updated with `currency` must come first), so its ARR "
            "cannot be sized"
        )


@dataclass(frozen=True, slots=True)
class Evaluation:
    """What one look at the account on a day gave."""

    standing: RenewalStanding | None
    band: Band
    probability: Decimal
    #: The standing differs from the one before (other category, date or band).
    moved: bool
    #: The number of the at-risk entry this look made, None when it made none.
    entered_at_risk: int | None


class AccountBook:
    """One account's facts, contracts, scores and renewal standing."""

    def __init__(self, account_id: str, partition: int) -> None:
        self.account_id = account_id
        self.partition = partition
        self.facts = AccountFacts()
        self.contracts = ContractTimeline()
        self.scores = ScoreHistory()
        self.standing: RenewalStanding | None = None
        self.standing_band: Band | None = None
        self.at_risk_entries = 0

    def apply_update(self, event_id: str, occurred_at: datetime, data: AccountUpdatedData) -> bool:
        """Take an `account.updated`; False for a replay."""
        return self.facts.apply(AccountUpdate(event_id, occurred_at, data))

    def apply_contract(self, event: ContractChanged) -> Applied:
        """Take a `contract.changed` in the account's currency; `NoCurrency` without one."""
        currency = self.facts.currency
        if currency is None:
            raise NoCurrency(self.account_id, event.id)
        return self.contracts.apply(contract_event(event.id, event.data, currency))

    def observe_score(self, point: ScorePoint) -> bool:
        """Take a health score; False for a replay."""
        return self.scores.apply(point)

    def renewal_account(self, now: datetime) -> RenewalAccount | None:
        """What the forecast needs, as of `now`; None without a renewal date or currency."""
        renewal, currency = self.facts.renewal_date, self.facts.currency
        if renewal is None or currency is None:
            return None
        return RenewalAccount(
            account_id=self.account_id,
            arr=self.arr(now) or Amount(0, currency),
            renewal_date=renewal,
            band=self.scores.band,
            score_change=self.scores.change,
            segment=self.facts.latest("segment"),
            owner=self.facts.latest("owner"),
        )

    def arr(self, now: datetime) -> Amount | None:
        """ARR in force at `now`: from the contract timeline, else as `account.updated`
        gave it; None when neither knows."""
        from_contracts = self.contracts.arr_at(now)
        if from_contracts is not None:
            return from_contracts
        arr, currency = self.facts.arr, self.facts.currency
        return Amount.of(arr, currency) if arr is not None and currency is not None else None

    def evaluate(self, today: date, config: ForecastConfig) -> Evaluation:
        """Look at the renewal on `today`: the new standing, and whether it enters at risk."""
        band = self.scores.band
        probability = config.probabilities.of(band)
        renewal = self.facts.renewal_date
        after = None
        if renewal is not None:
            category = config.category_of(band, config.trend_of(self.scores.change))
            after = RenewalStanding(today, renewal, category)
        before = self.standing
        moved = _key(before) != _key(after) or band != self.standing_band
        entered = None
        if after is not None and enters_at_risk(before, after, config.at_risk_horizon_days):
            self.at_risk_entries += 1
            entered = self.at_risk_entries
        self.standing, self.standing_band = after, band
        return Evaluation(after, band, probability, moved, entered)

    def history(self) -> AccountHistory:
        """The account as the retention core reads it."""
        return AccountHistory(self.account_id, self.contracts, self.facts.attributes)

    def grouping(self, attribute: Attribute) -> str | None:
        """The newest value of a grouping attribute."""
        value: str | None = self.facts.latest(attribute.value)
        return value

    def snapshot(self) -> dict[str, Any]:
        """The book as JSON-ready values (`restore` reads it back)."""
        return {
            "updates": [
                [
                    u.event_id,
                    u.occurred_at.isoformat(),
                    u.data.model_dump(mode="json", exclude_none=True),
                ]
                for u in self.facts.updates
            ],
            "contracts": [_contract_json(step.event) for step in self.contracts.steps],
            "scores": [
                [p.message_id, p.computed_at.isoformat(), p.score, p.band.value]
                for p in self.scores.points
            ],
            "standing": _standing_json(self.standing),
            "standing_band": self.standing_band.value if self.standing_band else None,
            "at_risk_entries": self.at_risk_entries,
        }

    @classmethod
    def restore(cls, account_id: str, partition: int, state: dict[str, Any]) -> AccountBook:
        """The book a `snapshot` describes."""
        book = cls(account_id, partition)
        for event_id, at, data in state["updates"]:
            book.facts.apply(
                AccountUpdate(
                    event_id, datetime.fromisoformat(at), AccountUpdatedData.model_validate(data)
                )
            )
        for item in state["contracts"]:
            book.contracts.apply(_contract_of(item))
        for message_id, at, score, band in state["scores"]:
            book.scores.apply(ScorePoint(datetime.fromisoformat(at), message_id, score, Band(band)))
        standing = state["standing"]
        if standing is not None:
            on, renewal, category = standing
            book.standing = RenewalStanding(
                date.fromisoformat(on), date.fromisoformat(renewal), ForecastCategory(category)
            )
        band = state["standing_band"]
        book.standing_band = Band(band) if band is not None else None
        book.at_risk_entries = state["at_risk_entries"]
        return book


def _key(standing: RenewalStanding | None) -> tuple[date, ForecastCategory] | None:
    return (standing.renewal_date, standing.category) if standing else None


def _standing_json(standing: RenewalStanding | None) -> list[str] | None:
    if standing is None:
        return None
    return [standing.on.isoformat(), standing.renewal_date.isoformat(), standing.category.value]


def _contract_json(event: ContractEvent) -> list[Any]:
    reason = event.reason_category.value if event.reason_category else None
    return [
        event.event_id,
        event.effective_at.isoformat(),
        event.change.value,
        event.arr_after.minor,
        event.arr_after.currency,
        reason,
    ]


def _contract_of(item: list[Any]) -> ContractEvent:
    event_id, effective_at, change, minor, currency, reason = item
    return ContractEvent(
        event_id,
        datetime.fromisoformat(effective_at),
        ContractChange(change),
        Amount(minor, currency),
        ContractReasonCategory(reason) if reason is not None else None,
    )
