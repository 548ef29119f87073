"""The team tracker ("My work"): a team keeps its work here instead of in a shadow spreadsheet.

Every save (the grid, a quick update, closing rows) is one edit batch (core.store.edits): one transaction,
one audit entry per changed item with its before and after values and the note, a status event for
every status change (flow metrics see in-app updates exactly as they see uploads), the data version
bumped, undoable from the Import history. Every changed tracker field is also remembered against the
team's file (core.importing.sync), so a later upload never overwrites it silently.

``actor`` is the acting user's name, stored as the audit trail's ``user``: the accounts issue will
check roles here. Until then the team argument scopes every write: an item of another team is refused.
"""
from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Iterable

import pandas as pd
from sqlalchemy.engine import Connection, Engine

from core.accounts.auth import actor_name, require_team_id
from core.errors import EditRefused, NotFound
from core.importing import queries as import_queries
from core.importing.mapping import canonical_status, name_key
from core.importing.plan import split_depends
from core.importing.sync import record_app_edits
from core.store import batches, changelog, tables, writes
from core.store.edits import EditBatch, edit_batch, plain
from core.store.models import RAG_VALUES, WORK_STATUSES, utcnow
from core.work import queries as work_queries

DEFAULT_STALE_DAYS = 14
STATUS_LABELS = {"todo": "To do", "in_progress": "In progress", "blocked": "Blocked", "done": "Done"}
STARTED = ("in_progress", "blocked")
GRID_COLUMNS = ("id", "external_key", "title", "owner", "status", "reported_rag", "objective", "due_at", "effort",
                "depends_on", "updated_at", "source")
EDITABLE = ("title", "owner", "status", "reported_rag", "objective", "due_at", "effort", "depends_on")
VIEWS = {"team": "My team", "mine": "Mine", "overdue": "Overdue", "blocked": "Blocked", "stale": "Stale"}
QUICK = {"on_track": "Still on track", "at_risk": "At risk", "blocked": "Blocked", "done": "Done"}
DB_COLUMN = {"owner": "owner_id", "objective": "objective_id"}  # grid column → workitem column (others: same name)


@dataclass
class SaveResult:
    inserted: int = 0
    updated: int = 0
    status_events: int = 0
    batch_id: int | None = None
    seconds: float = 0.0
    new_keys: list[str] = field(default_factory=list)

    @property
    def changed(self) -> int:
        return self.inserted + self.updated

    def sentence(self) -> str:
        if not self.changed:
            return "Nothing had changed."
        keys = f" (new: {', '.join(self.new_keys[:10])}{'…' if len(self.new_keys) > 10 else ''})" if self.new_keys else ""
        return (f"Saved: {self.inserted} added{keys}, {self.updated} changed, {self.status_events} status change(s) "
                f"recorded (batch {self.batch_id}).")


# --------------------------------------------------------------------------- pure: views of the team's items
def last_update(items: pd.DataFrame) -> pd.Series:
    """When someone last touched each item: its 'last updated', its latest status change, else its creation."""
    cols = [c for c in ("updated_at", "last_event_at") if c in items]
    latest = items[cols].max(axis=1) if cols else pd.Series(pd.NaT, index=items.index)
    return latest.fillna(items["created_at"]) if "created_at" in items else latest


def stale_items(items: pd.DataFrame, now: pd.Timestamp, days: int) -> pd.DataFrame:
    """Open items not updated for more than ``days`` days (never updated counts as stale), oldest first."""
    out = items[items["status"].ne("done")].copy()
    out["last_update"] = last_update(out)
    out["days_since_update"] = ((now - out["last_update"]) / pd.Timedelta(days=1)).round(1)
    out = out[out["last_update"].isna() | (out["days_since_update"] > days)]
    return out.sort_values("days_since_update", ascending=False, na_position="first")


def view_items(items: pd.DataFrame, view: str, me: str | None, now: pd.Timestamp, stale_days: int) -> pd.DataFrame:
    """The grid's filter: my team (all), mine, overdue, blocked, stale."""
    if view == "mine":
        return items[items["owner"].eq(me)] if me else items.iloc[0:0]
    if view == "overdue":
        return items[items["status"].ne("done") & items["due_at"].notna() & (items["due_at"] < now)]
    if view == "blocked":
        return items[items["status"].eq("blocked")]
    if view == "stale":
        return items[items["id"].isin(stale_items(items, now, stale_days)["id"])]
    return items


