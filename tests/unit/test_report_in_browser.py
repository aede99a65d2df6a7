"""report.html opened in headless Chromium (Debian's `chromium`, installed by scripts/setup): it shows the
decision and every plot decodes, with nothing fetched."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy
import pytest
from PIL import Image
from conftest import _NOTES
from report_bundle import copy_of_recorded_run

from harness.reporting import bundle

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--hide-scrollbars"]
NO_RED = (176, 58, 46)  # the decision banner of a NO (.NO in the report's CSS)
FAULT_SHADE = (251, 236, 222)


def chromium(*args: str) -> subprocess.CompletedProcess[str]:
    browser = shutil.which("chromium")
    if browser is None:
        pytest.fail("chromium is not installed; scripts/setup installs Debian's `chromium`")
    with tempfile.TemporaryDirectory(prefix="harness-chromium-") as profile:
        return subprocess.run([browser, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
                              capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = copy_of_recorded_run(tmp_path_factory.mktemp("browser"))
    return bundle.rerender(folder).html


def test_every_plot_decodes_and_the_decision_is_in_the_page(page: Path) -> None:
    result = chromium("--virtual-time-budget=5000", "--window-size=1280,2000", "--dump-dom", page.as_uri())
    assert result.returncode == 0, result.stderr[-2000:]
    assert 'data-images-decoded="3/3"' in result.stdout
    assert "Decision: NO: not verified" in result.stdout


@pytest.fixture(scope="module")
def screenshot(page: Path, tmp_path_factory: pytest.TempPathFactory) -> numpy.ndarray:
    """The whole page (1280 px wide, 7000 px tall), as Chromium paints it; its path goes to the test output."""
    shot = tmp_path_factory.mktemp("screenshot") / "report.png"
    result = chromium(f"--screenshot={shot}", "--window-size=1280,7000", page.as_uri())
    assert result.returncode == 0 and shot.is_file(), result.stderr[-2000:]
    _NOTES.append(f"report.html screenshot (headless chromium, 1280x7000): {shot}")
    return numpy.asarray(Image.open(shot).convert("RGB")).astype(int)


def test_the_screenshot_shows_the_no_decision_banner_first(screenshot: numpy.ndarray) -> None:
    banner = _near(screenshot[:400], NO_RED)
    assert banner > 20_000, f"only {banner} pixels of the NO banner's red in the top 400 px"
    colours = numpy.unique(screenshot[:2000:2, ::2] @ numpy.array([1 << 16, 1 << 8, 1]))
    assert len(colours) > 50, "the page looks blank"


def test_the_screenshot_shows_a_plot_per_scenario_that_reads_a_metric(screenshot: numpy.ndarray) -> None:
    # The shaded fault window (#e67e22 at 15 % on white) is drawn in every plot and nowhere else.
    shaded_rows = numpy.flatnonzero((numpy.abs(screenshot[:, ::2] - FAULT_SHADE).max(axis=2) <= 3).sum(axis=1) > 50)
    plots = 1 + int((numpy.diff(shaded_rows) > 40).sum()) if len(shaded_rows) else 0
    assert plots == 3, f"{plots} shaded fault windows seen"


def _near(pixels: numpy.ndarray, colour: tuple[int, int, int], tolerance: int = 6) -> int:
    return int((numpy.abs(pixels - numpy.array(colour)).max(axis=2) <= tolerance).sum())
