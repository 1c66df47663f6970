"""The alerts service's benchmark: rule evaluation in process, throughput through one
process, and end to end from ingest's 202 to the signed webhook.

See the part modules: `alerts_evaluation` (the pure rule path, no I/O),
`alerts_throughput` (a pre-produced backlog through `python -m pulse.alerts`, beside a
bare consumer of the same messages) and `alerts_delivery` (trips under a steady load,
received by `webhook_receiver`). The two process parts run on the benchmark's own broker
and PostgreSQL, each with its own database and topic prefix.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bench.alerts_delivery import DeliveryOptions, run_delivery
from bench.alerts_evaluation import EvaluationOptions, run_evaluation
from bench.alerts_throughput import ThroughputOptions, run_throughput
from bench.health import timed
from bench.stack import embedded_stack

PARTS = ("evaluation", "throughput", "delivery")
CEILING = "ceiling_bare_consumer_messages_per_s"


@dataclass(frozen=True)
class AlertsOptions:
    """Which parts run, their sizes, and extra `PULSE_*` settings for alerts."""

    parts: tuple[str, ...] = PARTS
    evaluation: EvaluationOptions = field(default_factory=EvaluationOptions)
    throughput: ThroughputOptions = field(default_factory=ThroughputOptions)
    delivery: DeliveryOptions = field(default_factory=DeliveryOptions)
    env: Mapping[str, str] = field(default_factory=dict)


def run_alerts(options: AlertsOptions) -> dict[str, Any]:
    """Every part asked for; the process parts on one fresh broker and PostgreSQL."""
    results: dict[str, Any] = {}
    if {"throughput", "delivery"} & set(options.parts):
        with embedded_stack() as stack:
            if "throughput" in options.parts:
                results["throughput"] = timed(
                    run_throughput, stack, options.throughput, options.env
                )
            if "delivery" in options.parts:
                results["delivery"] = timed(run_delivery, stack, options.delivery, options.env)
    if "evaluation" in options.parts:
        evaluation = timed(run_evaluation, options.evaluation)
        results["evaluation"] = with_ceiling(evaluation, results.get("throughput", {}))
    return results


def with_ceiling(evaluation: dict[str, Any], throughput: dict[str, Any]) -> dict[str, Any]:
    """The in-process runs beside the bare consumer the throughput part measured on the
    same messages (same seed, accounts and count), when it ran."""
    ceiling = throughput.get(CEILING)
    if "error" in evaluation or ceiling is None:
        return evaluation
    runs = [
        {**run, CEILING: ceiling, "ratio_to_ceiling": round(run["events_per_s"] / ceiling, 3)}
        for run in evaluation["runs"]
    ]
    return {**evaluation, "runs": runs}


def table_rows(results: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """(figure, value, ceiling or target, ratio) rows for the printed table."""
    rows: list[tuple[str, str, str, str]] = [
        (f"alerts {part}", "FAILED", str(figures["error"])[:60], "")
        for part, figures in results.items()
        if "error" in figures
    ]
    results = {k: v for k, v in results.items() if "error" not in v}
    evaluation = results.get("evaluation")
    if evaluation:
        for run in evaluation["runs"]:
            rows.append(
                (
                    f"alerts rules in process, batch {run['batch']:,}",
                    f"{run['events_per_s']:,}",
                    f"{run[CEILING]:,}" if CEILING in run else "",
                    _ratio(run, evaluation["target_events_per_s"]),
                )
            )
    throughput = results.get("throughput")
    if throughput:
        rows.append(
            (
                f"alerts events/s, {throughput['partitions']} partition(s)",
                f"{throughput['events_per_s']:,}",
                f"{throughput[CEILING]:,}",
                _ratio(throughput, throughput["target_events_per_s"]),
            )
        )
    delivery = results.get("delivery")
    if delivery:
        rows.append(
            (
                f"alerts 202→webhook p50/p99 ms @{delivery['achieved_events_per_s']:,}/s",
                f"{delivery['p50_ms']} / {delivery['p99_ms']}",
                f"target p99 {delivery['target_p99_ms']}",
                f"{delivery['webhooks_received']}/{delivery['trips_accepted']} received",
            )
        )
    return rows


def _ratio(run: dict[str, Any], target: int) -> str:
    ratio = f"{run['ratio_to_ceiling']:.1%} " if "ratio_to_ceiling" in run else ""
    return f"{ratio}(target {target:,})"
