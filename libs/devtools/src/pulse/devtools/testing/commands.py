"""Running a `pulse` command in a test, against a test database."""

from __future__ import annotations

import pytest

from pulse.common.settings import Settings
from pulse.devtools.cli import main


def run_pulse(argv: list[str], monkeypatch: pytest.MonkeyPatch, settings: Settings) -> int:
    """Run `pulse <argv>` with `PULSE_DATABASE_URL` from `settings`; its exit status."""
    monkeypatch.setenv("PULSE_DATABASE_URL", settings.database_url.get_secret_value())
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    code = exit_.value.code
    assert isinstance(code, int)
    return code
