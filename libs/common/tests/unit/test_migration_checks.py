"""The check that revisions never build tables from the live declarations finds every
way a revision could reach them."""

from __future__ import annotations

from pathlib import Path

from pulse.common.db.migration_checks import live_table_uses


def revisions(tmp_path: Path, **files: str) -> Path:
    (tmp_path / "versions").mkdir()
    for name, body in files.items():
        (tmp_path / "versions" / f"{name}.py").write_text(body)
    return tmp_path


def test_imports_of_a_tables_module_and_create_all_calls_are_found(tmp_path: Path) -> None:
    migrations = revisions(
        tmp_path,
        a="from pulse.health.tables import scores\n",
        b="import pulse.common.db.tables\n",
        c=(
            "from pulse.common.db import tables\n\n"
            "def upgrade():\n    tables.metadata.create_all(bind)\n"
        ),
    )

    assert live_table_uses(migrations) == [
        "a.py:1: imports pulse.health.tables",
        "b.py:1: imports pulse.common.db.tables",
        "c.py:1: imports pulse.common.db.tables",
        "c.py:4: calls create_all",
    ]


def test_frozen_steps_and_alembic_operations_pass(tmp_path: Path) -> None:
    migrations = revisions(
        tmp_path,
        a=(
            "import sqlalchemy as sa\nfrom alembic import op\n"
            "from pulse.common.db.consumer_migrations import create_consumer_tables\n\n"
            "def upgrade():\n    create_consumer_tables()\n"
            "    op.create_table('t', sa.Column('id', sa.Text, primary_key=True))\n"
        ),
    )

    assert live_table_uses(migrations) == []
