"""What the demo prints: pure formatting of webhook messages and API answers into lines."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

SEGMENTS = ("high_touch", "low_touch", "tech_touch")
BANDS = ("green", "yellow", "red")


def alert_lines(message: Mapping[str, Any]) -> list[str]:
    """An `alert.opened` (or `renewal.at_risk`) webhook as a headline, its reason sentence,
    and the playbook's tasks with who does them and when."""
    data = message.get("data") or {}
    severity = str(data.get("severity") or "-").upper()
    account = data.get("name") or data.get("account_id") or "?"
    rule = data.get("rule_id") or message.get("type", "")
    lines = [f"[{severity}] {account} - {rule}"]
    reason = data.get("reason")
    if reason:
        lines.append(f"    why: {reason}")
    health = data.get("health")
    if isinstance(health, Mapping) and health.get("score") is not None:
        lines.append(f"    health: {float(health['score']):.0f} ({health.get('band')})")
    playbook = data.get("playbook")
    if isinstance(playbook, Mapping):
        lines.append(f"    playbook: {playbook.get('name')}")
        for task in playbook.get("tasks") or ():
            due = str(task.get("due_at") or "")[:10]
            lines.append(f"      - {task.get('title')} ({task.get('owner')}, due {due})")
    return lines


def table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> list[str]:
    """Left-aligned first column, right-aligned numbers, two spaces between columns."""
    cells = [list(map(str, header)), *([str(cell) for cell in row] for row in rows)]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]

    def line(row: Sequence[str]) -> str:
        first = row[0].ljust(widths[0])
        rest = (cell.rjust(width) for cell, width in zip(row[1:], widths[1:], strict=True))
        return "  ".join((first, *rest)).rstrip()

    return [line(cells[0]), *(line(row) for row in cells[1:])]


def band_table(accounts: Iterable[Mapping[str, Any]]) -> list[str]:
    """Accounts per band (columns) per segment (rows), with totals."""
    counts: dict[tuple[str, str], int] = {}
    for account in accounts:
        key = (str(account.get("segment")), str(account.get("band")))
        counts[key] = counts.get(key, 0) + 1
    rows = []
    for segment in SEGMENTS:
        row = [counts.get((segment, band), 0) for band in BANDS]
        rows.append([segment, *row, sum(row)])
    totals = [sum(counts.get((s, band), 0) for s in SEGMENTS) for band in BANDS]
    rows.append(["all", *totals, sum(totals)])
    return table(["segment", *BANDS, "total"], rows)


def riskiest_renewals_table(
    renewals: Iterable[Mapping[str, Any]], currency: str, top: int
) -> list[str]:
    """The `top` renewals least likely to renew (biggest ARR first among equals), with the
    forecast category and probability renewals gives them."""
    ranked = sorted(
        renewals, key=lambda r: (float(r.get("probability") or 0), -float(r.get("arr") or 0))
    )
    rows = [
        [
            str(r.get("name") or r.get("account_id")),
            r.get("segment"),
            f"{float(r.get('arr') or 0):,.0f} {currency}",
            r.get("renewal_date"),
            "-" if r.get("score") is None else f"{float(r['score']):.0f}",
            r.get("band"),
            r.get("category"),
            percent(r.get("probability")),
        ]
        for r in ranked[:top]
    ]
    if not rows:
        return ["no renewal in the next 90 days"]
    header = ["account", "segment", "ARR", "renews", "score", "band", "forecast", "renews %"]
    return table(header, rows)


def percent(value: object) -> str:
    """A ratio as a percentage with one decimal; '-' when there is none."""
    return "-" if value is None else f"{float(str(value)) * 100:.1f} %"


def retention_lines(body: Mapping[str, Any]) -> list[str]:
    """NRR, GRR and logo churn of `/v1/retention`'s cohort answer."""
    total = (body.get("total") or {}).get("cohort") or {}
    currency = body.get("currency", "")
    starting = float(total.get("starting_arr") or 0)
    return [
        f"cohort: {total.get('accounts', 0)} accounts, {starting:,.0f} {currency} ARR on "
        f"{body.get('from')}; measured to {body.get('to')}",
        f"NRR {percent(total.get('nrr'))}   GRR {percent(total.get('grr'))}   "
        f"logo churn {percent(total.get('logo_churn_rate'))} "
        f"({total.get('churned_accounts', 0)} accounts)",
        *(
            f"churned for {reason.get('reason') or 'no reason given'}: "
            f"{reason.get('accounts')} accounts, {float(reason.get('arr') or 0):,.0f} {currency}"
            for reason in (body.get("total") or {}).get("churn_by_reason") or ()
        ),
    ]


def heading(title: str) -> list[str]:
    """A blank line, the title, and a rule under it."""
    return ["", title, "-" * len(title)]