def grid_frame(items: pd.DataFrame) -> pd.DataFrame:
    """The editable grid: one row per item, due dates as dates, hidden id."""
    out = items[[c for c in GRID_COLUMNS if c in items]].copy()
    out["due_at"] = pd.to_datetime(out["due_at"]).dt.normalize()
    out["effort"] = pd.to_numeric(out["effort"], errors="coerce").astype(float)
    return out.reset_index(drop=True)


def _blank(v: Any) -> bool:
    if v is None or v is pd.NaT:
        return True
    if isinstance(v, float) and v != v:
        return True
    if isinstance(v, str) and not v.strip():
        return True
    try:
        return bool(pd.isna(v)) if not isinstance(v, (list, dict, tuple)) else False
    except (TypeError, ValueError):
        return False


def _plain(v: Any) -> Any:
    """A JSON-friendly value for comparisons and the audit trail (NaT, NaN and None alike; 4.0 ids as 4)."""
    if _blank(v):
        return None
    v = plain(v)
    return int(v) if isinstance(v, float) and v.is_integer() else v


def cell(column: str, value: Any) -> Any:
    """One comparable value per grid cell (None for every kind of blank)."""
    if _blank(value):
        return None
    if column == "due_at":
        try:
            return pd.Timestamp(value).normalize().to_pydatetime()
        except (TypeError, ValueError):
            return str(value).strip()
    if column == "effort":
        try:
            return float(value)
        except (TypeError, ValueError):
            return str(value).strip()
    if column in ("id",):
        return int(value)
    return " ".join(str(value).split()) if column in ("title", "owner", "objective") else str(value).strip()


def diff_grid(original: pd.DataFrame, edited: pd.DataFrame) -> tuple[list[tuple[int, dict[str, Any]]],
                                                                     list[tuple[int, dict[str, Any]]]]:
    """(new rows as (editor row number, values), changed rows as (id, changed values)). Rows never disappear:
    a row missing from the edited grid (another filter) is left as it is; closing is a status."""
    before = {int(r["id"]): r for r in original.to_dict("records") if not _blank(r.get("id"))}
    inserts, updates = [], []
    for pos, row in enumerate(edited.to_dict("records"), start=1):
        values = {c: cell(c, row.get(c)) for c in EDITABLE if c in row}
        if _blank(row.get("id")):
            if any(v is not None for v in values.values()) or not _blank(row.get("external_key")):
                inserts.append((pos, {**values, "external_key": cell("external_key", row.get("external_key"))}))
            continue
        old = before.get(int(row["id"]))
        if old is None:
            continue
        changed = {c: v for c, v in values.items() if c in old and v != cell(c, old.get(c))}
        if changed:
            updates.append((int(row["id"]), changed))
    return inserts, updates


def next_keys(existing: Iterable[str], n: int, team_name: str = "") -> list[str]:
    """Keys for new items that look like the tracker's own (CHG-007 after CHG-006), else the team's initials."""
    pattern = re.compile(r"^(.*?)(\d+)$")
    by_prefix: dict[str, list[tuple[int, int]]] = {}
    for key in existing:
        m = pattern.match(str(key))
        if m:
            by_prefix.setdefault(m.group(1), []).append((int(m.group(2)), len(m.group(2))))
    taken = {str(k) for k in existing}
    if by_prefix:
        prefix = max(by_prefix, key=lambda p: (len(by_prefix[p]), p))
        start, width = max(by_prefix[prefix])[0], max(w for _, w in by_prefix[prefix])
    else:
        prefix = "".join(w[0] for w in re.findall(r"[A-Za-z]+", team_name)).upper()[:4] or "TL"
        prefix, start, width = f"{prefix}-", 0, 1
    out, number = [], start
    while len(out) < n:
        number += 1
        key = f"{prefix}{number:0{width}d}"
        if key not in taken:
            out.append(key)
    return out


