"""Raw cells → typed field columns, with one issue per problem (file, sheet, Excel row, column, value).

Rows with a bad value are rejected (kept with their original values so they can
be fixed and re-imported); problems that make the whole sheet unsafe to import
(a missing required column, a date column whose day/month order is undecided)
are *blocking*.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from core.importing.cells import build_attributes, clip, joined_texts, jsonable, to_text
from core.importing.dates import describe, parse_date_column, parse_number_column
from core.importing.events import workflow_positions
from core.importing.fields import fields_of
from core.importing.grid import Table
from core.importing.issues import Issue
from core.importing.mapping import Mapping, required_present
from core.importing.profile import blank_nulls
from core.importing.row_checks import (
    reject_duplicate_keys,
    reject_overlong_cells,
    reject_unreadable,
)
from core.importing.vocabulary import (
    canonical_rag,
    canonical_status,
    segment_of,
    suggest_status,
)
from core.store.values import PLAUSIBLE_YEARS_AHEAD, implausible_dates, map_distinct, normalize_header
from core.store.writes import json_text

MAX_NUMBER = 1e15  # no effort, KPI value or budget is larger; 1e308 and inf are typing or export errors
NON_NEGATIVE = {"effort", "weight", "tolerance", "baseline_periods"}
KEY_FIELDS = {"work_items": ("external_key",), "objectives": ("code",), "kpis": ("code",),
              "kpi_readings": ("kpi", "period"), "incentives": ("team", "kpi"),
              "expected_effects": ("objective", "kpi"), "people": ("name",), "scorecard": ("kpi_code",)}
KEY_FALLBACK = {"work_items": ("external_key", "title"), "objectives": ("code", "title"), "kpis": ("code", "name"),
                "scorecard": ("kpi_code", "kpi_name")}
ITEM_TYPE_WORDS = ("project", "milestone", "incident", "ticket", "change", "request", "task", "story", "epic")


@dataclass
class ValidatedSheet:
    file_name: str
    table: Table
    mapping: Mapping
    frame: pd.DataFrame  # one column per mapped field (typed) + source_row (+ attributes for work items)
    rejected: pd.Series  # bool per row of frame
    issues: list[Issue] = field(default_factory=list)
    date_formats: dict[str, str] = field(default_factory=dict)  # header -> what the engine decided
    events: pd.DataFrame | None = None  # event-log rows (work items only)
    suggestions: dict[str, str | None] = field(default_factory=dict)  # unknown status word -> proposed meaning
    unreadable: int = 0  # records the reader could not split into cells: rejected rows with no cells to keep

    @property
    def rows_read(self) -> int:
        """Rows of the sheet as read: an event log's events, not the items they collapse into."""
        return len(self.table.data) + self.unreadable

    @property
    def blocking(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "blocking"]

    def raw_row(self, pos: int) -> dict[str, Any]:
        """The row as read, kept with its issue for the rejected-rows workbook (an over-long cell is clipped)."""
        return {h: clip(jsonable(v)) for h, v in self.table.data.iloc[pos].items()}


def apply_nulls(data: pd.DataFrame, mapping: Mapping) -> pd.DataFrame:
    """Blank out cells that mean 'empty' ('?' in ServiceNow, '#N/A' in Excel, "Nicht zugewiesen" in Jira) in the
    columns validation reads on every row: the mapped ones and those a title is built from. The rest become
    attributes, blanked by :func:`_add_attributes` on the rows kept (an event log keeps 1 row in 6)."""
    read = [*mapping.fields.values(), *mapping.options.get("title_columns", [])]
    return blank_nulls(data, mapping.options.get("null_values"), columns=read)


def _anchor(opts: dict[str, Any]) -> datetime | None:
    """The export time relative dates count back from (set at prepare time from the whole file)."""
    raw = opts.get("export_time")
    try:
        return datetime.fromisoformat(raw) if raw else None
    except ValueError:
        return None


def infer_item_type(mapping: Mapping) -> str:
    if mapping.options.get("item_type"):
        return str(mapping.options["item_type"])
    for f in ("external_key", "title"):
        header = normalize_header(mapping.fields.get(f, ""))
        for word in ITEM_TYPE_WORDS:
            if word in header.split():
                return "ticket" if word == "incident" else word
    return "task"


