"""The main flow in a real browser: the server answers and the Overview shows the sample scenario."""
from __future__ import annotations

import urllib.request
from pathlib import Path

from tests.e2e.conftest import wait_idle

SHOTS = Path(__file__).resolve().parent / "artifacts"  # git-ignored; README copies live in docs/screenshots


def test_health_endpoint_answers(server: str) -> None:
    with urllib.request.urlopen(f"{server}/_stcore/health", timeout=5) as resp:
        assert resp.read() == b"ok"


def test_overview_in_chromium_shows_the_loaded_sample(server: str, browser) -> None:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(server)
    page.wait_for_selector('[data-testid="stMetric"]', timeout=60_000)
    wait_idle(page)
    metrics = page.locator('[data-testid="stMetric"]')
    texts = [metrics.nth(i).inner_text() for i in range(metrics.count())]
    work = next(t for t in texts if t.startswith("Work items"))
    assert work.split("\n")[-1] == "907"
    assert any(t.startswith("Objectives") and t.endswith("12") for t in texts)
    page.wait_for_selector('[data-testid="stDataFrame"] canvas', timeout=30_000)
    assert page.get_by_text("Last imports").is_visible()
    assert "Traceback" not in page.content()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "overview.png"), full_page=True)
    page.close()
