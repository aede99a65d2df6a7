"""A stack whose prometheus.yml names an Alertmanager and a remote-write receiver outside it.

Both outside services are real (the stack's own Alertmanager and Prometheus images) on an ordinary
Docker network of their own, published on that network's gateway address: an address an ordinary
container reaches through the host, as it would reach a production host. The harness's run must
deliver its alert to the sink and send nothing out; the controls show that without the harness's
isolation the same config and the same addresses do reach them.
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import yaml

from harness import engine, polling, report
from harness.configs import prometheus_flags
from harness.faults import sidecar
from harness.gate import new_run_id
from harness.stack import RunningStack, prepare_sidecar_image, render_configs, running_stack
from harness.stackfile import load_stack
from harness.timescale import TimeScale

ROOT = Path(__file__).resolve().parents[2]
SCALE = TimeScale(20)
#: How long after Prometheus is up an Alertmanager it names has the probe alert (control), and so
#: how long the isolated run must have been up before "the outside got nothing" counts.
WINDOW = 25.0
ALERT = "IsolationProbe"


@dataclass(frozen=True)
class Outside:
    """An Alertmanager and a remote-write receiver outside the stack."""

    alertmanager: str
    receiver: str
    alertmanager_url: str
    receiver_url: str
    network: str
    run_id: str

    def alerts(self) -> list[str]:
        return [a["labels"]["alertname"] for a in httpx.get(f"{self.alertmanager_url}/api/v2/alerts", timeout=5).json()]

    def received_series(self) -> list[str]:
        return httpx.get(f"{self.receiver_url}/api/v1/label/__name__/values", timeout=5).json()["data"]


@pytest.fixture(scope="module")
def outside(stack_images: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Outside]:
    folder = tmp_path_factory.mktemp("outside")
    (folder / "alertmanager").mkdir()
    (folder / "alertmanager" / "alertmanager.yml").write_text("route: {receiver: nobody}\nreceivers: [{name: nobody}]\n")
    (folder / "prometheus").mkdir()
    (folder / "prometheus" / "prometheus.yml").write_text("global: {}\n")
    run_id = new_run_id()
    client = engine.client()
    try:
        network = client.networks.create(f"outside-{run_id}", labels=engine.run_labels(run_id))
        network.reload()
        gateway = network.attrs["IPAM"]["Config"][0]["Gateway"]
        alertmanager = _start(stack_images["alertmanager"], [
            "--config.file=/etc/alertmanager/alertmanager.yml", "--storage.path=/alertmanager", "--cluster.listen-address=",
        ], folder / "alertmanager", "/etc/alertmanager", 9093, network.name, gateway, run_id)
        receiver = _start(stack_images["prometheus"], [
            "--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/prometheus",
            "--web.enable-remote-write-receiver",
        ], folder / "prometheus", "/etc/prometheus", 9090, network.name, gateway, run_id)
        for url in (alertmanager[1], receiver[1]):
            polling.wait_for(lambda url=url: httpx.get(f"{url}/-/ready", timeout=2).status_code == 200,
                             timeout=30, describe=f"{url} ready", on_error=(httpx.HTTPError,))
        yield Outside(alertmanager[0], receiver[0], alertmanager[1], receiver[1], network.name, run_id)
    finally:
        engine.remove_run(run_id)


def _start(image: str, command: list[str], config: Path, mount: str, port: int, network: str, gateway: str,
           run_id: str) -> tuple[str, str]:
    """Start one outside service; return its address as the stack would name it, and its URL for the test."""
    container = engine.client().containers.run(
        image, command, detach=True, network=network, labels=engine.run_labels(run_id),
        volumes={str(config): {"bind": mount, "mode": "ro"}},
        ports={f"{port}/tcp": [("127.0.0.1", None), (gateway, None)]},
    )
    container.reload()
    bindings = {b["HostIp"]: b["HostPort"] for b in container.attrs["NetworkSettings"]["Ports"][f"{port}/tcp"]}
    return f"{gateway}:{bindings[gateway]}", f"http://127.0.0.1:{bindings['127.0.0.1']}"


def user_stack(folder: Path, outside: Outside) -> Path:
    """The default stack cut to Prometheus, Alertmanager and the sink, configured as a user with a production set-up."""
    shutil.copytree(ROOT / "compose", folder / "compose")
    shutil.copytree(ROOT / "harness" / "sink_service", folder / "harness" / "sink_service")
    compose_path = folder / "compose" / "docker-compose.yml"
    compose = yaml.safe_load(compose_path.read_text())
    compose["services"] = {name: compose["services"][name] for name in ("sink", "alertmanager", "prometheus")}
    compose["services"]["prometheus"]["depends_on"] = ["alertmanager"]
    compose_path.write_text(yaml.safe_dump(compose))
    prometheus = folder / "compose" / "prometheus"
    shutil.rmtree(prometheus / "rules")
    (prometheus / "rules").mkdir()
    (prometheus / "rules" / "probe.yml").write_text(
        f"groups: [{{name: probe, rules: [{{alert: {ALERT}, expr: vector(1), labels: {{severity: warning}}}}]}}]\n"
    )
    (prometheus / "prometheus.yml").write_text(yaml.safe_dump({
        "global": {"scrape_interval": "20s", "evaluation_interval": "20s"},
        "rule_files": ["rules/*.yml"],
        "alerting": {"alertmanagers": [
            {"static_configs": [{"targets": ["alertmanager:9093"]}]},
            {"static_configs": [{"targets": [outside.alertmanager]}]},
        ]},
        "remote_write": [{"url": f"http://{outside.receiver}/api/v1/write"}],
        "scrape_configs": [{"job_name": "prometheus", "static_configs": [{"targets": ["localhost:9090"]}]}],
    }))
    (folder / "compose" / "alertmanager" / "alertmanager.yml").write_text(yaml.safe_dump({
        "route": {"receiver": "team-hook", "group_by": ["alertname"], "group_wait": "20s"},
        "receivers": [{"name": "team-hook", "webhook_configs": [{"url": "https://hooks.example.com/alerts"}]}],
    }))
    return compose_path


@pytest.fixture(scope="module")
def isolated(outside: Outside, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    folder = tmp_path_factory.mktemp("isolated")
    stack = load_stack(user_stack(folder, outside))
    with running_stack(stack, render_configs(stack, folder / "run", SCALE), SCALE, new_run_id(), folder / "run") as live:
        yield live


def test_alert_reaches_the_sink_and_nothing_reaches_the_outside(isolated: RunningStack, outside: Outside) -> None:
    up_since = polling.monotonic()
    polling.wait_for(lambda: any(d.alerts_named(ALERT) for d in isolated.sink.deliveries()), timeout=30,
                     describe=f"{ALERT} delivered to the sink")
    polling.sleep(max(0.0, WINDOW - (polling.monotonic() - up_since)))

    assert {d.receiver for d in isolated.sink.deliveries() if d.alerts_named(ALERT)} == {"team-hook"}
    assert isolated.prometheus.alertmanagers() == ["http://alertmanager:9093/api/v2/alerts"]
    assert outside.alerts() == []
    assert outside.received_series() == []


def test_report_names_the_outside_alertmanager_and_remote_write_it_replaced(isolated: RunningStack, outside: Outside,
                                                                           tmp_path: Path) -> None:
    run = report.RunReport("isolation", "none", "isolation", "now", SCALE.factor, tmp_path,
                           prometheus=isolated.prometheus_settings, alertmanager=isolated.alertmanager_settings)

    markdown = report.write(run).read_text()

    assert (f"- prometheus.yml alerting.alertmanagers[1] named {outside.alertmanager} — replaced by the stack's "
            "Alertmanager (alertmanager:9093)") in markdown
    assert f"- prometheus.yml remote_write[0] sent samples to http://{outside.receiver}/api/v1/write — dropped" in markdown


def test_stack_network_has_no_route_to_the_outside_but_keeps_its_own_names(isolated: RunningStack,
                                                                           outside: Outside) -> None:
    output = sidecar.run_once(isolated, "prometheus", ["bash", "-c", _probe(outside.alertmanager)])

    assert output.splitlines() == ["events.pagerduty.com resolves", "sink resolves", f"{outside.alertmanager} unreachable"]


# --- negative controls: the same outside services, without the harness's isolation -------------------


def test_control_an_ordinary_network_reaches_the_outside_alertmanager(outside: Outside) -> None:
    image = prepare_sidecar_image().tag
    output = _run_on_ordinary_network(image, ["bash", "-c", _probe(outside.alertmanager)], outside.run_id)

    assert output.splitlines()[-1] == f"{outside.alertmanager} reached"


def test_control_the_users_config_without_isolation_alerts_the_outside(
    outside: Outside, stack_images: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> None:
    folder = tmp_path_factory.mktemp("control")
    stack = load_stack(user_stack(folder, outside))
    rendered = render_configs(stack, folder / "run", SCALE).mounts_by_role["prometheus"]
    user = yaml.safe_load((folder / "compose" / "prometheus" / "prometheus.yml").read_text())
    config = yaml.safe_load((rendered / "prometheus.yml").read_text())
    config.update(alerting=user["alerting"], remote_write=user["remote_write"])
    (rendered / "prometheus.yml").write_text(yaml.safe_dump(config))
    with ordinary_network(outside.run_id) as network:
        container = engine.client().containers.run(
            stack_images["prometheus"],
            ["--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/prometheus", *prometheus_flags(SCALE)],
            detach=True, network=network, labels=engine.run_labels(outside.run_id),
            volumes={str(rendered): {"bind": "/etc/prometheus", "mode": "ro"}},
        )
        try:
            polling.wait_for(lambda: ALERT in outside.alerts(), timeout=WINDOW, describe=f"{ALERT} at the outside Alertmanager")
            polling.wait_for(outside.received_series, timeout=WINDOW, describe="series at the outside remote-write receiver")
        except polling.Timeout as error:
            pytest.fail(f"{error}\n{container.logs().decode(errors='replace')[-3000:]}")
        finally:
            container.remove(force=True)


def _probe(address: str) -> str:
    host, port = address.rsplit(":", 1)
    return (
        "for name in events.pagerduty.com sink; do getent hosts $name >/dev/null && echo \"$name resolves\"; done; "
        f"if timeout 3 bash -c 'exec 3<>/dev/tcp/{host}/{port}' 2>/dev/null; "
        f"then echo '{address} reached'; else echo '{address} unreachable'; fi"
    )


@contextlib.contextmanager
def ordinary_network(run_id: str) -> Iterator[str]:
    """A plain Docker network, as a stack would have without the harness: it has a route out."""
    network = engine.client().networks.create(f"ordinary-{new_run_id()}", labels=engine.run_labels(run_id))
    try:
        yield network.name
    finally:
        network.remove()


def _run_on_ordinary_network(image: str, command: list[str], run_id: str) -> str:
    with ordinary_network(run_id) as network:
        container = engine.client().containers.create(image, command, network=network, labels=engine.run_labels(run_id))
        try:
            container.start()
            container.wait(timeout=30)
            return container.logs().decode(errors="replace").strip()
        finally:
            container.remove(force=True)
