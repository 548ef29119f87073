"""A real server (`streamlit run app.py`) on a free loopback port, with the sample scenario loaded."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Iterator

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    db = tmp_path_factory.mktemp("e2e") / "throughline.db"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db}", "PYTHONPATH": str(ROOT)}
    subprocess.run([sys.executable, "-m", "core", "load-sample"], env=env, cwd=ROOT, check=True,
                   capture_output=True, timeout=300)
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
                             "--server.address", "127.0.0.1", "--server.port", str(port)],
                            env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
                    if resp.read() == b"ok":
                        break
            except OSError:
                time.sleep(0.3)
        else:
            raise RuntimeError("streamlit did not answer on /_stcore/health within 60 s")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is missing: run scripts/ensure-chromium.sh (make test does).")
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def wait_idle(page, timeout: float = 60_000) -> None:
    """A rerun is finished when the app's script state is no longer 'running'."""
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state]:not([data-test-script-state="running"])',
                           timeout=timeout)


def open_view(browser, server: str, link: str):  # type: ignore[no-untyped-def]
    """A fresh page on the app, then a click on a sidebar link (page.goto would start a new session)."""
    page = browser.new_page(viewport={"width": 1400, "height": 1100})
    page.goto(server)
    page.wait_for_selector('[data-testid="stMetric"]', timeout=60_000)
    page.get_by_role("link", name=link, exact=True).click()
    return page
