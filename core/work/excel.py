"""The team tracker's round trip with Excel: export in the team's own layout, re-import the same file.

The export writes the columns the tracker was imported with (header names and order of its last
import's mapping, then the columns it kept as attributes) or, for a tracker born in the app, a clean
default. Reading the written file back through the import engine tells exactly what a re-import will
see; wherever the file cannot carry the app's value (a column the layout lacks, text made
formula-safe), the app's value is protected by an edit record (core.importing.sync), so an untouched
file re-imports with 0 changes.

The re-import goes through the ordinary engine (one transaction, batch, undo), with the tracker's
source and mapping, and reports the team's rows that are no longer in the file: they are never
deleted; the user chooses to close them or to leave them. Closing them is part of the same
transaction and the same undo as the import (core.work.unit).
"""
from __future__ import annotations

import re
import time
from dataclasses import dataclass, field, replace

import pandas as pd
from sqlalchemy.engine import Connection, Engine

from core.accounts.auth import actor_name, require_team_id
from core.errors import ImportRefused
from core.importing import queries as import_queries
from core.importing.cells import to_text
from core.importing.mapping import Mapping, resolve_header
from core.importing.plan import Resolver, build_incoming
from core.importing.service import (
    ImportOptions,
    ImportResult,
    PreparedFile,
    PreparedSheet,
    execute,
    prepare,
    profiles_from_db,
)
from core.importing.sync import rebase
from core.importing.vocabulary import canonical_rag
from core.reporting.export_safety import SheetSpec, undo_neutralise, write_xlsx
from core.store import batches, tables
from core.store.values import is_missing
from core.work import queries as work_queries
from core.work.items import close_items
from core.store.models import STATUS_LABELS
from core.work.saving import Actor, SaveResult, next_keys
from core.work.unit import one_transaction

DEFAULT_LAYOUT = (("Key", "external_key"), ("Title", "title"), ("Owner", "owner"), ("Team", "team"),
                  ("Status", "status"), ("RAG", "reported_rag"), ("Objective", "objective"), ("Due", "due_at"),
                  ("Effort", "effort"), ("Depends on", "depends_on"), ("Last updated", "updated_at"))
RAG_LABELS = {"green": "Green", "amber": "Amber", "red": "Red"}
DATE_FIELDS = ("created_at", "started_at", "due_at", "done_at", "updated_at")


@dataclass
class Layout:
    """The columns of the team's own file: (header, field), field None for a column kept as an attribute."""

    source: str
    sheet: str
    columns: list[tuple[str, str | None]]
    mapping: Mapping
    from_batch: int | None = None

    @property
    def headers(self) -> list[str]:
        return [h for h, _f in self.columns]


@dataclass
class Export:
    data: bytes
    file_name: str
    rows: int
    layout: Layout
    protected: int  # fields kept against the file (the layout cannot carry them)
    seconds: float


@dataclass
class Reimport:
    result: ImportResult
    missing: pd.DataFrame  # the team's rows of this tracker that the file no longer has
    filled_keys: list[str] = field(default_factory=list)  # keys given to new rows that had none
    closed: SaveResult | None = None


# --------------------------------------------------------------------------- layout
def layout_of(conn: Connection, source: str, items: pd.DataFrame | None = None) -> Layout:
    """The tracker's own layout from its last import (profile order when saved), else the clean default."""
    batch = next((b for b in batches.recent_batches_of_source(conn, source)
                  if b.get("kind") == "work_items" and (b.get("mapping") or {}).get("fields")), None)
    if batch is None:
        fields = {f: h for h, f in DEFAULT_LAYOUT}
        return Layout(source, "Items", list(DEFAULT_LAYOUT), Mapping("work_items", fields), None)
    m = batch["mapping"]
    fields: dict[str, str] = dict(m["fields"])
    order = list(fields.values())
    profile = next((p for p in import_queries.saved_profiles(conn) if p["name"] == m.get("profile")), None)
    if profile and profile.get("headers"):
        known = list(profile["headers"])
        order.sort(key=lambda h: known.index(h) if h in known else len(known))
    by_header = {h: f for f, h in fields.items()}
    attributes: list[str] = []
    if items is not None and "attributes" in items:
        seen: dict[str, None] = {}
        for attrs in items["attributes"]:
            if isinstance(attrs, dict):
                seen.update(dict.fromkeys(k for k in attrs if k not in by_header))
        attributes = list(seen)
    columns = [(h, by_header[h]) for h in order] + [(a, None) for a in attributes]
    mapping = Mapping("work_items", fields, {k: dict(v) for k, v in (m.get("value_maps") or {}).items()},
                      dict(m.get("options") or {}), m.get("profile"))
    return Layout(source, batch.get("sheet") or "Items", columns, mapping, int(batch["id"]))


