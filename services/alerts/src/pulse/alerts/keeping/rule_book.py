"""The rule set in force, kept in PostgreSQL as versions, and changed over the API.

At start the service stores the shipped defaults (or `PULSE_ALERTS_RULES_FILE`) as the
first version, or as a new one when the file differs from the version in force. A change
(create, replace or delete one rule) builds the next version from the one in force under a
table lock, validates the whole set with every problem's path, and in the same transaction
resolves the alerts of removed rules and makes every account due: each process's next tick
adopts the version and re-evaluates every account under it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from pulse.alerts.rules.definitions import Rule, RuleSet
from pulse.alerts.rules.loading import rules_from_data
from pulse.alerts.storage import alert_rows, rule_sets
from pulse.alerts.storage.tables import account_watches

Edit = Callable[[list[dict[str, Any]]], list[dict[str, Any]]]


def rule_to_json(rule: Rule) -> dict[str, Any]:
    """A rule as the API shows it and the rule sets store it (durations as `14d`)."""
    return rule.model_dump(mode="json", by_alias=True, exclude_none=True)


def rule_set_of(version: int, rules: list[dict[str, Any]]) -> RuleSet:
    """A stored version, validated again (a version stored by older code may not pass)."""
    return rules_from_data({"version": str(version), "rules": rules})


async def ensure_rules(session: AsyncSession, wanted: RuleSet, source: str) -> tuple[int, RuleSet]:
    """The version in force after storing `wanted` when it differs from it (or none is
    stored); `source` says where `wanted` came from."""
    await rule_sets.lock_for_change(session)
    rules = [rule_to_json(rule) for rule in wanted.rules]
    found = await rule_sets.latest(session)
    if found is not None and found[1] == rules:
        return found[0], wanted
    version = await rule_sets.add_version(session, rules, f"rules from {source}")
    await _everyone_due(session)
    return version, wanted


async def in_force(session: AsyncSession) -> tuple[int, RuleSet] | None:
    """The version in force and its rules, or None before any is stored."""
    found = await rule_sets.latest(session)
    return None if found is None else (found[0], rule_set_of(*found))


async def change_rules(
    session: AsyncSession, edit: Edit, change: str, now: datetime
) -> tuple[int, RuleSet, list[dict[str, Any]]]:
    """Store the next version, `edit` applied to the rules in force; raise `RuleError`
    with every problem's path when the result is invalid. Returns the version, its rules
    and the alerts resolved because their rule was removed."""
    await rule_sets.lock_for_change(session)
    found = await rule_sets.latest(session)
    before = found[1] if found else []
    after = edit([dict(rule) for rule in before])
    rule_set = rules_from_data({"version": "next", "rules": after})
    stored = [rule_to_json(rule) for rule in rule_set.rules]
    version = await rule_sets.add_version(session, stored, change)
    removed = {r["id"] for r in before} - {r["id"] for r in stored}
    resolved = await alert_rows.resolve_removed_rules(session, sorted(removed), now)
    await _everyone_due(session)
    return version, rule_set, resolved


async def _everyone_due(session: AsyncSession) -> None:
    # Rare (a rule change), and cheap next to re-evaluating every account, which follows.
    await session.execute(update(account_watches).values(next_check=_LONG_AGO))


_LONG_AGO = datetime(1970, 1, 1, tzinfo=UTC)
