"""The steering pack (one formatted xlsx) and CSV downloads, safe against formula injection.

Every text cell that starts with ``=``, ``+``, ``-``, ``@``, tab or carriage return is
prefixed with an apostrophe (OWASP "CSV injection"), in xlsx and CSV alike, so a title
typed as ``=HYPERLINK(...)`` in someone's tracker never runs in a manager's Excel.
Numbers stay numbers: only text is touched.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from core.reporting.export_safety import (
    csv_bytes,
    neutralise,
    new_sheet,
    new_workbook,
    safe_frame,
    save_workbook,
)

__all__ = ["csv_bytes", "neutralise", "safe_frame", "steering_pack", "write_table"]  # CSV lives in export_safety

HEADER_FILL = PatternFill("solid", fgColor="1F3A5F")
HEADER_FONT = Font(bold=True, color="FFFFFF")
RAG_FILLS = {"green": "C6EFCE", "amber": "FFEB9C", "red": "FFC7CE", "grey": "E7E6E6"}
RAG_COLUMNS = {"status", "reported", "measured_status", "reported_rag", "kpi status"}
PCT_COLUMNS = {"hidden_ratio", "share"}
MAX_WIDTH = 60


# --------------------------------------------------------------------------- xlsx
def _cell_value(v: Any) -> Any:
    if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NaT:
        return None
    if isinstance(v, pd.Timestamp):
        return v.to_pydatetime(warn=False).replace(tzinfo=None)
    if isinstance(v, (list, tuple, set, dict)):
        return neutralise(", ".join(map(str, v)) if not isinstance(v, dict) else str(v))
    if hasattr(v, "item") and not isinstance(v, (str, bytes)):
        return v.item()
    return neutralise(v)


def write_table(ws: Worksheet, frame: pd.DataFrame, start_row: int = 1, title: str | None = None) -> int:
    """A formatted table (header style, number/date formats, RAG colours); returns the next free row."""
    row = start_row
    if title:
        ws.cell(row=row, column=1, value=neutralise(title)).font = Font(bold=True, size=12)
        row += 1
    header_row = row
    for c, name in enumerate(frame.columns, start=1):
        cell = ws.cell(row=row, column=c, value=neutralise(str(name)))
        cell.fill, cell.font = HEADER_FILL, HEADER_FONT
        cell.alignment = Alignment(vertical="center", wrap_text=False)
    for values in frame.itertuples(index=False):
        row += 1
        for c, (name, v) in enumerate(zip(frame.columns, values), start=1):
            cell = ws.cell(row=row, column=c, value=_cell_value(v))
            if isinstance(cell.value, datetime):
                cell.number_format = "yyyy-mm-dd hh:mm" if (cell.value.hour or cell.value.minute) else "yyyy-mm-dd"
            elif isinstance(cell.value, date):
                cell.number_format = "yyyy-mm-dd"
            elif isinstance(cell.value, float):
                cell.number_format = "0%" if str(name) in PCT_COLUMNS else "#,##0.0"
            elif isinstance(cell.value, int) and not isinstance(cell.value, bool):
                cell.number_format = "#,##0"
    last = max(row, header_row + 1)
    for c, name in enumerate(frame.columns, start=1):
        letter = get_column_letter(c)
        if str(name).lower() in RAG_COLUMNS:
            for rag, colour in RAG_FILLS.items():
                ws.conditional_formatting.add(f"{letter}{header_row + 1}:{letter}{last}", CellIsRule(
                    operator="equal", formula=[f'"{rag}"'], fill=PatternFill("solid", bgColor=colour)))
        width = max([len(str(name))] + [len(str(_cell_value(v) or "")) for v in frame.iloc[:200, c - 1]])
        ws.column_dimensions[letter].width = max(ws.column_dimensions[letter].width or 0, min(width + 2, MAX_WIDTH))
    return row + 2


def _sheet(wb: Workbook, name: str, frame: pd.DataFrame, note: str | None = None) -> Worksheet:
    ws = new_sheet(wb, name)
    start = 1
    if note:
        ws.cell(row=1, column=1, value=neutralise(note)).font = Font(italic=True, color="595959")
        start = 3
    write_table(ws, frame, start_row=start)
    ws.freeze_panes = ws.cell(row=start + 1, column=1)
    return ws


def headline_table(report: dict[str, Any]) -> pd.DataFrame:
    rows = report["headline"]
    frame = pd.DataFrame([{"Figure": r["label"], "Value": r["value"], "A period earlier": r["previous"],
                           "Change": r["change"], "Better when": r["better"] or "", "Note": r["note"] or ""}
                          for r in rows])
    return frame


def steering_pack(report: dict[str, Any], generated: datetime | None = None) -> bytes:
    """One workbook: a summary (headline and attention list) and one sheet per view."""
    generated = generated or datetime.now()
    views = report["views"]
    wb = new_workbook()
    ws = new_sheet(wb, "Summary")
    as_of = report["as_of"]
    ws["A1"] = "Throughline steering pack"
    ws["A1"].font = Font(bold=True, size=14)
    ws["A2"] = (f"Data as of {pd.Timestamp(as_of):%Y-%m-%d %H:%M}" if as_of is not None else "No dated data") + \
        f" · changes over {report['period_days']} days · generated {generated:%Y-%m-%d %H:%M}"
    head = headline_table(report)
    next_row = write_table(ws, head, start_row=4, title="Headline figures")
    for r, spec in enumerate(report["headline"], start=6):  # percentages shown as such
        if spec["format"] == "pct":
            for col in (2, 3, 4):
                ws.cell(row=r, column=col).number_format = "0.0%"
    attention = report["attention"][["rank", "what", "key", "owner", "reason", "days"]] if len(
        report["attention"]) else pd.DataFrame(columns=["rank", "what", "key", "owner", "reason", "days"])
    write_table(ws, attention, start_row=next_row, title="Needs attention")
    ws.freeze_panes = "A6"
    ws.column_dimensions["A"].width = 40
    al = views["alignment"]
    if al:
        _sheet(wb, "Alignment", al["by_team"], "Hidden work by team: share of items linked to no objective")
    flow = views["flow"]
    if flow is not None:
        aging = flow["aging"]
        cols = [c for c in ["external_key", "title", "status", "owner", "team", "age_days", "source_file",
                            "source_row"] if c in aging]
        _sheet(wb, "Bottlenecks", aging[aging["beyond_p85"]][cols].round({"age_days": 1}),
               "Open items older than the 85th percentile of past cycle times")
        _sheet(wb, "Waits", flow["team_waits"], "Teams waited on by other teams")
    status = views["kpi"]["status"]
    if len(status):
        cols = [c for c in ["code", "name", "owner", "objective", "status", "latest_value", "target", "tolerance",
                            "latest_period", "worsening"] if c in status]
        _sheet(wb, "KPI status", status[cols], "Measured status: green at or better than target, amber within "
                                               "tolerance, red beyond, grey without recent data")
    conflicts = views["kpi"]["conflicts"]
    _sheet(wb, "KPI conflicts", conflicts[[c for c in ["kind", "sentence", "strength"] if c in conflicts]],
           "Incentives that pull against each other")
    reality = views["reality"]
    if len(reality):
        _sheet(wb, "Status vs reality", reality, "Reported green or amber, measured red")
    signals = views["signals"]
    cols = [c for c in ["kind", "kpi", "period", "message", "state", "owner", "protocol"] if c in signals]
    _sheet(wb, "Signals", signals[cols] if len(signals) else pd.DataFrame(columns=cols), "Open signals with owner")
    _sheet(wb, "Freshness", report["freshness"], "When each source was last imported")
    return save_workbook(wb)
