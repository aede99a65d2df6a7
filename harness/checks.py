"""promtool and amtool on the configs a run renders, before any container of the stack starts.

The tools run in short-lived containers of the stack's own Prometheus and Alertmanager images,
so what they accept is exactly what the stack will run.
"""

from __future__ import annotations

from pathlib import Path

import docker.errors

from harness import engine
from harness.errors import ConfigError, StackError

PROMTOOL = "/bin/promtool"
AMTOOL = "/bin/amtool"


def check_prometheus(image: str, config_dir: Path, run_id: str, shown: Path | None = None) -> str:
    """`promtool check config` (which also checks every rule file it names); ConfigError on failure.

    `shown` is the folder an error names (the run folder's redacted copy), when not `config_dir`.
    """
    return _run(image, PROMTOOL, ["check", "config", "/etc/prometheus/prometheus.yml"], config_dir, "/etc/prometheus",
                run_id, shown)


def check_alertmanager(image: str, config_dir: Path, run_id: str, shown: Path | None = None) -> str:
    """`amtool check-config`; ConfigError on failure."""
    return _run(image, AMTOOL, ["check-config", "/etc/alertmanager/alertmanager.yml"], config_dir, "/etc/alertmanager",
                run_id, shown)


def _run(image: str, tool: str, args: list[str], config_dir: Path, mount: str, run_id: str,
         shown: Path | None = None) -> str:
    created = None
    try:
        created = engine.client().containers.create(
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
        name = tool.rsplit("/", 1)[-1]
        raise ConfigError(f"{name} {' '.join(args)} rejects the config rendered in {shown or config_dir}:\n    "
                          + "\n    ".join(problems(stdout, stderr)[-15:]))
    return stdout.strip()


def problems(stdout: str, stderr: str) -> list[str]:
    """The lines that say what is wrong.

    promtool writes `Checking X` and SUCCESS to stdout but FAILED and the reasons (which name the
    file) to stderr; amtool writes its FAILED line to stdout. The two streams interleave in no
    fixed order, so they are read apart rather than as one merged log.
    """
    failed = [line.rstrip() for line in stdout.splitlines() if "FAILED" in line]
    failed += [line.rstrip() for line in stderr.splitlines() if line.strip()]
    return failed or [line.rstrip() for line in stdout.splitlines() if line.strip()]
