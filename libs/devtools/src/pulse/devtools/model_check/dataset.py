"""Reading the observations from what health and renewals store (read-only).

Both services keep their tables in one database (`PULSE_DATABASE_URL`), each in its own
schema (`health`, `renewals`); the services' own table definitions are used with the
schema mapped in. Outcomes come from renewals' account books (their contract timelines,
rebuilt by renewals' own code); each account's score and components as of
`outcome - horizon` is the newest `score_history` point at or before that moment. A
point is written whenever the score moves by 1 or more or the band changes (and daily
for re-scored accounts), so the point in force is the score then, to within 1 point.
Every transaction is read-only (`default_transaction_read_only`): this never writes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import orjson
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from pulse.common.settings import Settings
from pulse.devtools.model_check.observations import (
    Observation,
    Outcome,
    components_of,
    outcome_of,
)
from pulse.health.scoring.model import default_model_text
from pulse.health.storage.tables import scoring_models
from pulse.renewals.book.account_book import AccountBook
from pulse.renewals.storage.tables import account_books

HEALTH_SCHEMA = "health"
RENEWALS_SCHEMA = "renewals"


@dataclass(frozen=True, slots=True)
class Dataset:
    """The observations of a period, the model versions that scored them, and the text
    of health's active model (the shipped default when none is stored)."""

    observations: list[Observation]
    model_versions: list[str]
    active_model: str


def period_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """[start 00:00, the day after end 00:00) in UTC: both dates included."""
    return (
        datetime.combine(start, time(), UTC),
        datetime.combine(end + timedelta(days=1), time(), UTC),
    )


class UnreadableStore(Exception):
    """The database cannot be reached, or holds no health or renewals tables."""


@asynccontextmanager
async def read_only(settings: Settings) -> AsyncIterator[AsyncConnection]:
    """A connection to Pulse's database whose transactions cannot write; `UnreadableStore`
    saying why when it cannot be read."""
    engine = create_async_engine(
        settings.database_url.get_secret_value(),
        connect_args={"server_settings": {"default_transaction_read_only": "on"}},
        json_deserializer=orjson.loads,  # states and components: the stdlib's is 3x slower
    )
    try:
        async with engine.connect() as connection:
            yield connection
    except (DBAPIError, OSError) as error:
        raise UnreadableStore(
            f"cannot read health's and renewals' tables ({type(error).__name__}: "
            f"{str(error).splitlines()[0]}); check PULSE_DATABASE_URL and that both "
            "services' migrations ran in that database"
        ) from error
    finally:
        await engine.dispose()


async def load_dataset(settings: Settings, start: date, end: date, horizon: timedelta) -> Dataset:
    """The observations of outcomes dated `start` to `end`, scores `horizon` before;
    `UnreadableStore` saying why when the database cannot give them."""
    async with read_only(settings) as connection:
        outcomes = await read_outcomes(connection, *period_bounds(start, end))
        points = await _points(connection, outcomes, horizon)
        model = await read_active_model(connection)
    observations = []
    versions = []
    for outcome in outcomes:
        point = points.get(outcome.account_id)
        if point is None:
            observations.append(Observation(outcome, None, None))
            continue
        versions.append(point["model_version"])
        observations.append(
            Observation(
                outcome, float(point["score"]), point["band"], components_of(point["components"])
            )
        )
    return Dataset(observations, versions, model)


async def read_outcomes(
    connection: AsyncConnection, start: datetime, end: datetime
) -> list[Outcome]:
    """Each account's outcome effective in [start, end), by renewals' account books."""
    renewals = await connection.execution_options(schema_translate_map={None: RENEWALS_SCHEMA})
    rows = await renewals.execute(
        select(account_books.c.account_id, account_books.c.partition, account_books.c.state)
    )
    found = []
    for account_id, partition, state in rows:
        book = AccountBook.restore(account_id, partition, state)
        outcome = outcome_of(account_id, book.contracts.steps, start, end)
        if outcome is not None:
            found.append(outcome)
    return sorted(found, key=lambda o: (o.at, o.account_id))


_POINTS = text(
    f"""
    SELECT c.account_id, p.score, p.band, p.model_version, p.components
    FROM unnest(CAST(:ids AS text[]), CAST(:cutoffs AS timestamptz[])) AS c(account_id, cutoff)
    CROSS JOIN LATERAL (
        SELECT h.score, h.band, h.model_version, h.components
        FROM {HEALTH_SCHEMA}.score_history h
        WHERE h.account_id = c.account_id AND h.at <= c.cutoff
        ORDER BY h.at DESC
        LIMIT 1
    ) p
    """
)


async def _points(
    connection: AsyncConnection, outcomes: Sequence[Outcome], horizon: timedelta
) -> dict[str, dict[str, Any]]:
    if not outcomes:
        return {}
    rows = await connection.execute(
        _POINTS,
        {"ids": [o.account_id for o in outcomes], "cutoffs": [o.at - horizon for o in outcomes]},
    )
    found: dict[str, dict[str, Any]] = {}
    for account_id, score, band, version, components in rows:
        # components: json, returned as text by a textual query
        found[account_id] = {
            "score": score,
            "band": band,
            "model_version": version,
            "components": _json(components),
        }
    return found


async def read_active_model(connection: AsyncConnection) -> str:
    """The text of health's active model (the shipped default when none is stored)."""
    health = await connection.execution_options(schema_translate_map={None: HEALTH_SCHEMA})
    body = await health.scalar(select(scoring_models.c.body).where(scoring_models.c.active))
    return str(body) if body is not None else default_model_text()


def _json(value: Any) -> Any:
    return orjson.loads(value) if isinstance(value, str | bytes) else value
