"""The simulator's pure core: deterministic, complete, valid, and outcomes that follow the path."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from statistics import mean

import orjson
import pytest

from pulse.common.events import EVENT_TYPES, validate_event
from pulse.devtools.simulation import (
    Persona,
    RawEvent,
    Simulation,
    SimulationConfig,
    TruthRecord,
    generate_profile,
    simulate_account,
)

START = date(2026, 3, 1)
LargeRun = tuple[SimulationConfig, list[RawEvent], list[TruthRecord]]


def all_events(config: SimulationConfig) -> list[RawEvent]:
    return [event for day in Simulation(config).days() for event in day.events]


@pytest.fixture(scope="module")
def large_run() -> LargeRun:
    """200 accounts over 90 days: enough for every kind and some renewals."""
    config = SimulationConfig(seed=29, accounts=200, days=90, start=START)
    simulation = Simulation(config)
    events = [event for day in simulation.days() for event in day.events]
    return config, events, simulation.truth()


def test_the_same_seed_gives_the_same_events_byte_for_byte() -> None:
    config = SimulationConfig(seed=7, accounts=25, days=30, start=START)
    assert orjson.dumps(all_events(config)) == orjson.dumps(all_events(config))


def test_another_seed_gives_other_events() -> None:
    def content(seed: int) -> list[RawEvent]:
        config = SimulationConfig(seed=seed, accounts=25, days=30, start=START)
        return [{k: v for k, v in e.items() if k != "id"} for e in all_events(config)]

    assert content(7) != content(8)


def test_an_account_is_the_same_whatever_the_base_around_it() -> None:
    small = SimulationConfig(seed=3, accounts=5, days=40, start=START)
    large = SimulationConfig(seed=3, accounts=40, days=40, start=START)
    alone = [e for day in simulate_account(small, generate_profile(3, 4, START, 40)) for e in day]
    within = [e for e in all_events(large) if e["account_id"] == "sim-00004"]
    assert alone
    assert orjson.dumps(alone) == orjson.dumps(within)


def test_every_event_validates_against_the_event_models() -> None:
    config = SimulationConfig(seed=11, accounts=40, days=60, start=START)
    now = datetime.combine(config.end, datetime.min.time(), tzinfo=UTC)
    for event in all_events(config):
        validate_event(event, now=now)  # raises, naming the field, if one is wrong


def test_a_base_of_200_accounts_emits_every_event_kind(large_run: LargeRun) -> None:
    _, events, _ = large_run
    assert sorted({event["type"] for event in events}) == sorted(EVENT_TYPES)


def test_the_large_run_validates_too(large_run: LargeRun) -> None:
    config, events, _ = large_run
    now = datetime.combine(config.end, datetime.min.time(), tzinfo=UTC)
    rare = [e for e in events if e["type"] != "usage.activity"]
    for event in rare + events[::25]:
        validate_event(event, now=now)


def test_event_times_stay_inside_the_simulated_days(large_run: LargeRun) -> None:
    config, events, _ = large_run
    days = {event["occurred_at"][:10] for event in events}
    assert min(days) == config.start.isoformat()
    assert max(days) == (config.end - timedelta(days=1)).isoformat()


def test_most_accounts_never_see_an_outage_or_lose_a_key_person(large_run: LargeRun) -> None:
    _, events, _ = large_run
    outage = {e["account_id"] for e in events if e["type"] == "outage.started"}
    departures = {
        e["account_id"]
        for e in events
        if e["type"] == "contact.changed"
        and e["data"]["change"] == "left"
        and e["data"]["role"] in {"sponsor", "champion", "executive"}
    }
    assert 0 < len(outage) < 40
    assert 0 < len(departures) < 40


def test_usage_volume_spans_orders_of_magnitude(large_run: LargeRun) -> None:
    _, events, _ = large_run
    volume = Counter(e["account_id"] for e in events if e["type"] == "usage.activity")
    actions: Counter[str] = Counter()
    for e in events:
        if e["type"] == "usage.activity":
            actions[e["account_id"]] += e["data"]["quantity"]
    assert max(volume.values()) > 100 * min(volume.values())
    assert max(actions.values()) > 1000 * min(actions.values())


def test_outcomes_are_events_and_truth_alike(large_run: LargeRun) -> None:
    _, events, truth = large_run
    decided = {
        (e["account_id"], e["data"]["change"], e["data"]["effective_at"][:10])
        for e in events
        if e["type"] == "contract.changed" and e["data"]["change"] != "new"
    }
    recorded = {
        (t.profile.account_id, o.outcome.change, o.renewal_date.isoformat())
        for t in truth
        for o in t.outcomes
    }
    assert decided == recorded
    assert len(recorded) > 20
    churned = [t.as_dict() for t in truth if t.as_dict()["outcome"] == "churn"]
    assert churned
    assert all(line["churn_reason"] for line in churned)


def test_churned_accounts_fall_silent(large_run: LargeRun) -> None:
    _, events, truth = large_run
    for record in truth:
        line = record.as_dict()
        if line["outcome"] == "churn":
            after = [
                e
                for e in events
                if e["account_id"] == line["account_id"]
                and e["occurred_at"][:10] > line["outcome_date"]
            ]
            assert after == []


def test_troubled_accounts_churn_more_than_healthy_ones() -> None:
    config = SimulationConfig(seed=5, accounts=400, days=90, start=START)
    simulation = Simulation(config)
    for _ in simulation.days():
        pass
    healthy = {Persona.STEADY, Persona.HEALTHY_GROWING}
    first = [(r.profile.persona, r.outcomes[0].outcome) for r in simulation.truth() if r.outcomes]
    odds = {
        persona: mean(o.churn_probability for p, o in first if p is persona) for persona in Persona
    }
    churned_healthy = mean(o.change == "churn" for p, o in first if p in healthy)
    churned_troubled = mean(o.change == "churn" for p, o in first if p not in healthy)
    assert len(first) > 60
    assert odds[Persona.SLOWLY_DISENGAGING] > 3 * max(odds[p] for p in healthy)
    assert churned_troubled > 2 * churned_healthy


def test_a_simulation_needs_accounts_and_days() -> None:
    with pytest.raises(ValueError, match="at least one account"):
        SimulationConfig(seed=1, accounts=0, days=10, start=START)


def test_accounts_open_with_their_attributes_then_their_contract(large_run: LargeRun) -> None:
    config, events, _ = large_run
    by_account: dict[str, list[RawEvent]] = {}
    for event in events:
        by_account.setdefault(event["account_id"], []).append(event)
    new_logos = 0
    for own in by_account.values():
        assert [e["type"] for e in own[:2]] == ["account.updated", "contract.changed"]
        assert own[1]["data"]["change"] == "new"
        signed = own[1]["data"]["effective_at"][:10]
        if signed >= config.start.isoformat():  # a new logo: nothing before its signing day
            new_logos += 1
            assert own[0]["occurred_at"][:10] == signed
    assert len(by_account) == config.accounts
    assert new_logos > 0


def test_a_few_accounts_pay_in_other_currencies_unless_usd_only() -> None:
    mixed = [generate_profile(2, n, START, 90) for n in range(200)]
    usd = [generate_profile(2, n, START, 90, usd_only=True) for n in range(200)]
    others = Counter(p.currency for p in mixed if p.currency != "USD")
    assert 0 < sum(others.values()) < 50
    assert len(others) >= 2
    assert {p.currency for p in usd} == {"USD"}
    assert [(p.segment, p.persona, p.seats) for p in usd] == [
        (p.segment, p.persona, p.seats) for p in mixed
    ]
