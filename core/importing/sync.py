"""In-app edits against uploads: nothing edited in the app is overwritten silently by a spreadsheet.

Every tracker field changed in the app leaves a ``FieldEdit`` holding ``base``, what the team's
file said for it (as the import reads it). When a file comes in, each such field is a three-way
merge of *base* (the file before), *app* (the database now) and *file* (the upload):

- file = app, or app = base (the app no longer differs): the edit record goes, the file rules again;
- file = base: the file did not touch the field, so the app's value stays (reported as kept);
- all three differ: a **conflict**. The user picks per field: ``"file"`` (the upload's value is
  written) or ``"app"`` (kept; the file's value becomes the new base, so the same file never asks
  twice). Undecided conflicts keep the app's value and are asked again with the next upload.

:func:`reconcile` runs inside the import's transaction before the plan is written (a dry run rolls
it back with the rest); ``plan.diff`` then leaves every column that still has an edit record as the
app set it. ``updated_at`` never conflicts (the later one wins); ``raw_status``, ``started_at`` and
``done_at`` follow the status decision, ``rag_note`` the reported RAG decision.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy.engine import Connection

from core.importing import queries as import_queries
from core.importing.plan import TARGETS, Resolver, build_incoming, equal, norm
from core.importing.validate import ValidatedSheet
from core.store import tables, writes
from core.store.models import utcnow

COMPARED = TARGETS["work_items"].columns
REFS = TARGETS["work_items"].refs
DATE_COLUMNS = ("created_at", "started_at", "due_at", "done_at", "updated_at")
FOLLOWS = {"raw_status": "status", "started_at": "status", "done_at": "status", "rag_note": "reported_rag"}
LATER_WINS = ("updated_at",)
LABELS = {"title": "Title", "item_type": "Type", "status": "Status", "reported_rag": "Reported RAG",
          "assessed_rag": "Assessed RAG", "priority": "Priority", "description": "Description", "owner_id": "Owner",
          "team_id": "Team", "objective_id": "Objective", "created_at": "Created", "due_at": "Due", "effort": "Effort",
          "depends_on": "Depends on", "attributes": "Other columns"}
APP, FILE = "app", "file"


@dataclass
class SyncReport:
    """What an upload meets in one tracker: conflicts to decide, and in-app values kept because the file kept its own."""

    conflicts: list[dict[str, Any]] = field(default_factory=list)
    kept: list[dict[str, Any]] = field(default_factory=list)
    resolved: int = 0


# --------------------------------------------------------------------------- values as the import sees them
def encode(value: Any) -> Any:
    """A JSON-safe base value (dates as ISO text)."""
    value = norm(value)
    if isinstance(value, datetime):
        return value.replace(microsecond=0).isoformat(sep=" ")
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def decode(column: str, stored: Any) -> Any:
    value = stored.get("v") if isinstance(stored, dict) else stored
    if column in DATE_COLUMNS and isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return value
    return value


def as_import_sees(rows: pd.DataFrame, resolver: Resolver) -> pd.DataFrame:
    """Database rows with references as the import writes them (a person's name key, an objective's code)."""
    out = rows.copy()
    for column, ref in REFS.items():
        if column in out:
            out[column] = out[column].map(lambda i, r=ref: resolver.key_of_id(r, i)).astype(object)
    for column in DATE_COLUMNS:
        if column in out:
            out[column] = out[column].map(lambda v: None if v is None or v is pd.NaT or (isinstance(v, float) and v != v)
                                          else pd.Timestamp(v).to_pydatetime()).astype(object)
    return out


# --------------------------------------------------------------------------- app side
def record_app_edits(conn: Connection, before: pd.DataFrame, changes: list[tuple[int, dict[str, Any]]],
                     user: str | None, now: datetime | None = None) -> int:
    """Remember, for each compared column an in-app save changed, what it was before (the file's value).

    ``before`` holds the rows as they were (raw database values, an ``id`` column). A column edited
    again keeps its first base: that is still what the file says.
    """
    now = now or utcnow()
    wanted = [(i, c) for i, values in changes for c in values if c in COMPARED]
    if not wanted:
        return 0
    ids = sorted({i for i, _ in wanted})
    existing = import_queries.field_edits_of_items(conn, ids)
    have = {(int(i), c): int(fid) for fid, i, c in zip(existing["id"], existing["work_item_id"], existing["field"])}
    rows = as_import_sees(before.set_index("id", drop=False), Resolver.load(conn))
    fresh, touched = [], []
    for item_id, column in wanted:
        if (item_id, column) in have:
            touched.append((have[(item_id, column)], {"edited_at": now, "edited_by": user}))
        else:
            fresh.append({"work_item_id": item_id, "field": column, "base": {"v": encode(rows.at[item_id, column])},
                          "edited_at": now, "edited_by": user})
    writes.insert_rows(conn, "fieldedit", fresh)
    writes.update_rows(conn, "fieldedit", touched)
    return len(fresh)


def rebase(conn: Connection, source: str, file_rows: pd.DataFrame, user: str | None) -> int:
    """After an export: the exported file is the new base of its rows.

    ``file_rows`` are the exported rows as the import reads them (``build_incoming`` of the file).
    Where the file cannot carry a value (a column the team's layout lacks, text made formula-safe),
    the database value is kept against the file by an edit record; everywhere else the file and the
    app agree and old records go. Returns the number of protected fields.
    """
    if file_rows.empty:
        return 0
    resolver = Resolver.load(conn)
    hashes = import_queries.work_item_hashes(conn, source)
    ids = dict(zip(hashes["external_key"], hashes["id"]))
    rows = file_rows[file_rows["external_key"].isin(ids.keys())].drop_duplicates("external_key")
    item_ids = [int(ids[k]) for k in rows["external_key"]]
    db = as_import_sees(tables.rows_by_id(conn, "workitem", item_ids), resolver).set_index("id")
    existing = import_queries.field_edits_of_items(conn, item_ids)
    have = {(int(i), c): int(fid) for fid, i, c in zip(existing["id"], existing["work_item_id"], existing["field"])}
    now = utcnow()
    fresh, rebased, gone = [], [], []
    for item_id, (_, row) in zip(item_ids, rows.iterrows()):
        for column in COMPARED:
            if column not in row.index:
                continue
            in_file, in_app = norm(row[column]), norm(db.at[item_id, column])
            fid = have.get((item_id, column))
            if equal(in_file, in_app):
                if fid is not None:
                    gone.append(fid)
            elif fid is not None:
                rebased.append((fid, encode(in_file)))
            else:
                fresh.append({"work_item_id": item_id, "field": column, "base": {"v": encode(in_file)},
                              "edited_at": now, "edited_by": user})
    writes.insert_rows(conn, "fieldedit", fresh)
    import_queries.set_field_edit_bases(conn, rebased)
    tables.delete_ids(conn, "fieldedit", gone)
    return len(fresh) + len(rebased)


# --------------------------------------------------------------------------- upload side
def reconcile(conn: Connection, vs: ValidatedSheet, source: str,
              resolutions: dict[tuple[str, str, str], str] | None = None, user: str | None = None) -> SyncReport:
    """Decide, before an upload is planned, which in-app edits it may overwrite (see module docstring)."""
    report = SyncReport()
    edits = import_queries.field_edits_of_source(conn, source)
    if edits.empty or "external_key" not in vs.frame:
        return report
    accepted = vs.frame[~vs.rejected]
    rows = accepted[accepted["external_key"].isin(set(edits["external_key"]))]
    if rows.empty:
        return report
    resolver = Resolver.load(conn)
    incoming, _issues, _names = build_incoming(replace(vs, frame=rows, rejected=pd.Series(False, index=rows.index)),
                                               resolver, source)
    incoming = incoming.drop_duplicates("external_key").set_index("external_key")
    db = as_import_sees(tables.rows_by_id(conn, "workitem", edits["work_item_id"].unique().tolist()),
                        resolver).set_index("id")
    resolutions = resolutions or {}
    outcome: dict[tuple[int, str], str] = {}
    gone: list[int] = []
    rebased: list[tuple[int, Any]] = []
    audits: list[dict[str, Any]] = []
    edits = edits.assign(_follower=edits["field"].isin(FOLLOWS.keys())).sort_values("_follower", kind="stable")
    for e in edits.itertuples(index=False):
        key, column, item_id = e.external_key, e.field, int(e.work_item_id)
        if key not in incoming.index or column not in incoming.columns or item_id not in db.index:
            continue
        in_file, in_app, base = norm(incoming.at[key, column]), norm(db.at[item_id, column]), decode(column, e.base)
        if equal(in_file, in_app) or equal(in_app, base):
            outcome[(item_id, column)] = "agree"
            gone.append(int(e.id))
        elif equal(in_file, base):
            outcome[(item_id, column)] = "kept"
            if column not in FOLLOWS and column not in LATER_WINS:
                report.kept.append({"key": key, "field": LABELS.get(column, column), "app": _shown(in_app),
                                    "file": _shown(in_file)})
        elif column in LATER_WINS:
            newer = isinstance(in_file, datetime) and (not isinstance(in_app, datetime) or in_file > in_app)
            (gone.append(int(e.id)) if newer else rebased.append((int(e.id), encode(in_file))))
        elif column in FOLLOWS:
            leader = outcome.get((item_id, FOLLOWS[column]), "agree")
            if leader in ("agree", FILE):
                gone.append(int(e.id))
            elif leader in ("kept", APP):
                rebased.append((int(e.id), encode(in_file)))
            # an undecided leader: the follower waits with it
        else:
            choice = resolutions.get((source, str(key), column))
            outcome[(item_id, column)] = choice or "conflict"
            if choice == FILE:
                gone.append(int(e.id))
            elif choice == APP:
                rebased.append((int(e.id), encode(in_file)))
            if choice in (APP, FILE):
                report.resolved += 1
                audits.append({"action": "conflict_resolved", "entity": "workitem", "entity_id": item_id,
                               "before": {column: encode(in_app) if choice == FILE else encode(in_file)},
                               "after": {column: encode(in_file) if choice == FILE else encode(in_app)},
                               "detail": f"upload vs in-app edit of {LABELS.get(column, column)} on {key}: "
                                         f"kept the {'file' if choice == FILE else 'app'}'s value"})
            else:
                report.conflicts.append({
                    "source": source, "key": str(key), "column": column, "field": LABELS.get(column, column),
                    "title": norm(db.at[item_id, "title"]), "app": _shown(in_app), "file": _shown(in_file),
                    "before": _shown(base), "edited_by": e.edited_by, "edited_at": e.edited_at})
    tables.delete_ids(conn, "fieldedit", gone)
    import_queries.set_field_edit_bases(conn, rebased)
    tables.audit_many(conn, user, audits)
    if report.conflicts or report.kept:
        names = {c: {k: n for k, n in zip(t["name_key"], t["name"])} for c, t in (
            ("owner_id", tables.read_table(conn, "person")), ("team_id", tables.read_table(conn, "team")))}
        fields = {LABELS[c]: c for c in names}
        for row in report.conflicts + report.kept:
            lookup = names.get(fields.get(row["field"], ""), {})
            for side in ("app", "file", "before"):
                if side in row and row[side] in lookup:
                    row[side] = lookup[row[side]]
    return report


def _shown(value: Any) -> Any:
    value = norm(value)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d") if value.time() == datetime.min.time() else value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dict):
        return "; ".join(f"{k}: {v}" for k, v in value.items())
    return value
