"""Checks that a service's migrations build exactly the tables its code declares, and
never depend on those declarations; each service's tests run them.

A migration that creates tables from the live `Table` objects (`metadata.create_all`, or
anything imported from a `tables` module) would build, for a database migrated later, the
tables as the code declares them then, not as that revision shipped them.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData
from sqlalchemy.engine import Connection

from pulse.common.db.engine import create_engine
from pulse.common.settings import Settings


async def schema_differences(
    settings: Settings, *, schema: str, declared: Iterable[MetaData]
) -> list[Any]:
    """What Alembic's autogenerate would change in `schema` to match the `declared`
    tables: types, nullability, server defaults and indexes included. Empty when the
    database has exactly the tables and columns the code declares."""
    wanted = MetaData()
    for metadata in declared:
        for table in metadata.tables.values():
            table.to_metadata(wanted)
    engine = create_engine(settings, schema=schema)
    try:
        async with engine.connect() as connection:
            differences: list[Any] = await connection.run_sync(_compare, wanted)
            return differences
    finally:
        await engine.dispose()


def _compare(connection: Connection, wanted: MetaData) -> list[Any]:
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "compare_server_default": True}
    )
    differences: list[Any] = compare_metadata(context, wanted)
    return differences


def live_table_uses(migrations_dir: Path) -> list[str]:
    """Where a revision under `migrations_dir` imports a `tables` module or calls
    `create_all`, as `file:line: what`."""
    found: list[str] = []
    for path in sorted((migrations_dir / "versions").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            use = _live_table_use(node)
            if use is not None:
                found.append(f"{path.name}:{getattr(node, 'lineno', 0)}: {use}")
    return found


def _live_table_use(node: ast.AST) -> str | None:
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        if node.func.attr == "create_all":
            return "calls create_all"
    modules: list[str] = []
    if isinstance(node, ast.ImportFrom) and node.module is not None:
        modules = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
    elif isinstance(node, ast.Import):
        modules = [alias.name for alias in node.names]
    for module in modules:
        if module.split(".")[-1] == "tables":
            return f"imports {module}"
    return None
