"""Bottlenecks in a real browser: click a point of the aging chart and a bar of the waits chart, see the rows."""
from __future__ import annotations

from pathlib import Path

from tests.e2e.conftest import open_view, wait_idle

SHOTS = Path(__file__).resolve().parent / "artifacts"  # git-ignored; README copies live in docs/screenshots


def test_drill_down_from_aging_point_and_waits_bar(server: str, browser) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = open_view(browser, server, "Bottlenecks")
    page.locator(".js-plotly-plot").first.wait_for(timeout=60_000)
    wait_idle(page)
    point = page.locator(".js-plotly-plot").first.locator(".scatterlayer .points path").first
    point.click(force=True)
    page.get_by_text("row(s) behind your selection").first.wait_for(timeout=30_000)
    wait_idle(page)
    page.screenshot(path=str(SHOTS / "bottlenecks_aging.png"), full_page=True)
    page.get_by_role("tab", name="Waits between teams").click()
    plot = page.locator('[data-testid="stTabPanel"]:visible .js-plotly-plot').first
    plot.wait_for(timeout=30_000)
    plot.locator(".barlayer .point path").last.click(force=True)  # the longest bar is drawn last (top)
    wait_idle(page)
    page.get_by_text("3 row(s) behind your selection").wait_for(timeout=30_000)
    panel = page.locator('[data-testid="stTabPanel"]:visible')
    assert "Longest chain of unfinished work: MIG-07" in panel.inner_text()
    page.screenshot(path=str(SHOTS / "bottlenecks_waits.png"), full_page=True)
    assert "Traceback" not in page.content()
    page.close()
