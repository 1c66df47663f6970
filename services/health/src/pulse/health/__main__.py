"""`python -m pulse.health [serve|migrate]`."""

from __future__ import annotations

from pulse.common.service_main import service_main
from pulse.health.app import MIGRATIONS_DIR, SCHEMA, create_app


def main() -> None:
    """Run the health service (default) or apply its migrations."""
    service_main("health", create_app, schema=SCHEMA, migrations_dir=MIGRATIONS_DIR)


if __name__ == "__main__":
    main()
