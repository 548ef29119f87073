"""KPI views in a real browser: the conflicts heatmap and a signal's control chart."""
from __future__ import annotations

from pathlib import Path

from tests.e2e.conftest import open_view, wait_idle

SHOTS = Path(__file__).resolve().parent / "artifacts"  # git-ignored; README copies live in docs/screenshots


def test_conflicts_heatmap_and_control_chart(server: str, browser) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = open_view(browser, server, "KPI conflicts")
    page.get_by_text("When K-VOL improves, K-LEAD worsens").wait_for(timeout=60_000)
    heatmap = page.locator(".js-plotly-plot .heatmaplayer").first
    heatmap.wait_for(timeout=30_000)
    wait_idle(page)
    assert page.get_by_text("Declared").first.is_visible()
    page.screenshot(path=str(SHOTS / "kpi_conflicts.png"), full_page=True)
    page.get_by_role("link", name="Signals", exact=True).click()
    page.get_by_text("(XmR)").first.wait_for(timeout=60_000)
    wait_idle(page)
    chart = page.locator(".js-plotly-plot").first
    assert chart.locator(".scatterlayer .trace").count() >= 1
    page.screenshot(path=str(SHOTS / "signals.png"), full_page=True)
    assert "Traceback" not in page.content()
    page.close()
