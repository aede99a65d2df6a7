"""A team's compose file, written the way the seeds write theirs, runs as Compose would run it.

Single-file mounts of prometheus.yml and its rule file, an env_file, a named volume for the TSDB,
`user`, `entrypoint`, a `command` string with a quoted flag, `${VAR:-default}`; and the image
the file pins, which this machine cannot pull, is reported as stood in for, not as ours.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from commands import harness, our_containers

from harness import engine, images
from harness.gate import new_run_id
from harness.stack import RunningStack, render_configs, running_stack, volume_name
from harness.stackfile import load_stack
from harness.timescale import TimeScale

ROOT = Path(__file__).resolve().parents[2]
IMAGES = ROOT / "compose" / "images"

COMPOSE = f"""\
name: seed-style
services:
  app:
    image: prom/node-exporter:v1.5.0
    build: {{context: {IMAGES / "node-exporter"}}}
    ports: ["9100:9100"]
    x-harness: {{role: app, ready: {{http: /metrics, port: 9100}}}}
  sink:
    image: monitoring-harness/sink:0.1
    build: {{context: {ROOT / "harness" / "sink_service"}, dockerfile: {IMAGES / "sink" / "Dockerfile"}}}
    ports: ["127.0.0.1::8080"]
    x-harness: {{role: sink, ready: {{http: /healthz, port: 8080}}}}
  alertmanager:
    image: prom/alertmanager:v0.25.0
    build: {{context: {IMAGES / "alertmanager"}}}
    volumes:
      - ./monitoring/alertmanager/alertmanager.yml:/etc/alertmanager/alertmanager.yml
    command: ["--config.file=/etc/alertmanager/alertmanager.yml", "--storage.path=/alertmanager",
              "--cluster.listen-address="]
    tmpfs: ["/alertmanager:uid=65534,gid=65534"]
    ports: ["9093:9093"]
    depends_on: [sink]
    x-harness: {{role: alertmanager, ready: {{http: /-/ready, port: 9093}}}}
  prometheus:
    image: prom/prometheus:${{PROMETHEUS_VERSION:-v2.42.0}}
    build: {{context: {IMAGES / "prometheus"}}}
    container_name: prometheus
    user: "65534:65534"
    entrypoint: [/bin/prometheus]
    command: --config.file=/etc/prometheus/prometheus.yml --storage.tsdb.path=/prometheus --web.page-title="Seed Prometheus"
    env_file: monitoring/prometheus.env
    volumes:
      - ./monitoring/prometheus/prometheus.yml:/etc/prometheus/prometheus.yml
      - ./monitoring/prometheus/alerts.yml:/etc/prometheus/alerts.yml:ro
      - prometheus-data:/prometheus
    ports: ["9090:9090"]
    restart: unless-stopped
    depends_on: [alertmanager, app]
    x-harness: {{role: prometheus, ready: {{http: /-/ready, port: 9090}}}}
volumes:
  prometheus-data:
"""

PROMETHEUS = """\
global: {scrape_interval: 15s, evaluation_interval: 15s}
rule_files: [alerts.yml]
alerting:
  alertmanagers: [{static_configs: [{targets: ["alertmanager:9093"]}]}]
scrape_configs:
  - job_name: node
    static_configs: [{targets: ["app:9100"]}]
"""

ALERTS = """\
groups:
  - name: seed
    rules:
      - alert: NodeDown
        expr: up{job="node"} == 0
        for: 1m
        labels: {severity: critical}
"""

ALERTMANAGER = """\
route: {receiver: team, group_wait: 30s}
receivers:
  - name: team
    webhook_configs: [{url: "https://hooks.example.com/alerts"}]