def validate(table: Table, mapping: Mapping, file_name: str) -> ValidatedSheet:
    """Type every mapped column, check required values and duplicate keys."""
    kind, opts = mapping.kind, mapping.options
    specs = fields_of(kind)
    data = apply_nulls(table.data, mapping)
    rows = pd.Series(table.row_numbers, index=data.index)
    frame = pd.DataFrame(index=data.index)
    frame["source_row"] = rows
    rejected = pd.Series(False, index=data.index)
    issues: list[Issue] = []
    sheet = table.sheet
    date_formats: dict[str, str] = {}

    missing = required_present(kind, mapping.fields)
    unknown_headers = [h for h in mapping.fields.values() if h not in data.columns]
    for h in unknown_headers:
        issues.append(Issue(f"the mapping names column '{h}', which is not in the sheet", column=h,
                            severity="blocking", sheet=sheet))
    for f in missing:
        issues.append(Issue(f"no column is mapped to the required field '{specs[f].label}' "
                            f"(columns: {', '.join(h.splitlines()[0] for h in table.headers[:30])}); map one of them to it "
                            f"(--map {f}=COLUMN on the command line)", column=None, severity="blocking",
                            sheet=sheet))

    if missing or unknown_headers:
        return ValidatedSheet(file_name, table, mapping, frame, rejected, issues, date_formats, None)

    def reject(mask: pd.Series, header: str, reason_of: Any) -> None:
        for i in mask[mask].index:
            issues.append(Issue(reason_of(i), row=int(rows[i]), column=header,
                                value=None if data.at[i, header] is None else str(jsonable(data.at[i, header])),
                                sheet=sheet))
        rejected.loc[mask[mask].index] = True

    reject_overlong_cells(data, rows, rejected, issues, sheet)
    notes: dict[int, dict[str, str]] = {}

    def keep_notes(found: dict[int, str], header: str, label: str, what: str) -> None:
        """Text written where a value belongs is kept with the row (as an attribute), not rejected."""
        for i, text in found.items():
            notes.setdefault(i, {})[header] = str(text)
        if found:
            first = min(found)
            issues.append(Issue(f"{label}: {len(found)} row(s) hold text instead of a {what} (such as this one); "
                                f"the {what} is left empty and the text is kept with the row", row=int(rows[first]),
                                column=header, value=str(found[first])[:200], severity="warning", sheet=sheet))

    anchor = _anchor(opts)
    questioned: list[str] = []
    unknown_status: tuple[str, pd.Series] | None = None

    def question(fname: str, header: str, bad: pd.Series, present: pd.Series, what: str) -> bool:
        """A column that fails on most of its rows was mapped wrong: unmap it (say so) rather than reject them."""
        n_bad, n_present = int(bad.sum()), int(present.sum())
        if n_bad < 2 or n_bad * 2 <= n_present:
            return False
        spec = specs[fname]
        example = next((str(jsonable(v)) for v in data.loc[bad, header].head(1)), "")
        message = (f"'{header.splitlines()[0]}' holds {what} ({n_bad:,} of {n_present:,} values, such as "
                   f"'{example[:60]}'), not {'a number' if spec.type == 'number' else 'dates'}")
        if opts.get("strict") or spec.required:
            issues.append(Issue(message + f"; map another column to {spec.label} or none", column=header,
                                value=example[:200], severity="blocking", sheet=sheet))
        else:
            issues.append(Issue(message + f": left unmapped as {spec.label} (its values are kept with each row)",
                                column=header, value=example[:200], severity="warning", sheet=sheet))
        questioned.append(fname)
        return True

    for fname, header in mapping.fields.items():
        if header not in data.columns or fname not in specs:
            continue
        spec, raw = specs[fname], data[header]
        if spec.type == "date":
            order = (opts.get("date_orders") or {}).get(header) or opts.get("date_order")
            col = parse_date_column(raw, order, anchor)
            if question(fname, header, col.bad, raw.notna(), "text that is not a date"):
                continue
            date_formats[header] = describe(col)
            if col.ambiguous:
                sample = next((str(v) for v in raw.dropna() if isinstance(v, str)), "")
                issues.append(Issue(f"dates such as '{sample}' read both day-first and month-first and no value "
                                    "decides; choose the order for this column (day-first or month-first)",
                                    column=header, value=sample, severity="blocking", sheet=sheet))
            frame[fname] = col.values
            warn_implausible_dates(frame[fname], rows, header, spec.label, sheet, issues)
            reject(col.bad, header, lambda i, c=col, s=spec: f"{s.label}: {c.reasons.get(i, 'not a date')}")
            keep_notes(col.notes, header, spec.label, "date")
        elif spec.type == "number":
            nums, bad, prose = parse_number_column(raw)
            if question(fname, header, bad, raw.notna() & ~prose, "text that is not a number"):
                continue
            wild = nums.notna() & (~np.isfinite(nums) | (nums.abs() > MAX_NUMBER))
            negative = nums.notna() & (nums < 0) & (fname in NON_NEGATIVE)
            frame[fname] = nums.where(~wild & ~negative)
            reject(bad, header, lambda i, s=spec: f"{s.label}: '{data.at[i, header]}' is not a number")
            reject(wild, header, lambda i, s=spec: f"{s.label}: '{data.at[i, header]}' is not a finite amount "
                                                   f"(above {MAX_NUMBER:,.0f} or infinite)")
            reject(negative, header, lambda i, s=spec: f"{s.label}: '{data.at[i, header]}' is negative; "
                                                       f"{s.label.lower()} cannot be below zero")
            keep_notes({i: data.at[i, header] for i in prose[prose].index}, header, spec.label, "number")
        elif spec.type == "status":
            text = to_text(raw)
            frame["raw_status"] = text
            frame["status"] = map_distinct(text, lambda v: canonical_status(v, mapping.value_maps.get("status")))
            unknown_status = (header, text.notna() & frame["status"].isna())
        elif spec.type == "rag":
            text = to_text(raw)
            rag_of = {v: canonical_rag(v, mapping.value_maps.get("rag")) for v in pd.unique(text.dropna())}
            frame[fname] = map_distinct(text, lambda v: p[0] if isinstance(p := rag_of[v], tuple) else None)
            note = map_distinct(text, lambda v: p[1] if isinstance(p := rag_of[v], tuple) else None)
            prior = frame["rag_note"] if "rag_note" in frame else pd.Series([None] * len(frame.index), index=frame.index, dtype=object)
            frame["rag_note"] = prior.where(prior.notna(), note)
        else:
            frame[fname] = to_text(raw)

    if "segment" in frame:  # 'national', 'Total', blank: the KPI's headline level
        frame["segment"] = frame["segment"].map(segment_of)
    if questioned:
        mapping = Mapping(mapping.kind, {f: h for f, h in mapping.fields.items() if f not in questioned},
                          mapping.value_maps, mapping.options, mapping.profile_name, mapping.confidence,
                          mapping.choices)
    if kind == "work_items":
        _finish_work_items(frame, data, mapping)
    fallback = KEY_FALLBACK.get(kind)
    if fallback and fallback[0] not in frame and fallback[1] in frame:
        frame[fallback[0]] = frame[fallback[1]]
    for fname in _required_value_fields(kind, frame):
        empty = frame[fname].isna() & ~rejected
        header = mapping.fields.get(fname, specs[fname].label if fname in specs else fname)
        if empty.any():
            for i in empty[empty].index:
                issues.append(Issue(f"{specs[fname].label if fname in specs else fname} is empty", row=int(rows[i]),
                                    column=header, value=None, sheet=sheet))
            rejected |= empty

    events = None
    key_cols = [k for k in KEY_FIELDS[kind] if k in frame]
    segmented = kind in ("kpi_readings", "scorecard") and "segment" in frame
    if kind == "work_items" and key_cols and _is_event_log(frame, mapping):
        from core.importing.events import split_event_log

        positions = workflow_positions(frame[~rejected])
        frame, events, rejected = split_event_log(frame, rejected)
        _add_attributes(frame, data, mapping, notes)  # of the rows kept, not of every event row (1 in 6 here)
    else:
        positions = {}
        if key_cols and len(key_cols) == len(KEY_FIELDS[kind]):
            repeats = reject_duplicate_keys(frame, data, rejected, issues, key_cols + ["segment"] * segmented,
                                             mapping, sheet)
            frame, rejected = frame.drop(index=repeats), rejected.drop(index=repeats)
        if kind == "work_items":
            _add_attributes(frame, data, mapping, notes)
    if kind == "work_items" and "status" in frame and not any(
            specs[f].type == "date" for f in mapping.fields if f in specs and f in frame):
        issues.append(Issue("the sheet has no date or time column, so each item's status is recorded as of this "
                            "import; flow figures (cycle time, throughput) start from today", severity="warning",
                            sheet=sheet))
    suggestions: dict[str, str | None] = {}
    if unknown_status is not None:
        header, unknown = unknown_status
        text = to_text(data[header])
        for value in pd.unique(text[unknown]):
            hits = text.eq(value)
            suggestions[value] = suggest_status(value, positions.get(value))
            hint = (f"; it looks like '{suggestions[value].replace('_', ' ')}'"
                    + (f" (it comes {_where(positions[value])} in the items' histories)" if value in positions else
                       " (a close match of a known word)") if suggestions[value] else "")
            issues.append(Issue(f"status '{value}' has no meaning yet (todo, in progress, blocked, done){hint}. "
                                f"{int(hits.sum()):,} row(s) keep it as written with no normalised status until "
                                "you choose one", row=int(rows[text[hits].index[0]]), column=header, value=str(value),
                                severity="warning", sheet=sheet))
    unreadable = reject_unreadable(table, rejected, issues)
    return ValidatedSheet(file_name, table, mapping, frame, rejected, issues, date_formats, events, suggestions,
                          unreadable)


