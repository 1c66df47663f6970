"""`python -m pulse.alerts [serve|migrate]`."""

from __future__ import annotations

from pulse.alerts.app import MIGRATIONS_DIR, SCHEMA, create_app
from pulse.common.service_main import service_main


def main() -> None:
    """Run the alerts service (default) or apply its migrations."""
    service_main("alerts", create_app, schema=SCHEMA, migrations_dir=MIGRATIONS_DIR)


if __name__ == "__main__":
    main()
