"""Strategy and Alignment pages under AppTest: render, edit an owner, add and apply a rule, accept a suggestion."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from core.alignment import queries as alignment_queries
from core.sample import load_sample
from core.store import tables
from core.strategy import queries as strategy_queries
from core.text import inert

ROOT = Path(__file__).resolve().parents[2]
STRATEGY = str(ROOT / "pages" / "strategy.py")
ALIGNMENT = str(ROOT / "pages" / "alignment.py")


def _audit(engine, entity: str) -> pd.DataFrame:
    with engine.connect() as conn:
        return tables.read_table(conn, "auditevent", tables.T["auditevent"].c.entity == entity)


def test_strategy_page_renders_the_sample_with_its_flags(db_env: str, engine) -> None:
    load_sample(engine)
    at = AppTest.from_file(STRATEGY, default_timeout=120).run()
    assert not at.exception
    assert [t.label for t in at.tabs] == ["Objectives", "KPIs", "Incentives", "Expected effects"]
    flags = at.dataframe[0].value
    problems = dict(zip(flags["Code"] + " " + flags["What"], flags["Problem"]))
    assert problems["O4 objective"].startswith("2 owners named ('Tom Becker; Lena Novak')")
    assert problems["O6 objective"] == "no accountable owner"
    assert problems["K-CSAT KPI"] == "no owner"
    assert problems["K-DQ KPI"].startswith("no objective uses it")


def test_editing_an_objectives_owner_persists_and_is_audited(db_env: str, engine) -> None:
    load_sample(engine)
    at = AppTest.from_file(STRATEGY, default_timeout=120).run()
    at.selectbox(key="fix_objective").select("O6")
    at.selectbox(key="fix_owner_name").select("Ben Adeyemi")
    at.button[0].click().run()
    assert not at.exception
    assert inert("O6: accountable owner is now Ben Adeyemi.") in [s.value for s in at.success]
    objectives = strategy_queries.editable_frames(engine)["objectives"].set_index("code")
    assert objectives.at["O6", "owner"] == "Ben Adeyemi"
    audit = _audit(engine, "objective")
    last = audit.iloc[-1]
    assert last["user"] == "local user" and last["action"] == "edit"
    assert last["before"] == {"owner_id": None, "owner_text": None}
    assert last["after"]["owner_text"] == "Ben Adeyemi"
    assert "O6" not in set(at.dataframe[0].value["Code"])  # the flag is gone


def on_tab(label: str, timeout: int = 120) -> AppTest:
    """The Alignment page opened on one tab (it runs only the open one)."""
    at = AppTest.from_file(ALIGNMENT, default_timeout=timeout)
    at.session_state["alignment_tab"] = label
    return at.run()


def test_alignment_page_renders_the_sample(db_env: str, engine) -> None:
    load_sample(engine)
    at = AppTest.from_file(ALIGNMENT, default_timeout=120).run()
    assert not at.exception
    assert [t.label for t in at.tabs] == ["Alignment view", "Rules", "Suggestions", "Unlinked work"]
    metrics = {m.label: m.value for m in at.metric}
    items = alignment_queries.alignment_items_frame(engine)
    assert metrics["Hidden work"] == f"{items['objective_id'].isna().mean():.0%}"
    assert not any(b.label == "Add rule" for b in at.button)  # the Rules tab has not run
    at = on_tab("Rules")
    assert not at.exception
    rules = at.dataframe[0].value  # rule counts: the sample's three rules
    assert rules["Matches"].tolist() == [450, 105, 25]


def test_adding_and_applying_a_rule_links_the_expected_rows(db_env: str, engine) -> None:
    load_sample(engine)
    at = on_tab("Rules")
    at.selectbox(key="rule_field").select("category")
    at.selectbox(key="rule_match").select("equals")
    at.text_input(key="rule_pattern").input("Account inquiry").run()
    assert any("Catches 257 item(s), 257 of them unlinked." in c.value for c in at.caption)
    at.selectbox(key="rule_objective").select("O5").run()
    next(b for b in at.button if b.label == "Add rule").click().run()
    assert not at.exception
    next(b for b in at.button if b.label == "Apply active rules to unlinked work").click().run()
    assert not at.exception
    assert any(s.value.startswith("257 item(s) linked by 4 active rule(s)") for s in at.success)
    items = alignment_queries.alignment_items_frame(engine)
    inquiries = items[items["attributes"].map(lambda a: (a or {}).get("category") == "Account inquiry")]
    assert len(inquiries) == 257 and set(inquiries["objective"]) == {"O5"}
    assert _audit(engine, "alignmentrule")["action"].tolist() == ["create"] * 4


def test_accepting_a_suggestion_links_the_item(db_env: str, engine) -> None:
    load_sample(engine)
    at = on_tab("Suggestions", 180)
    item_id = at.selectbox(key="suggest_item").value
    choice = at.radio(key="suggest_choice").value
    next(b for b in at.button if b.label == "Link this item").click().run()
    assert not at.exception
    items = alignment_queries.alignment_items_frame(engine).set_index("id")
    assert items.at[item_id, "objective"] == choice
    with engine.connect() as conn:
        audit = tables.read_table(conn, "auditevent", sa.and_(tables.T["auditevent"].c.entity == "workitem",
                                                            tables.T["auditevent"].c.entity_id == int(item_id)))
    assert audit["action"].tolist() == ["link"]


def test_bulk_link_of_filtered_unlinked_items(db_env: str, engine) -> None:
    load_sample(engine)
    at = on_tab("Unlinked work")
    at.multiselect(key="bulk_source").select("change_programme_tracker").run()
    at.selectbox(key="bulk_objective").select("O2").run()
    next(b for b in at.button if b.label == "Link all").click().run()
    assert not at.exception
    items = alignment_queries.alignment_items_frame(engine)
    tracker = items[items["source"] == "change_programme_tracker"]
    assert tracker["objective"].notna().all()
    assert any(s.value == "4 item(s) linked to O2." for s in at.success)


def test_pages_explain_an_empty_database(db_env: str) -> None:
    for page in (STRATEGY, ALIGNMENT):
        at = AppTest.from_file(page, default_timeout=60).run()
        assert not at.exception and at.info


def test_an_in_app_edit_is_listed_in_the_history_and_undone_there(db_env: str, engine) -> None:
    from core.alignment.rules import Link, link_items

    load_sample(engine)
    item = int(alignment_queries.alignment_items_frame(engine).query("objective_id.isna()")["id"].iloc[0])
    batch_id = link_items(engine, [Link(item, "O2")], "manager", "Alignment: accepted suggestion")["batch_id"]
    at = AppTest.from_file(str(ROOT / "pages" / "history.py"), default_timeout=120).run()
    listed = at.dataframe[0].value
    assert "Alignment: accepted suggestion" in set(listed.astype(str).stack())
    at.selectbox[0].select(batch_id).run()
    at.checkbox[0].check()
    at.button[0].click().run()
    assert not at.exception
    assert pd.isna(alignment_queries.alignment_items_frame(engine).set_index("id").at[item, "objective_id"])  # link undone


def test_alignment_without_any_objective_says_no_strategy_is_loaded(db_env: str, engine) -> None:
    from core.importing.service import import_path
    from tests.conftest import SERVICENOW

    import_path(engine, SERVICENOW, user="t")  # tickets, no strategy
    at = AppTest.from_file(ALIGNMENT, default_timeout=120).run()
    assert not at.exception
    assert not at.get("plotly_chart")  # not twenty identical 100% red bars
    assert any("No strategy is loaded" in i.value and "Import page" in i.value for i in at.info)
