"""What an import review shows and edits (the Import page, My work's re-import), as pure functions over
prepared files and results.

The review UI (ui.review) only renders these frames and hands edited frames back; every decision
(which field, which value map, which date order) becomes a new :class:`Mapping`.
"""
from __future__ import annotations

from dataclasses import replace

import pandas as pd

from core.importing.assign import assign
from core.importing.fields import KIND_LABELS, KINDS, fields_of
from core.importing.grid import Table, column_letter
from core.importing.mapping import Mapping
from core.importing.profile import ColumnProfile
from core.importing.service import ImportResult, PreparedSheet
from core.importing.validate import ValidatedSheet
from core.importing.vocabulary import canonical_rag, canonical_status, suggest_status
from core.reporting.export_safety import SheetSpec, write_xlsx
from core.store.models import RAG_VALUES, WORK_STATUSES
from core.store.values import is_blank, name_key, text_or_blank

IGNORE = "— ignore —"
STATUS_CHOICES = WORK_STATUSES  # what a status value may be mapped to
RAG_CHOICES = RAG_VALUES


def field_labels(kind: str) -> dict[str, str]:
    """field name → label shown in the dropdown."""
    return {name: f"{spec.label}{' *' if spec.required else ''}" for name, spec in fields_of(kind).items()}


def kind_choices() -> dict[str, str]:
    return dict(KIND_LABELS)


def sheet_overview(sheets: list[PreparedSheet]) -> pd.DataFrame:
    """One row per sheet: detected kind, rows, header row, recognised profile."""
    return pd.DataFrame([{"Sheet": ps.table.sheet or "(CSV)", "Kind": KIND_LABELS[ps.mapping.kind],
                          "Rows": len(ps.table.data), "Header row": ps.table.header_row,
                          "Profile": ps.mapping.profile_name or ""} for ps in sheets])


def raw_preview(table: Table, rows: int = 8) -> pd.DataFrame:
    """The first rows of the sheet as Excel shows them (row numbers, column letters), to locate the header."""
    grid = table.raw_preview.head(rows).copy()
    grid.columns = [column_letter(i) for i in range(grid.shape[1])]
    grid.index = [i + 1 for i in range(len(grid))]
    return grid.astype(str).replace({"nan": "", "None": ""})


def mapping_rows(mapping: Mapping, table: Table, samples: int = 3) -> pd.DataFrame:
    """One row per column: sample values, the field it maps to, the confidence, what the values are and why."""
    labels = field_labels(mapping.kind)
    by_header = {h: f for f, h in mapping.fields.items()}
    out = []
    for header in table.headers:
        values = [str(v) for v in table.data[header].tolist() if not is_blank(v) and str(v) != "nan"]
        field = by_header.get(header)
        choice = mapping.choices.get(header)
        out.append({"Column": header.splitlines()[0], "Sample values": " · ".join(dict.fromkeys(values))[:120]
                    if values else "", "Field": labels.get(field, IGNORE) if field else IGNORE,
                    "Confidence": int(round(mapping.confidence.get(header, 0))) if field else 0,
                    "What it holds": choice.evidence if choice else "",
                    "Why": (choice.reason if choice and (choice.field == field or not field) else "chosen by you")})
    return pd.DataFrame(out)


def pins_from_rows(mapping: Mapping, table: Table, rows: pd.DataFrame,
                   pins: dict[str, str | None]) -> dict[str, str | None]:
    """The user's choices so far plus the rows they changed in this edit (header → field, None = ignored)."""
    by_label = {label: name for name, label in field_labels(mapping.kind).items()}
    shown = {h: f for f, h in mapping.fields.items()}
    out = dict(pins)
    for header, label in zip(table.headers, rows["Field"].tolist()):
        chosen = by_label.get(label)
        if chosen != shown.get(header):
            out[header] = chosen
    return out


def rescored(base: Mapping, table: Table, columns: dict[str, ColumnProfile], pins: dict[str, str | None]) -> Mapping:
    """The mapping with the user's pinned choices standing and every other column assigned again around them."""
    if not pins:
        return base
    if base.profile_name:  # a profile's columns stand as given; only the pinned ones change
        fields = {f: h for f, h in base.fields.items() if h not in pins and f not in pins.values()}
        fields.update({f: h for h, f in pins.items() if f})
        choices = dict(base.choices)
    else:
        choices = assign(list(table.headers), base.kind, columns, pins)
        fields = {c.field: h for h, c in choices.items() if c.field}
    confidence = {h: choices[h].confidence if h in choices and h not in pins else 100.0 for h in fields.values()}
    return replace(base, fields=fields, confidence=confidence, choices=choices, profile_name=None)


def value_map_rows(mapping: Mapping, table: Table, field: str) -> pd.DataFrame:
    """Raw values of the status (or a RAG) column with the canonical value each maps to; unmapped flagged."""
    header = mapping.fields.get(field)
    if header is None or header not in table.data:
        return pd.DataFrame(columns=["Raw value", "Rows", "Maps to", "Unmapped", "Suggested"])
    raw = table.data[header].map(lambda v: None if is_blank(v) or str(v).strip() == "nan" else str(v).strip())
    counts = raw.value_counts()
    kind = "status" if field == "status" else "rag"
    overrides = mapping.value_maps.get(kind)
    rows = []
    for value, n in counts.items():
        canon = canonical_status(value, overrides) if kind == "status" else canonical_rag(value, overrides)[0]
        hint = suggest_status(value) if kind == "status" and canon is None else None
        rows.append({"Raw value": value, "Rows": int(n), "Maps to": canon or "", "Unmapped": canon is None,
                     "Suggested": hint or ""})
    return pd.DataFrame(rows)


