"""Health processes killed, stopped and scaled out mid-stream end with the scores of a
single uninterrupted run: real broker, real PostgreSQL, real `python -m pulse.health`
children. The expected scores come from the pure scoring domain, with no I/O."""

from __future__ import annotations

import asyncio
import random
import signal
import subprocess
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import ExitStack
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from aiokafka.partitioner import DefaultPartitioner
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from pulse.common.db.engine import create_engine
from pulse.common.embedded import create_database, drop_database, free_port
from pulse.common.events import Event, event_to_json, validate_event
from pulse.common.kafka.admin import ensure_topics
from pulse.common.kafka.producer import OutgoingMessage, PulseProducer
from pulse.common.settings import Settings
from pulse.common.testing.plugin import READ_KEY, TEST_API_KEYS
from pulse.common.testing.services import running_service, settings_env
from pulse.common.topics import Topics
from pulse.health.scoring.model import default_model
from pulse.health.scoring.score import score_account
from pulse.health.scoring.state import AccountState

pytestmark = pytest.mark.integration

GROUP_ID = "pulse-health"  # pulse.health.runtime.GROUP_ID
SCHEMA = "health"
#: Failure timeouts only: nothing asserts how long anything took.
START_TIMEOUT_S = 90.0
PROGRESS_TIMEOUT_S = 150.0
#: What the health children run with: small batches (many commits to land a kill between),
#: a short session (a killed member leaves the group soon) and a frequent tick (time-driven
#: re-scoring runs beside the batches).
CHILD_SETTINGS = {
    "PULSE_LOG_LEVEL": "INFO",
    "PULSE_CONSUMER_MAX_BATCH": "500",
    "PULSE_CONSUMER_POLL_TIMEOUT_MS": "50",
    "PULSE_CONSUMER_SESSION_TIMEOUT_MS": "6000",
    "PULSE_HEALTH_TICK_S": "1",
}

# -- the stream --------------------------------------------------------------------------

FEATURES = [f"feature-{n}" for n in range(12)]
OWNERS = ["dana", "lee", "sam", "kim", "ari"]
SEGMENTS = ["high_touch", "low_touch", "tech_touch"]
PRIORITIES = ["low", "normal", "high", "urgent"]
CHANNELS = ["phone", "email", "chat", "web", "other"]
ROLES = ["sponsor", "champion", "power_user", "executive", "admin", "user"]
CONTACT_CHANGES = ["joined", "left", "role_changed"]
TOUCHPOINTS = ["qbr", "ebr", "meeting", "call", "email", "onsite", "webinar", "training"]
MARKETING = ["email_open", "email_click", "bounce", "opt_out", "event_attended"]
SIGNALS = [
    "merger",
    "acquisition",
    "restructuring",
    "bankruptcy",
    "referral_willing",
    "case_study_willing",
    "executive_sponsor_meeting",
]
CONTRACT_CHANGES = ["new", "renewal", "expansion", "contraction", "churn"]
#: Relative frequency of each kind of event in the stream.
MIX = {
    "usage.activity": 50,
    "metric.recorded": 2,
    "support.ticket.opened": 8,
    "support.ticket.resolved": 6,
    "invoice.issued": 3,
    "invoice.overdue": 2,
    "invoice.paid": 2,
    "account.updated": 4,
    "contract.changed": 1,
    "outage.started": 2,
    "outage.resolved": 1,
    "survey.response": 5,
    "contact.changed": 3,
    "engagement.touchpoint": 5,
    "marketing.engagement": 4,
    "account.signal": 2,
}


@dataclass(frozen=True, slots=True)
class Stream:
    """Distinct events, and the messages that carry them (each event twice)."""

    events: list[Event]
    messages: list[OutgoingMessage]

    def by_account(self) -> dict[str, list[Event]]:
        """The distinct events of each account."""
        found: dict[str, list[Event]] = {}
        for event in self.events:
            found.setdefault(event.account_id, []).append(event)
        return found


