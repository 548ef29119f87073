"""Issue 18 in core: linear-time rule patterns, escaped chart text, unlinkable captions, the My work round trip of a
formula-like key, and sign-in throttling that never tells which names exist."""
from __future__ import annotations

import re
from datetime import timedelta

import pandas as pd
import pytest

from core.accounts import auth, signin
from core.accounts import queries as account_queries
from core.accounts.throttle import THROTTLE
from core.alignment import rules as linking
from core.errors import ThroughlineError
from core.reporting import charts, kpi_charts
from core.store.models import utcnow
from core.text import JOINER, inert
from core.work import queries as work_queries
from core.work.excel import export_items, reimport
from tests.helpers.markup import live_markup
from tests.work.test_tracker import TRACKER, load, team_id

PASSWORD = "correct horse battery staple"
HOSTILE = ['<b>bold</b><a href="https://evil.example/phish">login here</a>', "a < b & c > d",
           'x<br>y <span style="font-size:80px">big</span>', "&lt;b&gt;pre-escaped&lt;/b&gt;"]


# --------------------------------------------------------------------------- 2. rule patterns
def _items(n: int = 3000) -> pd.DataFrame:
    return pd.DataFrame({"id": range(n), "title": ["a" * 40] * (n - 1) + ["xxZ"], "source": "desk",
                         "objective_id": [None] * n, "attributes": [{}] * n})


def test_the_catastrophic_pattern_runs_in_linear_time() -> None:
    import time

    started = time.perf_counter()
    caught = linking.rule_mask(_items(), "title", "regex", "^(.|.){0,25}Z$")
    assert time.perf_counter() - started < 2.0  # Python's re needs minutes for one such title
    assert int(caught.sum()) == 1


@pytest.mark.parametrize("pattern,why", [("(a)\\1", "back-references"), ("(?=x)y", "look-arounds"),
                                         ("a{2000}", "repeat counts up to 1000"), ("([unclosed", "RE2"),
                                         ("x" * 501, "at most 500")])
def test_patterns_re2_cannot_run_are_refused_with_a_message(pattern: str, why: str) -> None:
    with pytest.raises(ValueError, match=re.escape(why)):
        linking.compile_rule("regex", pattern)


def test_the_preview_checks_the_right_before_running_the_pattern() -> None:
    executive = auth.Viewer("eve", "executive")
    with pytest.raises(auth.AccessDenied):
        linking.preview_rule(_items(10), "title", "regex", "(a)\\1", None, executive)  # refused, not compiled
    assert linking.preview_rule(_items(10), "title", "contains", "XXZ", None, auth.Viewer("ada", "admin")).sum() == 1


def test_each_value_is_read_up_to_the_cap() -> None:
    items = pd.DataFrame({"id": [1], "title": ["a" * (linking.MAX_TEXT + 10) + "needle"], "source": "s",
                          "objective_id": [None]})
    assert not linking.rule_mask(items, "title", "contains", "needle").any()


# --------------------------------------------------------------------------- 3. chart text
def _hostile_figures() -> list:
    names = pd.Series(HOSTILE)
    n = len(HOSTILE)
    aging = pd.DataFrame({"status": ["in_progress"] * n, "age_days": [1.0, 2.0, 3.0, 4.0], "id": range(n),
                          "external_key": names, "title": names})
    done = pd.DataFrame({"finish": pd.date_range("2026-01-01", periods=n), "cycle_days": [1.0] * n, "id": range(n),
                         "external_key": names})
    waits = pd.DataFrame({"waited_on_team": names, "total_days": [1.0] * n, "items_waiting": [1] * n})
    load = pd.DataFrame({"owner": names, "wip": [1] * n, "stalled": [True, False] * 2, "weeks_to_clear": [1.0] * n})
    late = pd.DataFrame({"team": names, "days_late": [1.0] * n})
    matrix = pd.DataFrame([[1.0] * n] * n, index=names, columns=names)
    status = pd.DataFrame({"id": range(n), "code": names, "status": ["red"] * n, "target": [None] * n,
                           "tolerance": [None] * n, "direction": ["higher"] * n})
    readings = pd.DataFrame({"kpi_id": [0], "period": [pd.Timestamp("2026-01-01")], "value": [1.0]})
    by_group = pd.DataFrame({"team": names, "hidden_ratio": [0.5] * n, "hidden": [1] * n, "items": [2] * n})
    per_objective = pd.DataFrame({"pillar": names, "objective": names, "team": names, "items": [1] * n})
    signals = pd.DataFrame({"period": [pd.Timestamp("2026-01-01")], "value": [1.0], "rule": [HOSTILE[0]]})
    return [charts.aging_wip_chart(aging, {0.5: 1.0}), charts.cycle_time_chart(done, {0.85: 2.0}),
            charts.team_wait_chart(waits), charts.owner_load_chart(load), charts.overdue_chart(late),
            charts.conflict_heatmap(matrix), kpi_charts.kpi_small_multiples(status, readings),
            kpi_charts.control_chart(readings["period"], readings["value"], {"ucl": 2.0, "mean": 1.0, "lcl": 0.0},
                                 signals, HOSTILE[0]),
            charts.hidden_work_chart(by_group, "team"), charts.objective_treemap(per_objective)]


