"""The harness's exceptions.

    HarnessError
    ├── InvalidInput         the user's files or options are wrong (exit 2)
    │   ├── ConfigError      a stack, rule or Alertmanager file cannot be used as written
    │   ├── BundleError      a report folder cannot be re-rendered or verified (no report.json / manifest)
    │   └── EngineUrlError   an --engine (or a suite's `engines:`) is not a Docker engine the harness can use
    └── RunFailure           something broke while running (exit 2)
        ├── EngineUnavailable    a Docker engine does not answer (its URL named)
        ├── ImageBuildError      an image could not be pulled, built or copied to another engine
        ├── StackError           a container did not start or never became healthy
        ├── LoadError            the load generator could not run
        ├── LeftBehind           clean-up could not remove everything a run started (names what is left)
        └── FaultError           a fault could not be switched on or off
            └── FaultSkipped     a fault needs a cooperation the stack cannot give (not an error of the stack)

A failed *expectation* is not an exception: it is a verdict in the report (exit 1).
"""

from __future__ import annotations


class HarnessError(Exception):
    """Root of every error the harness raises on purpose."""


class InvalidInput(HarnessError):
    """The user's files or options are wrong; nothing was started."""


class ConfigError(InvalidInput):
    """A stack, rule or Alertmanager file cannot be used as written."""


class BundleError(InvalidInput):
    """A report folder cannot be re-rendered or verified: its report.json or manifest.sha256 is missing or unreadable."""


class EngineUrlError(InvalidInput):
    """An engine URL the harness cannot use: not unix:// or tcp:// on this machine, or given twice."""


class RunFailure(HarnessError):
    """Something failed at run time, outside the user's expectations."""


class EngineUnavailable(RunFailure):
    """A Docker engine does not answer; the message names its URL and what failed."""


class ImageBuildError(RunFailure):
    """An image could neither be pulled nor built, or not copied to another engine."""


class StackError(RunFailure):
    """A container did not start, or never became healthy."""


class LoadError(RunFailure):
    """The load generator could not run."""


class LeftBehind(RunFailure):
    """Clean-up could not remove everything a run started; the message names what is left."""


class FaultError(RunFailure):
    """A fault could not be switched on or off."""


class FaultSkipped(FaultError):
    """A fault needs the app's cooperation and the stack's app cannot give it."""