def fit_mapping(mapping: Mapping, headers: list[str]) -> Mapping | None:
    """The layout's mapping on a sheet's actual headers (as Excel saved them), or None when a column is gone."""
    fields = {}
    for name, header in mapping.fields.items():
        found = resolve_header(header, headers)
        if found is None:
            return None
        fields[name] = found
    return replace(mapping, fields=fields, confidence={h: 100.0 for h in fields.values()})


# --------------------------------------------------------------------------- export
def _rag_label(value: object, note: object, overrides: dict[str, str] | None) -> object:
    """The team's own RAG word (its value map's, else Green/Amber/Red); a note when there is no RAG."""
    if not isinstance(value, str) or value not in RAG_LABELS:
        return note if isinstance(note, str) and note else None
    for raw, canon in (overrides or {}).items():  # the team's own word, when its value map has one
        if canon == value and canonical_rag(raw, overrides)[0] == value:
            return raw
    return RAG_LABELS[value]


def row_values(item: dict[str, object], layout: Layout) -> list[object]:
    """One item as the cells of the team's file."""
    rag_map = layout.mapping.value_maps.get("rag")
    out: list[object] = []
    for header, name in layout.columns:
        if name is None:
            attrs = item.get("attributes")
            out.append(attrs.get(header) if isinstance(attrs, dict) else None)
        elif name == "status":
            raw = item.get("raw_status")
            out.append(raw if isinstance(raw, str) and raw else STATUS_LABELS.get(item.get("status")))
        elif name in ("reported_rag", "assessed_rag"):
            out.append(_rag_label(item.get(name), item.get("rag_note") if name == "reported_rag" else None, rag_map))
        elif name in DATE_FIELDS:
            v = item.get(name)
            out.append(None if is_missing(v) else pd.Timestamp(v).to_pydatetime())
        else:
            v = item.get(name)
            out.append(None if is_missing(v) else v)
    return out


def export_file_name(source: str) -> str:
    """Named after the tracker, so the Import page files it under the same source."""
    return (re.sub(r'[\\/:*?"<>|]+', "_", source).strip(" ._") or "tracker") + ".xlsx"


def export_items(engine: Engine, team_id: int, source: str, actor: Actor) -> Export:
    """The team's items of one tracker as an xlsx in the team's layout; the export is audited.

    It records what the file says (the base later uploads are compared with), so it is a write: the team's
    manager or an admin."""
    require_team_id(actor, team_id)
    actor = actor_name(actor)
    started = time.perf_counter()
    items = work_queries.tracker_items_frame(engine, team_id, source)
    with engine.begin() as conn:
        layout = layout_of(conn, source, items)
        records = items.astype(object).where(items.notna(), None).to_dict("records")
        data = write_xlsx([SheetSpec(layout.sheet, layout.headers, [row_values(r, layout) for r in records])])
        name = export_file_name(source)
        protected = rebase(conn, source, read_back(conn, data, name, layout), actor)
        tables.audit(conn, user=actor, action="export", entity="team", entity_id=team_id,
                   detail=f"{len(items)} item(s) of {source} as {name}; {protected} field(s) the layout cannot "
                          "carry are kept against the file")
    return Export(data, name, len(items), layout, protected, round(time.perf_counter() - started, 3))


def read_back(conn: Connection, data: bytes, file_name: str, layout: Layout) -> pd.DataFrame:
    """The exported rows exactly as a re-import will read them (the engine's own reader and mapping)."""
    prepared = prepare(data, file_name, ImportOptions(source=layout.source), [])
    ps = _as_exported(prepared.sheets[0])
    mapping = fit_mapping(layout.mapping, ps.table.headers)
    if mapping is None:  # cannot happen with our own writer; refuse rather than protect the wrong fields
        raise ImportRefused("the exported file does not read back with its own layout.", file=file_name)
    vs = PreparedSheet(ps.table, mapping, file_name).validated
    incoming, _issues, _names = build_incoming(vs, Resolver.load(conn), layout.source)
    return incoming


