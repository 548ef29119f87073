"""Apply import plans inside one transaction and record the batch (undo: core.importing.undo).

Each sheet becomes one batch: its rows are planned against the database and written
(core.importing.write_target), its issues stored with the original values of rejected rows,
and its counts and content fingerprint kept, so an identical re-import is recognised.
"""
from __future__ import annotations

import hashlib
import json
import time
from typing import Any

import pandas as pd
from sqlalchemy.engine import Connection

from core.importing.context import ImportContext, SheetResult
from core.importing.diff import plan_target, stale_issues
from core.importing.grid import Table
from core.importing.mapping import Mapping
from core.importing.plan import Resolver, build_incoming, scorecard_parts
from core.importing.undo import undo_batch  # noqa: F401  (callers import it from here)
from core.importing.validate import Issue, ValidatedSheet
from core.importing.write_target import apply_target
from core.store import batches, events, tables
from core.store.events import BatchCommitted

__all__ = ["ImportContext", "SheetResult", "apply_sheet", "apply_unchanged", "fingerprint", "unchanged_since",
           "undo_batch"]


# --------------------------------------------------------------------------- apply
def fingerprint(sha256: str, table: Table, mapping: Mapping, source: str | None) -> str:
    """Same file bytes, sheet, header row, mapping and source ⇒ same rows to import."""
    payload = json.dumps([sha256, table.sheet, table.header_row, source, mapping.to_json()], sort_keys=True,
                         default=str)
    return hashlib.sha256(payload.encode()).hexdigest()


def unchanged_since(conn: Connection, ps: Any, sha256: str, source: str) -> dict[str, Any] | None:
    """The earlier batch that imported exactly this content into a tracker whose rows are still as it left them.

    Every write to work items sets ``last_batch_id`` (imports, undo restores), so the
    (count, max last_batch_id, sum id, max id) signature of the source changes with any change.
    """
    fp = fingerprint(sha256, ps.table, ps.mapping, source)
    state = batches.source_state(conn, source)
    for prev in batches.recent_batches_of_source(conn, source):
        opts = prev.get("options") or {}
        if opts.get("fingerprint") == fp and opts.get("source_state") == state:
            return prev
    return None


def apply_unchanged(conn: Connection, table: Table, mapping: Mapping, prev: dict[str, Any], ctx: ImportContext,
                    source: str | None) -> SheetResult:
    """Record a batch for a re-import that changes nothing, with the earlier batch's counts and issues."""
    kept = prev["inserted"] + prev["updated"] + prev["unchanged"]
    batch_id = batches.create_batch(conn, {
        "group_key": ctx.group_key, "file_name": ctx.file_name, "file_sha256": ctx.sha256,
        "file_format": ctx.file_format, "sheet": table.sheet, "kind": mapping.kind, "source": source,
        "profile_name": mapping.profile_name, "mapping": mapping.to_json(), "user": ctx.user,
        "rows_read": prev["rows_read"], "unchanged": kept, "rejected": prev["rejected"], "seconds": 0.0,
        "options": {**(prev.get("options") or {}), "same_as_batch": prev["id"]}})
    records = batches.copy_issues(conn, prev["id"], batch_id)
    result = SheetResult(batch_id, table.sheet, mapping.kind, source, mapping.profile_name, prev["rows_read"],
                         unchanged=kept, rejected=prev["rejected"],
                         date_formats=(prev.get("options") or {}).get("date_formats", {}))
    result.issues = [Issue(r["message"], r["row"], r["column"], r["value"], r["severity"], r["sheet"]) for r in records]
    result.rejected_rows = [{"Row": r["row"], "Column": r["column"], "Reason": r["message"], **r["raw"]}
                            for r in records if r.get("raw")]
    tables.audit(conn, user=ctx.user, action="import", entity="importbatch", entity_id=batch_id,
               after={"file": ctx.file_name, "sheet": table.sheet, "kind": mapping.kind, "unchanged": kept,
                      "rejected": prev["rejected"], "same_as_batch": prev["id"]})
    return result


