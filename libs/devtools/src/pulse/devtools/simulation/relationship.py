"""The people side of an account: contacts coming and going, CSM touchpoints, surveys,
marketing engagement and notable signals (mergers, referrals)."""

from __future__ import annotations

from datetime import date

from pulse.devtools.simulation.envelopes import working_hours
from pulse.devtools.simulation.personas import Behaviour, Persona
from pulse.devtools.simulation.state import AccountState

#: Roles each segment's accounts start with.
STARTING_ROLES = {
    "high_touch": ("sponsor", "champion", "admin", "executive"),
    "low_touch": ("sponsor", "champion", "admin"),
    "tech_touch": ("admin",),
}
#: Touchpoints a day per segment when all is well, and the kinds drawn from.
TOUCHPOINT_RATE = {"high_touch": 0.12, "low_touch": 0.04, "tech_touch": 0.012}
TOUCHPOINT_KINDS = {
    "high_touch": (("meeting", 5), ("call", 4), ("email", 4), ("onsite", 1), ("ebr", 1)),
    "low_touch": (("call", 5), ("email", 6), ("meeting", 2), ("training", 1)),
    "tech_touch": (("webinar", 3), ("training", 2), ("email", 1)),
}
MARKETING_KINDS = ("email_open", "email_click", "event_attended", "bounce", "opt_out")


def emit_contacts_joined(state: AccountState, on: date) -> None:
    """The starting roster, announced on the first day."""
    for role in STARTING_ROLES[state.profile.segment]:
        _join(state, on, role)


def _join(state: AccountState, on: date, role: str) -> None:
    contact_id = state.new_id("C")
    state.contacts[role] = contact_id
    data = {"contact_id": contact_id, "role": role, "change": "joined"}
    state.log.emit("contact.changed", working_hours(state.random, on), data)


def _leave(state: AccountState, on: date, role: str) -> None:
    contact_id = state.contacts.pop(role, None) or state.new_id("C")
    data = {"contact_id": contact_id, "role": role, "change": "left"}
    state.log.emit("contact.changed", working_hours(state.random, on), data)


def emit_persona_turn(state: AccountState, day: int, on: date) -> None:
    """The persona's key moment on its onset day (sponsor leaves, merger announced...)."""
    persona, r = state.profile.persona, state.random
    if persona is Persona.SPONSOR_LOSS:
        _leave(state, on, "sponsor")
        state.sponsor_gone = True
        if "champion" in state.contacts and r.random() < 0.5:
            _leave(state, on, "champion")
    elif persona is Persona.MERGER_ACQUISITION:
        kind = r.choice(("merger", "acquisition"))
        note = "acquired by a larger group" if kind == "acquisition" else "merging with a peer"
        state.log.emit("account.signal", working_hours(r, on), {"kind": kind, "note": note})
        state.corporate_event_day = day
        _join(state, on, "executive")
    elif persona is Persona.BILLING_TROUBLE and r.random() < 0.3:
        kind = "bankruptcy" if r.random() < 0.1 else "restructuring"
        state.log.emit("account.signal", working_hours(r, on), {"kind": kind})
        state.corporate_event_day = day


def emit_relationship(state: AccountState, on: date, behaviour: Behaviour) -> None:
    """Today's ordinary relationship events, each at its own small daily rate."""
    r, profile = state.random, state.profile
    if on.weekday() < 5 and r.random() < TOUCHPOINT_RATE[profile.segment] * behaviour.touchpoints:
        _touchpoint(state, on)
    if state.sponsor_gone and r.random() < 0.004:  # a new sponsor, sometimes
        _join(state, on, "sponsor")
        state.sponsor_gone = False
    if r.random() < 0.0015 * (1 + state.seats**0.3):  # users come and go
        role = r.choice(("power_user", "user"))
        (_join if r.random() < 0.5 else _leave)(state, on, role)
    if r.random() < 1 / 90:
        _nps(state, on, behaviour)
    if r.random() < 0.006:
        score = min(7, max(1, round(r.gauss(5.3 + 0.8 * behaviour.satisfaction, 1.0))))
        state.log.emit("survey.response", working_hours(r, on), {"kind": "ces", "score": score})
    _marketing(state, on, behaviour)
    _advocacy(state, on)


def _touchpoint(state: AccountState, on: date) -> None:
    r = state.random
    kinds = TOUCHPOINT_KINDS[state.profile.segment]
    kind = r.choices([k for k, _ in kinds], [w for _, w in kinds])[0]
    if state.profile.segment == "high_touch" and r.random() < 0.08:
        kind = "qbr"
    data: dict[str, object] = {"kind": kind}
    if kind in {"qbr", "ebr", "meeting", "onsite"}:
        data["with_executive"] = kind in {"qbr", "ebr"} or r.random() < 0.2
    state.log.emit("engagement.touchpoint", working_hours(r, on), data)
    if kind == "training" and r.random() < 0.5:
        score = min(5, max(1, round(r.gauss(4.2, 0.7))))
        state.log.emit("survey.response", working_hours(r, on), {"kind": "csat", "score": score})


def _nps(state: AccountState, on: date, behaviour: Behaviour) -> None:
    r = state.random
    respondents = {"high_touch": 3, "low_touch": 2, "tech_touch": 1}[state.profile.segment]
    for _ in range(r.randint(1, respondents)):
        score = min(10, max(0, round(r.gauss(7.6 + 1.5 * behaviour.satisfaction, 1.8))))
        data: dict[str, object] = {"kind": "nps", "score": score}
        if score <= 4 and r.random() < 0.5:
            data["comment"] = "Hard to get value from it lately."
        state.log.emit("survey.response", working_hours(r, on), data)
        state.nps_latest = score


def _marketing(state: AccountState, on: date, behaviour: Behaviour) -> None:
    r = state.random
    if r.random() >= 0.05 * (1 + state.seats**0.3) * max(0.1, behaviour.marketing):
        return
    fading = max(0.0, 1 - behaviour.marketing) * 20
    kind = r.choices(MARKETING_KINDS, (60, 25, 5, 3 + fading, 2 + fading))[0]
    state.log.emit("marketing.engagement", working_hours(r, on), {"kind": kind})


def _advocacy(state: AccountState, on: date) -> None:
    r = state.random
    persona = state.profile.persona
    if persona is Persona.HEALTHY_GROWING and r.random() < 0.004:
        kind = r.choice(("referral_willing", "case_study_willing"))
        state.log.emit("account.signal", working_hours(r, on), {"kind": kind})
    elif state.profile.segment == "high_touch" and r.random() < 0.003:
        kind = "executive_sponsor_meeting"
        state.log.emit("account.signal", working_hours(r, on), {"kind": kind})