# --------------------------------------------------------------------------- re-import
def reimport(engine: Engine, data: bytes, file_name: str, team_id: int, source: str, actor: Actor, *,
             dry_run: bool, resolutions: dict[tuple[str, str, str], str] | None = None,
             close_missing: bool = False) -> Reimport:
    """Import the team's file onto its tracker (a dry run for the preview); list rows the file no longer has.

    With ``close_missing`` the import and the closing of those rows are one transaction (both are written
    or neither) and one undo: the closing batch joins the import's group, so undoing either undoes both.
    """
    require_team_id(actor, team_id)
    items = work_queries.tracker_items_frame(engine, team_id, source)
    with engine.connect() as conn:
        layout = layout_of(conn, source, items)
    prepared = prepare(data, file_name, ImportOptions(source=source), profiles_from_db(engine))
    sheet = _pick_sheet(prepared, layout)
    filled: list[str] = []
    if sheet.mapping.kind == "work_items":
        sheet, filled = _fill_keys(sheet, repo_keys=_keys(engine, source), team_name=str(items["team"].dropna().iloc[0])
                                   if items["team"].notna().any() else "")
    options = ImportOptions(source=source, resolutions=dict(resolutions or {}))
    one_sheet = PreparedFile(prepared.read, [sheet], prepared.skipped)
    keys = set(_file_keys(sheet))
    missing = items[~items["external_key"].astype(str).isin(keys)][["id", "external_key", "title", "status", "owner"]]
    missing = missing.reset_index(drop=True)
    to_close = missing["id"].astype(int).tolist() if close_missing and not dry_run else []
    if not to_close:
        return Reimport(execute(engine, one_sheet, options, actor, dry_run), missing, filled)
    with one_transaction(engine) as unit:
        result = execute(unit.as_engine(), one_sheet, options, actor)
        closed = close_items(unit.as_engine(), team_id, to_close, actor, note=f"closed: no longer in {file_name}")
        if closed.batch_id is not None:
            _join_import(unit.conn, closed.batch_id, result.batch_ids[0])
    return Reimport(result, missing, filled, closed)


def _join_import(conn: Connection, closing_batch: int, import_batch: int) -> None:
    """The closing is part of the import: same group, so the Import history undoes them as one."""
    found = batches.batch(conn, import_batch)
    if found is not None:
        batches.update_batch(conn, closing_batch, {"group_key": found["group_key"]})


def _keys(engine: Engine, source: str) -> list[str]:
    with engine.connect() as conn:
        return work_queries.source_keys(conn, source)


def _pick_sheet(prepared: PreparedFile, layout: Layout) -> PreparedSheet:
    """The sheet named like the tracker's (else the first that fits its layout, else the first); its mapping."""
    if not prepared.sheets:
        raise ImportRefused("the file has no sheet to import.", file=prepared.read.file_name)
    fitted = [(ps, fit_mapping(layout.mapping, ps.table.headers)) for ps in map(_as_exported, prepared.sheets)]
    named = [f for f in fitted if f[0].table.sheet == layout.sheet and f[1] is not None]
    ps, mapping = (named or [f for f in fitted if f[1] is not None] or [fitted[0]])[0]
    return PreparedSheet(ps.table, mapping, ps.file_name) if mapping is not None else ps


def _as_exported(ps: PreparedSheet) -> PreparedSheet:
    """The sheet with the export's own formula-safe apostrophes taken off (keys, text, headers), so a key
    like ``=HYPERLINK(…)`` matches its item again instead of arriving as a new one."""
    table = ps.table
    headers = [str(undo_neutralise(h)) for h in table.headers]
    data = table.data.map(undo_neutralise)
    data.columns = headers
    mapping = replace(ps.mapping, fields={f: str(undo_neutralise(h)) for f, h in ps.mapping.fields.items()},
                      confidence={str(undo_neutralise(h)): c for h, c in ps.mapping.confidence.items()})
    return PreparedSheet(replace(table, headers=headers, data=data), mapping, ps.file_name)


def _fill_keys(ps: PreparedSheet, repo_keys: list[str], team_name: str) -> tuple[PreparedSheet, list[str]]:
    """Rows added in Excel without a key get the tracker's next keys (named in the preview)."""
    header = ps.mapping.fields.get("external_key")
    title = ps.mapping.fields.get("title")
    if header is None or header not in ps.table.data or title is None or title not in ps.table.data:
        return ps, []
    data = ps.table.data
    keys, titles = to_text(data[header]), to_text(data[title])
    blank = keys.isna() & titles.notna()
    if not blank.any():
        return ps, []
    new = next_keys([*repo_keys, *keys.dropna()], int(blank.sum()), team_name)
    data = data.copy()
    data.loc[blank[blank].index, header] = new
    return PreparedSheet(replace(ps.table, data=data), ps.mapping, ps.file_name), new


def _file_keys(ps: PreparedSheet) -> list[str]:
    header = ps.mapping.fields.get("external_key") or ps.mapping.fields.get("title")
    if header is None or header not in ps.table.data:
        return []
    return [str(k) for k in to_text(ps.table.data[header]).dropna()]