def raw_label(status: str, current_raw: str | None, words: list[tuple[Any, ...]],
              value_map: dict[str, str] | None) -> str:
    """The tracker's own word for a status (its current one if it still fits, the most used one, or a plain label)."""
    if current_raw and canonical_status(current_raw, value_map) == status:
        return current_raw
    for raw, st, *_n in words:
        if raw and st == status and canonical_status(raw, value_map) == status:
            return str(raw)
    return STATUS_LABELS[status]


# --------------------------------------------------------------------------- writes
def save_items(engine: Engine, team_id: int, original: pd.DataFrame, edited: pd.DataFrame, actor: str | None,
               source: str | None = None, now: datetime | None = None) -> SaveResult:
    """Save what the grid changed as one edit batch; raises EditRefused (nothing written) on a bad cell."""
    inserts, updates = diff_grid(original, edited)
    expected = {int(r["id"]): r for r in original.to_dict("records") if not _blank(r.get("id"))}
    return _write(engine, team_id, updates, inserts, actor, "My work: saved the grid", now=now, source=source,
                  expected=expected)


def quick_update(engine: Engine, team_id: int, item_id: int, action: str, actor: str | None, note: str | None = None,
                 blocked_by: str | None = None, now: datetime | None = None) -> SaveResult:
    """One click on one of my open items; its 'last updated' always moves (the stale check reads it)."""
    if action not in QUICK:
        raise EditRefused(f"Quick update: '{action}' is not one of {', '.join(QUICK)}.")
    with engine.connect() as conn:
        row = tables.rows_by_id(conn, "workitem", [item_id])
    if row.empty:
        raise NotFound(f"There is no work item {item_id}.")
    status = row.iloc[0]["status"]
    values: dict[str, Any] = {}
    if action == "on_track":
        values = {"reported_rag": "green", **({"status": "in_progress"} if status == "blocked" else {})}
    elif action == "at_risk":
        values = {"reported_rag": "amber"}
    elif action == "blocked":
        values = {"status": "blocked"}
        if blocked_by and blocked_by.strip():
            waits = split_depends(row.iloc[0]["depends_on"])
            if name_key(blocked_by) not in {name_key(w) for w in waits}:
                values["depends_on"] = "; ".join([*waits, blocked_by.strip()])
    elif action == "done":
        values = {"status": "done"}
    note = (note or "").strip() or None
    if action == "blocked" and blocked_by and blocked_by.strip():
        note = f"blocked by {blocked_by.strip()}" + (f": {note}" if note else "")
    return _write(engine, team_id, [(item_id, values)], [], actor, f"My work: quick update ({QUICK[action]})",
                  now=now, notes={item_id: note} if note else None, touch=True, action="quick_update")


def close_items(engine: Engine, team_id: int, item_ids: list[int], actor: str | None, note: str | None = None,
                now: datetime | None = None) -> SaveResult:
    """Set items to done (rows that left the team's file, when the user chose to close them)."""
    if not item_ids:
        return SaveResult()
    with engine.connect() as conn:
        rows = tables.rows_by_id(conn, "workitem", item_ids)
    open_ids = [int(i) for i, s in zip(rows["id"], rows["status"]) if s != "done"]
    return _write(engine, team_id, [(i, {"status": "done"}) for i in open_ids], [], actor, "My work: closed rows",
                  now=now, notes={i: note for i in open_ids} if note else None)


def set_stale_days(engine: Engine, team_id: int, days: int, actor: str | None) -> None:
    """A team's own 'stale after N days' (1-365); audited."""
    if not 1 <= int(days) <= 365:
        raise EditRefused(f"Stale after: {days} days is outside 1-365.")
    require_team_id(actor, team_id)
    actor = actor_name(actor)
    with engine.begin() as conn:
        teams = tables.ids_by(conn, "team", "id")
        if team_id not in teams:
            raise NotFound(f"There is no team {team_id}.")
        before = work_queries.set_team_stale_days(conn, team_id, int(days))
        tables.audit(conn, user=actor, action="edit", entity="team", entity_id=team_id,
                   before={"stale_days": before}, after={"stale_days": int(days)})
        tables.bump_data_version(conn)


def tracker_source(conn: Connection, team_id: int, team_name: str) -> str:
    """Where the team's new items go: the tracker most of its items came from, so an export re-imports onto it."""
    sources = work_queries.team_sources(conn, team_id)
    return sources[0][0] if sources else f"{team_name} tracker"