def mapping_with_value_map(mapping: Mapping, field: str, rows: pd.DataFrame) -> Mapping:
    """Store the user's raw → canonical choices (a blank choice means 'no value')."""
    kind = "status" if field == "status" else "rag"
    maps = {k: dict(v) for k, v in mapping.value_maps.items()}
    maps[kind] = {**maps.get(kind, {}), **{name_key(r): (m or "") for r, m in zip(rows["Raw value"], rows["Maps to"])}}
    return replace(mapping, value_maps=maps)


def ambiguous_date_columns(validated: ValidatedSheet) -> list[str]:
    return [i.column for i in validated.blocking if i.column and "day-first and month-first" in i.message]


def with_date_order(mapping: Mapping, header: str, order: str) -> Mapping:
    options = dict(mapping.options)
    options["date_orders"] = {**(options.get("date_orders") or {}), header: order}
    return replace(mapping, options=options)


def plan_counts(result: ImportResult) -> dict[str, int]:
    return {"New": result.inserted, "Updated": result.updated, "Unchanged": result.unchanged,
            "Rejected": result.rejected}


def changes_table(result: ImportResult) -> pd.DataFrame:
    rows = [{"Sheet": s.sheet or "", **c} for s in result.sheets for c in s.changes]
    return pd.DataFrame(rows, columns=["Sheet", "key", "field", "before", "after"]).rename(
        columns={"key": "Key", "field": "Field", "before": "Before", "after": "After"}).astype(str)


KEEP_CHOICES = {"app": "the app's value", "file": "the file's value"}


def conflicts_table(result: ImportResult) -> pd.DataFrame:
    """Fields the upload would overwrite although they were edited in the app: both values and a Keep choice."""
    rows = [{"Key": c["key"], "Title": c["title"], "Field": c["field"], "In the app": text_or_blank(c["app"]),
             "In the file": text_or_blank(c["file"]), "Before the app edit": text_or_blank(c["before"]),
             "Edited in the app by": f"{c['edited_by'] or 'someone'}, {pd.Timestamp(c['edited_at']):%Y-%m-%d %H:%M}",
             "Keep": None} for c in result.conflicts]
    return pd.DataFrame(rows, columns=["Key", "Title", "Field", "In the app", "In the file", "Before the app edit",
                                       "Edited in the app by", "Keep"])


def resolutions_from(result: ImportResult, table: pd.DataFrame) -> dict[tuple[str, str, str], str] | None:
    """The user's choices as ImportOptions.resolutions; None while a conflict has no choice yet."""
    by_label = {label: choice for choice, label in KEEP_CHOICES.items()}
    picks = [by_label.get(v) for v in table["Keep"].tolist()] if len(table) else []
    if any(p is None for p in picks):
        return None
    return {(c["source"], c["key"], c["column"]): p for c, p in zip(result.conflicts, picks)}


def issues_table(result: ImportResult, file_name: str) -> pd.DataFrame:
    """Every problem with file, sheet, Excel row, column, value and message; errors first."""
    rows = [{"Severity": "rejected" if i.severity == "error" else i.severity, "File": file_name,
             "Sheet": i.sheet or "", "Row": i.row, "Column": (i.column or "").splitlines()[0] if i.column else "",
             "Value": i.value or "", "Message": i.message} for i in result.issues]
    df = pd.DataFrame(rows, columns=["Severity", "File", "Sheet", "Row", "Column", "Value", "Message"])
    return df.sort_values(["Severity", "Sheet", "Row"], key=lambda s: s.map({"rejected": 0, "warning": 1}).fillna(
        s) if s.name == "Severity" else s, kind="stable").reset_index(drop=True)


def rejected_workbook(rows: list[dict[str, object]]) -> bytes:
    """The rejected rows with their original values and a Reason column, to fix and upload again.

    Written by the one formula-safe writer: a header such as ``=HYPERLINK(…)`` (the file's own) stays text.
    """
    merged: dict[object, dict[str, object]] = {}
    for r in rows:
        key = r.get("Row") or len(merged)
        entry = merged.setdefault(key, {k: v for k, v in r.items() if k not in ("Row", "Column", "Reason")})
        entry.setdefault("_reasons", []).append(f"{r.get('Column') or ''}: {r.get('Reason')}".strip(": "))
    columns = list(dict.fromkeys(k for e in merged.values() for k in e if k != "_reasons"))
    rows_out = [["; ".join(entry["_reasons"]), row_number, *[entry.get(c) for c in columns]]
                for row_number, entry in sorted(merged.items(), key=lambda kv: kv[0])]
    return write_xlsx([SheetSpec("Rejected rows", ["Reason", "Original row", *map(str, columns)], rows_out)])


def profile_values(name: str, mapping: Mapping, headers: list[str]) -> dict[str, object]:
    """What import_queries.save_profile stores: recognised next time by the headers it maps."""
    mapped_headers = [h for h in headers if h in mapping.fields.values()]
    return {"name": name, "kind": mapping.kind, "headers": mapped_headers, "mapping": dict(mapping.fields),
            "value_maps": mapping.value_maps, "options": {k: v for k, v in mapping.options.items()
                                                          if k in ("null_values", "event_log", "item_type",
                                                                   "title_columns", "date_order", "date_orders")}}


def all_kinds() -> list[str]:
    return list(KINDS)
