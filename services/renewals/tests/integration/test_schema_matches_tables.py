"""Renewals' migrations build exactly the tables its code declares (the consumer tables
and its own), and no revision builds them from those declarations."""

from __future__ import annotations

import asyncio

import pytest

from pulse.common.db import tables as consumer_tables
from pulse.common.db.migration_checks import live_table_uses, schema_differences
from pulse.common.db.migrations import upgrade_to_head
from pulse.common.settings import Settings
from pulse.renewals.app import MIGRATIONS_DIR, SCHEMA
from pulse.renewals.storage import tables as renewal_tables

DECLARED = (consumer_tables.metadata, renewal_tables.metadata)


@pytest.mark.integration
async def test_a_fresh_database_migrated_to_head_has_exactly_the_declared_tables(
    pulse_database_url: str,
) -> None:
    settings = Settings(env="test", database_url=pulse_database_url)
    await asyncio.to_thread(upgrade_to_head, settings, schema=SCHEMA, migrations_dir=MIGRATIONS_DIR)

    assert await schema_differences(settings, schema=SCHEMA, declared=DECLARED) == []


def test_no_revision_uses_the_live_table_declarations() -> None:
    assert live_table_uses(MIGRATIONS_DIR) == []
