"""A real Prometheus server for tests: its configuration derived from deploy/prometheus's
local one (same jobs and rules, the test's ports, a short interval), started as a process,
and asked PromQL through its HTTP API."""

from __future__ import annotations

import copy
import subprocess
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import yaml

from pulse.devtools.testing.services import stop_process, wait_until_answering


class PromQLError(RuntimeError):
    """Prometheus refused a query (a syntax error, an unknown function, ...)."""


def scrape_config_for_ports(
    base: Mapping[str, Any], ports: Mapping[str, int], rules_dir: Path, interval: str
) -> dict[str, Any]:
    """`base` with each job scraping 127.0.0.1 on `ports[job]`, the rule files read from
    `rules_dir`, and `interval` for both scraping and rule evaluation."""
    config = copy.deepcopy(dict(base))
    config["global"] = {**config.get("global", {}), "scrape_interval": interval}
    config["global"]["evaluation_interval"] = interval
    config["rule_files"] = [str(rules_dir / Path(pattern).name) for pattern in base["rule_files"]]
    for job in config["scrape_configs"]:
        job["static_configs"] = [{"targets": [f"127.0.0.1:{ports[job['job_name']]}"]}]
    return config


@contextmanager
def running_prometheus(
    binary: str, config: Mapping[str, Any], workdir: Path, port: int, timeout_s: float = 60.0
) -> Iterator[str]:
    """Serve Prometheus on `port` with `config` until the block ends; its URL."""
    workdir.mkdir(parents=True, exist_ok=True)
    config_path = workdir / "prometheus.yml"
    config_path.write_text(yaml.safe_dump(dict(config)))
    url = f"http://127.0.0.1:{port}"
    command = [
        binary,
        f"--config.file={config_path}",
        f"--storage.tsdb.path={workdir / 'data'}",
        f"--web.listen-address=127.0.0.1:{port}",
    ]
    log_path = workdir / "prometheus.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + timeout_s
            wait_until_answering("Prometheus", f"{url}/-/ready", process, log_path, deadline)
            yield url
        finally:
            stop_process(process)


def instant_query(url: str, expr: str) -> list[dict[str, Any]]:
    """The series an instant query returns now (empty for none); PromQLError when refused."""
    answer = httpx.get(f"{url}/api/v1/query", params={"query": expr}, timeout=10)
    body = answer.json()
    if body.get("status") != "success":
        raise PromQLError(f"{body.get('errorType')}: {body.get('error')}")
    result: list[dict[str, Any]] | Any = body["data"]["result"]
    if body["data"]["resultType"] == "scalar":
        return [{"metric": {}, "value": result}]
    return list(result)
