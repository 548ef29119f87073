"""The People page under AppTest, signed in as real accounts: an admin confirms a proposed merge; others are refused."""
from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from core.accounts import auth, signin
from core.people import queries
from core.sample import load_sample
from core.store.models import utcnow

PAGE = Path(__file__).resolve().parents[2] / "pages" / "people.py"
PASSWORD = "correct horse battery"


@pytest.fixture
def local(monkeypatch, db_url, engine):
    monkeypatch.setenv("THROUGHLINE_AUTH", "local")
    monkeypatch.setenv("DATABASE_URL", db_url)
    load_sample(engine)
    auth.add_user(engine, "root", PASSWORD, "admin", None)
    return engine


def signed_in(engine, username: str) -> AppTest:
    """A browser session that signed in with the password (as the sign-in form does)."""
    at = AppTest.from_file(str(PAGE), default_timeout=180)
    at.session_state["viewer"] = signin.authenticate(engine, username, PASSWORD)
    at.session_state["signed_in_at"] = utcnow()
    return at.run()


def texts(at: AppTest) -> str:
    return " ".join(e.value for kind in (at.markdown, at.caption, at.success, at.info, at.error) for e in kind)


def test_an_admin_confirms_a_proposed_merge(local) -> None:
    at = signed_in(local, "root")
    assert not at.exception
    assert "**Priya Shah** (kept) ←" in texts(at)
    proposal = at.dataframe[0].value
    assert dict(zip(proposal["Name"], proposal["Evidence"])) == {"P. Shah": "same initials and surname",
                                                                  "Shah, Priya": "name order"}
    with local.connect() as conn:
        priya = conn.execute(sa.text("select id from person where name = 'Priya Shah'")).scalar_one()
    picker = at.multiselect(key=f"pick_person_{priya}")
    assert sorted(picker.format_func(v) for v in picker.value) == ["P. Shah", "Shah, Priya"]
    at.button(key=f"confirm_person_{priya}").click().run()
    assert not at.exception and not at.error
    assert "Merged “P. Shah”, “Shah, Priya” into “Priya Shah”" in at.success[0].value.replace("\\", "")
    with local.connect() as conn:
        assert len(queries.retired_ids(conn, "person")) == 2
        owners = conn.execute(sa.text("select count(distinct p.name) from workitem w "
                                      "join person p on p.id = w.owner_id where p.name like '%Shah%'")).scalar_one()
    assert owners == 1
    assert "Priya Shah" in " ".join(str(v) for t in at.dataframe for v in t.value.to_numpy().ravel())  # recent merges
    assert not any(b.key == f"confirm_person_{priya}" for b in at.button)  # nothing left to propose


def test_the_teams_view_on_the_sample(local) -> None:
    at = signed_in(local, "root")
    at.radio(key="people_kind").set_value("Teams").run()
    assert not at.exception
    assert "No teams look like duplicates" in texts(at)


def test_a_manager_is_refused_the_page(local) -> None:
    auth.add_user(local, "max", PASSWORD, "manager", auth.Viewer("root", "admin"), team="Change Management")
    at = signed_in(local, "max")
    assert not at.exception
    assert "This page is for admins." in texts(at)
    assert [b.key for b in at.button] == ["sign_out"] and not at.multiselect
