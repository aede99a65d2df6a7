"""promtool and amtool on the configs a run renders, before any container of the stack starts.

The tools run in short-lived containers of the stack's own Prometheus and Alertmanager images,
so what they accept is exactly what the stack will run.
"""

from __future__ import annotations

from pathlib import Path

import docker.errors

from harness import engine
from harness.engine import Engine
from harness.errors import ConfigError, StackError
from harness.tool_messages import relocate

PROMTOOL = "/bin/promtool"
AMTOOL = "/bin/amtool"


def check_prometheus(image: str, config_dir: Path, run_id: str, source_dir: Path | None = None,
                     on: Engine | None = None) -> str:
    """`promtool check config` (which also checks every rule file it names); ConfigError on failure.

    With `source_dir` (the user's folder that `config_dir` was rendered from), the complaints name
    the user's files and lines rather than the rendered copy's.
    """
    return _run(image, PROMTOOL, ["check", "config", "/etc/prometheus/prometheus.yml"], config_dir, "/etc/prometheus",
                run_id, source_dir, on)


def check_alertmanager(image: str, config_dir: Path, run_id: str, source_dir: Path | None = None,
                       on: Engine | None = None) -> str:
    """`amtool check-config`; ConfigError on failure (naming the user's file, as check_prometheus does)."""
    return _run(image, AMTOOL, ["check-config", "/etc/alertmanager/alertmanager.yml"], config_dir, "/etc/alertmanager",
                run_id, source_dir, on)


def _run(image: str, tool: str, args: list[str], config_dir: Path, mount: str, run_id: str,
         source_dir: Path | None = None, on: Engine | None = None) -> str:
    created = None
    try:
        created = engine.client(on).containers.create(
            image, args, entrypoint=tool, working_dir=mount, labels=engine.run_labels(run_id),
            volumes={str(config_dir.resolve()): {"bind": mount, "mode": "ro"}}, network_disabled=True,
        )
        created.start()
        status = created.wait(timeout=60)
        stdout = created.logs(stdout=True, stderr=False).decode(errors="replace")
        stderr = created.logs(stdout=False, stderr=True).decode(errors="replace")
    except docker.errors.APIError as error:
        raise StackError(f"could not run {tool} from {image}: {error.explanation or error}") from error
    finally:
        if created is not None:
            created.remove(force=True)
    if status.get("StatusCode") != 0:
        raise ConfigError(refusal(tool, args, problems(stdout, stderr)[-15:], mount, config_dir, source_dir))
    return stdout.strip()


def refusal(tool: str, args: list[str], lines: list[str], mount: str, config_dir: Path, source_dir: Path | None) -> str:
    """The tool's complaint, about the user's files where `source_dir` is known, else about the rendered copy."""
    name = tool.rsplit("/", 1)[-1]
    if source_dir is None:
        return f"{name} {' '.join(args)} rejects the config rendered in {config_dir}:\n    " + "\n    ".join(lines)
    return (f"{name} rejects {source_dir} (checked as rendered for the run in {config_dir}):\n    "
            + "\n    ".join(relocate(lines, mount, config_dir, source_dir)))


def problems(stdout: str, stderr: str) -> list[str]:
    """The lines that say what is wrong.

    promtool writes `Checking X` and SUCCESS to stdout but FAILED and the reasons (which name the
    file) to stderr; amtool writes its FAILED line to stdout. The two streams interleave in no
    fixed order, so they are read apart rather than as one merged log.
    """
    failed = [line.rstrip() for line in stdout.splitlines() if "FAILED" in line]
    failed += [line.rstrip() for line in stderr.splitlines() if line.strip()]
    return failed or [line.rstrip() for line in stdout.splitlines() if line.strip()]