def make_events(
    rng: random.Random, accounts: Sequence[str], per_account: int, now: datetime
) -> list[Event]:
    """A realistic mix of events over the last 20 days, each at a second of its own (so no
    result can depend on the order of events of equal time), each with an explicit id."""
    seconds = rng.sample(range(60, 20 * 86_400), len(accounts) * per_account)
    types = rng.choices(list(MIX), weights=list(MIX.values()), k=len(seconds))
    events: list[Event] = []
    for number, account in enumerate(accounts):
        maker = AccountEvents(rng)
        for n in range(per_account):
            position = number * per_account + n
            at = now - timedelta(seconds=seconds[position])
            raw = {
                "id": f"evt-{account}-{n}",
                "type": types[position],
                "account_id": account,
                "occurred_at": at.isoformat(),
                "data": maker.data(types[position], at),
            }
            events.append(validate_event(raw, now=now))
    return events


class AccountEvents:
    """The `data` of one account's events: tickets and invoices it opened are later
    resolved, paid or reminded of; users come from a pool around its seat count."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.seats = rng.randint(5, 60)
        self.tickets: list[str] = []
        self.invoices: list[str] = []
        self.incidents: list[str] = []

    def data(self, kind: str, at: datetime) -> dict[str, Any]:
        """Valid `data` of an event of type `kind` that occurred `at`."""
        body: dict[str, Any] = getattr(self, "_" + kind.replace(".", "_"))(at)
        return body

    def _maybe(self, chance: float) -> bool:
        return self.rng.random() < chance

    def _known(self, items: list[str], orphan: str) -> str:
        """One of `items`, or an id never opened when there is none yet."""
        return self.rng.choice(items) if items else f"{orphan}{self.rng.randint(0, 9)}"

    def _metric_recorded(self, at: datetime) -> dict[str, Any]:
        return {
            "name": self.rng.choice(["api_calls", "storage_gb"]),
            "value": float(self.rng.randint(0, 999)),
        }

    def _contract_changed(self, at: datetime) -> dict[str, Any]:
        return {
            "change": self.rng.choice(CONTRACT_CHANGES),
            "arr_after": str(self.rng.randint(5, 900) * 1000),
            "effective_at": at.isoformat(),
        }

    def _contact_changed(self, at: datetime) -> dict[str, Any]:
        return {
            "contact_id": f"c{self.rng.randint(1, 30)}",
            "role": self.rng.choice(ROLES),
            "change": self.rng.choice(CONTACT_CHANGES),
        }

    def _marketing_engagement(self, at: datetime) -> dict[str, Any]:
        return {"kind": self.rng.choice(MARKETING)}

    def _account_signal(self, at: datetime) -> dict[str, Any]:
        return {"kind": self.rng.choice(SIGNALS)}

    def _invoice_paid(self, at: datetime) -> dict[str, Any]:
        return {"invoice_id": self._known(self.invoices, "INV-y")}

    def _usage_activity(self, at: datetime) -> dict[str, Any]:
        body: dict[str, Any] = {"user_id": f"u{self.rng.randint(1, self.seats + 10)}"}
        if self._maybe(0.9):
            body["feature"] = self.rng.choice(FEATURES)
        if self._maybe(0.3):
            body["quantity"] = float(self.rng.randint(1, 20))
        return body

    def _support_ticket_opened(self, at: datetime) -> dict[str, Any]:
        reopen = self.tickets and self._maybe(0.15)
        ticket = self.rng.choice(self.tickets) if reopen else f"T-{len(self.tickets)}"
        self.tickets.append(ticket)
        body: dict[str, Any] = {"ticket_id": ticket}
        if self._maybe(0.9):
            body["priority"] = self.rng.choice(PRIORITIES)
        if self._maybe(0.9):
            body["channel"] = self.rng.choice(CHANNELS)
        return body

    def _support_ticket_resolved(self, at: datetime) -> dict[str, Any]:
        body: dict[str, Any] = {"ticket_id": self._known(self.tickets, "T-orphan-")}
        if self._maybe(0.5):
            body["csat"] = self.rng.randint(1, 5)
        return body

    def _invoice_issued(self, at: datetime) -> dict[str, Any]:
        invoice = f"INV-{len(self.invoices)}"
        self.invoices.append(invoice)
        due = at + timedelta(days=self.rng.choice([7, 14, 30]))
        cents = self.rng.randint(0, 99)
        return {
            "invoice_id": invoice,
            "amount": f"{self.rng.randint(100, 90_000)}.{cents:02d}",
            "currency": "EUR",
            "due_at": due.isoformat(),
        }

    def _invoice_overdue(self, at: datetime) -> dict[str, Any]:
        body: dict[str, Any] = {"invoice_id": self._known(self.invoices, "INV-x")}
        if self._maybe(0.7):
            body["days_overdue"] = self.rng.randint(1, 70)
        if self._maybe(0.5):
            body.update(amount=str(self.rng.randint(100, 50_000)), currency="EUR")
        return body

    def _account_updated(self, at: datetime) -> dict[str, Any]:
        body: dict[str, Any] = {}
        if self._maybe(0.6):
            body["segment"] = self.rng.choice(SEGMENTS)
        if self._maybe(0.6):
            body.update(arr=str(self.rng.randint(5, 900) * 1000), currency="EUR")
        if self._maybe(0.6):
            body["licensed_seats"] = self.rng.randint(1, 80)
        if self._maybe(0.6) or not body:
            body["owner"] = self.rng.choice(OWNERS)
        return body

    def _outage_started(self, at: datetime) -> dict[str, Any]:
        self.incidents.append(f"INC-{len(self.incidents)}")
        return self._outage(self.incidents[-1])

    def _outage_resolved(self, at: datetime) -> dict[str, Any]:
        return self._outage(self._known(self.incidents, "INC-x"))

    def _outage(self, incident: str) -> dict[str, Any]:
        body: dict[str, Any] = {"incident_id": incident}
        if self._maybe(0.8):
            body["severity"] = self.rng.choice(["minor", "major", "critical"])
        return body

    def _survey_response(self, at: datetime) -> dict[str, Any]:
        survey, low, high = self.rng.choice([("nps", 0, 10), ("csat", 1, 5), ("ces", 1, 7)])
        return {"kind": survey, "score": self.rng.randint(low, high)}

    def _engagement_touchpoint(self, at: datetime) -> dict[str, Any]:
        body: dict[str, Any] = {"kind": self.rng.choice(TOUCHPOINTS)}
        if self._maybe(0.5):
            body["with_executive"] = self._maybe(0.4)
        return body


def to_message(topics: Topics, event: Event) -> OutgoingMessage:
    """The event as health reads it: on its domain topic, keyed by account."""
    return OutgoingMessage(
        topics.for_event_type(event.type), event.account_id.encode(), event_to_json(event)
    )


def end_offsets(messages: Sequence[OutgoingMessage], partitions: int) -> dict[tuple[str, int], int]:
    """How many messages each partition receives: Kafka's default partitioner, as
    PulseProducer uses it (topics start empty, so these are the end offsets)."""
    partitioner = DefaultPartitioner()
    numbers = list(range(partitions))
    counts: Counter[tuple[str, int]] = Counter()
    for message in messages:
        counts[(message.topic, int(partitioner(message.key, numbers, numbers)))] += 1
    return dict(counts)


async def produce(settings: Settings, messages: Sequence[OutgoingMessage]) -> None:
    """Produce every message and wait for the broker's acknowledgement of all."""
    producer = PulseProducer(settings, client_id="recovery-test")
    await producer.start()
    try:
        for start in range(0, len(messages), 5000):
            await producer.send_and_wait_all(messages[start : start + 5000])
    finally:
        await producer.stop()