def apply_sheet(conn: Connection, vs: ValidatedSheet, ctx: ImportContext, source: str | None,
                content_fingerprint: str | None = None) -> SheetResult:
    """Plan and write one validated sheet as one batch (the caller owns the transaction)."""
    started = time.perf_counter()
    kind = vs.mapping.kind
    batch_id = batches.create_batch(conn, {
        "group_key": ctx.group_key, "file_name": ctx.file_name, "file_sha256": ctx.sha256,
        "file_format": ctx.file_format, "sheet": vs.table.sheet, "kind": kind, "source": source,
        "profile_name": vs.mapping.profile_name, "mapping": vs.mapping.to_json(), "user": ctx.user,
        "options": {"date_formats": vs.date_formats, "header_row": vs.table.header_row}})
    result = SheetResult(batch_id, vs.table.sheet, kind, source, vs.mapping.profile_name, rows_read=vs.rows_read,
                         date_formats=vs.date_formats)
    issues = list(vs.issues)
    if kind == "scorecard":
        kept_rows = _apply_scorecard(conn, vs, batch_id, ctx, result, issues)
    else:
        resolver = Resolver.load(conn)
        incoming, ref_issues, names = build_incoming(vs, resolver, source)
        issues += ref_issues
        plan = plan_target(conn, kind, incoming, resolver, source)
        issues += stale_issues(plan, incoming, vs)
        counts = apply_target(conn, plan, batch_id, names, ctx, source, vs, result)
        result.inserted, result.updated, result.unchanged = counts
        kept_rows = set(incoming["source_row"].astype(int))
        result.details.update(events.publish(BatchCommitted(
            conn, batch_id, kind, ctx.user, result.inserted, result.updated,
            _codes(incoming["kpi_id"]) if kind == "kpi_readings" else ())))
    accepted = vs.frame[~vs.rejected]
    dropped = accepted[~accepted["source_row"].astype(int).isin(kept_rows)]
    result.rejected = int(vs.rejected.sum()) + len(dropped) + vs.unreadable
    result.issues = issues
    _store_issues(conn, vs, batch_id, issues, result)
    seconds = round(time.perf_counter() - started, 3)
    batches.update_batch(conn, batch_id, {"rows_read": result.rows_read, "inserted": result.inserted,
                                       "updated": result.updated, "unchanged": result.unchanged,
                                       "rejected": result.rejected, "status_events": result.status_events,
                                       "seconds": seconds,
                                       "options": {"date_formats": vs.date_formats, "header_row": vs.table.header_row,
                                                   "details": result.details, "fingerprint": content_fingerprint,
                                                   "source_state": batches.source_state(conn, source) if source else None}})
    tables.audit(conn, user=ctx.user, action="import", entity="importbatch", entity_id=batch_id,
               after={"file": ctx.file_name, "sheet": vs.table.sheet, "kind": kind, "inserted": result.inserted,
                      "updated": result.updated, "unchanged": result.unchanged, "rejected": result.rejected})
    return result


def _apply_scorecard(conn: Connection, vs: ValidatedSheet, batch_id: int, ctx: ImportContext,
                     result: SheetResult, issues: list[Issue]) -> set[int]:
    resolver = Resolver.load(conn)
    objectives, kpis, readings = scorecard_parts(vs, resolver)
    names: dict[str, dict[str, str]] = {"person": {}, "team": {}}
    for sub, frame in (("objectives", objectives), ("kpis", kpis), ("kpi_readings", readings)):
        resolver = Resolver.load(conn)
        sub_result = SheetResult(batch_id, vs.table.sheet, sub, None, None, rows_read=len(frame))
        plan = plan_target(conn, sub, frame.copy(), resolver, None)
        counts = apply_target(conn, plan, batch_id, names, ctx, None, vs, sub_result)
        result.details[sub] = dict(zip(("inserted", "updated", "unchanged"), counts))
        result.changes += sub_result.changes
        if sub == "kpis":
            result.inserted, result.updated, result.unchanged = counts
        if sub == "kpi_readings":
            result.details.update(events.publish(BatchCommitted(conn, batch_id, sub, ctx.user, counts[0], counts[1],
                                                                _codes(readings["kpi_id"]))))
    return set(kpis["source_row"].astype(int)) | set(readings["source_row"].astype(int))  # segment rows count


def _codes(kpi_codes: pd.Series) -> tuple[str, ...]:
    """The KPI codes of readings just written, once each (subscribers raise signals for them)."""
    return tuple(sorted({str(c) for c in kpi_codes.dropna()}))


def _store_issues(conn: Connection, vs: ValidatedSheet, batch_id: int, issues: list[Issue],
                  result: SheetResult) -> None:
    """Issues with the original values of rejected rows, so they can be downloaded and fixed."""
    by_row = {int(r): pos for pos, r in enumerate(vs.table.row_numbers)}
    records = []
    for issue in issues:
        raw = (vs.raw_row(by_row[issue.row]) if issue.severity == "error" and issue.column and issue.row in by_row
               else None)
        records.append({"severity": issue.severity, "sheet": issue.sheet, "row": issue.row, "column": issue.column,
                        "value": None if issue.value is None else str(issue.value)[:1000],
                        "message": issue.message, "raw": raw})
        if raw is not None:
            result.rejected_rows.append({"Row": issue.row, "Column": issue.column, "Reason": issue.message, **raw})
    batches.insert_issues(conn, batch_id, records)
