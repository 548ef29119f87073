"""The README's screenshots, taken of every main view with the sample plus every real export loaded.

    .venv/bin/python scripts/screenshots.py [--out docs/screenshots] [--realdata ../shared/realdata]

Builds a throwaway SQLite database (the sample scenario, then each file in the realdata folder imported
at defaults, as `python -m core import FILE` does), starts `streamlit run app.py` on a free loopback
port, opens each view in Debian's headless Chromium (Playwright, never a downloaded browser) by clicking
its menu link, and writes one full-page PNG per view. Nothing here is a test; the e2e tests assert.
"""
from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
VIEWS = {"overview": "Overview", "alignment": "Alignment", "bottlenecks_aging": "Bottlenecks",
         "kpi_conflicts": "KPI conflicts", "reality": "Status vs reality", "signals": "Signals", "my_work": "My work",
         "strategy": "Strategy", "history": "Import history", "audit": "Audit trail"}


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _load(env: dict[str, str], realdata: Path) -> None:
    run = [sys.executable, "-m", "core"]
    subprocess.run([*run, "load-sample"], env=env, cwd=ROOT, check=True, capture_output=True, timeout=600)
    for path in sorted(p for p in realdata.iterdir() if p.suffix.lower() in {".csv", ".xlsx", ".xls"}):
        done = subprocess.run([*run, "import", str(path)], env=env, cwd=ROOT, capture_output=True, text=True,
                              timeout=600)
        print(f"  {path.name}: {'imported' if done.returncode == 0 else f'imported with problems or refused (exit {done.returncode})'}")


def _wait_idle(page) -> None:  # type: ignore[no-untyped-def]
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state]:not([data-test-script-state="running"])',
                           timeout=180_000)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--realdata", type=Path, default=ROOT.parent / "shared" / "realdata")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "DATABASE_URL": f"sqlite:///{Path(tmp) / 'throughline.db'}", "PYTHONPATH": str(ROOT)}
        print("loading the sample and the real exports…")
        _load(env, args.realdata)
        port = _port()
        server = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
                                   "--server.address", "127.0.0.1", "--server.port", str(port)], env=env, cwd=ROOT,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        url = f"http://127.0.0.1:{port}"
        try:
            for _ in range(200):
                try:
                    with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2):
                        break
                except OSError:
                    time.sleep(0.3)
            args.out.mkdir(parents=True, exist_ok=True)
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
                for name, link in VIEWS.items():
                    page = browser.new_page(viewport={"width": 1400, "height": 1200})
                    page.goto(url)
                    page.wait_for_selector('[data-testid="stMetric"]', timeout=180_000)
                    _wait_idle(page)
                    if link != "Overview":
                        page.get_by_role("link", name=link, exact=True).click()
                        page.get_by_role("heading", name=link).wait_for(timeout=180_000)
                        _wait_idle(page)
                    page.wait_for_timeout(1500)  # plotly draws after the script is idle
                    page.screenshot(path=str(args.out / f"{name}.png"), full_page=True)
                    print(f"  {name}.png")
                    page.close()
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=20)
    return 0


if __name__ == "__main__":
    sys.exit(main())
