"""The upload flow in a real browser: upload a tracker, see the mapping and the plan, commit, see it counted."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

from tests.conftest import xlsx_bytes
from tests.e2e.conftest import wait_idle

SHOTS = Path(__file__).resolve().parent / "artifacts"  # git-ignored; README copies live in docs/screenshots


def metric_values(page) -> dict[str, str]:
    metrics = page.locator('[data-testid="stMetric"]')
    out = {}
    for i in range(metrics.count()):
        label, *rest = metrics.nth(i).inner_text().split("\n")
        out[label.strip()] = rest[-1].strip() if rest else ""
    return out


def test_upload_preview_commit_then_counted(server: str, browser, tmp_path: Path) -> None:
    tracker = tmp_path / "facilities_tracker.xlsx"
    tracker.write_bytes(xlsx_bytes({"Jobs": [
        ["Facilities jobs — kept by Sam"], [],
        ["Job ID", "Job", "Owner", "Team", "Status", "Due", "RAG"],
        *[[f"FAC-{i}", f"Job number {i}", "Sam Turner", "Facilities", ["To do", "Doing", "Done", "parked"][i % 4],
           datetime(2026, 11, 1 + i), ["G", "A", "R"][i % 3]] for i in range(1, 6)],
    ]}, merges={"Jobs": ["A1:G1"]}))
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1400, "height": 1100})
    page.goto(server)
    page.wait_for_selector('[data-testid="stMetric"]', timeout=60_000)
    page.get_by_role("link", name="Import history", exact=True).click()  # where the counts per kind live
    page.get_by_text("Work items by source").wait_for(timeout=30_000)
    wait_idle(page)
    before = int(metric_values(page)["Work items"].replace(",", ""))
    page.get_by_role("link", name="Import", exact=True).click()
    page.wait_for_selector('[data-testid="stFileUploader"]', timeout=30_000)
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(tracker))
    page.get_by_text("Status values").wait_for(timeout=60_000)
    wait_idle(page)
    assert page.get_by_text("Unmapped: parked").is_visible()
    page.screenshot(path=str(SHOTS / "import_mapping.png"), full_page=True)
    page.get_by_role("button", name="Preview changes").click()
    page.locator('[data-testid="stMetric"]').first.wait_for(timeout=60_000)
    wait_idle(page)
    assert metric_values(page) == {"New": "5", "Updated": "0", "Unchanged": "0", "Rejected": "0"}
    page.screenshot(path=str(SHOTS / "import_preview.png"), full_page=True)
    page.get_by_role("button", name="Commit import").click()
    page.get_by_text("Imported facilities_tracker.xlsx: 5 new").wait_for(timeout=60_000)
    page.get_by_role("link", name="Import history", exact=True).click()
    page.get_by_text("Work items by source").wait_for(timeout=30_000)
    wait_idle(page)
    assert int(metric_values(page)["Work items"].replace(",", "")) == before + 5
    assert "Traceback" not in page.content()
    page.close()
