"""`python -m pulse.ingest [serve|migrate]`."""

from __future__ import annotations

from pulse.common.service_main import service_main
from pulse.ingest.app import MIGRATIONS_DIR, SCHEMA, create_app


def main() -> None:
    """Run the ingest service (default) or apply its migrations."""
    service_main("ingest", create_app, schema=SCHEMA, migrations_dir=MIGRATIONS_DIR)


if __name__ == "__main__":
    main()
