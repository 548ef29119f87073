"""First admin, session expiry and the audit trail page under AppTest (auth mode local)."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core.accounts import auth
from core.alignment import queries as alignment_queries
from core.alignment.rules import Link, link_items
from core.sample import load_sample
from core.store import tables
from core.store.models import utcnow

PAGES = Path(__file__).resolve().parents[2] / "pages"


@pytest.fixture
def local(monkeypatch, db_env, engine):
    """Accounts (auth mode local) on the test's database."""
    monkeypatch.setenv("THROUGHLINE_AUTH", "local")
    return engine


def test_first_start_asks_for_the_first_admin(local) -> None:
    at = AppTest.from_file(str(PAGES / "overview.py"), default_timeout=120).run()
    assert "No accounts yet" in at.info[0].value
    at.text_input(key="first_admin_name").input("ada")
    at.text_input(key="first_admin_pw").input("a long passphrase")
    at.text_input(key="first_admin_pw2").input("a long passphrase")
    at.button[0].click().run()
    assert not at.exception
    assert auth.list_users(local)["role"].tolist() == ["admin"]
    assert at.session_state["viewer"].username == "ada"  # whoever set it up is signed in as that admin
    assert any("Welcome to Throughline" in i.value for i in at.info)  # and sees the first-run overview


def test_an_expired_session_signs_out(local) -> None:
    auth.add_user(local, "ada", "a long passphrase", "admin", None)
    at = AppTest.from_file(str(PAGES / "overview.py"), default_timeout=120)
    at.session_state["viewer"] = auth.Viewer("ada", "admin")
    at.session_state["signed_in_at"] = utcnow() - timedelta(hours=auth.session_hours() + 1)
    at.run()
    assert not at.exception
    assert "Your session expired" in at.info[0].value and [b.label for b in at.button] == ["Sign in"]
    with local.connect() as conn:
        audit = tables.read_table(conn, "auditevent")
    assert audit.iloc[-1]["action"] == "logout" and audit.iloc[-1]["detail"] == "session expired"


def test_audit_trail_page_filters_and_exports(local) -> None:
    load_sample(local)
    auth.add_user(local, "ada", "a long passphrase", "admin", None)
    item = int(alignment_queries.alignment_items_frame(local).query("objective_id.isna()")["id"].iloc[0])
    link_items(local, [Link(item, "O2")], auth.Viewer("ada", "admin"))
    at = AppTest.from_file(str(PAGES / "audit.py"), default_timeout=120)
    at.session_state["viewer"] = auth.Viewer("ada", "admin")
    at.session_state["signed_in_at"] = utcnow()
    at.run()
    assert not at.exception
    everything = at.dataframe[0].value
    assert {"import", "create", "link"} <= set(everything["Action"])
    at.sidebar.selectbox[0].select("ada").run()  # user
    mine = at.dataframe[0].value
    assert set(mine["By"]) == {"ada"} and "link" in set(mine["Action"])
    linked = mine[mine["Action"] == "link"].iloc[0]
    key = alignment_queries.alignment_items_frame(local).set_index("id").at[item, "external_key"]
    # before and after read as words, the item by its own key (not its internal id)
    assert "Objective id: –" in linked["Before"] and linked["Key"] == key and linked["Id"] == item
    manager = AppTest.from_file(str(PAGES / "audit.py"), default_timeout=120)
    from tests.helpers.accounts import account_for

    manager.session_state["viewer"] = account_for(local, auth.Viewer("marcus", "manager", "Service Desk"))
    manager.session_state["signed_in_at"] = utcnow()
    manager.run()
    assert manager.dataframe[0].value.empty  # a manager reads only his own entries (none yet)


def test_the_audit_trail_shows_a_sign_out_at_the_next_rerun(local) -> None:
    """Sign-ins and sign-outs are audited without a new data version: the cached trail must still show them."""
    auth.add_user(local, "ada", "a long passphrase", "admin", None)
    at = AppTest.from_file(str(PAGES / "audit.py"), default_timeout=120)
    at.session_state["viewer"] = auth.Viewer("ada", "admin")
    at.session_state["signed_in_at"] = utcnow()
    at.run()
    assert set(at.dataframe[0].value["Action"]) == {"create"}
    version = tables.data_version(local)
    auth.record_logout(local, auth.Viewer("bob", "executive"), "signed out")
    assert tables.data_version(local) == version  # no data changed
    at.run()
    assert not at.exception
    trail = at.dataframe[0].value
    assert trail["Action"].tolist() == ["logout", "create"] and trail["Before"].tolist() == ["", ""]
    assert "bob" in at.sidebar.selectbox[0].options  # the filters' choices follow too
