"""My work in a real browser: edit a status in the grid, save, and see Bottlenecks count one more item in progress."""
from __future__ import annotations

import re
import time
from pathlib import Path

from tests.e2e.conftest import open_view, wait_idle

SHOTS = Path(__file__).resolve().parent / "artifacts"  # git-ignored; README copies live in docs/screenshots


def in_progress(page) -> int:  # type: ignore[no-untyped-def]
    page.get_by_role("heading", name="Bottlenecks").wait_for(timeout=60_000)
    caption = page.get_by_text("items in progress").first
    caption.wait_for(timeout=60_000)
    wait_idle(page)
    return int(re.search(r"([\d,]+) items in progress", caption.inner_text()).group(1).replace(",", ""))


def choose_in_cell(page, row: int, right: int, option: str) -> None:  # type: ignore[no-untyped-def]
    """Open a grid cell's dropdown from the keyboard and pick an option.

    The grid is a canvas: click the row's first cell (header and rows are 35 px), arrow right, Enter. A click
    that lands while the grid is still wiring its handlers is lost, so a few attempts are allowed.
    """
    box = page.locator('[data-testid="stDataFrame"]').first.bounding_box()
    choice = page.locator("#portal").get_by_text(option, exact=True)
    for _attempt in range(5):
        time.sleep(0.5)
        page.mouse.click(box["x"] + 30, box["y"] + 35 + 35 * (row - 1) + 17)
        for _ in range(right):
            page.keyboard.press("ArrowRight")
        page.keyboard.press("Enter")
        try:
            choice.wait_for(timeout=3_000)
        except Exception:  # noqa: BLE001 - playwright's TimeoutError: try again
            page.keyboard.press("Escape")
            continue
        choice.click()
        return
    raise AssertionError(f"the grid's editor for row {row} did not open")


def test_a_status_edited_in_the_grid_moves_the_bottlenecks_figures(server: str, browser) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = open_view(browser, server, "Bottlenecks")
    before = in_progress(page)
    page.get_by_role("link", name="My work", exact=True).click()
    page.get_by_role("heading", name="My work").wait_for(timeout=60_000)
    page.locator('[data-testid="stDataFrame"] canvas').first.wait_for(timeout=60_000)
    wait_idle(page)
    # Change Management (the first team) in tracker order: CHG-001, 002, 007, 008 — CHG-008 is 'To do'
    choose_in_cell(page, row=4, right=3, option="In progress")  # Key → Title → Owner → Status
    wait_idle(page)
    time.sleep(0.5)
    page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').filter(has_text="Me").click()
    page.keyboard.type("Priya Shah")  # who the audit trail names
    page.keyboard.press("Enter")
    page.get_by_text("changes are saved as Priya Shah").wait_for(timeout=30_000)
    wait_idle(page)
    page.get_by_role("button", name="Save changes").click()
    page.get_by_text("Saved: 0 added, 1 changed, 1 status change(s) recorded").wait_for(timeout=30_000)
    wait_idle(page)
    page.locator('[data-testid="stDataFrame"] canvas').first.wait_for(timeout=60_000)
    time.sleep(1)
    page.screenshot(path=str(SHOTS / "my_work.png"), full_page=True)
    assert "Traceback" not in page.content()
    page.get_by_role("link", name="Bottlenecks", exact=True).click()
    assert in_progress(page) == before + 1
    page.close()
