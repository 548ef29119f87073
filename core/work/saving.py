"""How one My work save is written: one edit batch for the grid, a quick update or closing rows.

One transaction (core.store.edits), one audit entry per changed item with its before and after values
and the note, a status event for every status change (flow metrics see in-app updates exactly as they
see uploads), the tracker's own status words and keys for new rows, 'depends on' rewritten as
dependency rows, the data version bumped, undoable from the Import history. Every changed tracker
field is also remembered against the team's file (core.importing.sync), so a later upload never
overwrites it silently. The team argument scopes every write: an item of another team is refused.
"""
from __future__ import annotations

import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

import pandas as pd
from sqlalchemy.engine import Connection, Engine

from core.accounts.auth import Viewer, actor_name, require_team_id
from core.errors import EditRefused, NotFound
from core.importing import queries as import_queries
from core.importing.plan import split_depends
from core.importing.sync import record_app_edits
from core.importing.vocabulary import canonical_status
from core.store import batches, changelog, tables, writes
from core.store.edits import EditBatch, edit_batch
from core.store.models import utcnow
from core.store.values import comparable, is_blank
from core.work import queries as work_queries
from core.work.refs import References
from core.store.models import STATUS_LABELS
from core.work.rows import EDITABLE, STARTED, Values, cell

Actor = Viewer | str | None  # the signed-in Viewer (rights checked), or a trusted name (CLI, scripts, tests)
Change = tuple[int, Values]  # (item id or editor row number, column → value)
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
    out: list[str] = []
    number = start
    while len(out) < n:
        number += 1
        key = f"{prefix}{number:0{width}d}"
        if key not in taken:
            out.append(key)
    return out


def raw_label(status: str, current_raw: str | None, words: list[tuple[object, ...]],
              value_map: dict[str, str] | None) -> str:
    """The tracker's own word for a status (its current one if it still fits, the most used one, or a plain label)."""
    if current_raw and canonical_status(current_raw, value_map) == status:
        return current_raw
    for raw, st, *_n in words:
        if raw and st == status and canonical_status(raw, value_map) == status:
            return str(raw)
    return STATUS_LABELS[status]


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


def write(engine: Engine, team_id: int, updates: list[Change], inserts: list[Change], actor: Actor, what: str, *,
          now: datetime | None = None, source: str | None = None, expected: dict[int, Values] | None = None,
          notes: dict[int, str] | None = None, touch: bool = False, action: str = "edit") -> SaveResult:
    """Write ``updates`` (item id, values) and ``inserts`` (editor row, values) as one edit batch, or nothing.

    ``expected`` holds the rows as the grid showed them (a cell changed meanwhile is refused); ``touch``
    moves 'last updated' even when no value changes (a quick update says the item is still on track).
    """
    started = time.perf_counter()
    now = (now or utcnow()).replace(microsecond=0)
    result = SaveResult()
    if not updates and not inserts:
        return result
    require_team_id(actor, team_id)
    name = actor_name(actor)
    with edit_batch(engine, name, what) as eb:
        refs = References(eb.conn)
        if team_id not in refs.teams:
            raise NotFound(f"There is no team {team_id}.")
        ids = [i for i, _ in updates]
        _check_scope(eb.conn, team_id, ids, refs)
        before = tables.rows_by_id(eb.conn, "workitem", ids).set_index("id", drop=False)
        missing = sorted(set(ids) - {int(i) for i in before.index})
        if missing:
            raise EditRefused(f"My work: item(s) {', '.join(map(str, missing))} no longer exist (undone or deleted "
                              "meanwhile); reload the page. Nothing was saved.")
        if expected:
            _check_unchanged(before, updates, expected, refs)
        events, deps = _update(eb, updates, before, refs, name, now, notes or {}, touch, action, result)
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


