"""The steering pack: the executive report as one workbook to take to a meeting.

A summary sheet (the headline figures with their change, the attention list) and one sheet per
view, each table under a one-line note saying what it lists. The cells are written by the one
formula-safe writer (core.reporting.export_safety: header style, dates, lists, widths, the last
sweep); this module only lays the sheets out and adds what a report wants on top: thousands and
percentage formats and RAG colours on status columns.
"""
from __future__ import annotations

from datetime import datetime

import pandas as pd
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from core.flow.drill import past_p85
from core.reporting.export_safety import (
    neutralise,
    new_sheet,
    new_workbook,
    save_workbook,
    write_rows,
)
from core.reporting.report import ExecutiveReport

RAG_FILLS = {"green": "C6EFCE", "amber": "FFEB9C", "red": "FFC7CE", "grey": "E7E6E6"}
RAG_COLUMNS = {"status", "reported", "measured_status", "reported_rag", "kpi status"}
PCT_COLUMNS = {"hidden_ratio", "share"}


def report_number_format(column: str, value: object) -> str | None:
    """Shares as percentages, other decimals with one place, whole numbers with thousands separators."""
    if isinstance(value, float):
        return "0%" if column in PCT_COLUMNS else "#,##0.0"
    if isinstance(value, int) and not isinstance(value, bool):
        return "#,##0"
    return None


def write_table(ws: Worksheet, frame: pd.DataFrame, start_row: int = 1, title: str | None = None) -> int:
    """A titled, formatted table (RAG colours on status columns); returns the next free row, one blank row on."""
    row = start_row
    if title:
        ws.cell(row=row, column=1, value=neutralise(title)).font = Font(bold=True, size=12)
        row += 1
    header_row = row
    row = write_rows(ws, list(frame.columns), frame.itertuples(index=False), start_row=header_row,
                     number_format=report_number_format)
    last = max(row, header_row + 1)
    for c, name in enumerate(frame.columns, start=1):
        if str(name).lower() in RAG_COLUMNS:
            letter = get_column_letter(c)
            for rag, colour in RAG_FILLS.items():
                ws.conditional_formatting.add(f"{letter}{header_row + 1}:{letter}{last}", CellIsRule(
                    operator="equal", formula=[f'"{rag}"'], fill=PatternFill("solid", bgColor=colour)))
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


def headline_table(report: ExecutiveReport) -> pd.DataFrame:
    """The headline figures as the summary sheet lists them: value, a period earlier, change, which way is better."""
    return pd.DataFrame([{"Figure": r["label"], "Value": r["value"], "A period earlier": r["previous"],
                          "Change": r["change"], "Better when": r["better"] or "", "Note": r["note"] or ""}
                         for r in report["headline"]])


def steering_pack(report: ExecutiveReport, generated: datetime | None = None) -> bytes:
    """One workbook from core.reporting.report.build_report: a summary (headline and attention) and a sheet per view."""
    generated = generated or datetime.now()
    views = report["views"]
    wb = new_workbook()
    ws = new_sheet(wb, "Summary")
    as_of = report["as_of"]
    ws["A1"] = "Throughline steering pack"
    ws["A1"].font = Font(bold=True, size=14)
    ws["A2"] = (f"Data as of {pd.Timestamp(as_of):%Y-%m-%d %H:%M}" if as_of is not None else "No dated data") + \
        f" · changes over {report['period_days']} days · generated {generated:%Y-%m-%d %H:%M}"
    next_row = write_table(ws, headline_table(report), start_row=4, title="Headline figures")
    for r, spec in enumerate(report["headline"], start=6):  # percentages shown as such
        if spec["format"] == "pct":
            for col in (2, 3, 4):
                ws.cell(row=r, column=col).number_format = "0.0%"
    attention_cols = ["rank", "what", "key", "owner", "reason", "days"]
    attention = report["attention"][attention_cols] if len(report["attention"]) else pd.DataFrame(
        columns=attention_cols)
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
        _sheet(wb, "Bottlenecks", past_p85(aging)[cols],
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