def warn_implausible_dates(values: pd.Series, rows: pd.Series, header: str, label: str, sheet: str | None,
                           issues: list[Issue]) -> None:
    """One warning per column for dates before 1990 or over ten years ahead: kept as written, but the views
    treat them as data problems (no age of 46,000 days), so the user hears of them once, with the rows."""
    wild = implausible_dates(values)
    if not wild.any():
        return
    at = [int(rows[i]) for i in wild[wild].index[:5]]
    more = f" and {int(wild.sum()) - len(at):,} more" if wild.sum() > len(at) else ""
    issues.append(Issue(f"{label}: {int(wild.sum()):,} date(s) before 1990 or over {PLAUSIBLE_YEARS_AHEAD} years "
                        f"ahead (rows {', '.join(map(str, at))}{more}); kept as written, but the views leave them "
                        "out as data problems: correct them in the file", row=at[0], column=header,
                        value=str(pd.Timestamp(values[wild].iloc[0]).date()), severity="warning", sheet=sheet))


def _where(position: float) -> str:
    return "first" if position <= 0.2 else "last" if position >= 0.9 else "in the middle"


def _required_value_fields(kind: str, frame: pd.DataFrame) -> list[str]:
    if kind == "work_items":
        return ["external_key", "title"]
    specs = fields_of(kind)
    out = [f for f, s in specs.items() if s.required and f in frame]
    if kind in KEY_FALLBACK and KEY_FALLBACK[kind][0] in frame:
        out.append(KEY_FALLBACK[kind][0])
    return list(dict.fromkeys(out))


