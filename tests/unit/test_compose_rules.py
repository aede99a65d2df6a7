"""A compose file is read as `docker compose` reads it: each rule one test, errors naming file:line."""

from pathlib import Path

import pytest
from builders import write

from harness.errors import ConfigError
from harness.mounts import Mount
from harness.stackfile import Service, Stack, load_stack


@pytest.fixture(autouse=True)
def _no_compose_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("COMPOSE_PROFILES", "COMPOSE_DISABLE_ENV_FILE", "TAG", "PORT", "MISSING", "FROM_SHELL"):
        monkeypatch.delenv(name, raising=False)


def compose(tmp_path: Path, services: str, top: str = "") -> Path:
    return write(tmp_path / "docker-compose.yml", "services:\n" + services + top)


def service(path: Path, name: str = "app") -> Service:
    return load_stack(path).services[name]


def refusal(path: Path) -> str:
    with pytest.raises(ConfigError) as raised:
        load_stack(path)
    return str(raised.value)


# --- interpolation ----------------------------------------------------------------------------------


def test_a_variable_is_taken_from_the_shell_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TAG", "v2.42.0")
    path = compose(tmp_path, "  app:\n    image: prom/prometheus:${TAG}\n")

    assert service(path).image == "prom/prometheus:v2.42.0"


def test_a_default_applies_when_the_variable_is_unset(tmp_path: Path) -> None:
    path = compose(tmp_path, "  app:\n    image: prom/prometheus:${TAG:-latest}\n")

    assert service(path).image == "prom/prometheus:latest"


def test_colon_dash_default_applies_to_an_empty_variable_and_dash_default_does_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TAG", "")
    path = compose(tmp_path, '  app:\n    image: "a:${TAG:-empty}"\n    environment: {B: "x${TAG-unset}x"}\n')

    assert (service(path).image, service(path).environment["B"]) == ("a:empty", "xx")


def test_the_dot_env_file_beside_the_compose_file_supplies_variables(tmp_path: Path) -> None:
    write(tmp_path / ".env", "TAG=from-dotenv\n")
    path = compose(tmp_path, "  app:\n    image: app:${TAG}\n")

    assert service(path).image == "app:from-dotenv"


def test_the_shell_environment_wins_over_the_dot_env_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TAG", "from-shell")
    write(tmp_path / ".env", "TAG=from-dotenv\n")
    path = compose(tmp_path, "  app:\n    image: app:${TAG}\n")

    assert service(path).image == "app:from-shell"


def test_a_double_dollar_is_a_literal_dollar(tmp_path: Path) -> None:
    path = compose(tmp_path, "  app:\n    image: app\n    command: echo $$HOME\n")

    assert service(path).command == ["echo", "$HOME"]


def test_an_unset_variable_becomes_empty_with_a_warning_naming_file_and_line(tmp_path: Path) -> None:
    path = compose(tmp_path, "  app:\n    image: app\n    environment:\n      PASSWORD: ${MISSING}\n")

    stack = load_stack(path)

    assert stack.services["app"].environment == {"PASSWORD": ""}
    assert stack.warnings == (f"{path}:5: services.app.environment.PASSWORD: the variable MISSING is not set; "
                              "Compose substitutes an empty string, and so does the run",)


def test_a_required_variable_that_is_unset_is_refused_with_its_message(tmp_path: Path) -> None:
    path = compose(tmp_path, "  app:\n    image: app:${TAG:?set TAG to the release}\n")

    assert refusal(path) == f"{path}:3: services.app.image: required variable TAG is missing a value: set TAG to the release"


def test_an_unclosed_brace_is_refused_naming_file_and_line(tmp_path: Path) -> None:
    path = compose(tmp_path, "  app:\n    image: app:${TAG\n")

    assert refusal(path).startswith(f"{path}:3: services.app.image: invalid interpolation format")


# --- env_file and environment -----------------------------------------------------------------------


def test_env_file_values_are_merged_under_environment_which_wins(tmp_path: Path) -> None:
    write(tmp_path / "app.env", "MODE=slow\nLEVEL=debug\n")
    path = compose(tmp_path, "  app:\n    image: app\n    env_file: app.env\n    environment: {MODE: fast}\n")

    assert service(path).environment == {"MODE": "fast", "LEVEL": "debug"}


def test_env_file_lists_are_read_in_order_the_later_file_winning(tmp_path: Path) -> None:
    write(tmp_path / "a.env", "MODE=a\nONLY_A=1\n")
    write(tmp_path / "b.env", "MODE=b\n")
    path = compose(tmp_path, "  app:\n    image: app\n    env_file: [a.env, b.env]\n")

    assert service(path).environment == {"MODE": "b", "ONLY_A": "1"}


def test_env_file_skips_comments_and_blank_lines_and_strips_inline_comments(tmp_path: Path) -> None:
    write(tmp_path / "app.env", "# settings\n\nexport MODE=fast # for tests\nURL='http://x/#y'\nQUOTED=\"a b\"\n")
    path = compose(tmp_path, "  app:\n    image: app\n    env_file: app.env\n")

    assert service(path).environment == {"MODE": "fast", "URL": "http://x/#y", "QUOTED": "a b"}


