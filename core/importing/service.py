"""The import engine's front door: prepare (read, map, validate) and execute (plan + commit or dry run).

Pages and the CLI call only this module. Every sheet of a file is written in one
transaction, in dependency order (people before the objectives they own, KPIs
before their readings); a dry run does the same work and rolls it back, so the
preview is exactly what a commit would do.
"""
from __future__ import annotations

import re
import time
import uuid
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from core.accounts.auth import AccessDenied, Viewer, actor_name, checked, require_writer
from core.config import ImportLimits, load_settings
from core.errors import ImportRefused
from core.importing import queries as import_queries
from core.importing.commit import (
    ImportContext,
    SheetResult,
    apply_sheet,
    apply_unchanged,
    fingerprint,
    unchanged_since,
)
from core.importing.context import collector_paused
from core.importing.events import recognise_event_log
from core.importing.fields import KIND_ORDER, KINDS
from core.importing.learning import learn, learnable
from core.importing.mapping import (
    Mapping,
    Profile,
    build_mapping,
    detect_kind,
)
from core.importing.profile import ColumnProfile, export_time, profile_table
from core.importing.read import ReadResult, Table, read_bytes
from core.importing.sync import SyncReport, reconcile
from core.importing.validate import Issue, ValidatedSheet, validate
from core.store import tables
from core.store.values import name_key


class ImportBlocked(ImportRefused):
    """Nothing was written: a sheet has a blocking problem (or --strict met a rejected row)."""

    def __init__(self, message: str, issues: list[Issue]) -> None:
        super().__init__(message)
        self.issues = issues


@dataclass
class ImportOptions:
    kind: str | None = None  # None/"auto": detect per sheet
    source: str | None = None  # tracker name for work items (default: from the file name)
    sheets: list[str] | None = None  # import only these sheets
    profile: str | None = None
    overrides: dict[str, str] = field(default_factory=dict)  # field -> column header (--map)
    date_orders: dict[str, str] = field(default_factory=dict)  # column header (or "*") -> dmy | mdy
    header_rows: dict[str | None, int] = field(default_factory=dict)  # sheet -> 1-based header row
    kinds: dict[str | None, str] = field(default_factory=dict)  # sheet -> kind
    mappings: dict[str | None, Mapping] = field(default_factory=dict)  # sheet -> full mapping (from the page)
    strict: bool = False
    include_sheets: set[str] = field(default_factory=set)  # hidden or set-aside sheets to import anyway
    # (source, key, column) -> "app" | "file": the user's choice where the upload meets an in-app edit (sync.py)
    resolutions: dict[tuple[str, str, str], str] = field(default_factory=dict)


@dataclass
class PreparedSheet:
    """One sheet with its mapping; validated on first use (an unchanged re-import may never need it)."""

    table: Table
    mapping: Mapping
    file_name: str
    columns: dict[str, ColumnProfile] = field(default_factory=dict)  # what each column holds (the evidence)
    inferred: dict[str, str] | None = None  # the fields inference proposed, to learn what the user changed

    @cached_property
    def validated(self) -> ValidatedSheet:
        return validate(self.table, self.mapping, self.file_name)

    @property
    def blocking(self) -> list[Issue]:
        return self.validated.blocking


@dataclass
class PreparedFile:
    read: ReadResult
    sheets: list[PreparedSheet]
    skipped: list[str] = field(default_factory=list)  # sheets left out, with why


