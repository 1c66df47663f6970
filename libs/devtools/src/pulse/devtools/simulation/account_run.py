"""One account's simulation, a day at a time, from its own random stream."""

from __future__ import annotations

from datetime import date, timedelta

from pulse.devtools.simulation.activity import emit_metrics, emit_outage, emit_support, emit_usage
from pulse.devtools.simulation.base import AccountProfile, account_random
from pulse.devtools.simulation.billing import emit_billing
from pulse.devtools.simulation.contracts import TERM_DAYS, emit_account_setup, emit_renewal
from pulse.devtools.simulation.envelopes import EventLog, RawEvent
from pulse.devtools.simulation.incidents import Incident, account_incident
from pulse.devtools.simulation.personas import Persona, behaviour_on
from pulse.devtools.simulation.relationship import (
    emit_contacts_joined,
    emit_persona_turn,
    emit_relationship,
)
from pulse.devtools.simulation.state import AccountState, DayRecord, RecordedOutcome

#: The chance that a platform incident reaches an account not of the outage-hit persona.
INCIDENT_REACH = 0.015
#: Tickets an account opens after an outage it felt (at most).
TICKETS_AFTER_OUTAGE = 2


class AccountRun:
    """Generates one account's events day by day; `day(n)` must be called for n = 0, 1, ..."""

    def __init__(
        self,
        seed: int,
        profile: AccountProfile,
        start: date,
        incidents: tuple[Incident, ...],
    ) -> None:
        r = account_random(seed, profile.account_id, "events")
        self.start = start
        self.state = AccountState(
            profile=profile,
            random=r,
            log=EventLog(seed, profile.account_id),
            hidden_risk=r.gauss(0, 0.8),
            arr=profile.arr,
            seats=profile.seats,
            renewal_date=profile.renewal_date,
        )
        self.incidents = self._incidents_felt(incidents)
        # A contract signed after day 0 is a new logo: the account appears on that day.
        self.first_day = max(0, (profile.renewal_date - start).days - TERM_DAYS)

    def _incidents_felt(self, platform: tuple[Incident, ...]) -> dict[int, list[Incident]]:
        state, r = self.state, self.state.random
        persona = state.profile.persona
        reach = 0.5 if persona is Persona.OUTAGE_HIT else INCIDENT_REACH
        felt = [incident for incident in platform if r.random() < reach]
        if persona is Persona.OUTAGE_HIT:  # its own string of incidents once its story turns
            onset = max(0, state.profile.onset_day)
            for n in range(r.randint(2, 4)):
                incident_id = f"inc-{state.profile.account_id}-{n + 1}"
                felt.append(account_incident(r, incident_id, onset + r.randrange(60)))
        by_day: dict[int, list[Incident]] = {}
        for incident in felt:
            by_day.setdefault(incident.day, []).append(incident)
        return by_day

    @property
    def outcomes(self) -> list[RecordedOutcome]:
        """The renewal decisions made so far."""
        return self.state.outcomes

    def day(self, day: int) -> list[RawEvent]:
        """The account's events of simulated day `day` (none before it signed, none once it
        churned)."""
        state = self.state
        if state.churned:
            return []
        if day < self.first_day:
            state.days.append(DayRecord())  # keeps `state.days` indexed by day
            return []
        on = self.start + timedelta(days=day)
        profile = state.profile
        behaviour = behaviour_on(profile.persona, day, profile.onset_day, profile.ramp_days)
        if day == self.first_day:
            emit_account_setup(state, on)
            emit_contacts_joined(state, on)
        record = emit_usage(state, on, behaviour)
        state.days.append(record)
        emit_metrics(state, on, record)
        if day == max(0, profile.onset_day):  # a turn before day 0 is told on day 0
            emit_persona_turn(state, day, on)
        felt = self.incidents.get(day, [])
        for incident in felt:
            emit_outage(state, on, incident)
        extra_tickets = sum(state.random.randint(0, TICKETS_AFTER_OUTAGE) for _ in felt)
        emit_support(state, day, on, behaviour, extra_tickets)
        emit_billing(state, day, on, behaviour)
        emit_relationship(state, on, behaviour)
        if on == state.renewal_date:
            emit_renewal(state, day, on)
        return state.log.take()
