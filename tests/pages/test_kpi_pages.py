"""KPI conflicts, Status vs reality and Signals pages under AppTest on the sample scenario."""
from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from core.kpis import queries as kpi_queries
from core.sample import load_sample
from tests.conftest import plain

PAGES = Path(__file__).resolve().parents[2] / "pages"


@pytest.fixture
def sample_env(db_env: str, engine):
    load_sample(engine)
    return engine


def page(name: str) -> AppTest:
    return AppTest.from_file(str(PAGES / name), default_timeout=120).run()


def test_conflicts_page_names_the_story(sample_env) -> None:
    at = page("kpi_conflicts.py")
    assert not at.exception
    lines = [plain(m.value) for m in at.markdown]
    assert any("**Declared**" in line and "K-MTTR" in line and "Service Desk" in line for line in lines)
    assert any("**Observed**" in line and "When K-VOL improves, K-LEAD worsens" in line for line in lines)
    metrics = {m.label: m.value for m in at.metric}
    assert int(metrics["Red"]) >= 3 and int(metrics["Conflicts"]) >= 3


def test_reality_page_lists_the_green_migration(sample_env) -> None:
    at = page("reality.py")
    assert not at.exception
    table = at.dataframe[0].value.set_index("Key")
    assert table.loc["O3", "Reported"] == "green" and "K-MIG" in table.loc["O3", "Why it measures red"]
    assert "MIG-08" in table.index
    at.multiselect[0].select("Tom Becker").run()
    assert set(at.dataframe[0].value["Owner"]) == {"Tom Becker"}


def test_signals_page_acknowledge_and_resolve_persist_with_audit(sample_env) -> None:
    engine = sample_env
    at = page("signals.py")
    assert not at.exception
    sid = at.selectbox[0].value
    at.text_input[0].input("called the team")
    at.button[0].click().run()  # Acknowledge
    assert not at.exception
    assert kpi_queries.signal(engine.connect(), sid)["state"] == "acknowledged"
    at.selectbox[0].set_value(sid).run()
    at.button[1].click().run()  # Resolve
    with engine.connect() as conn:
        assert kpi_queries.signal(conn, sid)["state"] == "resolved"
        audit = conn.execute(sa.text("select action from auditevent where entity='signal' and entity_id=:i"),
                             {"i": sid}).scalars().all()
    assert audit == ["signal.acknowledged", "signal.resolved"]


def test_kpi_pages_on_an_empty_database(db_env: str, engine) -> None:
    for name in ("kpi_conflicts.py", "reality.py", "signals.py"):
        at = page(name)
        assert not at.exception, name


def test_kpi_pages_with_work_items_but_no_kpis(db_env: str, engine) -> None:
    from core.importing.service import import_path
    from tests.conftest import GMPP

    import_path(engine, GMPP, user="t")
    for name in ("kpi_conflicts.py", "reality.py", "signals.py"):
        assert not page(name).exception, name
    table = page("reality.py").dataframe[0].value
    # projects whose SRO reports green/amber while their approved end date has passed (no history, no KPIs)
    assert len(table) > 20 and set(table["What"]) == {"work item"}
    assert table["Why it measures red"].str.startswith("overdue by").all()


def test_a_kpi_kept_per_region_shows_its_segments(db_env: str, engine) -> None:
    from core.importing.service import import_file
    from tests.conftest import xlsx_bytes

    head = ["mesure", "indicateur", "id_indicateur", "region", "valeur_actuelle", "date_valeur_actuelle", "cible"]
    rows = [head] + [["Logement", "Logements rénovés", "nb-log", region, value, "2024-06-30", 200]
                     for region, value in (("National", 120), ("Bretagne", 15), ("Occitanie", 22))]
    import_file(engine, xlsx_bytes({"Barometre": rows}), "barometre.xlsx", user="t")
    at = page("kpi_conflicts.py")
    assert not at.exception
    segment = next(s for s in at.selectbox if s.label == "Segment")
    assert segment.options == ["Headline (the whole)", "Bretagne", "Occitanie"]
    headline = at.dataframe[-2].value if "Value" in at.dataframe[-2].value else None
    assert headline is not None and headline["Value"].tolist() == [120.0]
    segment.set_value("Bretagne").run()
    assert not at.exception
    shown = next(d.value for d in at.dataframe if "Value" in d.value and "Row" in d.value)
    assert shown["Value"].tolist() == [15.0]
