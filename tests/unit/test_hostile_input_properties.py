"""Whatever is broken in a scenario, suite, compose file, prometheus.yml, rule file or alertmanager.yml,
the checks a run makes before any container starts either accept it or refuse it with InvalidInput
naming the broken file: never another exception."""

import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypeVar

import pytest
from hostile_inputs import KINDS, lay_out, located, validate
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.errors import InvalidInput

T = TypeVar("T")


class Drawn:
    """Hypothesis's draws as the chooser hostile_inputs asks for (so failures shrink to one small change)."""

    def __init__(self, data: st.DataObject) -> None:
        self._data = data

    def choice(self, options: Sequence[T]) -> T:
        return self._data.draw(st.sampled_from(options))

    def randint(self, low: int, high: int) -> int:
        return self._data.draw(st.integers(low, high))


@pytest.mark.parametrize("kind", KINDS)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_a_broken_input_is_refused_naming_its_file_or_accepted(kind: str, data: Any) -> None:
    with tempfile.TemporaryDirectory() as folder:
        case = lay_out(kind, Path(folder), Drawn(data))
        try:
            validate(case)
        except InvalidInput as error:
            assert located(str(error), case), f"{case.change}: not located: {error}"


@pytest.mark.parametrize("kind", KINDS)
def test_the_inputs_before_breaking_are_accepted(kind: str, tmp_path: Path) -> None:
    validate(lay_out(kind, tmp_path, None))
