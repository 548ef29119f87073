"""The main flow in a real browser: open the app at /, read the headline, click through to a view."""
from __future__ import annotations

import io
import urllib.request
from pathlib import Path

import openpyxl

from tests.e2e.conftest import wait_idle

SHOTS = Path(__file__).resolve().parent / "artifacts"  # git-ignored; README copies live in docs/screenshots


def test_health_endpoint_answers(server: str) -> None:
    with urllib.request.urlopen(f"{server}/_stcore/health", timeout=5) as resp:
        assert resp.read() == b"ok"


def test_overview_headline_and_click_through(server: str, browser) -> None:
    page = browser.new_page(viewport={"width": 1400, "height": 1750})
    page.goto(server)
    page.wait_for_selector('[data-testid="stMetric"]', timeout=60_000)
    wait_idle(page)
    metrics = page.locator('[data-testid="stMetric"]')
    texts = [metrics.nth(i).inner_text() for i in range(metrics.count())]
    hidden = next(t for t in texts if t.startswith("Hidden work"))
    assert "29%" in hidden.split("\n")  # 261 of the sample's 907 items serve no objective
    assert page.get_by_text("Waited on: Data Platform").is_visible()
    assert page.get_by_text("Needs attention").is_visible()
    page.wait_for_selector('[data-testid="stDataFrame"] canvas', timeout=30_000)
    assert "Traceback" not in page.content()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "overview.png"), full_page=True)
    with page.expect_download(timeout=60_000) as download:  # the pack is built on click, not on every rerun
        page.get_by_role("button", name="Download the steering pack (xlsx)").click()
    assert download.value.suggested_filename == "steering_pack.xlsx"
    pack = openpyxl.load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))
    assert pack.sheetnames[:2] == ["Summary", "Alignment"] and pack["Summary"].max_row > 4
    page.locator('[data-testid="stMain"]').get_by_role("link", name="Open bottlenecks").click()
    page.get_by_role("heading", name="Bottlenecks").wait_for(timeout=60_000)
    wait_idle(page)
    assert "Traceback" not in page.content()
    page.close()