def test_env_file_paths_are_relative_to_the_compose_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path / "stack" / "config" / "app.env", "MODE=fast\n")
    path = write(tmp_path / "stack" / "docker-compose.yml", "services:\n  app:\n    image: app\n    env_file: config/app.env\n")
    monkeypatch.chdir(tmp_path)

    assert service(path).environment == {"MODE": "fast"}


def test_a_missing_env_file_is_refused_naming_file_and_line(tmp_path: Path) -> None:
    path = compose(tmp_path, "  app:\n    image: app\n    env_file: missing.env\n")

    assert refusal(path).startswith(f"{path}:4: services.app.env_file: env file {tmp_path / 'missing.env'} not found")


def test_a_missing_env_file_marked_not_required_is_passed_over(tmp_path: Path) -> None:
    path = compose(tmp_path, "  app:\n    image: app\n    env_file:\n      - {path: missing.env, required: false}\n")

    assert service(path).environment == {}


def test_a_malformed_env_file_line_is_refused_naming_the_env_file_and_line(tmp_path: Path) -> None:
    env = write(tmp_path / "app.env", "MODE=fast\nnot a variable\n")
    path = compose(tmp_path, "  app:\n    image: app\n    env_file: app.env\n")

    assert refusal(path).startswith(f"{env}:2: 'not a variable' is not a variable name")


def test_an_environment_name_without_a_value_is_taken_from_the_shell_or_left_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FROM_SHELL", "yes")
    path = compose(tmp_path, '  app:\n    image: app\n    environment: ["FROM_SHELL", "MISSING", "URL=a=b"]\n')

    assert service(path).environment == {"FROM_SHELL": "yes", "URL": "a=b"}


# --- command, entrypoint, user ----------------------------------------------------------------------


def test_a_command_string_is_split_as_a_shell_would(tmp_path: Path) -> None:
    path = compose(tmp_path, """  app:\n    image: app\n    command: --web.page-title="My Prometheus" --x='a b'\n""")

    assert service(path).command == ["--web.page-title=My Prometheus", "--x=a b"]


def test_an_entrypoint_string_is_split_and_a_list_kept(tmp_path: Path) -> None:
    path = compose(tmp_path, '  a:\n    image: a\n    entrypoint: /bin/sh -c "exec x"\n  b:\n    image: b\n'
                             "    entrypoint: [/bin/prometheus]\n")

    assert (service(path, "a").entrypoint, service(path, "b").entrypoint) == (["/bin/sh", "-c", "exec x"],
                                                                              ["/bin/prometheus"])


def test_an_empty_entrypoint_clears_the_image_entrypoint(tmp_path: Path) -> None:
    path = compose(tmp_path, '  app:\n    image: app\n    entrypoint: ""\n')

    assert service(path).entrypoint == []


def test_user_is_read_as_text_whether_a_name_or_a_number(tmp_path: Path) -> None:
    path = compose(tmp_path, '  a:\n    image: a\n    user: "65534:65534"\n  b:\n    image: b\n    user: 1000\n')

    assert (service(path, "a").user, service(path, "b").user) == ("65534:65534", "1000")


# --- volumes ----------------------------------------------------------------------------------------


def test_a_single_file_bind_mount_is_read_with_its_absolute_source(tmp_path: Path) -> None:
    write(tmp_path / "prometheus.yml", "global: {}\n")
    path = compose(tmp_path, "  app:\n    image: app\n    volumes: [./prometheus.yml:/etc/prometheus/prometheus.yml]\n")

    assert service(path).volumes == [Mount(type="bind", source=str(tmp_path / "prometheus.yml"),
                                           target="/etc/prometheus/prometheus.yml")]


def test_the_ro_mode_makes_a_bind_mount_read_only(tmp_path: Path) -> None:
    (tmp_path / "conf").mkdir()
    path = compose(tmp_path, "  app:\n    image: app\n    volumes: [./conf:/etc/conf:ro]\n")

    assert service(path).volumes[0].read_only is True


def test_modes_combine_read_only_and_propagation(tmp_path: Path) -> None:
    path = compose(tmp_path, "  app:\n    image: app\n    volumes: ['/:/host:ro,rslave']\n")

    assert service(path).volumes == [Mount(type="bind", source="/", target="/host", read_only=True, propagation="rslave")]


def test_a_source_that_is_not_a_path_is_a_named_volume_the_top_level_declares(tmp_path: Path) -> None:
    path = compose(tmp_path, "  app:\n    image: app\n    volumes: [prometheus-data:/prometheus]\n",
                   "volumes:\n  prometheus-data:\n")

    stack = load_stack(path)

    assert stack.services["app"].volumes == [Mount(type="volume", source="prometheus-data", target="/prometheus")]
    assert list(stack.volumes) == ["prometheus-data"]


def test_a_target_alone_is_an_anonymous_volume(tmp_path: Path) -> None:
    path = compose(tmp_path, "  app:\n    image: app\n    volumes: [/scratch]\n")

    assert service(path).volumes == [Mount(type="volume", target="/scratch")]


