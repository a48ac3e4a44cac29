"""A generated report opened in real headless Chromium (Debian's ``chromium`` with
``chromium-driver``; ``.ci/run`` installs both): every image loads, nothing overflows the page
horizontally, and a screenshot is saved for a person to look at."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest
import torch

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
DRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
HAVE = Path(CHROMIUM).exists() and Path(DRIVER).exists()

pytestmark = pytest.mark.skipif(
    not HAVE, reason="headless Chromium not installed (apt-get install chromium chromium-driver)"
)

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
)

CHECK_JS = """
const imgs = Array.from(document.images);
return {
  images: imgs.length,
  broken: imgs.filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.getAttribute('src')),
  scrollWidth: document.documentElement.scrollWidth,
  clientWidth: document.documentElement.clientWidth,
  wide: Array.from(document.querySelectorAll('body *'))
    .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
    .map(e => e.tagName + '.' + e.className).slice(0, 5),
  widths: imgs.map(i => Math.round(i.getBoundingClientRect().width)),
  heights: imgs.map(i => Math.round(i.getBoundingClientRect().height)),
  verdict: !!document.querySelector('.summary'),
};
"""


def _driver(profile: str):
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium not installed")
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for flag in (*FLAGS, f"--user-data-dir={profile}", "--window-size=1280,1000"):
        opts.add_argument(flag)
    # an explicit Service: Selenium Manager never looks for (or downloads) a driver
    return webdriver.Chrome(service=Service(DRIVER), options=opts)


@pytest.fixture(scope="module")
def report_dir(tmp_path_factory):
    from neurodyn.report import analyze

    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.Tanh(), torch.nn.Linear(8, 2))
    with torch.no_grad():
        net[2].weight.mul_(1.5)
    out = tmp_path_factory.mktemp("report")
    analyze(net.double(), [(-3, 3), (-3, 3)], out, resolution=21, basin_resolution=21,
            steps=30, warmup=5)  # fmt: skip
    return out


@pytest.fixture(scope="module")
def report_dir_3d(tmp_path_factory):
    """A 3-D map's page: its eigenvalue cloud and projected portrait are single figures."""
    from neurodyn.report import analyze

    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(3, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3))
    out = tmp_path_factory.mktemp("report3d")
    analyze(net.double(), [(-3, 3)] * 3, out, samples=200, fixed_point_seeds=16,
            attractor_samples=20, steps=30, warmup=5)  # fmt: skip
    return out


ALONE_JS = """
return Array.from(document.querySelectorAll('figure.alone img')).map(i => ({
  src: i.getAttribute('src'), shown: i.getBoundingClientRect().width,
  css: Number(i.getAttribute('width')), natural: i.naturalWidth,
  page: document.documentElement.clientWidth}));
"""


def test_single_figures_are_not_stretched(report_dir_3d):
    """Above 2-D a section holds one figure: it is shown at its size in inches (96 CSS px per
    inch, the PNG at 150 dpi), not stretched to the page's width, and not blurred by it."""
    with tempfile.TemporaryDirectory(prefix="nd-chromium-") as profile:
        driver = _driver(profile)
        try:
            driver.get((report_dir_3d / "index.html").as_uri())
            seen = {}
            for width in (1280, 400):
                driver.set_window_size(width, 1000)
                seen[width] = driver.execute_script(ALONE_JS)
        finally:
            driver.quit()
    wide = seen[1280]
    assert sorted(f["src"] for f in wide) == ["eigenvalues.png", "phase_portrait.png"], wide
    for f in wide:
        assert abs(f["shown"] - f["css"]) <= 1, f  # its own size
        assert f["shown"] < 0.7 * f["page"], f  # not the page's width
        assert f["natural"] >= 1.5 * f["shown"], f  # ≥ 1.5 image px per CSS px: sharp
    for f in seen[400]:  # a narrow window: shrunk to fit, never wider than the page
        assert f["shown"] <= f["page"], f


def test_report_renders_in_chromium(report_dir):
    """One Chromium session, the page at 1280 and at 600 CSS pixels wide."""
    shots = Path(os.environ.get("NEURODYN_SCREENSHOTS") or tempfile.mkdtemp(prefix="nd-shots-"))
    shots.mkdir(parents=True, exist_ok=True)
    seen = {}
    with tempfile.TemporaryDirectory(prefix="nd-chromium-") as profile:
        driver = _driver(profile)
        try:
            driver.get((report_dir / "index.html").as_uri())
            for width in (1280, 600):
                driver.set_window_size(width, 1000)
                got = driver.execute_script(CHECK_JS)
                height = driver.execute_script("return document.documentElement.scrollHeight")
                driver.set_window_size(width, min(int(height) + 100, 12000))
                shot = shots / f"report-{width}.png"
                assert driver.save_screenshot(str(shot))
                seen[width] = (got, shot)
        finally:
            driver.quit()
    for width, (got, shot) in seen.items():
        assert got["images"] == 6, (width, got)
        assert got["broken"] == [], (width, got)
        assert got["scrollWidth"] <= got["clientWidth"], (width, got)
        assert got["wide"] == [], (width, got)
        assert got["verdict"]
        # the gallery's panels are shown at one size
        assert len(set(got["widths"])) == 1 and len(set(got["heights"])) == 1, (width, got)
        assert shot.stat().st_size > 10_000