@dataclass
class ImportResult:
    file_name: str
    sha256: str
    committed: bool
    sheets: list[SheetResult]
    seconds: float
    notes: list[str] = field(default_factory=list)
    conflicts: list[dict[str, Any]] = field(default_factory=list)  # upload vs in-app edit, undecided (app value kept)

    def total(self, name: str) -> int:
        return sum(getattr(s, name) for s in self.sheets)

    rows_read = property(lambda self: self.total("rows_read"))
    inserted = property(lambda self: self.total("inserted"))
    updated = property(lambda self: self.total("updated"))
    unchanged = property(lambda self: self.total("unchanged"))
    rejected = property(lambda self: self.total("rejected"))
    status_events = property(lambda self: self.total("status_events"))

    @property
    def batch_ids(self) -> list[int]:
        return [s.batch_id for s in self.sheets] if self.committed else []

    @property
    def issues(self) -> list[Issue]:
        return [i for s in self.sheets for i in s.issues]

    def as_json(self) -> dict[str, Any]:
        first = self.sheets[0] if self.sheets else None
        return {
            "batch_id": self.batch_ids[0] if self.batch_ids else None, "batch_ids": self.batch_ids,
            "committed": self.committed, "file": self.file_name,
            "kind": first.kind if first and len(self.sheets) == 1 else [s.kind for s in self.sheets],
            "source": first.source if first and len(self.sheets) == 1 else [s.source for s in self.sheets],
            "profile": first.profile_name if first else None,
            "rows_read": self.rows_read, "inserted": self.inserted, "updated": self.updated,
            "unchanged": self.unchanged, "rejected": self.rejected, "status_events": self.status_events,
            "issues": [i.as_dict() for i in self.issues], "seconds": round(self.seconds, 3),
            "conflicts": self.conflicts,
            "sheets": [{"batch_id": s.batch_id if self.committed else None, "sheet": s.sheet, "kind": s.kind,
                        "source": s.source, "rows_read": s.rows_read, "inserted": s.inserted, "updated": s.updated,
                        "unchanged": s.unchanged, "rejected": s.rejected, "status_events": s.status_events,
                        "details": s.details, "date_formats": s.date_formats} for s in self.sheets],
        }


def default_source(file_name: str, sheet: str | None, several: bool) -> str:
    """A tracker's name from its file name, without dates, versions and copy markers."""
    stem = Path(file_name).stem
    stem = re.sub(r"[\s_-]*(\(\d+\)|copy|v\d+|\d{4}[-_.]?\d{2}[-_.]?\d{2}|\d{2}[-_.]\d{2}[-_.]\d{4})$", "", stem,
                  flags=re.I)
    stem = stem.strip(" _-") or Path(file_name).stem
    return f"{stem} / {sheet}" if several and sheet else stem


def profiles_from_db(engine: Engine) -> list[Profile]:
    return [Profile(p["name"], p["kind"], tuple(p["headers"] or ()), dict(p["mapping"] or {}),
                    dict(p["value_maps"] or {}), dict(p["options"] or {})) for p in import_queries.saved_profiles(engine)]


@collector_paused()
def prepare(data: bytes, file_name: str, options: ImportOptions | None = None,
            profiles: list[Profile] | None = None, limits: ImportLimits | None = None) -> PreparedFile:
    """Read, map and validate every sheet; nothing touches the database."""
    options = options or ImportOptions()
    if options.kind not in (None, "auto") and options.kind not in KINDS:
        raise ImportRefused(f"unknown kind '{options.kind}'. Kinds: {', '.join(KINDS)}.")
    wanted = set(options.include_sheets) | set(options.sheets or [])
    read = read_bytes(data, file_name, limits or load_settings().limits, options.header_rows, include_hidden=wanted,
                      as_tables=wanted)
    _keep_master_data(read)
    prepared = PreparedFile(read, [])
    for table in read.tables:
        if options.sheets and table.sheet is not None and table.sheet not in options.sheets:
            prepared.skipped.append(f"{table.sheet}: not selected")
            continue
        columns = profile_table(table.data)
        mapping = options.mappings.get(table.sheet)
        if mapping is None:
            overrides = _resolve_overrides(options.overrides, table.headers, file_name, table.sheet)
            mapping = build_mapping(table.headers, table.sheet or file_name,
                                    kind=options.kinds.get(table.sheet, options.kind), profiles=profiles or [],
                                    profile_name=options.profile, overrides=overrides, columns=columns)
            recognise_event_log(mapping, columns)
        if options.strict:
            mapping.options["strict"] = True
        anchor = export_time(columns)
        if anchor is not None:
            mapping.options.setdefault("export_time", anchor.isoformat(sep=" "))
        if options.date_orders:
            orders = dict(mapping.options.get("date_orders") or {})
            for header, order in options.date_orders.items():
                if header == "*":
                    mapping.options["date_order"] = order
                else:
                    from core.importing.mapping import resolve_header

                    orders[resolve_header(header, table.headers) or header] = order
            mapping.options["date_orders"] = orders
        inferred = dict(mapping.fields) if mapping.profile_name is None and table.sheet not in options.mappings \
            else None
        prepared.sheets.append(PreparedSheet(table, mapping, file_name, columns, inferred))
    if options.sheets:
        missing = [s for s in options.sheets if s not in {t.sheet for t in read.tables}]
        if missing:
            raise ImportRefused(f"the workbook has no sheet named {', '.join(repr(m) for m in missing)} (sheets: "
                                f"{', '.join(str(t.sheet) for t in read.tables)}).", file=file_name)
    return prepared


