"""Role × action matrix through core, and role × page through AppTest (accounts in 'local' and 'oidc' modes).

Viewers on the sample scenario: an executive; Marcus Reid, Service Desk manager scoped to his team; Tom Becker,
Infrastructure manager; an admin. Every denied case must also leave every table exactly as it was.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import pytest
from streamlit.testing.v1 import AppTest

from core.accounts import auth
from core.accounts import queries as account_queries
from core.alignment import queries as alignment_queries
from core.alignment.rules import Link, add_rule, link_items
from core.errors import ThroughlineError
from core.flow import queries as flow_queries
from core.importing.commit import undo_batch
from core.importing.service import import_file
from core.kpis import queries as kpi_queries
from core.kpis.signals import set_state
from core.sample import load_sample
from core.store import batches, tables
from core.store.models import utcnow
from core.strategy import queries as strategy_queries
from core.strategy.editing import apply_changes, set_field
from core.work.items import quick_update, set_stale_days
from tests.conftest import csv_bytes


def plain(markdown: str) -> str:
    """What the user reads: Markdown escapes and the invisible joiners that break autolinks (core.text) removed."""
    from core.text import JOINER

    return markdown.replace("\\", "").replace(JOINER, "")

ROOT = Path(__file__).resolve().parents[1]
PAGES = sorted(p.name for p in (ROOT / "pages").glob("*.py"))


@pytest.fixture
def world(engine) -> dict[str, Any]:
    load_sample(engine)
    teams = tables.teams_frame(engine).set_index("name")["id"]
    viewers = {
        "executive": auth.Viewer("eve", "executive"),
        "desk manager": auth.Viewer("marcus", "manager", "Service Desk", int(teams["Service Desk"]), True,
                                    "Marcus Reid"),
        "infra manager": auth.Viewer("tom", "manager", "Infrastructure", int(teams["Infrastructure"]), False,
                                     "Tom Becker"),
        "admin": auth.Viewer("ada", "admin"),
    }
    items = alignment_queries.alignment_items_frame(engine)
    objectives = strategy_queries.editable_frames(engine)["objectives"].set_index("code")["id"]
    signals = kpi_queries.signals_frame(engine)
    return {"engine": engine, "v": viewers, "items": items, "objectives": objectives, "signals": signals}


def desk_tracker() -> bytes:
    return csv_bytes([["Key", "Title", "Status", "Team"], ["SD-1", "Rota for the new CAB", "In progress", "Service Desk"],
                      ["SD-2", "Knowledge article on account inquiries", "To do", "Service Desk"]])


def actions(w: dict[str, Any]) -> dict[str, Callable[[auth.Viewer], Any]]:
    e, items, obj = w["engine"], w["items"], w["objectives"]
    desk_item = int(items[(items["team"] == "Service Desk") & items["objective_id"].isna()]["id"].iloc[0])
    mttr_signal = int(w["signals"][w["signals"]["kpi"] == "K-MTTR"]["id"].iloc[0])
    teams = tables.teams_frame(e).set_index("name")["id"]
    desk_team, infra_team = int(teams["Service Desk"]), int(teams["Infrastructure"])
    tracked = flow_queries.work_items_frame(e)
    open_ = tracked[tracked["status"] != "done"]
    desk_tracked = int(open_[open_["team"] == "Service Desk"]["id"].iloc[0])
    infra_tracked = int(open_[open_["team"] == "Infrastructure"]["id"].iloc[0])
    sample_batch = int(batches.list_batches(e)["id"].max())  # the sample loader's last import (nothing depends on it)
    return {
        "import own-team tracker": lambda v: import_file(e, desk_tracker(), "desk.csv", user=v),
        "import strategy sheet": lambda v: import_file(e, csv_bytes([["Code", "Objective", "Owner"],
                                                                     ["O9", "New objective", "Marcus Reid"]]),
                                                       "objectives.csv", user=v),
        "undo someone else's import": lambda v: undo_batch(e, sample_batch, v),
        "edit KR1 (owned by Marcus Reid)": lambda v: set_field(e, "objectives", int(obj["KR1"]), "weight", 0.9, v),
        "edit O1 (owned by Helen Carter)": lambda v: set_field(e, "objectives", int(obj["O1"]), "weight", 0.4, v),
        "add an objective": lambda v: apply_changes(e, "objectives", [(1, {"code": "O9", "title": "New"})], [], [], v),
        "link a Service Desk item": lambda v: link_items(e, [Link(desk_item, "O1")], v),
        "add an alignment rule": lambda v: add_rule(e, "title", "contains", "CAB", "O2", v),
        "acknowledge a K-MTTR signal": lambda v: set_state(e, mttr_signal, "acknowledged", v, "seen"),
        "quick-update a Service Desk item": lambda v: quick_update(e, desk_team, desk_tracked, "at_risk", v),
        "quick-update an Infrastructure item": lambda v: quick_update(e, infra_team, infra_tracked, "at_risk", v),
        "set the Service Desk's stale days": lambda v: set_stale_days(e, desk_team, 10, v),
    }


ALLOWED = {  # action -> roles that may do it
    "import own-team tracker": {"desk manager", "admin"},
    "import strategy sheet": {"admin"},
    "undo someone else's import": {"admin"},
    "edit KR1 (owned by Marcus Reid)": {"desk manager", "admin"},
    "edit O1 (owned by Helen Carter)": {"admin"},
    "add an objective": {"admin"},
    "link a Service Desk item": {"desk manager", "admin"},
    "add an alignment rule": {"admin"},
    "acknowledge a K-MTTR signal": {"desk manager", "admin"},
    "quick-update a Service Desk item": {"desk manager", "admin"},
    "quick-update an Infrastructure item": {"infra manager", "admin"},
    "set the Service Desk's stale days": {"desk manager", "admin"},
}


@pytest.mark.parametrize("role", ["executive", "desk manager", "infra manager", "admin"])
def test_role_action_matrix(world, role) -> None:
    viewer = world["v"][role]
    wrong = []
    for name, act in actions(world).items():
        before = tables.table_checksums(world["engine"])
        try:
            act(viewer)
            allowed = True
        except auth.AccessDenied:
            allowed = False
            assert tables.table_checksums(world["engine"]) == before, f"{role} / {name}: a refusal changed data"
        except ThroughlineError:
            allowed = True  # past the permission check, stopped by a business rule (e.g. undo order)
        if allowed != (role in ALLOWED[name]):
            wrong.append(f"{name}: {'allowed' if allowed else 'refused'}")
    assert wrong == [], f"{role}: {wrong}"


def test_managers_own_imports_and_undo(world) -> None:
    marcus, tom = world["v"]["desk manager"], world["v"]["infra manager"]
    result = import_file(world["engine"], desk_tracker(), "desk.csv", user=marcus)
    with pytest.raises(auth.AccessDenied, match="made by marcus"):
        undo_batch(world["engine"], result.batch_ids[0], tom)
    assert undo_batch(world["engine"], result.batch_ids[0], marcus) == result.batch_ids
    with pytest.raises(auth.AccessDenied, match="row 2, column 'Team': 'Service Desk' is not your team"):
        import_file(world["engine"], desk_tracker(), "desk.csv", user=tom)


def test_scoped_reads_show_only_the_managers_team(world) -> None:
    e = world["engine"]
    items, events, deps = flow_queries.work_items_frame(e), flow_queries.status_events_frame(e), flow_queries.dependencies_frame(e)
    scope = world["v"]["desk manager"].scope
    assert scope == "Service Desk" and world["v"]["infra manager"].scope is None  # Tom reads everything
    mine, my_events, my_deps = auth.scope_flow(items, events, deps, scope)
    assert set(mine["team"]) == {"Service Desk"} and 0 < len(mine) < len(items)
    assert set(my_events["work_item_id"]) <= set(mine["id"]) and set(my_deps["work_item_id"]) <= set(mine["id"])


# --------------------------------------------------------------------------- pages
def signed_in(page: str, viewer: auth.Viewer | None, monkeypatch, db_url: str, mode: str = "local") -> AppTest:
    monkeypatch.setenv("THROUGHLINE_AUTH", mode)
    monkeypatch.setenv("DATABASE_URL", db_url)
    at = AppTest.from_file(str(ROOT / "pages" / page), default_timeout=180)
    if viewer is not None:
        from core.store.db import make_engine
        from tests.helpers.accounts import account_for

        account_for(make_engine(db_url), viewer)  # a session stands for a real account, re-read on every rerun
        at.session_state["viewer"] = viewer
        at.session_state["signed_in_at"] = utcnow()
    return at.run()


@pytest.mark.parametrize("page", PAGES)
def test_every_page_refuses_without_sign_in(world, monkeypatch, db_url, page) -> None:
    auth.add_user(world["engine"], "ada", "correct horse battery", "admin", None)
    at = signed_in(page, None, monkeypatch, db_url)
    assert not at.exception
    assert [b.label for b in at.button] == ["Sign in"] and not at.dataframe and not at.metric


@pytest.mark.parametrize("page", PAGES)
def test_every_page_asks_oidc_users_to_sign_in(world, monkeypatch, db_url, page) -> None:
    at = signed_in(page, None, monkeypatch, db_url, mode="oidc")
    assert not at.exception
    assert at.button[0].label == "Sign in with your organisation account" and not at.dataframe


@pytest.mark.parametrize("role", ["executive", "desk manager", "admin"])
@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_for_every_role(world, monkeypatch, db_url, page, role) -> None:
    at = signed_in(page, world["v"][role], monkeypatch, db_url)
    assert not at.exception, f"{page} as {role}: {at.exception}"
    assert any("Signed in as" in c.value for c in at.sidebar.caption)


def test_a_scoped_manager_sees_only_his_team_on_the_bottlenecks_page(world, monkeypatch, db_url) -> None:
    at = signed_in("bottlenecks.py", world["v"]["desk manager"], monkeypatch, db_url)
    tables = [d.value for d in at.dataframe if "Team" in d.value.columns]
    assert tables and all(set(t["Team"].dropna()) <= {"Service Desk"} for t in tables)
    admin = signed_in("bottlenecks.py", world["v"]["admin"], monkeypatch, db_url)
    assert any(len(set(d.value["Team"].dropna())) > 1 for d in admin.dataframe if "Team" in d.value.columns)


def test_oidc_user_maps_to_a_local_account(world, monkeypatch, db_url) -> None:
    auth.add_user(world["engine"], "ada", None, "admin", None, email="ada@example.org")
    monkeypatch.setenv("THROUGHLINE_AUTH", "oidc")
    monkeypatch.setenv("DATABASE_URL", db_url)
    at = AppTest.from_file(str(ROOT / "pages" / "overview.py"), default_timeout=180)
    at.user = {"is_logged_in": True, "email": "ada@example.org", "name": "Ada"}
    at.run()
    assert not at.exception and at.metric
    stranger = AppTest.from_file(str(ROOT / "pages" / "overview.py"), default_timeout=180)
    stranger.user = {"is_logged_in": True, "email": "eve@example.org"}
    stranger.run()
    assert "no active Throughline account for eve@example.org" in plain(stranger.error[0].value)
    assert not stranger.metric


def test_auth_none_on_all_interfaces_is_refused(world, monkeypatch, db_url) -> None:
    from streamlit import config

    monkeypatch.setenv("THROUGHLINE_AUTH", "none")
    monkeypatch.setenv("DATABASE_URL", db_url)
    config.set_option("server.address", "0.0.0.0")
    try:
        at = AppTest.from_file(str(ROOT / "pages" / "overview.py"), default_timeout=120).run()
    finally:
        config.set_option("server.address", "127.0.0.1")
    assert not at.exception
    assert "Refusing to start without accounts on address 0.0.0.0" in at.error[0].value
    assert not at.metric and not at.dataframe


def test_sign_in_form_signs_in_and_locks_out(world, monkeypatch, db_url) -> None:
    auth.add_user(world["engine"], "ada", "correct horse battery", "admin", None)
    at = signed_in("overview.py", None, monkeypatch, db_url)
    at.text_input(key="login_name").input("ada")
    at.text_input(key="login_pw").input("correct horse battery")
    at.button[0].click().run()
    assert not at.exception and at.metric  # signed in: the overview shows
    for _ in range(auth.MAX_FAILURES):
        other = signed_in("overview.py", None, monkeypatch, db_url)
        other.text_input(key="login_name").input("ada")
        other.text_input(key="login_pw").input("wrong password!")
        other.button[0].click().run()
    assert "Wrong" in other.error[0].value
    with world["engine"].connect() as conn:
        user = account_queries.users_frame(conn).iloc[0]
    assert int(user["failed_logins"]) == auth.MAX_FAILURES
    waiting = signed_in("overview.py", None, monkeypatch, db_url)  # this client now waits, right password or not
    waiting.text_input(key="login_name").input("ada")
    waiting.text_input(key="login_pw").input("correct horse battery")
    waiting.button[0].click().run()
    assert not waiting.metric and waiting.error[0].value == other.error[0].value  # one message for every failure
