"""Merges on a real database: the sample scenario and real exports imported through the import engine, then the
proposals confirmed, re-imported over, refused and undone."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from core.accounts import auth
from core.errors import EditRefused, UndoRefused
from core.importing.commit import undo_batch
from core.importing.service import import_file, import_path
from core.people import queries
from core.people.identity import propose_merges
from core.people.merges import merge_people, merge_teams
from core.people.review import review
from core.people.teams import propose_team_merges
from core.sample import load_sample
from core.store import tables
from tests.conftest import REALDATA, SERVICENOW, csv_bytes

HISTORY = {"importbatch", "importissue", "auditevent", "changelog", "appmeta"}  # what every write adds to
ADMIN = auth.Viewer("ada", "admin")
REAL = (SERVICENOW, REALDATA / "risk_register_xyz.xlsx", REALDATA / "jira_cloud_en_planeso.csv")


def data_checksums(engine) -> dict[str, str]:
    """Every table but the history every write appends to (the alias tables included)."""
    return {t: s for t, s in tables.table_checksums(engine).items() if t not in HISTORY}


def scalar(engine, sql: str, **params: object):
    with engine.connect() as conn:
        return conn.execute(sa.text(sql), params).scalar_one()


def person_id(engine, name: str) -> int:
    return int(scalar(engine, "select id from person where name = :n", n=name))


def references_to(engine, kind: str, ids: list[int]) -> int:
    """Rows of every table with a foreign key to ``kind`` that still point at ``ids``."""
    with engine.connect() as conn:
        return sum(len(queries.referencing_ids(conn, t, c, ids)) for t, c in queries.references(kind))


@pytest.fixture
def loaded(engine):
    load_sample(engine)
    for path in REAL:
        import_path(engine, path, user="t")
    return engine


def priya_group(engine) -> tuple[int, list[int], dict[int, str]]:
    found = propose_merges(queries.candidates_frame(engine, "person"))
    group = found[found["survivor"] == "Priya Shah"]
    evidence = dict(zip(group["id"].astype(int), group["evidence"]))
    return int(group["survivor_id"].iloc[0]), group["id"].astype(int).tolist(), evidence


def test_proposals_on_the_sample_and_real_exports(loaded) -> None:
    people = review(loaded, "person")
    merged = {(s, frozenset(rows["name"])) for s, rows in people.proposals.groupby("survivor")}
    # not Resolver 10 and Resolver 100, not Tom and Olivia Brown, not Sam Dunn and Sam Turner
    assert merged == {("Priya Shah", frozenset({"P. Shah", "Shah, Priya"}))}
    assert people.candidates == scalar(loaded, "select count(*) from person")
    assert review(loaded, "team").proposals.empty  # "Group 5" and "Group 56" stay two teams


def test_confirming_a_merge_repoints_every_reference_and_undo_restores_everything(loaded) -> None:
    before = data_checksums(loaded)
    survivor, dups, evidence = priya_group(loaded)
    owned = scalar(loaded, "select count(*) from workitem where owner_id in (:a, :b, :c)", a=survivor, b=dups[0],
                   c=dups[1])
    result = merge_people(loaded, survivor, dups, ADMIN, evidence)
    assert result.merged == ["P. Shah", "Shah, Priya"] and result.repointed["workitem.owner_id"] == 10
    assert references_to(loaded, "person", dups) == 0
    assert scalar(loaded, "select count(*) from workitem where owner_id = :s", s=survivor) == owned
    assert scalar(loaded, "select count(distinct owner_id) from workitem where source = 'change_programme_tracker' "
                          "and owner_id in (:a, :b, :c)", a=survivor, b=dups[0], c=dups[1]) == 1
    assert set(queries.candidates_frame(loaded, "person")["id"]).isdisjoint(dups)  # retired: never proposed again
    with loaded.connect() as conn:
        lookup = tables.name_lookup(conn, "person")
        assert {lookup[k] for k in ("p. shah", "shah, priya", "priya shah")} == {survivor}
        batch = conn.execute(sa.text("select kind, \"user\", state from importbatch where id = :b"),
                             {"b": result.batch_id}).one()
        merges = conn.execute(sa.text("select entity_id, detail from auditevent where action = 'merge' "
                                      "and entity = 'person'")).all()
    assert tuple(batch) == ("edit", "ada", "committed")
    assert {(int(i), d) for i, d in merges} == {(d, evidence[d]) for d in dups}
    assert scalar(loaded, "select count(*) from auditevent where action = 'merge' and entity = 'workitem'") == 10
    assert set(review(loaded, "person").recent["alias"]) == {"P. Shah", "Shah, Priya"}

    undo_batch(loaded, result.batch_id, ADMIN)
    assert data_checksums(loaded) == before
    assert priya_group(loaded)[1] == dups  # proposed again, as before


def test_a_reimport_naming_an_alias_maps_to_the_survivor(loaded) -> None:
    tracker = [["Key", "Task", "Owner", "Status"], ["PS-1", "Review CAB minutes", "priya.shah@northbridge.example",
                                                     "Open"], ["PS-2", "Chase approvals", "NORTHBRIDGE\\pshah", "Open"]]
    import_file(loaded, csv_bytes(tracker), "priya_tasks.csv", user="t")
    survivor, dups, evidence = priya_group(loaded)
    named = {n: evidence[person_id(loaded, n)] for n in ("priya.shah@northbridge.example", "NORTHBRIDGE\\pshah")}
    assert named == {"priya.shah@northbridge.example": "same e-mail address",
                     "NORTHBRIDGE\\pshah": "DOMAIN\\user login (initial and surname)"}
    merge_people(loaded, survivor, dups, ADMIN, evidence)
    people = scalar(loaded, "select count(*) from person")
    again = [["Key", "Task", "Owner", "Status"]] + [[f"N-{i}", f"Task {i}", n, "Open"] for i, n in enumerate(
        ["P. Shah", "Shah, Priya", "priya shah", "PRIYA.SHAH@northbridge.example", "northbridge\\PShah"])]
    result = import_file(loaded, csv_bytes(again), "next_week.csv", user="t")
    assert result.inserted == 5 and result.sheets[0].new_people == []
    assert scalar(loaded, "select count(*) from person") == people
    assert scalar(loaded, "select count(distinct owner_id) from workitem where source = 'next_week'") == 1
    assert scalar(loaded, "select min(owner_id) from workitem where source = 'next_week'") == survivor
    edited = [row[:] for row in tracker]
    edited[1][3] = "Done"  # the row changed: the owner column still resolves through the alias
    changed = import_file(loaded, csv_bytes(edited), "priya_tasks.csv", user="t")
    assert scalar(loaded, "select owner_id from workitem where external_key = 'PS-1'") == survivor
    # the preview names only what changed: the status, not an owner "change" from the survivor to an alias
    assert {(c["key"], c["field"]) for c in changed.sheets[0].changes} >= {("priya_tasks / PS-1", "raw_status")}
    assert not [c for c in changed.sheets[0].changes if c["field"] == "owner_id"]


def test_a_non_admin_is_refused_and_nothing_changes(loaded) -> None:
    survivor, dups, _ = priya_group(loaded)
    before = tables.table_checksums(loaded)  # history included: not even a batch is opened
    for viewer in (auth.Viewer("max", "manager", team="Change Management"), auth.Viewer("eve", "executive")):
        with pytest.raises(auth.AccessDenied, match="Only an admin"):
            merge_people(loaded, survivor, dups, viewer)
        with pytest.raises(auth.AccessDenied):
            merge_teams(loaded, 1, [2], viewer)
    assert tables.table_checksums(loaded) == before


def test_merged_rows_refuse_a_second_merge_and_their_import_waits_for_the_undo(loaded) -> None:
    survivor, dups, _ = priya_group(loaded)
    result = merge_people(loaded, survivor, dups, ADMIN)
    with pytest.raises(EditRefused, match="P. Shah was already merged"):
        merge_people(loaded, person_id(loaded, "Ravi Patel"), [dups[0]], ADMIN)
    with pytest.raises(EditRefused, match="cannot merge into itself"):
        merge_people(loaded, survivor, [survivor], ADMIN)
    tracker_batch = scalar(loaded, "select created_batch_id from person where id = :d", d=dups[0])
    with pytest.raises(UndoRefused, match=f"#{result.batch_id}"):
        undo_batch(loaded, tracker_batch, ADMIN)


def test_a_chained_merge_moves_the_earlier_aliases_and_undoes_in_order(loaded) -> None:
    survivor, dups, _ = priya_group(loaded)
    start = data_checksums(loaded)
    first = merge_people(loaded, dups[0], [dups[1]], ADMIN)  # "Shah, Priya" into "P. Shah" first
    after_first = data_checksums(loaded)
    second = merge_people(loaded, survivor, [dups[0]], ADMIN)  # then "P. Shah" into Priya Shah
    with loaded.connect() as conn:
        assert tables.name_lookup(conn, "person")["shah, priya"] == survivor
    with pytest.raises(UndoRefused, match=f"#{second.batch_id}"):
        undo_batch(loaded, first.batch_id, ADMIN)
    undo_batch(loaded, second.batch_id, ADMIN)
    assert data_checksums(loaded) == after_first
    undo_batch(loaded, first.batch_id, ADMIN)
    assert data_checksums(loaded) == start


def test_team_names_merge_with_their_work_people_and_accounts(loaded) -> None:
    tracker = [["Key", "Task", "Team", "Status"], ["SD-1", "Reset printer", "ServiceDesk", "Open"],
               ["SD-2", "New laptop", "IT Service Desk", "Open"]]
    import_file(loaded, csv_bytes(tracker), "desk.csv", user="t")
    found = propose_team_merges(queries.candidates_frame(loaded, "team"))
    assert found["survivor"].unique().tolist() == ["Service Desk"]
    assert dict(zip(found["name"], found["check"])) == {"ServiceDesk": False, "IT Service Desk": True}
    auth.add_user(loaded, "root", "correct horse battery", "admin", None)
    auth.add_user(loaded, "dee", "correct horse battery", "manager", ADMIN, team="ServiceDesk", scope_own_team=True)
    before = data_checksums(loaded)
    survivor = int(found["survivor_id"].iloc[0])
    dup = int(found.loc[found["name"] == "ServiceDesk", "id"].iloc[0])
    result = merge_teams(loaded, survivor, [dup], ADMIN)
    assert result.repointed["workitem.team_id"] == 1 and result.repointed["user.team_id"] == 1
    assert references_to(loaded, "team", [dup]) == 0
    assert scalar(loaded, "select t.name from \"user\" u join team t on t.id = u.team_id where username = 'dee'") \
        == "Service Desk"
    assert scalar(loaded, "select auth_version from \"user\" where username = 'dee'") == 1  # sessions take the new team
    again = import_file(loaded, csv_bytes([tracker[0], ["SD-3", "Toner", "servicedesk", "Open"]]), "desk2.csv",
                        user="t")
    assert again.sheets[0].new_teams == []
    assert scalar(loaded, "select team_id from workitem where external_key = 'SD-3'") == survivor
    undo_batch(loaded, again.batch_ids[0], ADMIN)
    undo_batch(loaded, result.batch_id, ADMIN)
    assert data_checksums(loaded) == before


def test_a_merged_name_leaves_the_pickers(loaded) -> None:
    """People and team lists (My work, Strategy and Alignment pickers) show the survivor only."""
    from core.store.tables import people_frame

    survivor, dups, evidence = priya_group(loaded)
    before = set(people_frame(loaded)["id"])
    assert set(dups) <= before
    merge_people(loaded, survivor, dups, ADMIN, evidence)
    after = set(people_frame(loaded)["id"])
    assert survivor in after and not set(dups) & after and after == before - set(dups)