def _status_map(conn: Connection, source: str) -> dict[str, str] | None:
    """The status value map of the tracker's last import (raw word → status), if the user set one."""
    for b in batches.recent_batches_of_source(conn, source):
        if b.get("kind") == "work_items" and b.get("mapping"):
            return (b["mapping"].get("value_maps") or {}).get("status")
    return None


class _Refs:
    """Names and codes ↔ ids, loaded once per save."""

    def __init__(self, conn: Connection) -> None:
        people, objectives = tables.read_table(conn, "person"), tables.read_table(conn, "objective")
        self.person_id = dict(zip(people["name_key"], people["id"]))
        self.person_name = dict(zip(people["id"], people["name"]))
        self.objective_id = {str(c).casefold(): i for c, i in zip(objectives["code"], objectives["id"])}
        self.objective_code = dict(zip(objectives["id"], objectives["code"]))
        self.teams = dict(zip(*[tables.read_table(conn, "team")[c] for c in ("id", "name")]))

    def grid_value(self, column: str, row: pd.Series) -> Any:
        """A database row's value as the grid shows it."""
        if column == "owner":
            return cell(column, self.person_name.get(row["owner_id"]) if not _blank(row["owner_id"]) else None)
        if column == "objective":
            return cell(column, self.objective_code.get(row["objective_id"])
                        if not _blank(row["objective_id"]) else None)
        return cell(column, row[column])

    def to_db(self, column: str, value: Any, where: str) -> Any:
        at = f"{where}, column '{column}'"
        if value is None:
            if column == "title":
                raise EditRefused(f"My work, {at}: a title is needed.")
            if column == "status":
                raise EditRefused(f"My work, {at}: choose a status ({', '.join(WORK_STATUSES)}).")
            return None
        if column == "owner":
            ident = self.person_id.get(name_key(value))
            if ident is None:
                raise EditRefused(f"My work, {at}: there is no person '{value}' (import them with a people sheet).")
            return int(ident)
        if column == "objective":
            ident = self.objective_id.get(str(value).strip().casefold())
            if ident is None:
                raise EditRefused(f"My work, {at}: there is no objective '{value}'.")
            return int(ident)
        if column == "status":
            text = str(value).strip().lower().replace(" ", "_")
            if text not in WORK_STATUSES:
                raise EditRefused(f"My work, {at}: '{value}' is not one of {', '.join(WORK_STATUSES)}.")
            return text
        if column == "reported_rag":
            text = str(value).strip().lower()
            if text not in RAG_VALUES:
                raise EditRefused(f"My work, {at}: '{value}' is not one of {', '.join(RAG_VALUES)}.")
            return text
        if column == "effort":
            if not isinstance(value, float) or value < 0:
                raise EditRefused(f"My work, {at}: '{value}' is not a number of zero or more.")
            return value
        if column == "due_at":
            if not isinstance(value, datetime):
                raise EditRefused(f"My work, {at}: '{value}' is not a date.")
            return value
        return value


