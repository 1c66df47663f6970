"""Prometheus' binaries (`prometheus`, `promtool`) for tests: from an environment variable,
PATH, or Debian's `prometheus` package unpacked into a folder (no root needed:
`apt-get download` then `dpkg-deb -x`). A test fails with HOW_TO_INSTALL when none works;
it never skips."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from pulse.devtools.testing.install_lock import installing

#: The variable naming each binary, checked before PATH.
OVERRIDES = {"prometheus": "PULSE_PROMETHEUS", "promtool": "PULSE_PROMTOOL"}


class PrometheusToolMissingError(RuntimeError):
    """Neither found nor installable; the message says how to install it."""


def how_to_install(name: str) -> str:
    return (
        f"{name} not found and could not be installed here. Install Debian's prometheus "
        f"package (`sudo apt-get install prometheus` gives {name} 2.42), or put a {name} "
        f"binary from a Prometheus release on PATH, or set {OVERRIDES[name]} to its path."
    )


def unpack_debian_prometheus(destination: Path) -> str:
    """Download Debian's prometheus package and unpack it under `destination`; the output
    of the last command that failed, or '' when it worked."""
    if shutil.which("apt-get") is None or shutil.which("dpkg-deb") is None:
        return "apt-get or dpkg-deb missing"
    destination.mkdir(parents=True, exist_ok=True)
    download = ["apt-get", "download", "prometheus"]
    fetched = subprocess.run(download, cwd=destination, capture_output=True, text=True)
    if fetched.returncode != 0 and os.geteuid() == 0:
        # Package lists may be missing (a fresh container): root can fetch them.
        subprocess.run(["apt-get", "update"], capture_output=True, text=True)
        fetched = subprocess.run(download, cwd=destination, capture_output=True, text=True)
    if fetched.returncode != 0:
        return fetched.stderr
    for package in sorted(destination.glob("prometheus_*.deb")):
        unpacked = subprocess.run(
            ["dpkg-deb", "-x", str(package), str(destination)], capture_output=True, text=True
        )
        package.unlink()
        if unpacked.returncode != 0:
            return unpacked.stderr
    return ""


def find_prometheus_tool(name: str, unpacked: Path) -> str | None:
    """`name` (prometheus or promtool): its variable, then PATH, then one unpacked earlier
    under `unpacked`."""
    chosen = os.environ.get(OVERRIDES[name]) or shutil.which(name)
    candidate = unpacked / "usr" / "bin" / name
    if chosen is None and candidate.is_file():
        chosen = str(candidate)
    return chosen


def prometheus_tool(name: str, unpacked: Path) -> str:
    """`name`'s path, unpacking Debian's package under `unpacked` first when it is missing."""
    found = find_prometheus_tool(name, unpacked)
    if found is None:
        with installing(unpacked.parent):
            # Another process may have unpacked it while this one waited for the lock.
            found = find_prometheus_tool(name, unpacked)
            failure = "" if found else unpack_debian_prometheus(unpacked)
        found = find_prometheus_tool(name, unpacked)
        if found is None:
            raise PrometheusToolMissingError(f"{how_to_install(name)}\n{failure}".strip())
    return found