def test_the_long_syntax_reads_bind_volume_and_tmpfs(tmp_path: Path) -> None:
    write(tmp_path / "rules.yml", "groups: []\n")
    path = compose(tmp_path, """\
  app:
    image: app
    volumes:
      - {type: bind, source: ./rules.yml, target: /etc/prometheus/rules.yml, read_only: true}
      - {type: volume, source: data, target: /prometheus, volume: {nocopy: true}}
      - {type: tmpfs, target: /tmp, tmpfs: {size: 1000000}}
""", "volumes:\n  data: {}\n")

    assert service(path).volumes == [
        Mount(type="bind", source=str(tmp_path / "rules.yml"), target="/etc/prometheus/rules.yml", read_only=True),
        Mount(type="volume", source="data", target="/prometheus", nocopy=True),
        Mount(type="tmpfs", target="/tmp", tmpfs_size=1000000),
    ]


def test_a_bind_source_that_does_not_exist_is_refused_naming_file_and_line(tmp_path: Path) -> None:
    path = compose(tmp_path, "  app:\n    image: app\n    volumes:\n      - ./missing.yml:/etc/prometheus/prometheus.yml\n")

    assert refusal(path).startswith(
        f"{path}:5: services.app.volumes[0]: the bind mount's source {tmp_path / 'missing.yml'} does not exist")


def test_an_undeclared_named_volume_is_refused_naming_file_and_line(tmp_path: Path) -> None:
    path = compose(tmp_path, "  app:\n    image: app\n    volumes:\n      - data:/prometheus\n")

    assert refusal(path).startswith(f"{path}:5: services.app.volumes[0]: refers to the undefined volume 'data'")


def test_an_unknown_volume_mode_is_refused_naming_file_and_line(tmp_path: Path) -> None:
    path = compose(tmp_path, "  app:\n    image: app\n    volumes:\n      - /data:/data:readonly\n")

    assert refusal(path).startswith(f"{path}:5: services.app.volumes[0]: 'readonly' in '/data:/data:readonly' is not")


def test_an_unsupported_long_syntax_type_is_refused_naming_file_and_line(tmp_path: Path) -> None:
    path = compose(tmp_path, "  app:\n    image: app\n    volumes:\n      - type: npipe\n        target: /x\n")

    assert refusal(path).startswith(f"{path}:5: services.app.volumes[0].type: a volume entry's type is bind, volume "
                                    "or tmpfs here, found 'npipe'")


def test_an_external_volume_is_refused_as_data_a_run_must_not_touch(tmp_path: Path) -> None:
    path = compose(tmp_path, "  app:\n    image: app\n", "volumes:\n  data:\n    external: true\n")

    assert refusal(path).startswith(f"{path}:6: volumes.data.external: volume 'data' is external")


# --- keys the harness does not apply ----------------------------------------------------------------


def test_a_key_that_changes_the_container_but_is_not_applied_is_a_warning_naming_file_and_line(tmp_path: Path) -> None:
    path = compose(tmp_path, "  app:\n    image: app\n    restart: always\n    cap_add: [NET_ADMIN]\n")

    assert load_stack(path).warnings == (
        f"{path}:5: services.app.cap_add: not applied by the harness, so the container runs without it",)


def test_extends_is_refused_naming_file_and_line(tmp_path: Path) -> None:
    path = compose(tmp_path, "  app:\n    image: app\n    extends: {service: base}\n")

    assert refusal(path).startswith(f"{path}:4: services.app.extends: the harness does not read `extends`")


def test_a_service_whose_profile_is_not_enabled_is_left_out_with_a_warning(tmp_path: Path) -> None:
    path = compose(tmp_path, "  app:\n    image: app\n  debug:\n    image: debug\n    profiles: [debug]\n")

    stack = load_stack(path)

    assert list(stack.services) == ["app"]
    assert stack.warnings[0].startswith(f"{path}:6: services.debug.profiles: left out, as Compose leaves it out")


def test_a_service_whose_profile_is_enabled_is_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COMPOSE_PROFILES", "debug")
    path = compose(tmp_path, "  app:\n    image: app\n  debug:\n    image: debug\n    profiles: [debug]\n")

    assert list(load_stack(path).services) == ["app", "debug"]


# --- what the stack hands the engine ----------------------------------------------------------------


def test_a_single_file_config_mount_renders_the_folder_it_is_in(tmp_path: Path) -> None:
    from harness.stack import config_mount

    write(tmp_path / "monitoring" / "prometheus" / "prometheus.yml", "global: {}\n")
    path = compose(tmp_path, "  prom:\n    image: p\n    volumes:\n"
                             "      - ./monitoring/prometheus/prometheus.yml:/etc/prometheus/prometheus.yml\n")
    stack: Stack = load_stack(path)

    assert config_mount(stack, stack.services["prom"], "prometheus.yml") == (
        tmp_path / "monitoring" / "prometheus", "/etc/prometheus")
