"""docker-compose.yml and the Dockerfile stay consistent with the code they run."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[4]
SERVICES = ("ingest", "health", "alerts", "renewals")


def _compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return loaded


def test_every_service_runs_its_own_module_on_its_port() -> None:
    services = _compose()["services"]
    for number, name in enumerate(SERVICES, start=1):
        assert services[name]["command"] == ["python", "-m", f"pulse.{name}"]
        assert services[name]["ports"] == [f"800{number}:800{number}"]
        assert services[f"{name}-migrate"]["command"][-1] == "migrate"
        assert importlib.util.find_spec(f"pulse.{name}") is not None


def test_services_wait_for_topics_and_their_migration() -> None:
    services = _compose()["services"]
    for name in SERVICES:
        needs = services[name]["depends_on"]
        assert needs["topics"] == {"condition": "service_completed_successfully"}
        assert needs[f"{name}-migrate"] == {"condition": "service_completed_successfully"}


def test_dockerfile_copies_every_package_manifest() -> None:
    dockerfile = (ROOT / "deploy" / "Dockerfile").read_text()
    manifests = [ROOT / "libs/common/pyproject.toml"]
    manifests += [ROOT / f"services/{name}/pyproject.toml" for name in SERVICES]
    for manifest in manifests:
        assert manifest.exists()
        relative = manifest.relative_to(ROOT).as_posix()
        assert f"COPY {relative} " in dockerfile
    build = _compose()["x-pulse"]["build"]
    assert (ROOT / build["context"] / build["dockerfile"]).exists()
