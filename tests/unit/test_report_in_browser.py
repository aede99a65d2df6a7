"""report.html opened in headless Chromium (Debian's `chromium`, installed by scripts/setup): it shows the
decision and every plot decodes, with nothing fetched."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image
from report_bundle import copy_of_recorded_run

from harness.reporting import bundle

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--hide-scrollbars", "--window-size=1280,2000"]
NO_RED = (176, 58, 46)  # the decision banner of a NO (.NO in the report's CSS)


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
    result = chromium("--virtual-time-budget=5000", "--dump-dom", page.as_uri())
    assert result.returncode == 0, result.stderr[-2000:]
    assert 'data-images-decoded="3/3"' in result.stdout
    assert "Decision: NO: not verified" in result.stdout


def test_the_screenshot_shows_the_no_decision_banner(page: Path, tmp_path: Path, note: Callable[[str], None]) -> None:
    shot = tmp_path / "report.png"
    result = chromium(f"--screenshot={shot}", page.as_uri())
    assert result.returncode == 0 and shot.is_file(), result.stderr[-2000:]
    note(f"report.html screenshot (headless chromium): {shot}")
    image = Image.open(shot).convert("RGB")
    assert image.size == (1280, 2000)
    top = image.crop((0, 0, 1280, 400))
    banner = sum(1 for pixel in top.getdata() if all(abs(a - b) <= 6 for a, b in zip(pixel, NO_RED)))
    assert banner > 20_000, f"only {banner} pixels of the NO banner's red in the top 400 px"
    assert len(set(image.resize((128, 200)).getdata())) > 50, "the page looks blank"
