"""harness.routing against Alertmanager itself: `amtool config routes test` from the stack's image.

The bounds of every alert rest on which routes its labels select. Here the shipped alertmanager.yml
and the unit tests' fixture trees go to amtool (one short-lived container answers every label set),
and `routes_for` must name the same receivers in the same order. The negative control: a copy of the
shipped tree with one `continue` flipped must be told apart from the original.
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import pytest
import yaml

from harness import engine, images
from harness.routing import Route, parse_tree, routes_for
from harness.stackfile import load_stack

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))
from routing_trees import CASES, TREES  # noqa: E402

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = (ROOT / "compose" / "alertmanager" / "alertmanager.yml").read_text()
SHIPPED_CASES = [
    ["severity=critical", "team=database"],
    ["severity=critical", "team=platform"],
    ["severity=warning", "team=platform"],
    ["severity=info"],
    ["alertname=Watchdog"],
]
MOUNT = "/etc/alertmanager"


def flipped_continue(text: str) -> str:
    """The shipped config with the page's `continue` removed: critical alerts stop at PagerDuty."""
    config = yaml.safe_load(text)
    config["route"]["routes"][1]["continue"] = False
    return yaml.safe_dump(config, sort_keys=False)


CONFIGS = {**TREES, "shipped": SHIPPED, "shipped-flipped": flipped_continue(SHIPPED)}
ALL_CASES = {**CASES, "shipped": SHIPPED_CASES, "shipped-flipped": SHIPPED_CASES}


def tree(name: str) -> Route:
    return parse_tree(yaml.safe_load(CONFIGS[name])["route"], f"{name}: route")


def ours(name: str, labels: list[str]) -> list[str]:
    return [route.receiver for route in routes_for(tree(name), dict(label.split("=", 1) for label in labels))]


@pytest.fixture(scope="module")
def amtool(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, tuple[str, ...]], list[str]]:
    """amtool's receivers for every (config, label set), from one container of the stack's Alertmanager image."""
    engine.configure_testcontainers()
    stack = load_stack(ROOT / "compose" / "docker-compose.yml")
    recipe = stack.recipe(stack.by_role("alertmanager"))
    image = images.resolve(recipe, images.ensure_base_image() if recipe.context is not None else "").tag
    folder = tmp_path_factory.mktemp("routing")
    folder.chmod(0o755)  # the image runs as nobody
    lines = []
    for name, text in CONFIGS.items():
        (folder / f"{name}.yml").write_text(text)
        for index, labels in enumerate(ALL_CASES[name]):
            command = " ".join(["/bin/amtool", "config", "routes", "test", f"--config.file={name}.yml",
                                *(shlex.quote(label) for label in labels)])
            # amtool warns on stderr that --config.file wins over the URL; its answer is the last line.
            lines.append(f'echo "{name} {index} $({command} 2>&1 | tail -n 1)"')
    container = engine.client().containers.run(
        image, entrypoint="/bin/sh", command=["-c", "\n".join(lines)], working_dir=MOUNT,
        volumes={str(folder): {"bind": MOUNT, "mode": "ro"}}, labels=engine.run_labels("routing-amtool"),
        network_disabled=True, detach=True,
    )
    try:
        status = container.wait(timeout=120)
        output = container.logs(stdout=True, stderr=True).decode(errors="replace")
    finally:
        container.remove(force=True)
    assert status["StatusCode"] == 0, output
    answers = {}
    for line in output.splitlines():
        name, index, receivers = line.split(" ", 2)
        answers[(name, tuple(ALL_CASES[name][int(index)]))] = receivers.strip().split(",")
    return answers


def disagreements(name: str, answers: dict[tuple[str, tuple[str, ...]], list[str]], against: str | None = None) -> list[str]:
    """Label sets where routes_for on `against` (default: the same config) differs from amtool on `name`."""
    found = []
    for labels in ALL_CASES[name]:
        theirs = answers[(name, tuple(labels))]
        mine = ours(against or name, labels)
        if mine != theirs:
            found.append(f"{name} {' '.join(labels)}: amtool says {','.join(theirs)}, routes_for says {','.join(mine)}")
    return found


@pytest.mark.parametrize("name", ["shipped", *TREES])
def test_routes_for_names_the_receivers_amtool_names_in_its_order(name: str, amtool: dict) -> None:
    assert disagreements(name, amtool) == []


def test_a_flipped_continue_is_told_apart_from_the_tree_routes_for_read(amtool: dict) -> None:
    found = disagreements("shipped-flipped", amtool, against="shipped")

    assert found == [
        "shipped-flipped severity=critical team=database: amtool says pagerduty-database,pagerduty-critical, "
        "routes_for says pagerduty-database,pagerduty-critical,slack-critical",
        "shipped-flipped severity=critical team=platform: amtool says pagerduty-critical, "
        "routes_for says pagerduty-critical,slack-critical",
    ]