def _keep_master_data(read: ReadResult) -> None:
    """A sheet the reader set aside as a lookup list is records after all when it maps to a kind of its own.

    A People or KPIs sheet lists the names other sheets refer to, which is what a lookup list looks like; but
    its columns (e-mail, team, role; unit, target, direction) make it people or KPIs, and those are imported.
    """
    for table in list(read.set_aside):
        if table.hidden or "lookup list" not in (table.not_a_table or ""):
            continue
        kind, _score = detect_kind(table.headers, table.sheet, profile_table(table.data))
        if kind == "work_items":
            continue
        read.set_aside.remove(table)
        read.tables.append(table)
        read.notes = [n for n in read.notes if f"'{table.sheet}' was set aside" not in n]
        table.not_a_table = None


def _resolve_overrides(overrides: dict[str, str], headers: list[str], file_name: str,
                       sheet: str | None) -> dict[str, str]:
    from core.importing.mapping import resolve_header

    out = {}
    for field_name, column in overrides.items():
        header = resolve_header(column, headers)
        if header is None:
            raise ImportRefused(f"--map {field_name}={column}: no column '{column}' (columns: "
                                f"{', '.join(h.splitlines()[0] for h in headers[:40])}).", file=file_name, sheet=sheet)
        out[field_name] = header
    return out


@collector_paused()
def execute(engine: Engine, prepared: PreparedFile, options: ImportOptions | None = None, user: str | None = None,
            dry_run: bool = False) -> ImportResult:
    """Write every sheet in one transaction (or roll it back for a dry run / --strict failure)."""
    options = options or ImportOptions()
    started = time.perf_counter()
    name = prepared.read.file_name
    if not prepared.sheets:
        raise ImportRefused("no sheet was selected for import.", file=name)
    check_import_rights(checked(user), prepared)
    user = actor_name(user)
    ordered = sorted(prepared.sheets, key=lambda s: KIND_ORDER.index(s.mapping.kind))
    n_work = sum(1 for s in ordered if s.mapping.kind == "work_items")
    sources = [_source_of(s, options, name, n_work) for s in ordered]
    ctx = ImportContext(name, prepared.read.sha256, prepared.read.file_format, user, uuid.uuid4().hex)
    results: list[SheetResult] = []
    conn = engine.connect()
    try:
        trans = conn.begin()
        # An identical file with an identical mapping, over rows nobody changed since: nothing to diff.
        # (not over in-app edits: their conflicts are reported again with every upload until decided)
        same = [unchanged_since(conn, ps, prepared.read.sha256, src) if src and not import_queries.has_field_edits(conn, src)
                else None for ps, src in zip(ordered, sources)]
        blocking = [i for ps, prev in zip(ordered, same) if prev is None for i in ps.blocking]
        if blocking:
            raise ImportBlocked(_blocking_message(name, blocking), blocking)
        synced = SyncReport()
        for ps, src, prev in zip(ordered, sources, same):
            if prev is not None:
                results.append(apply_unchanged(conn, ps.table, ps.mapping, prev, ctx, src))
            else:
                if src and ps.mapping.kind == "work_items":  # in-app edits the upload must not overwrite silently
                    one = reconcile(conn, ps.validated, src, options.resolutions, user)
                    synced.conflicts += one.conflicts
                    synced.kept += one.kept
                results.append(apply_sheet(conn, ps.validated, ctx, src,
                                           fingerprint(prepared.read.sha256, ps.table, ps.mapping, src)))
        rejected = sum(r.rejected for r in results)
        changed = sum(r.inserted + r.updated + r.status_events for r in results)
        kept_rows = sum(r.inserted + r.updated + r.unchanged for r in results)
        if rejected and not kept_rows:
            trans.rollback()
            errors = [i for r in results for i in r.issues if i.severity == "error"]
            raise ImportBlocked(f"'{name}': every one of its {rejected:,} row(s) would be rejected, so nothing was "
                                "imported. The first problems:\n" + "\n".join(
                                    f"  - row {i.row}, column '{(i.column or '').splitlines()[0]}': {i.message}"
                                    for i in errors[:5]), errors[:10])
        if options.strict and rejected:
            trans.rollback()
            errors = [i for r in results for i in r.issues if i.severity == "error"]
            raise ImportBlocked(f"'{name}': {rejected} row(s) would be rejected and --strict is set; nothing was "
                                "imported.", errors)
        if dry_run:
            trans.rollback()
        else:
            learned = [learn(conn, ps.table.headers, ps.mapping, name, user) for ps in ordered
                       if learnable(ps.mapping, ps.inferred)]
            if changed or learned:
                tables.bump_data_version(conn)
            trans.commit()
    finally:
        conn.close()
    kept = [f"Kept {len(synced.kept)} value(s) set in the app that this file leaves as they were "
            f"({', '.join(sorted({k['field'] for k in synced.kept}))})."] if synced.kept else []
    return ImportResult(name, prepared.read.sha256, not dry_run, results, time.perf_counter() - started,
                        prepared.read.notes + prepared.skipped + kept, synced.conflicts)