def test_every_chart_builder_escapes_the_text_it_draws() -> None:
    for fig in _hostile_figures():
        assert not live_markup(fig.to_json()), fig.layout.title.text


def test_the_drill_down_gets_the_values_as_the_data_has_them() -> None:
    fig = charts.hidden_work_chart(pd.DataFrame({"team": HOSTILE, "hidden_ratio": [0.5] * 4, "hidden": [1] * 4,
                                                 "items": [2] * 4}), "team")
    shown = list(fig.data[0].customdata)
    event = {"selection": {"points": [{"customdata": v} for v in shown]}}
    assert charts.selected_values(event) == HOSTILE[::-1]  # worst at the top: the frame's order reversed
    assert charts.esc("a < b & c") == "a &lt; b &amp; c" and charts.esc(None) is None


def test_captions_never_autolink() -> None:
    """GFM autolinks URLs, www. and e-mails in text *after* escapes are resolved: a joiner breaks each."""
    autolink = re.compile(r"(https?://|www\.|(mailto|xmpp):[-.\w+])|[-.\w+]+@[-\w]+\.", re.IGNORECASE)
    for text in ["![img](http://127.0.0.1:9/pixel.png)", "see www.evil.example", "mail boss@corp.example",
                 "HTTPS://X.example", "mailto:x@y.example"]:
        shown = re.sub(r"\\(.)", r"\1", inert(text))  # what Markdown leaves after resolving the escapes
        assert not autolink.search(shown), shown
        assert shown.replace(JOINER, "") == text  # and the reader sees exactly the text


# --------------------------------------------------------------------------- 5. My work round trip
def test_a_formula_like_key_survives_the_my_work_round_trip(engine) -> None:
    key = '=HYPERLINK("http://k","k")'
    import io

    import openpyxl

    from core.importing.service import import_file

    load(engine)
    wb = openpyxl.Workbook()
    wb.active.title = "Tracker"
    for row in [TRACKER[0], [key, "Formula-like key", "Ann Lee", "Ops", "In flight", None, "G", None]]:
        wb.active.append(row)
    wb.active["A2"].data_type = "s"  # the key as text (as a tracker holds it), not a formula
    buf = io.BytesIO()
    wb.save(buf)
    import_file(engine, buf.getvalue(), "ops_tracker.xlsx")
    ops = team_id(engine, "Ops")
    before = work_queries.tracker_items_frame(engine, ops)
    exported = export_items(engine, ops, "ops_tracker", "Ann")
    plan = reimport(engine, exported.data, exported.file_name, ops, "ops_tracker", "Ann", dry_run=True)
    assert plan.missing.empty and plan.result.inserted == 0  # the same item, not a new one
    done = reimport(engine, exported.data, exported.file_name, ops, "ops_tracker", "Ann", dry_run=False)
    after = work_queries.tracker_items_frame(engine, ops)
    assert done.result.inserted == 0 and len(after) == len(before)
    assert set(after["external_key"]) == set(before["external_key"]) and key in set(after["external_key"])


# --------------------------------------------------------------------------- 7. lockout and throttling
def _fail(engine, name: str, times: int, now, client: str = "10.0.0.1") -> str:
    message = ""
    for _ in range(times):
        with pytest.raises(auth.LoginFailed) as exc:
            signin.authenticate(engine, name, "wrong guess!!", now=now, client=client)
        message = str(exc.value)
    return message