def _write(engine: Engine, team_id: int, updates: list[tuple[int, dict[str, Any]]],
           inserts: list[tuple[int, dict[str, Any]]], actor: str | None, what: str, *, now: datetime | None = None,
           source: str | None = None, expected: dict[int, dict[str, Any]] | None = None,
           notes: dict[int, str] | None = None, touch: bool = False, action: str = "edit") -> SaveResult:
    started = time.perf_counter()
    now = (now or utcnow()).replace(microsecond=0)
    result = SaveResult()
    if not updates and not inserts:
        return result
    require_team_id(actor, team_id)
    actor = actor_name(actor)
    with edit_batch(engine, actor, what) as eb:
        refs = _Refs(eb.conn)
        if team_id not in refs.teams:
            raise NotFound(f"There is no team {team_id}.")
        ids = [i for i, _ in updates]
        _check_scope(eb.conn, team_id, ids, refs)
        before = tables.rows_by_id(eb.conn, "workitem", ids).set_index("id", drop=False)
        missing = sorted(set(ids) - set(int(i) for i in before.index))
        if missing:
            raise EditRefused(f"My work: item(s) {', '.join(map(str, missing))} no longer exist (undone or deleted "
                              "meanwhile); reload the page. Nothing was saved.")
        if expected:
            _check_unchanged(before, updates, expected, refs)
        changes, events, deps = [], [], {}
        audit_rows = []
        words: dict[str, list[tuple[Any, ...]]] = {}  # per tracker: its status words, its status value map
        value_maps: dict[str, dict[str, str] | None] = {}
        for item_id, values in updates:
            old = before.loc[item_id]
            new: dict[str, Any] = {}
            for column, value in values.items():
                new[DB_COLUMN.get(column, column)] = refs.to_db(column, value, f"item {old['external_key']}")
            src = str(old["source"])
            if src not in words:
                words[src] = work_queries.source_value_counts(eb.conn, src, "raw_status", "status")
                value_maps[src] = _status_map(eb.conn, src)
            new.update(_status_side_effects(new, old, now, words[src], value_maps[src]))
            real = {c: v for c, v in new.items() if _plain(old[c]) != _plain(v)}
            if not real and not touch:
                continue
            real["updated_at"] = now
            changes.append((item_id, real))
            note = (notes or {}).get(item_id)
            audit_rows.append({"action": action, "entity": "workitem", "entity_id": int(item_id),
                               "before": {c: _plain(old[c]) for c in real},
                               "after": {c: _plain(v) for c, v in real.items()},
                               "detail": note})
            if "status" in real or "raw_status" in real:
                events.append({"work_item_id": int(item_id), "at": now, "raw_status": real.get("raw_status",
                               old["raw_status"]), "status": real.get("status", old["status"]), "source_row": None,
                               "batch_id": eb.batch_id})
            if "depends_on" in real:
                deps[int(item_id)] = real["depends_on"]
        if changes:
            changelog.changelog_add(eb.conn, eb.batch_id, "workitem", "update",
                               before.loc[[i for i, _ in changes]].to_dict("records"))
            writes.update_rows(eb.conn, "workitem", [(i, {**v, "last_batch_id": eb.batch_id}) for i, v in changes])
            tables.audit_many(eb.conn, actor, audit_rows)
            record_app_edits(eb.conn, before.reset_index(drop=True), changes, actor, now)
            eb.updated += len(changes)
            result.updated = len(changes)
        if inserts:
            new_events, new_deps = _insert(eb, team_id, inserts, refs, now, source)
            events += new_events
            deps.update(new_deps)
            result.inserted = len(inserts)
            result.new_keys = [str(e["key"]) for e in new_events]
        writes.insert_rows(eb.conn, "statusevent", [{k: v for k, v in e.items() if k != "key"} for e in events])
        _rewrite_dependencies(eb, deps)
        result.status_events = len(events)
        result.batch_id = eb.batch_id if eb.changed else None
    result.seconds = round(time.perf_counter() - started, 3)
    return result


def _check_scope(conn: Connection, team_id: int, ids: list[int], refs: _Refs) -> None:
    """Until accounts exist the chosen team scopes the grid: an item of another team is not edited through it."""
    teams = work_queries.item_team_ids(conn, ids)
    outside = [i for i in ids if i in teams and teams[i] != team_id]
    if outside:
        other = refs.teams.get(teams[outside[0]], "no team")
        raise EditRefused(f"My work: item {outside[0]} belongs to {other}, not {refs.teams[team_id]}; choose that "
                          "team to edit it. Nothing was saved.")


def _check_unchanged(before: pd.DataFrame, updates: list[tuple[int, dict[str, Any]]],
                     expected: dict[int, dict[str, Any]], refs: _Refs) -> None:
    """Refuse to overwrite a cell someone else changed since the grid was loaded (nothing is lost silently)."""
    clashes = []
    for item_id, values in updates:
        was = expected.get(item_id, {})
        for column in values:
            if column in was and cell(column, was[column]) != refs.grid_value(column, before.loc[item_id]):
                clashes.append(f"{before.loc[item_id, 'external_key']} {column} (now "
                               f"'{refs.grid_value(column, before.loc[item_id]) or ''}')")
    if clashes:
        raise EditRefused("My work: someone changed " + "; ".join(clashes[:5]) + (" …" if len(clashes) > 5 else "")
                          + " after you opened the grid. Reload to see their values; nothing was saved.")


