"""The probe's catastrophic regex in the Rules tab of a real server: answered in bounded time, server stays up.

While the pattern is typed and previewed, another thread polls ``/_stcore/health``; every poll must answer
quickly (the old `re` preview held the server for 5-16 s per request and more than 90 s in all).
"""
from __future__ import annotations

import threading
import time
import urllib.request

from tests.e2e.conftest import open_view, wait_idle

PATTERN = "^(.|.){0,25}Z$"


def test_a_catastrophic_pattern_is_answered_while_the_server_keeps_answering(server: str, browser) -> None:
    page = open_view(browser, server, "Alignment")
    page.locator(".js-plotly-plot").first.wait_for(timeout=60_000)
    wait_idle(page)
    page.get_by_role("tab", name="Rules").click()
    page.get_by_text("New rule").wait_for(timeout=30_000)
    page.get_by_label("Match").last.click()
    page.get_by_role("option", name="regex", exact=True).click()
    wait_idle(page)
    latencies: list[float] = []
    stop = threading.Event()

    def poll() -> None:
        while not stop.is_set():
            started = time.perf_counter()
            with urllib.request.urlopen(f"{server}/_stcore/health", timeout=30) as resp:
                assert resp.read() == b"ok"
            latencies.append(time.perf_counter() - started)
            time.sleep(0.2)

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    started = time.perf_counter()
    box = page.get_by_role("textbox", name="Value or pattern")
    box.fill(PATTERN)
    box.press("Enter")
    page.get_by_text("Catches").or_(page.get_by_text("Pattern:")).first.wait_for(timeout=20_000)
    answered = time.perf_counter() - started
    time.sleep(1.0)
    stop.set()
    poller.join(timeout=35)
    assert answered < 20 and latencies and max(latencies) < 2.0, (answered, max(latencies, default=None))
    assert "Traceback" not in page.content()
    page.close()
