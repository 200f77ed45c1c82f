"""The SolaraViz dashboard in a real headless Chromium: load, step, plot update, slider, reset,
and a server log free of upgrade notices and known-harmless warnings.

Needs the ``viz`` extra (solara, playwright) and Debian's ``chromium`` at /usr/bin/chromium;
skipped with the reason when either is missing. Nothing is fetched from a CDN: Solara serves
its front-end from ``solara-assets``, and the test fails if the page requests another host.
"""

from __future__ import annotations

import re
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urlparse
from urllib.request import urlopen

import pytest

pytest.importorskip("solara", reason="dashboard needs the 'viz' extra (pip install -e '.[viz]')")
sync_api = pytest.importorskip("playwright.sync_api", reason="dashboard test needs playwright")

from neocloud_abm.interface.viz_command import server_command, server_env  # noqa: E402

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
pytestmark = pytest.mark.skipif(not CHROMIUM.exists(),
                                reason="needs Debian's chromium (apt-get install chromium)")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server(NamedTuple):
    url: str
    log: Path


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    port = free_port()
    log = open(tmp_path_factory.mktemp("dashboard") / "solara.log", "w")  # noqa: SIM115
    # Unbuffered, so the log holds everything printed so far when the test reads it.
    proc = subprocess.Popen(server_command(port, "127.0.0.1"), env=server_env() | {"PYTHONUNBUFFERED": "1"},
                            stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 60
    try:
        while True:
            try:
                with urlopen(url, timeout=2):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"solara server did not start (exit {proc.poll()}); see {log.name}")
                time.sleep(0.3)
        yield Server(url, Path(log.name))
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()


def local(url: str) -> bool:
    """Served by the test's server, or data the page made itself (data:, blob:)."""
    parts = urlparse(url)
    return parts.scheme in ("data", "blob") or parts.hostname == "127.0.0.1"


def step_count(page) -> int:
    """From the dashboard's own counter 'Month: YYYY-MM (step N of M)'; Mesa's counter reads
    'Step:' in 3.3 and 'Time:' in 3.5, so the test does not rely on it."""
    text = page.locator("p", has_text="Month:").first.inner_text()
    return int(re.search(r"step (\d+) of", text).group(1))


def price_plot(page) -> str:
    """The Price chart's image data (SolaraViz renders matplotlib figures as images)."""
    return page.locator("img").first.get_attribute("src") or ""


def test_dashboard_steps_plots_and_resets(server: Server) -> None:
    outside: list[str] = []
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.on("request", lambda r: None if local(r.url) else outside.append(r.url))
            page.goto(server.url, timeout=60_000)
            page.get_by_text("Month:").first.wait_for(timeout=60_000)
            page.locator("img").first.wait_for(timeout=30_000)
            start, before = step_count(page), price_plot(page)
            for i in range(1, 4):
                page.get_by_role("button", name="Step").click()
                page.get_by_text(f"(step {start + i} of").first.wait_for(timeout=30_000)
            assert step_count(page) == start + 3
            page.get_by_text("Month: 2022-03").first.wait_for(timeout=10_000)
            page.wait_for_function("s => document.querySelector('img').src !== s", arg=before,
                                   timeout=30_000)
            # A slider: the keyboard moves it one step; then Reset builds a new model.
            slider = page.get_by_role("slider").nth(2)  # after the two SolaraViz sliders: seed
            slider.focus()
            page.keyboard.press("ArrowRight")
            page.get_by_role("button", name="Reset").click()
            page.get_by_text("Month: 2022-01").first.wait_for(timeout=30_000)
            assert step_count(page) == 0
        finally:
            browser.close()
    assert not outside, f"page fetched from outside the server: {outside[:3]}"
    # Read after a page was served: some warnings come only with the first request.
    log = server.log.read_text()
    for noise in ("New version of Solara", "use_state", "samesite"):
        assert noise not in log, f"server log has {noise!r}:\n{log}"
