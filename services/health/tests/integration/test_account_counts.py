"""Accounts counted by band and segment and by score decile, straight from the table."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text

from pulse.common.db.engine import create_engine, create_session_factory
from pulse.common.db.migrations import upgrade_to_head
from pulse.common.settings import Settings
from pulse.health.app import MIGRATIONS_DIR, SCHEMA
from pulse.health.storage.account_counts import count_accounts

pytestmark = pytest.mark.integration


async def test_deciles_take_a_score_by_its_tens_and_100_in_the_top_one(
    pulse_settings: Settings,
) -> None:
    await asyncio.to_thread(
        upgrade_to_head, pulse_settings, schema=SCHEMA, migrations_dir=MIGRATIONS_DIR
    )
    engine = create_engine(pulse_settings, schema=SCHEMA)
    try:
        async with engine.begin() as connection:
            await connection.execute(
                text(
                    "INSERT INTO scores (account_id, score, band, segment, model_version,"
                    " computed_at, components) VALUES"
                    " ('a', 0, 'red', 'tech_touch', 'v', now(), '{}'),"
                    " ('b', 9.9, 'red', 'tech_touch', 'v', now(), '{}'),"
                    " ('c', 10, 'red', 'low_touch', 'v', now(), '{}'),"
                    " ('d', 89.9, 'green', 'high_touch', 'v', now(), '{}'),"
                    " ('e', 90, 'green', 'high_touch', 'v', now(), '{}'),"
                    " ('f', 100, 'green', 'high_touch', 'v', now(), '{}')"
                )
            )
        async with create_session_factory(engine)() as session:
            counts = await count_accounts(session)
    finally:
        await engine.dispose()
    assert counts.by_decile == {0: 2, 10: 1, 80: 1, 90: 2}
    assert counts.by_band_segment == {
        ("red", "tech_touch"): 2,
        ("red", "low_touch"): 1,
        ("green", "high_touch"): 3,
    }
