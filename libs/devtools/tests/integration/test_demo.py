"""`pulse demo` end to end, in a short form: its own stack on a simulated clock, a small
simulated base, the alerts' signed webhooks, the summary and the validation report."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from pulse.common.settings import SERVICE_NAMES
from pulse.devtools.embedded import free_port

pytestmark = pytest.mark.integration

ACCOUNTS = 40


@pytest.fixture
def workdir() -> Iterator[Path]:
    # Not pytest's tmp_path: the unprivileged postgres user cannot enter its 0700 folders.
    path = Path(tempfile.mkdtemp(prefix="pulse-demo-test-"))
    path.chmod(0o755)
    yield path
    subprocess.run(["rm", "-rf", str(path)], check=False)


def test_the_demo_tells_the_story_of_a_small_simulated_base(workdir: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PULSE_")}
    env["PULSE_DEV_DIR"] = str(workdir / ".pulse")
    env["PULSE_DEV_KAFKA_PORT"] = str(free_port())
    env["PULSE_DEV_POSTGRES_PORT"] = str(free_port())
    for name in SERVICE_NAMES:
        env[f"PULSE_{name.upper()}_PORT"] = str(free_port())
    command = [sys.executable, "-m", "pulse.devtools.cli", "demo", f"--accounts={ACCOUNTS}"]
    command += ["--days=30", "--days-per-minute=120", "--horizon-days=7", "--start-lead=60"]
    finished = subprocess.run(
        command, env=env, cwd=workdir, capture_output=True, text=True, timeout=900
    )
    shown = finished.stdout + finished.stderr
    assert finished.returncode == 0, shown[-4000:]
    received = re.search(r"(\d+) alerts received; 0 bad signatures", shown)
    assert received, shown[-4000:]
    assert int(received.group(1)) > 0
    assert re.search(r"^\[[A-Z]+\] .+\n    why: ", shown, re.M)
    total = re.search(r"^all\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)$", shown, re.M)
    assert total, shown[-4000:]
    assert 0 < int(total.group(4)) <= ACCOUNTS
    assert "Renewals in the next 90 days, least likely to renew first" in shown
    assert re.search(r"^NRR \d+\.\d %   GRR \d+\.\d %   logo churn", shown, re.M)
    assert "Does the score predict churn?" in shown
    assert "Churn rate per band" in shown
    assert (workdir / ".pulse" / "demo" / "truth.jsonl").is_file()
