"""README's `### Metrics reference` lists exactly the metrics each service declares: name,
type and label names, read from a fresh interpreter per service that imports its app."""

from __future__ import annotations

from pathlib import Path

import pytest

from pulse.devtools.testing.metrics_reference import (
    SERVICES,
    MetricSignature,
    ReferenceFormatError,
    declared_metrics,
    expected_for,
    read_reference,
    read_reference_file,
)

README = Path(__file__).resolve().parents[4] / "README.md"


def described(signatures: set[MetricSignature]) -> str:
    return "\n".join(
        f"  {s.name} ({s.type}; labels: {', '.join(s.labels) or '-'})" for s in sorted(signatures)
    )


@pytest.fixture(scope="module")
def declared() -> dict[MetricSignature, set[str]]:
    return declared_metrics()


@pytest.mark.parametrize("service", SERVICES)
def test_the_table_lists_what_the_service_declares(
    service: str, declared: dict[MetricSignature, set[str]]
) -> None:
    expected = expected_for(service, read_reference_file(README))
    exposed = {signature for signature, services in declared.items() if service in services}
    missing, extra = exposed - expected, expected - exposed
    message = (
        f"README.md's metrics reference is out of step with {service}:\n"
        f"declared but not in the table (add a row, or fix its type, labels or services):\n"
        f"{described(missing) or '  none'}\n"
        f"in the table but not declared (remove the row, or fix it):\n"
        f"{described(extra) or '  none'}"
    )
    assert missing == set(), message
    assert extra == set(), message


def test_shared_metrics_belong_to_every_service_and_own_ones_to_theirs(
    declared: dict[MetricSignature, set[str]],
) -> None:
    # The attribution the comparison above relies on, on metrics whose home is known.
    by_name = {signature.name: services for signature, services in declared.items()}
    assert by_name["pulse_dependency_up"] == set(SERVICES)
    assert by_name["pulse_health_accounts"] == {"health"}
    assert by_name["pulse_webhook_attempts_total"] == {"alerts"}


def test_the_table_names_each_metric_once_with_a_meaning() -> None:
    rows = read_reference_file(README)
    names = [row.signature.name for row in rows]
    assert len(names) == len(set(names))
    assert all(row.meaning for row in rows)
    # The metrics this table was written for; a parser that read nothing would pass above.
    assert {
        "pulse_health_accounts",
        "pulse_health_accounts_by_score",
        "pulse_health_newest_event_timestamp_seconds",
        "pulse_dependency_up",
        "pulse_db_pool_connections",
        "pulse_db_pool_size",
        "pulse_renewals_at_risk_accounts",
    } <= set(names)


TABLE = """\
# X

### Metrics reference

Text.

| metric | type | labels | services | meaning |
|---|---|---|---|---|
| `pulse_a_total` | counter | `topic`, `group` | all | A. |
| `pulse_b` | gauge | - | health, alerts | B. |

### Next
| `pulse_c` | gauge | - | all | not in the section |
"""


def test_rows_are_read_with_sorted_labels_and_services() -> None:
    a, b = read_reference(TABLE)
    assert a.signature == MetricSignature("pulse_a_total", "counter", ("group", "topic"))
    assert a.signature.family == "pulse_a"
    assert a.services == SERVICES
    assert (b.signature.labels, b.services, b.meaning) == ((), ("health", "alerts"), "B.")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("# X\n", "no '### Metrics reference' heading"),
        (TABLE.replace("| services |", "| where |"), "expected columns"),
        (TABLE.replace("health, alerts", "health, billing"), "unknown services ['billing']"),
        (TABLE.replace("| B. |", "|"), "expected 5 cells"),
    ],
)
def test_an_unreadable_table_says_why(text: str, problem: str) -> None:
    with pytest.raises(ReferenceFormatError, match=problem.replace("[", r"\[").replace("]", r"\]")):
        read_reference(text)
