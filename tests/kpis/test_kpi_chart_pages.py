"""The KPI small multiples come a page at a time, worst first (110 subplots in one figure took five seconds)."""
from __future__ import annotations

import pandas as pd

from core.kpis.analytics import CHART_PAGE, chart_page, chart_page_labels, kpi_report, worst_first
from core.reporting import kpi_charts
from core.reporting.report import load_frames
from core.importing.service import import_path
from core.store.db import make_engine, upgrade_schema
from tests.conftest import REALDATA


def test_real_kpis_page_worst_first_and_every_kpi_on_exactly_one_page(tmp_path_factory) -> None:
    eng = make_engine(f"sqlite:///{tmp_path_factory.mktemp('kpi_pages') / 'kpi.db'}")
    upgrade_schema(eng)
    import_path(eng, REALDATA / "fr_barometre_kpis_national.csv", user="tester")
    frames = load_frames(eng)
    status = kpi_report(frames["kpis"], frames["readings"], frames["incentives"], frames["effects"],
                        frames["objectives"])["status"]
    eng.dispose()
    assert len(status) > CHART_PAGE  # the real barometer needs more than one page
    ranked = worst_first(status)
    rank = ranked["status"].map({"red": 3, "amber": 2, "green": 1, "grey": 0})
    assert rank.is_monotonic_decreasing and sorted(ranked["code"]) == sorted(status["code"])
    labels = chart_page_labels(len(status))
    pages = [chart_page(status, p) for p in range(len(labels))]
    assert [len(p) for p in pages[:-1]] == [CHART_PAGE] * (len(labels) - 1) and 0 < len(pages[-1]) <= CHART_PAGE
    assert pd.concat(pages)["code"].tolist() == ranked["code"].tolist()
    assert labels[0] == f"KPIs 1–{CHART_PAGE} of {len(status)} (worst first)"
    assert labels[-1].endswith(f"–{len(status)} of {len(status)} (worst first)")
    fig = kpi_charts.kpi_small_multiples(pages[0], frames["readings"])
    drawn = [t for t in fig.data if t.name not in ("Target", "Tolerance band")]
    assert len(drawn) == CHART_PAGE
    assert chart_page_labels(5) == ["KPIs 1–5 of 5 (worst first)"] and chart_page_labels(0) == []