def _update(eb: EditBatch, updates: list[Change], before: pd.DataFrame, refs: References, actor: str | None,
            now: datetime, notes: dict[int, str], touch: bool, action: str,
            result: SaveResult) -> tuple[list[dict[str, object]], dict[int, object]]:
    """The changed items' new values, change log, audit entries and edit records; their status events and
    'depends on' texts for the caller to write."""
    changes: list[tuple[int, dict[str, object]]] = []
    events: list[dict[str, object]] = []
    deps: dict[int, object] = {}
    audit_rows: list[dict[str, object]] = []
    words: dict[str, list[tuple[object, ...]]] = {}  # per tracker: its status words, its status value map
    value_maps: dict[str, dict[str, str] | None] = {}
    for item_id, values in updates:
        old = before.loc[item_id]
        new = {DB_COLUMN.get(column, column): refs.to_db(column, value, f"item {old['external_key']}")
               for column, value in values.items()}
        src = str(old["source"])
        if src not in words:
            words[src] = work_queries.source_value_counts(eb.conn, src, "raw_status", "status")
            value_maps[src] = _status_map(eb.conn, src)
        new.update(_status_side_effects(new, old, now, words[src], value_maps[src]))
        real = {c: v for c, v in new.items() if comparable(old[c]) != comparable(v)}
        if not real and not touch:
            continue
        real["updated_at"] = now
        changes.append((item_id, real))
        audit_rows.append({"action": action, "entity": "workitem", "entity_id": int(item_id),
                           "before": {c: comparable(old[c]) for c in real},
                           "after": {c: comparable(v) for c, v in real.items()}, "detail": notes.get(item_id)})
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
    return events, deps


def _check_scope(conn: Connection, team_id: int, ids: list[int], refs: References) -> None:
    """The chosen team scopes the grid: an item of another team is not edited through it."""
    teams = work_queries.item_team_ids(conn, ids)
    outside = [i for i in ids if i in teams and teams[i] != team_id]
    if outside:
        other = refs.teams.get(teams[outside[0]], "no team")  # None: the item has no team
        raise EditRefused(f"My work: item {outside[0]} belongs to {other}, not {refs.teams[team_id]}; choose that "
                          "team to edit it. Nothing was saved.")


def _check_unchanged(before: pd.DataFrame, updates: list[Change], expected: dict[int, Values],
                     refs: References) -> None:
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


def _status_side_effects(new: dict[str, object], old: pd.Series, now: datetime, words: list[tuple[object, ...]],
                         value_map: dict[str, str] | None) -> dict[str, object]:
    """A status change also sets the tracker's own status word, when work started and when it was done."""
    status = new.get("status")
    if status is None or status == old.get("status"):
        return {}
    out: dict[str, object] = {"raw_status": raw_label(str(status), old.get("raw_status"), words, value_map)}
    if status in STARTED and is_blank(old.get("started_at")):
        out["started_at"] = now
    if status == "done" and is_blank(old.get("done_at")):
        out["done_at"] = now
    if status != "done" and not is_blank(old.get("done_at")):
        out["done_at"] = None  # reopened
    return out


def _insert(eb: EditBatch, team_id: int, inserts: list[Change], refs: References, now: datetime,
            source: str | None) -> tuple[list[dict[str, object]], dict[int, object]]:
    """New rows go to the team's tracker with keys like its own; each gets its first status event."""
    conn = eb.conn
    source = source or tracker_source(conn, team_id, refs.teams[team_id])
    keys = work_queries.source_keys(conn, source)
    taken = {k.casefold() for k in keys}
    wanted = [v.get("external_key") for _, v in inserts]
    for (pos, _v), key in zip(inserts, wanted):
        if key is not None and str(key).casefold() in taken:
            raise EditRefused(f"My work, new row {pos}, column 'external_key': '{key}' is already used in {source}.")
    generated = iter(next_keys([*keys, *[str(k) for k in wanted if k]], sum(1 for k in wanted if k is None),
                               refs.teams[team_id]))
    words = work_queries.source_value_counts(conn, source, "raw_status", "status")
    types = work_queries.source_value_counts(conn, source, "item_type")
    item_type = next((t for t, _n in types if t), "task")
    value_map = _status_map(conn, source)
    events: list[dict[str, object]] = []
    deps: dict[int, object] = {}
    for pos, values in inserts:
        where = f"new row {pos}"
        row = {DB_COLUMN.get(c, c): refs.to_db(c, values.get(c), where) for c in EDITABLE if c != "status"}
        status = str(refs.to_db("status", values.get("status") or "todo", where))
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


def _rewrite_dependencies(eb: EditBatch, changed: dict[int, object]) -> None:
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