# -- the expected scores ------------------------------------------------------------------


def expected_score(events: Sequence[Event], as_of: datetime) -> dict[str, Any]:
    """The score the keeper must reach for an account: as `HealthKeeper.handle` does it,
    each distinct event applied once at the batch's moment, then pruned and scored at it."""
    state = AccountState()
    for event in events:
        state.apply(event, as_of)
    state.prune(as_of)
    result = score_account(default_model(), state, as_of)
    return {
        "score": result.score,
        "band": result.band,
        "segment": result.segment,
        "model_version": result.model_version,
        "components": [asdict(c) for c in result.components],
    }


def comparable(components: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Components with their numbers wrapped for float comparison."""
    return [
        {
            k: pytest.approx(v, rel=1e-9, abs=1e-9) if isinstance(v, float) else v
            for k, v in c.items()
        }
        for c in components
    ]


async def assert_scores_match(url: str, stream: Stream) -> None:
    """Every account's score, band, segment and components over HTTP equal the reference
    at the moment the service computed them; the account list names exactly the accounts."""
    by_account = stream.by_account()
    async with httpx.AsyncClient(base_url=url, headers=READ_KEY, timeout=30) as client:
        listed: dict[str, dict[str, Any]] = {}
        cursor: str | None = None
        while True:
            params: dict[str, Any] = {"sort": "account_id", "limit": 97}
            if cursor is not None:
                params["cursor"] = cursor
            response = await client.get("/v1/accounts", params=params)
            assert response.status_code == 200, response.text
            page = response.json()
            for row in page["accounts"]:
                assert row["account_id"] not in listed, f"listed twice: {row['account_id']}"
                listed[row["account_id"]] = row
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert sorted(listed) == sorted(by_account)
        mismatches: list[str] = []
        for account_id, events in sorted(by_account.items()):
            response = await client.get(f"/v1/accounts/{account_id}/health")
            assert response.status_code == 200, f"{account_id}: {response.text}"
            body = response.json()
            as_of = datetime.fromisoformat(body["computed_at"])
            want = expected_score(events, as_of)
            got = {k: body[k] for k in want}
            if got != {**want, "components": comparable(want["components"])}:
                mismatches.append(describe_mismatch(account_id, as_of, want, got))
            row = listed[account_id]
            same_moment = row["computed_at"] == body["computed_at"]  # no re-score in between
            if same_moment and (row["score"], row["band"]) != (body["score"], body["band"]):
                mismatches.append(f"{account_id}: list says {row}, health says {body['score']}")
        assert not mismatches, f"{len(mismatches)} accounts differ:\n" + "\n".join(mismatches[:20])


def describe_mismatch(
    account_id: str, as_of: datetime, want: dict[str, Any], got: dict[str, Any]
) -> str:
    """Which fields of an account's score differ from the reference."""
    lines = [f"{account_id} at {as_of.isoformat()}:"]
    for key in ("score", "band", "segment", "model_version"):
        if want[key] != got[key]:
            lines.append(f"  {key}: expected {want[key]!r}, got {got[key]!r}")
    expected = {c["measure"]: c for c in want["components"]}
    for component in got["components"]:
        reference = expected.pop(component["measure"], None)
        if reference is None or comparable([reference]) != [component]:
            lines.append(f"  {component['measure']}: expected {reference}, got {component}")
    lines.extend(f"  {name}: expected {c}, missing" for name, c in expected.items())
    return "\n".join(lines)


# -- the health processes and their database -----------------------------------------------


@pytest.fixture
def recovery_settings(
    pulse_postgres_server_url: str, pulse_kafka_bootstrap: str, topic_prefix: str
) -> Iterator[Settings]:
    """Settings on a database of this test's own (health state of no other test), 3
    partitions; tests that need more replace `topic_partitions`."""
    name = f"pulse_r_{uuid.uuid4().hex[:12]}"
    url = create_database(pulse_postgres_server_url, name)
    try:
        yield Settings(
            env="test",
            kafka_bootstrap_servers=pulse_kafka_bootstrap,
            database_url=url,
            topic_prefix=topic_prefix,
            topic_partitions=3,
            api_keys=TEST_API_KEYS,
            consumer_poll_timeout_ms=50,
        )
    finally:
        drop_database(pulse_postgres_server_url, name)


@pytest.fixture
async def health_db(recovery_settings: Settings) -> AsyncIterator[AsyncEngine]:
    """An engine on the test's database whose unqualified tables are health's."""
    engine = create_engine(recovery_settings, schema=SCHEMA)
    yield engine
    await engine.dispose()


async def committed(engine: AsyncEngine, prefix: str) -> dict[tuple[str, int], int]:
    """Health's offsets as committed in PostgreSQL with its state."""
    async with engine.connect() as connection:
        table = await connection.execute(text("SELECT to_regclass('consumer_offsets')"))
        if table.scalar() is None:
            return {}  # not migrated yet
        rows = await connection.execute(
            text(
                "SELECT topic, partition, next_offset FROM consumer_offsets "
                "WHERE group_id = :group AND topic LIKE :topics"
            ),
            {"group": GROUP_ID, "topics": f"{prefix}.%"},
        )
        return {(topic, partition): offset for topic, partition, offset in rows}


async def scalar(engine: AsyncEngine, sql: str) -> int:
    """One number from health's schema."""
    async with engine.connect() as connection:
        return int((await connection.execute(text(sql))).scalar_one())


async def wait_for_offsets(
    engine: AsyncEngine,
    prefix: str,
    ends: dict[tuple[str, int], int],
    processes: Sequence[subprocess.Popen[bytes]],
    logs: Sequence[Path],
) -> None:
    """Until every partition is committed at its end (fails after PROGRESS_TIMEOUT_S or
    when a health process dies)."""
    deadline = time.monotonic() + PROGRESS_TIMEOUT_S
    seen: dict[tuple[str, int], int] = {}
    while time.monotonic() < deadline:
        seen = await committed(engine, prefix)
        if all(seen.get(tp, 0) >= end for tp, end in ends.items()):
            assert {tp: seen.get(tp, 0) for tp in ends} == ends, "committed past the end"
            return
        for process, log in zip(processes, logs, strict=True):
            assert process.poll() is None, f"health exited with {process.returncode}; see {log}"
        await asyncio.sleep(0.1)
    behind = {f"{t}[{p}]": (seen.get((t, p), 0), end) for (t, p), end in ends.items()}
    raise AssertionError(f"offsets (committed, end) never reached the end: {behind}; see {logs}")


def health_env(settings: Settings) -> dict[str, str]:
    """The environment of a health child on `settings`."""
    return settings_env(settings, **CHILD_SETTINGS)


def metric_total(url: str, name: str) -> float:
    """The sum of one counter over its labels, from a process's /metrics."""
    response = httpx.get(f"{url}/metrics", timeout=10)
    response.raise_for_status()
    total = 0.0
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            if sample.name == name:
                total += sample.value
    return total


def fresh_events(url: str) -> float:
    """How many new event ids a health process took (applied, or found to change nothing)."""
    return metric_total(url, "pulse_health_events_applied_total") + metric_total(
        url, "pulse_health_events_too_late_total"
    )


def assigned_partitions(log: Path) -> set[str] | None:
    """The partitions of the latest "partitions assigned" line of a health log, if any."""
    latest: set[str] | None = None
    for line in log.read_bytes().splitlines():
        if b"partitions assigned" not in line:
            continue
        try:
            entry = orjson.loads(line)
        except orjson.JSONDecodeError:
            continue
        if entry.get("message") == "partitions assigned":
            latest = set(entry["partitions"])
    return latest


# -- the tests ----------------------------------------------------------------------------


async def test_kill_9_mid_stream_again_and_again_gives_the_scores_of_one_clean_run(
    recovery_settings: Settings, health_db: AsyncEngine, tmp_path: Path
) -> None:
    settings = recovery_settings
    topics = Topics(settings.topic_prefix)
    rng = random.Random(20261123)
    accounts = [f"acct-{n:03d}" for n in range(200)]
    events = make_events(rng, accounts, 100, datetime.now(UTC))
    messages = [to_message(topics, e) for e in events] * 2  # every event id twice
    rng.shuffle(messages)
    stream = Stream(events, messages)
    ends = end_offsets(messages, settings.topic_partitions)
    total = sum(ends.values())
    await ensure_topics(settings, topics.all)
    await produce(settings, messages)

    env = health_env(settings)
    logs: list[Path] = []
    kills: list[int] = []
    for target in (0.15, 0.45, 0.75):
        log = tmp_path / f"health-{len(logs)}.log"
        logs.append(log)
        with running_service("health", env, free_port(), log, START_TIMEOUT_S) as (_, process):
            deadline = time.monotonic() + PROGRESS_TIMEOUT_S
            while True:
                done = sum((await committed(health_db, settings.topic_prefix)).values())
                if done >= target * total and done > (kills[-1] if kills else 0):
                    break
                assert process.poll() is None, f"health exited early; see {log}"
                assert time.monotonic() < deadline, f"no progress to {target:.0%}; see {log}"
                await asyncio.sleep(0.02)
            await asyncio.sleep(rng.uniform(0, 0.05))  # land inside a batch, not just after one
            process.kill()
            assert process.wait(30) == -signal.SIGKILL
        done = sum((await committed(health_db, settings.topic_prefix)).values())
        assert done < total, f"health finished before the kill at {target:.0%}; see {log}"
        kills.append(done)
    assert kills == sorted(set(kills)), kills  # three different progress points
    print(f"killed at {kills} of {total} messages committed")

    log = tmp_path / f"health-{len(logs)}.log"
    logs.append(log)
    with running_service("health", env, free_port(), log, START_TIMEOUT_S) as (url, process):
        try:
            await wait_for_offsets(health_db, settings.topic_prefix, ends, [process], [log])
            await assert_scores_match(url, stream)
            distinct = len({(e.account_id, e.id) for e in events})
            assert distinct == len(events)
            assert await scalar(health_db, "SELECT count(*) FROM processed_events") == distinct
            assert await scalar(health_db, "SELECT count(*) FROM account_states") == len(accounts)
        except BaseException:
            print(f"health logs: {[str(p) for p in logs]}; progress at the kills: {kills}")
            raise


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGKILL], ids=["term", "kill"])
async def test_a_second_process_shares_the_load_and_its_partitions_move_to_the_survivor(
    recovery_settings: Settings, health_db: AsyncEngine, tmp_path: Path, stop_signal: int
) -> None:
    settings = recovery_settings.model_copy(update={"topic_partitions": 6})
    topics = Topics(settings.topic_prefix)
    rng = random.Random(20261124)
    accounts = [f"acct-{n:03d}" for n in range(120)]
    events = make_events(rng, accounts, 60, datetime.now(UTC))
    # Every account has events in both halves; each event is sent twice, and half of the
    # first half's repeats come only in the second half (after their first owner stopped).
    first = [e for e in events if int(e.id.rsplit("-", 1)[1]) % 2 == 0]
    second = [e for e in events if int(e.id.rsplit("-", 1)[1]) % 2 == 1]
    half = len(first) // 2
    first_messages = [to_message(topics, e) for e in first + first[:half]]
    second_messages = [to_message(topics, e) for e in second + second + first[half:]]
    rng.shuffle(first_messages)
    rng.shuffle(second_messages)
    stream = Stream(events, first_messages + second_messages)
    await ensure_topics(settings, topics.all)

    env = health_env(settings)
    logs = [tmp_path / "health-survivor.log", tmp_path / "health-stopped.log"]
    try:
        with ExitStack() as stack:
            survivor_url, survivor = stack.enter_context(
                running_service("health", env, free_port(), logs[0], START_TIMEOUT_S)
            )
            stopped_url, stopped = stack.enter_context(
                running_service("health", env, free_port(), logs[1], START_TIMEOUT_S)
            )
            # Both members of one generation: disjoint halves of all 6 partitions of each topic.
            every = {
                f"{t}[{p}]" for t in (*topics.all_events, topics.health_commands) for p in range(6)
            }
            deadline = time.monotonic() + START_TIMEOUT_S
            while True:
                owned = [assigned_partitions(log) or set() for log in logs]
                if all(owned) and owned[0] | owned[1] == every and not owned[0] & owned[1]:
                    break
                assert time.monotonic() < deadline, f"no two-member assignment: {owned}; see {logs}"
                await asyncio.sleep(0.2)

            await produce(settings, first_messages)
            ends = end_offsets(first_messages, 6)
            await wait_for_offsets(
                health_db, settings.topic_prefix, ends, [survivor, stopped], logs
            )
            for url, log in ((survivor_url, logs[0]), (stopped_url, logs[1])):
                assert fresh_events(url) > 0, f"a member took no event; see {log}"
            stopped_fresh = fresh_events(stopped_url)
            stopped.send_signal(stop_signal)
            if stop_signal == signal.SIGTERM:
                # uvicorn re-raises the signal once it has shut down: -SIGTERM is a clean stop.
                assert stopped.wait(60) in (0, -signal.SIGTERM), f"see {logs[1]}"
                assert b"Application shutdown complete." in logs[1].read_bytes(), f"see {logs[1]}"
            else:  # its partitions move once its session times out
                assert stopped.wait(60) == -signal.SIGKILL

            await produce(settings, second_messages)
            ends = end_offsets(first_messages + second_messages, 6)
            await wait_for_offsets(health_db, settings.topic_prefix, ends, [survivor], logs[:1])
            assert assigned_partitions(logs[0]) == every  # the survivor took the rest over
            await assert_scores_match(survivor_url, stream)
            distinct = len(events)
            assert await scalar(health_db, "SELECT count(*) FROM processed_events") == distinct
            assert await scalar(health_db, "SELECT count(*) FROM account_states") == len(accounts)
            # Each distinct event taken once, by one of the two.
            assert fresh_events(survivor_url) + stopped_fresh == distinct
    except BaseException:
        print(f"health logs: {[str(p) for p in logs]}")
        raise
