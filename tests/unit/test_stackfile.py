from pathlib import Path

import pytest
from builders import REPO, write

from harness.errors import ConfigError
from harness.stackfile import load_stack


def stack_file(tmp_path: Path, services: str) -> Path:
    return write(tmp_path / "docker-compose.yml", "name: test\nservices:\n" + services)


def test_default_stack_loads_with_one_service_per_role() -> None:
    stack = load_stack(REPO / "compose" / "docker-compose.yml")

    assert stack.name == "harness-default"
    roles = {role: stack.by_role(role).name for role in ("prometheus", "alertmanager", "app", "sink")}
    assert roles == {"prometheus": "prometheus", "alertmanager": "alertmanager", "app": "app", "sink": "sink"}


def test_default_stack_starts_each_service_after_what_it_depends_on() -> None:
    stack = load_stack(REPO / "compose" / "docker-compose.yml")

    order = [service.name for service in stack.start_order()]

    for service in stack.services.values():
        for dependency in service.depends_on:
            assert order.index(dependency) < order.index(service.name), f"{service.name} starts before {dependency}"


def test_unknown_depends_on_target_is_refused_naming_both_services(tmp_path: Path) -> None:
    path = stack_file(tmp_path, "  app: {image: app, depends_on: [db]}\n  web: {image: web}\n")

    with pytest.raises(ConfigError) as raised:
        load_stack(path)

    assert str(raised.value) == (
        f"{path}:3: services.app.depends_on: names 'db', which is not a service (services: app, web)"
    )


def test_dependency_cycle_is_refused_showing_the_cycle(tmp_path: Path) -> None:
    path = stack_file(
        tmp_path,
        "  a: {image: a, depends_on: [b]}\n  b: {image: b, depends_on: [c]}\n  c: {image: c, depends_on: [a]}\n",
    )

    with pytest.raises(ConfigError, match="depends_on forms a cycle: a -> b -> c -> a"):
        load_stack(path).start_order()


@pytest.mark.parametrize(
    ("published", "container_port"),
    [("127.0.0.1::8000", 8000), ("8080:80", 80), ("9090", 9090), ("0.0.0.0:5353:53/udp", 53)],
)
def test_ports_are_always_read_as_container_ports(tmp_path: Path, published: str, container_port: int) -> None:
    path = stack_file(tmp_path, f'  app: {{image: app, ports: ["{published}"]}}\n')

    assert load_stack(path).services["app"].container_ports() == [container_port]


def test_environment_in_list_form_becomes_a_mapping(tmp_path: Path) -> None:
    path = stack_file(tmp_path, '  app: {image: app, environment: ["MODE=fast", "URL=a=b", "EMPTY="]}\n')

    assert load_stack(path).services["app"].environment == {"MODE": "fast", "URL": "a=b", "EMPTY": ""}


def test_a_build_context_that_does_not_exist_is_refused_naming_service_and_folder(tmp_path: Path) -> None:
    from harness.errors import ConfigError
    from harness.stackfile import load_stack

    compose = tmp_path / "docker-compose.yml"
    compose.write_text("services:\n  app:\n    image: app:1\n    build: {context: ../missing}\n    x-harness: {role: app}\n")

    stack = load_stack(compose)
    with pytest.raises(ConfigError) as raised:
        stack.recipe(stack.services["app"])

    assert f"{compose}:4: services.app.build: build.context is '../missing', and there is no folder" in str(raised.value)