def test_unknown_wrong_and_waiting_accounts_get_one_message(engine) -> None:
    auth.add_user(engine, "boss", PASSWORD, "admin", None)
    now = utcnow()
    unknown = _fail(engine, "nobody", 1, now)
    wrong = _fail(engine, "boss", 1, now)
    _fail(engine, "boss", auth.MAX_FAILURES, now)  # this client now waits on boss
    _fail(engine, "nobody", auth.MAX_FAILURES, now)  # and on the unknown name, the same way
    with pytest.raises(auth.LoginFailed) as waiting:
        signin.authenticate(engine, "boss", PASSWORD, now=now, client="10.0.0.1")
    with pytest.raises(auth.LoginFailed) as waiting_unknown:
        signin.authenticate(engine, "nobody", PASSWORD, now=now, client="10.0.0.1")
    assert unknown == wrong == str(waiting.value) == str(waiting_unknown.value) == auth.SIGN_IN_FAILED
    assert "locked" not in auth.SIGN_IN_FAILED


def test_another_client_is_not_locked_out_by_someone_elses_guesses(engine) -> None:
    auth.add_user(engine, "boss", PASSWORD, "admin", None)
    now = utcnow()
    _fail(engine, "boss", auth.MAX_FAILURES * 3, now, client="203.0.113.9")  # the attacker only makes himself wait
    assert signin.authenticate(engine, "boss", PASSWORD, now=now, client="10.0.0.2").username == "boss"


def test_the_count_starts_again_when_a_wait_ends_and_the_next_wait_is_longer(engine) -> None:
    auth.add_user(engine, "boss", PASSWORD, "admin", None)
    now = utcnow()
    _fail(engine, "boss", auth.MAX_FAILURES, now)
    later = now + timedelta(seconds=31)  # the first wait (30 s) is over
    _fail(engine, "boss", 1, later)  # one wrong password after the wait does not make it wait again
    assert not THROTTLE.waiting([(str(engine.url), "account", "10.0.0.1", "boss")], later)
    _fail(engine, "boss", auth.MAX_FAILURES - 1, later)  # five since the wait: the second wait is twice as long
    with pytest.raises(auth.LoginFailed):
        signin.authenticate(engine, "boss", PASSWORD, now=later + timedelta(seconds=31), client="10.0.0.1")
    assert signin.authenticate(engine, "boss", PASSWORD, now=later + timedelta(seconds=61),
                             client="10.0.0.1").username == "boss"


def test_the_account_waits_after_many_failures_from_many_clients_and_resets_after(engine) -> None:
    auth.add_user(engine, "boss", PASSWORD, "admin", None)
    now = utcnow()
    for n in range(auth.ACCOUNT_FAILURES):
        _fail(engine, "boss", 1, now, client=f"198.51.100.{n}")
    with pytest.raises(auth.LoginFailed, match=re.escape(auth.SIGN_IN_FAILED)):
        signin.authenticate(engine, "boss", PASSWORD, now=now, client="10.0.0.3")  # even the right password waits
    after = now + timedelta(minutes=1, seconds=1)
    _fail(engine, "boss", 1, after, client="10.0.0.4")  # the lock expired: the count restarted at zero
    with engine.connect() as conn:
        user = account_queries.users_frame(conn).iloc[0]
    assert int(user["failed_logins"]) == 1 and user["locked_until"] is None or pd.isna(user["locked_until"])
    assert signin.authenticate(engine, "boss", PASSWORD, now=after, client="10.0.0.3").username == "boss"


def test_a_switched_off_account_is_told_only_with_the_right_password(engine) -> None:
    auth.add_user(engine, "root", PASSWORD, "admin", None)
    auth.add_user(engine, "mia", PASSWORD, "executive", auth.Viewer("root", "admin"))
    auth.set_active(engine, "mia", False, auth.Viewer("root", "admin"))
    assert _fail(engine, "mia", 1, utcnow()) == auth.SIGN_IN_FAILED
    with pytest.raises(auth.LoginFailed, match="switched off"):
        signin.authenticate(engine, "mia", PASSWORD, client="10.0.0.9")
    with pytest.raises(ThroughlineError, match="last admin"):
        auth.set_active(engine, "root", False, auth.Viewer("root", "admin"))