def check_import_rights(viewer: Viewer | None, prepared: PreparedFile) -> None:
    """Executives import nothing; managers import work items of their own team (or with no team) only."""
    if viewer is None:
        return
    require_writer(viewer)
    if viewer.role == "admin":
        return
    name = prepared.read.file_name
    for ps in prepared.sheets:
        if ps.mapping.kind != "work_items":
            raise AccessDenied(f"'{name}', sheet '{ps.table.sheet or 'CSV'}': managers import work items; "
                               f"{ps.mapping.kind.replace('_', ' ')} are imported by an admin. Nothing was imported.")
        frame = ps.validated.frame
        if "team" not in frame:
            continue
        own = name_key(viewer.team or "")
        other = frame[frame["team"].notna() & (frame["team"].map(lambda t: name_key(t)) != own)]
        if len(other):
            first = other.iloc[0]
            raise AccessDenied(f"'{name}', sheet '{ps.table.sheet or 'CSV'}', row {int(first['source_row'])}, "
                               f"column '{ps.mapping.fields.get('team', 'team')}': '{first['team']}' is not your team "
                               f"({viewer.team}); you can import rows of your own team only. Nothing was imported.")


def _source_of(ps: PreparedSheet, options: ImportOptions, file_name: str, n_work: int) -> str | None:
    if ps.mapping.kind != "work_items":
        return None
    if options.source:
        return options.source if n_work == 1 else f"{options.source} / {ps.table.sheet}"
    return default_source(file_name, ps.table.sheet, n_work > 1)


def _blocking_message(file_name: str, issues: list[Issue]) -> str:
    lines = [f"'{file_name}' was not imported:"]
    for i in issues[:10]:
        where = ", ".join(p for p in (f"sheet '{i.sheet}'" if i.sheet else "",
                                      f"column '{i.column.splitlines()[0]}'" if i.column else "") if p)
        lines.append(f"  - {where + ': ' if where else ''}{i.message}")
    return "\n".join(lines)


def import_file(engine: Engine, data: bytes, file_name: str, options: ImportOptions | None = None,
                user: str | None = None, dry_run: bool = False) -> ImportResult:
    options = options or ImportOptions()
    prepared = prepare(data, file_name, options, profiles_from_db(engine))
    return execute(engine, prepared, options, user, dry_run)


def import_path(engine: Engine, path: str | Path, *, source: str | None = None, kind: str | None = None,
                user: str | None = None, dry_run: bool = False, **option_kw: Any) -> ImportResult:
    """Import a file from disk (CLI, sample loader, benchmarks)."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ImportRefused(f"cannot read the file ({exc.strerror}).", file=str(path)) from None
    options = ImportOptions(kind=kind, source=source, **option_kw)
    return import_file(engine, data, path.name, options, user, dry_run)
