"""The main flow in a real browser: open the app at /, read the headline, click through to a view; the strategy
picture and its trend lines render, and a click on an objective shows its card and opens its view."""
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


def test_strategy_picture_click_shows_the_card_and_opens_a_view(server: str, browser) -> None:
    page = browser.new_page(viewport={"width": 1400, "height": 1750})
    page.goto(server)
    tree = page.locator(".st-key-strategy .js-plotly-plot")  # the picture's own chart (its widget key)
    tree.wait_for(timeout=60_000)
    wait_idle(page)
    boxes = tree.locator("g.slice")
    boxes.first.wait_for(timeout=30_000)
    assert boxes.count() >= 5  # pillars, objectives and key results of the sample's strategy, as svg treemap boxes
    # the trend lines: one small line under each headline figure that has a series
    page.wait_for_selector('[data-testid="stMetric"]', timeout=60_000)
    assert page.locator('[class*="st-key-trend_"] .js-plotly-plot').count() == 10
    assert page.get_by_text("Click an objective").is_visible()
    code = boxes.nth(1).text_content().split(" · ")[0]  # the first pillar (box 0 is the tree's hidden root)
    boxes.nth(1).click(force=True, position={"x": 20, "y": 8})  # on its title bar, not on a child box
    wait_idle(page)
    card = page.locator(".st-key-objective_card")
    card.wait_for(timeout=30_000)
    text = card.inner_text()
    assert text.startswith(f"{code} · ") and "Owner:" in text and "Measured:" in text and "open item(s) linked" in text
    assert "with its sub-objectives" in text  # a pillar's box is sized by the work of the objectives under it
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "overview_objective_card.png"), full_page=True)
    card.get_by_role("link", name="Open strategy").click()
    page.get_by_role("heading", name="Strategy").first.wait_for(timeout=60_000)
    wait_idle(page)
    assert "Traceback" not in page.content()
    page.close()