def _finish_work_items(frame: pd.DataFrame, data: pd.DataFrame, mapping: Mapping) -> None:
    """Title from other columns when there is none, and the item type (attributes: :func:`_add_attributes`)."""
    opts = mapping.options
    if "title" not in frame:
        cols = [c for c in opts.get("title_columns", []) if c in data.columns]
        if cols:
            joined = joined_texts([data[c] for c in cols])
            frame["title"] = joined.where(joined.notna(), frame.get("external_key"))
        elif "external_key" in frame:
            frame["title"] = frame["external_key"]
    if "item_type" not in frame:
        frame["item_type"] = infer_item_type(mapping)
    frame["item_type"] = frame["item_type"].fillna(infer_item_type(mapping))


def _add_attributes(frame: pd.DataFrame, data: pd.DataFrame, mapping: Mapping,
                    notes: dict[int, dict[str, str]]) -> None:
    """Unmapped columns of each row of ``frame`` as its attributes, with the text found where a value belonged.

    Built for the rows the frame still holds: an event log keeps one row per item, so the rest are never built.
    """
    mapped = set(mapping.fields.values())
    extra = [c for c in data.columns if c not in mapped]
    if extra:
        kept = blank_nulls(data.loc[frame.index, extra], mapping.options.get("null_values"))
        frame["attributes"], frame["attributes_json"] = build_attributes(kept)
    else:
        frame["attributes"] = frame["attributes_json"] = None
    for i, found in notes.items():
        if i in frame.index:
            merged = {**(frame.at[i, "attributes"] or {}), **found}
            frame.at[i, "attributes"], frame.at[i, "attributes_json"] = merged, json_text(merged)


def _is_event_log(frame: pd.DataFrame, mapping: Mapping) -> bool:
    if mapping.options.get("event_log") is not None:
        return bool(mapping.options["event_log"]) and "updated_at" in frame
    return "updated_at" in frame and bool(frame["external_key"].dropna().duplicated().any())


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", normalize_header(text)).strip("-")[:80] or "item"