def _status_side_effects(new: dict[str, Any], old: pd.Series | dict[str, Any], now: datetime,
                         words: list[tuple[Any, ...]], value_map: dict[str, str] | None) -> dict[str, Any]:
    """A status change also sets the tracker's own status word, when work started and when it was done."""
    status = new.get("status")
    if status is None or status == old.get("status"):
        return {}
    out: dict[str, Any] = {"raw_status": raw_label(status, old.get("raw_status"), words, value_map)}
    if status in STARTED and _blank(old.get("started_at")):
        out["started_at"] = now
    if status == "done" and _blank(old.get("done_at")):
        out["done_at"] = now
    if status != "done" and not _blank(old.get("done_at")):
        out["done_at"] = None  # reopened
    return out


def _insert(eb: EditBatch, team_id: int, inserts: list[tuple[int, dict[str, Any]]], refs: _Refs, now: datetime,
            source: str | None) -> tuple[list[dict[str, Any]], dict[int, str]]:
    """New rows go to the team's tracker with keys like its own; each gets its first status event."""
    conn = eb.conn
    source = source or tracker_source(conn, team_id, refs.teams[team_id])
    keys = work_queries.source_keys(conn, source)
    taken = {k.casefold() for k in keys}
    wanted = [v.get("external_key") for _, v in inserts]
    for (pos, _v), key in zip(inserts, wanted):
        if key is not None and key.casefold() in taken:
            raise EditRefused(f"My work, new row {pos}, column 'external_key': '{key}' is already used in {source}.")
    generated = iter(next_keys([*keys, *[k for k in wanted if k]], sum(1 for k in wanted if k is None),
                               refs.teams[team_id]))
    words = work_queries.source_value_counts(conn, source, "raw_status", "status")
    types = work_queries.source_value_counts(conn, source, "item_type")
    item_type = next((t for t, _n in types if t), "task")
    value_map = _status_map(conn, source)
    events, deps = [], {}
    for pos, values in inserts:
        where = f"new row {pos}"
        row = {DB_COLUMN.get(c, c): refs.to_db(c, values.get(c), where) for c in EDITABLE if c != "status"}
        status = refs.to_db("status", values.get("status") or "todo", where)
        key = values.get("external_key") or next(generated)
        row.update({"source": source, "external_key": key, "item_type": item_type, "status": status,
                    "raw_status": raw_label(status, None, words, value_map), "team_id": team_id,
                    "created_at": now, "updated_at": now, "source_file": "My work",
                    "started_at": now if status in STARTED else None, "done_at": now if status == "done" else None})
        item_id = eb.insert("workitem", row)  # no file has the row yet: nothing to keep against one
        events.append({"work_item_id": item_id, "at": now, "raw_status": row["raw_status"], "status": status,
                       "source_row": None, "batch_id": eb.batch_id, "key": key})
        if row.get("depends_on"):
            deps[item_id] = row["depends_on"]
    return events, deps


def _rewrite_dependencies(eb: EditBatch, changed: dict[int, str | None]) -> None:
    """'Depends on' as dependency rows (item keys or team names), as an import writes them; undone with the batch."""
    if not changed:
        return
    old = import_queries.dependencies_of(eb.conn, list(changed))
    if len(old):
        changelog.changelog_add(eb.conn, eb.batch_id, "dependency", "delete", old.to_dict("records"))
        tables.delete_ids(eb.conn, "dependency", old["id"].tolist())
    writes.insert_rows(eb.conn, "dependency", [{"work_item_id": i, "depends_on_key": d, "batch_id": eb.batch_id}
                                             for i, text in changed.items() for d in split_depends(text)])
    import_queries.resolve_dependency_targets(eb.conn, eb.batch_id)


def latest_notes(engine: Engine, item_ids: list[int]) -> dict[int, str]:
    notes = work_queries.latest_item_notes(engine, item_ids)
    return {int(i): f"{n} ({u or 'someone'}, {pd.Timestamp(a):%Y-%m-%d})"
            for i, n, a, u in zip(notes["work_item_id"], notes["note"], notes["at"], notes["user"])}
