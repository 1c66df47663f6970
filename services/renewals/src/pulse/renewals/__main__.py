"""`python -m pulse.renewals [serve|migrate]`."""

from __future__ import annotations

from pulse.common.service_main import service_main
from pulse.renewals.app import MIGRATIONS_DIR, SCHEMA, create_app


def main() -> None:
    """Run the renewals service (default) or apply its migrations."""
    service_main("renewals", create_app, schema=SCHEMA, migrations_dir=MIGRATIONS_DIR)


if __name__ == "__main__":
    main()