"""


def seed_stack(folder: Path, compose: str = COMPOSE, with_rules: bool = True) -> Path:
    files = {
        "docker-compose.yml": compose,
        "monitoring/prometheus/prometheus.yml": PROMETHEUS,
        "monitoring/alertmanager/alertmanager.yml": ALERTMANAGER,
        "monitoring/prometheus.env": "# read by Compose\nSEED_MARKER=from the env file\nGOMAXPROCS=1 # one core\n",
        **({"monitoring/prometheus/alerts.yml": ALERTS} if with_rules else {}),
    }
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(textwrap.dedent(text))
    return folder / "docker-compose.yml"


@pytest.fixture(scope="module")
def seed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    """The seed-style stack running; on teardown, its volume must be gone with it."""
    folder = tmp_path_factory.mktemp("seed")
    stack = load_stack(seed_stack(folder))
    scale, run_id = TimeScale(20), new_run_id()
    rendered = render_configs(stack, folder / "run", scale)
    try:
        with running_stack(stack, rendered, scale, run_id, folder / "run") as live:
            yield live
    finally:
        rendered.discard()
    left = [v.name for v in engine.client().volumes.list(filters={"label": f"{engine.RUN_LABEL}={run_id}"})]
    assert left == [], f"the run's volumes outlived its stack: {left}"


def prometheus_api(live: RunningStack, path: str) -> Any:
    answer = httpx.get(live.url_of_role("prometheus") + path, timeout=5.0)
    answer.raise_for_status()
    return answer.json()["data"]


def prometheus_container(live: RunningStack) -> dict[str, Any]:
    return live.container("prometheus").attrs  # type: ignore[no-any-return]


def test_prometheus_reads_its_single_file_mounted_config_and_rule_file(seed: RunningStack) -> None:
    live = seed

    config = prometheus_api(live, "/api/v1/status/config")["yaml"]
    groups = prometheus_api(live, "/api/v1/rules")["groups"]

    assert "app:9100" in config and "alerts.yml" in config
    assert [(g["name"], [r["name"] for r in g["rules"]]) for g in groups] == [("seed", ["NodeDown"])]


def test_the_command_string_is_split_as_a_shell_would(seed: RunningStack) -> None:
    live = seed

    flags = prometheus_api(live, "/api/v1/status/flags")

    assert flags["web.page-title"] == "Seed Prometheus"


def test_the_container_runs_as_the_user_with_the_entrypoint_and_env_file(seed: RunningStack) -> None:
    config = prometheus_container(seed)["Config"]

    assert config["User"] == "65534:65534"
    assert config["Entrypoint"] == ["/bin/prometheus"]
    assert {"SEED_MARKER=from the env file", "GOMAXPROCS=1"} <= set(config["Env"])


def test_the_named_volume_is_the_runs_own_and_holds_the_tsdb(seed: RunningStack) -> None:
    live = seed

    mounts = {m["Destination"]: m for m in prometheus_container(live)["Mounts"]}

    assert mounts["/prometheus"]["Type"] == "volume"
    assert mounts["/prometheus"]["Name"] == volume_name(live.run_id, "prometheus-data")
    assert mounts["/etc/prometheus/alerts.yml"]["RW"] is False
    assert mounts["/etc/prometheus/prometheus.yml"]["RW"] is True


def test_the_pinned_image_this_machine_cannot_pull_is_reported_as_stood_in_for(
    seed: RunningStack,
) -> None:
    live = seed
    assert live.boot is not None

    (image,) = [i for i in live.boot.images if i.service == "prometheus"]

    assert image.describe().startswith(f"requested prom/prometheus:v2.42.0, ran {image.tag} ({image.source}): "
                                       "prom/prometheus:v2.42.0 is not on ")
    assert image.tag.startswith("harness/prometheus:")


def test_a_single_file_mount_whose_source_is_missing_is_refused_naming_file_and_line_and_nothing_starts(
    tmp_path: Path,
) -> None:
    (tmp_path / "stack").mkdir()
    compose = seed_stack(tmp_path / "stack", with_rules=False)

    result = harness("gate", "--stack", str(compose), reports=tmp_path / "reports")

    assert result.returncode == 2
    message = " ".join(result.stderr.split())
    assert (f"{compose}:34: services.prometheus.volumes[1]: the bind mount's source "
            f"{tmp_path / 'stack' / 'monitoring' / 'prometheus' / 'alerts.yml'} does not exist") in message
    assert our_containers(tmp_path / "reports") == []


def test_a_pinned_image_this_engine_has_runs_as_it_is_even_with_a_build_recipe(seed: RunningStack) -> None:
    (ours,) = [i for i in seed.boot.images if i.service == "prometheus"] if seed.boot else [None]
    assert ours is not None
    pinned = f"team/prometheus:pinned-{seed.run_id}"
    engine.client().images.get(ours.tag).tag(pinned)
    try:
        resolved = images.resolve(images.ImageRecipe("prometheus", pinned, IMAGES / "prometheus"), "")
    finally:
        engine.client().images.remove(pinned)

    assert (resolved.tag, resolved.source, resolved.substituted) == (pinned, "local", False)
