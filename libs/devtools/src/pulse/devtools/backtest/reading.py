"""What a backtest reads (read-only): the active model, the outcomes of the period, the
alert rules in force, and per account its archived steps with the scores health stored."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime

import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from pulse.alerts.rules.definitions import Rule
from pulse.alerts.rules.loading import default_rules, rules_from_data
from pulse.devtools.backtest.accounts import StoredPoint, Window
from pulse.devtools.model_check.dataset import (
    HEALTH_SCHEMA,
    read_active_model,
    read_outcomes,
)
from pulse.devtools.model_check.observations import Outcome
from pulse.health.storage.step_archive import ArchivedAccount, stream_accounts

ALERTS_SCHEMA = "alerts"


@dataclass(frozen=True, slots=True)
class Setting:
    """What every account's backtest shares."""

    active_model: str
    outcomes: dict[str, Outcome]
    rules: list[Rule]
    #: Where the rules came from: the alerts service's version in force, or the defaults.
    rules_source: str


async def read_setting(connection: AsyncConnection, window: Window) -> Setting:
    """The active model, the outcomes of `window`, and the alert rules in force."""
    outcomes = await read_outcomes(connection, window.start, window.end)
    rules, source = await _rules_in_force(connection)
    return Setting(
        await read_active_model(connection),
        {outcome.account_id: outcome for outcome in outcomes},
        rules,
        source,
    )


async def _rules_in_force(connection: AsyncConnection) -> tuple[list[Rule], str]:
    table = await connection.scalar(text(f"SELECT to_regclass('{ALERTS_SCHEMA}.rule_sets')"))
    if table is not None:
        row = (
            await connection.execute(
                text(
                    f"SELECT version, rules FROM {ALERTS_SCHEMA}.rule_sets "
                    "ORDER BY version DESC LIMIT 1"
                )
            )
        ).first()
        if row is not None:
            version, rules = row[0], _json(row[1])
            found = rules_from_data({"version": str(version), "rules": rules})
            return list(found.rules), f"alerts' rule set version {version}"
    return list(default_rules().rules), "the shipped default rules (alerts stores none)"


async def stream_archive(
    connection: AsyncConnection, window: Window, replay_from: datetime
) -> AsyncIterator[list[tuple[ArchivedAccount, list[StoredPoint]]]]:
    """Each archived account's steps from its latest state at or before `replay_from`,
    with the scores health stored for it in the window, a chunk of accounts at a time."""
    async for chunk in stream_accounts(connection, replay_from, window.end, HEALTH_SCHEMA):
        stored = await _stored_points(connection, [a.account_id for a in chunk], window)
        yield [(account, stored.get(account.account_id, [])) for account in chunk]


_STORED = text(
    f"""
    SELECT account_id, at, score, band, model_version, components
    FROM {HEALTH_SCHEMA}.score_history
    WHERE account_id = ANY(CAST(:ids AS text[])) AND at >= :start AND at < :end
    ORDER BY account_id, at
    """
)


async def _stored_points(
    connection: AsyncConnection, ids: Sequence[str], window: Window
) -> dict[str, list[StoredPoint]]:
    rows = await connection.execute(
        _STORED, {"ids": list(ids), "start": window.start, "end": window.end}
    )
    found: dict[str, list[StoredPoint]] = {}
    for account_id, at, score, band, version, components in rows:
        point = StoredPoint(at, float(score), band, version, _json(components))
        found.setdefault(account_id, []).append(point)
    return found


def _json(value: object) -> list[dict[str, object]]:
    # json columns come back as text from a textual query
    found: list[dict[str, object]] = (
        orjson.loads(value) if isinstance(value, str | bytes) else value  # type: ignore[assignment]
    )
    return found
