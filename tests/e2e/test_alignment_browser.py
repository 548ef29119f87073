"""Alignment in a real browser: click the worst hidden-work bar, see the service desk's unlinked tickets."""
from __future__ import annotations

import csv
import io
from pathlib import Path

from tests.e2e.conftest import open_view, wait_idle

SHOTS = Path(__file__).resolve().parent / "artifacts"  # git-ignored; README copies live in docs/screenshots


def test_click_a_hidden_work_bar_and_see_the_rows(server: str, browser) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = open_view(browser, server, "Alignment")
    plot = page.locator(".js-plotly-plot").first
    plot.wait_for(timeout=60_000)
    wait_idle(page)
    assert "Hidden work" in page.locator('[data-testid="stMetric"]').all_inner_texts()[2]
    # the worst team comes first and a horizontal bar chart draws it last, at the top: the Service Desk
    plot.locator(".barlayer .point path").last.click(force=True)
    wait_idle(page)
    heading = page.get_by_text("hidden item(s) of Service Desk")
    heading.wait_for(timeout=30_000)
    assert heading.inner_text().startswith("259 hidden item(s)")
    table = page.locator('[data-testid="stDataFrame"]').first
    table.wait_for(timeout=30_000)
    page.screenshot(path=str(SHOTS / "alignment.png"), full_page=True)
    # the table's own CSV button (built on click) downloads exactly the rows shown
    with page.expect_download(timeout=30_000) as download:
        page.get_by_role("button", name="CSV").first.click()
    assert download.value.suggested_filename == "hidden_work_drill.csv"
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8-sig"))))
    assert len(rows) == 259 and {r["Team"] for r in rows} == {"Service Desk"} and not any(r["Objective"] for r in rows)
    tree = page.locator(".js-plotly-plot").nth(1)
    tree.locator("g.slice").nth(1).click(force=True)  # a pillar's first objective box
    wait_idle(page)
    served = page.get_by_text("item(s) serving")
    served.wait_for(timeout=30_000)
    assert " / " in served.inner_text()
    page.screenshot(path=str(SHOTS / "alignment_treemap.png"), full_page=True)
    assert "Traceback" not in page.content()
    page.close()
