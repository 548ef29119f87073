"""Tables that arrive as markup or JSON: HTML tables saved as .xls, SpreadsheetML 2003 XML, JSON named .csv.

Why: Jira Server's "Excel" export and many intranet tools write an HTML table with an .xls name; Excel 2003
wrote SpreadsheetML. Both are text, so they used to fall through to the CSV reader and fail with a parser's
message. Each is sniffed from its content and read into raw grids (one per table or worksheet) that go through
the same header detection as any sheet. HTML cells stay text, as the page showed them.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd

from core.config import ImportLimits
from core.errors import ImportRefused

_HTML = re.compile(rb"^\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*(?:<!doctype\s+html|<html|<head|<body|<table|<meta)",
                   re.I | re.S)
_SPREADSHEETML = re.compile(rb"urn:schemas-microsoft-com:office:spreadsheet|progid=\"Excel\.Sheet\"", re.I)
_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([\w-]+)""", re.I)
_SPACE = re.compile(r"\s+")
SS = "{urn:schemas-microsoft-com:office:spreadsheet}"
BREAK = "\ue000"  # stands for <br> while whitespace is collapsed (a private-use character, not whitespace)


@dataclass
class Grid:
    """One raw table from a markup file: its name, cells, and whether the workbook hides it."""

    name: str
    grid: pd.DataFrame
    hidden: str | None = None  # 'hidden' / 'very hidden' (SpreadsheetML worksheets)


def sniff_text_format(data: bytes) -> str | None:
    """'html', 'spreadsheetml', 'json' or 'xml' from the first bytes of a text file; None for delimited text."""
    head = data[:4096].lstrip(b"\xef\xbb\xbf")
    if head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        head = data[:8192].decode("utf-16", errors="replace").encode("utf-8", errors="replace")
    stripped = head.lstrip()
    if stripped.startswith(b"<?xml") or stripped.startswith(b"<Workbook"):
        return "spreadsheetml" if _SPREADSHEETML.search(head) else ("html" if _HTML.match(head) else "xml")
    if _HTML.match(head):
        return "html"
    if stripped[:1] in (b"{", b"[") and _parses_as_json(data):
        return "json"
    return None


def _parses_as_json(data: bytes) -> bool:
    tail = data.rstrip()[-1:]
    if tail not in (b"}", b"]"):
        return False
    try:
        json.loads(data)
        return True
    except (ValueError, UnicodeDecodeError):
        return False


def _guard(cells: int, rows: int, file_name: str, limits: ImportLimits) -> None:
    """Tag counts before parsing: a markup file cannot ask for more memory than a sheet may."""
    if rows > limits.max_rows:
        raise ImportRefused(f"the file has {rows:,} table rows, above the limit of {limits.max_rows:,} rows. "
                            "Split it into smaller files, or raise THROUGHLINE_MAX_ROWS.", file=file_name)
    if cells > limits.max_cells:
        raise ImportRefused(f"the file has about {cells:,} table cells, above the limit of {limits.max_cells:,} "
                            "cells one upload may hold in memory. Split it into smaller files, or raise "
                            "THROUGHLINE_MAX_CELLS on a server with more memory.", file=file_name)


def _check_width(grid: pd.DataFrame, name: str, file_name: str, limits: ImportLimits) -> None:
    if grid.shape[1] > limits.max_columns:
        raise ImportRefused(f"the table is {grid.shape[1]:,} columns wide, above the limit of {limits.max_columns:,}"
                            " columns. Remove the columns you do not need, or raise THROUGHLINE_MAX_COLUMNS.",
                            file=file_name, sheet=name)


# --------------------------------------------------------------------------- HTML
def read_html(data: bytes, file_name: str, limits: ImportLimits) -> list[Grid]:
    """Every table of the page with two or more rows of two or more cells (title and layout blocks are not), in
    page order; cells are the text a browser shows, line breaks from <br> kept."""
    import lxml.html

    lowered = data.lower()
    _guard(lowered.count(b"<td") + lowered.count(b"<th"), lowered.count(b"<tr"), file_name, limits)
    match = _CHARSET.search(data[:4096])
    encoding = match.group(1).decode("ascii", errors="replace") if match else "utf-8"
    try:
        text = data.decode(encoding, errors="replace")
    except LookupError:
        text = data.decode("utf-8", errors="replace")
    text = re.sub(r"^\s*<\?xml[^>]*>", "", text)
    try:
        doc = lxml.html.document_fromstring(text)
    except Exception as exc:  # lxml raises ParserError / XMLSyntaxError on hopeless input
        raise ImportRefused(f"the file looks like a web page (HTML) but cannot be read ({type(exc).__name__}). "
                            "Export the data as CSV or .xlsx instead.", file=file_name) from None
    for br in doc.iter("br"):
        br.tail = BREAK + (br.tail or "")
    grids = []
    for number, table in enumerate(doc.iter("table"), start=1):
        rows = [_html_row(tr) for tr in table.xpath("./tr|./thead/tr|./tbody/tr|./tfoot/tr")]
        width = max((len(r) for r in rows), default=0)
        filled = [sum(1 for v in r if v) for r in rows]
        if width < 2 or sum(1 for n in filled if n >= 2) < 2:
            continue  # a title or layout block (one cell per row), not a table of records
        grid = pd.DataFrame([r + [""] * (width - len(r)) for r in rows], dtype=object)
        name = table.get("id") or (table.findtext("caption") or "").strip() or f"Table {number}"
        _check_width(grid, name, file_name, limits)
        grids.append(Grid(name, grid))
    if not grids:
        raise ImportRefused("the file is a web page (HTML) with no table of rows and columns in it.", file=file_name)
    return grids


def _html_row(tr: Any) -> list[str]:
    """Cells of one <tr>: text with whitespace collapsed as a browser does; colspan repeated as blanks."""
    out: list[str] = []
    for cell in tr.xpath("./td|./th"):
        value = _SPACE.sub(" ", cell.text_content()).replace(" " + BREAK, BREAK).replace(BREAK + " ", BREAK)
        out.append(value.replace(BREAK, "\n").strip())
        try:
            span = min(int(cell.get("colspan", "1")), 1000)
        except ValueError:
            span = 1
        out.extend([""] * (span - 1))
    return out


# --------------------------------------------------------------------------- SpreadsheetML 2003
def read_spreadsheetml(data: bytes, file_name: str, limits: ImportLimits) -> list[Grid]:
    """Each <Worksheet> as a grid of typed cells (numbers, dates, booleans, text), ss:Index gaps honoured."""
    from lxml import etree

    if b"<!DOCTYPE" in data[:65536] or b"<!ENTITY" in data[:65536]:
        raise ImportRefused("the XML workbook declares entities, which spreadsheets never need (an XML bomb?). "
                            "It was not opened.", file=file_name)
    _guard(data.count(b"<Cell") + data.count(b"<ss:Cell"), data.count(b"<Row") + data.count(b"<ss:Row"),
           file_name, limits)
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise ImportRefused(f"the XML spreadsheet is damaged ({str(exc)[:120]}). Open it in Excel, save it as "
                            ".xlsx and upload that.", file=file_name) from None
    grids = []
    for number, sheet in enumerate(root.iter(f"{SS}Worksheet"), start=1):
        name = sheet.get(f"{SS}Name") or f"Sheet{number}"
        rows: list[list[Any]] = []
        for table in sheet.iter(f"{SS}Table"):
            for row in table.iter(f"{SS}Row"):
                index = _index(row)
                if index and index > len(rows) + 1:
                    rows.extend([[] for _ in range(min(index, limits.max_rows) - 1 - len(rows))])
                rows.append(_xml_row(row, limits))
        visible = sheet.findtext(".//{urn:schemas-microsoft-com:office:excel}Visible") or ""
        hidden = {"SheetHidden": "hidden", "SheetVeryHidden": "very hidden"}.get(visible.strip())
        width = max((len(r) for r in rows), default=0)
        grid = pd.DataFrame([r + [None] * (width - len(r)) for r in rows], dtype=object)
        _check_width(grid, name, file_name, limits)
        grids.append(Grid(name, grid, hidden))
    if not grids:
        raise ImportRefused("the XML spreadsheet has no worksheets.", file=file_name)
    return grids


def _index(node: Any) -> int | None:
    try:
        return int(node.get(f"{SS}Index")) if node.get(f"{SS}Index") else None
    except ValueError:
        return None


def _xml_row(row: Any, limits: ImportLimits) -> list[Any]:
    out: list[Any] = []
    for cell in row.iter(f"{SS}Cell"):
        index = _index(cell)
        if index and index > len(out) + 1:
            out.extend([None] * (min(index, limits.max_columns + 1) - 1 - len(out)))
        node = cell.find(f"{SS}Data")
        out.append(None if node is None else _typed("".join(node.itertext()), node.get(f"{SS}Type", "String")))
        try:
            out.extend([None] * min(int(cell.get(f"{SS}MergeAcross", "0")), limits.max_columns))
        except ValueError:
            pass
    return out


def _typed(text: str, kind: str) -> Any:
    try:
        if kind == "Number":
            return float(text)
        if kind == "DateTime":
            return datetime.fromisoformat(text.rstrip("Z")[:26])
        if kind == "Boolean":
            return text.strip() in ("1", "true", "TRUE")
    except ValueError:
        pass
    return text


# --------------------------------------------------------------------------- JSON
def read_json(data: bytes, file_name: str, limits: ImportLimits) -> Grid:
    """A list of records (or one object holding such a list, as APIs return) flattened to columns."""
    records = json.loads(data)
    if isinstance(records, dict):
        lists = [v for v in records.values() if isinstance(v, list) and v and all(isinstance(x, dict) for x in v)]
        records = lists[0] if len(lists) == 1 else records
    if not (isinstance(records, list) and records and all(isinstance(x, dict) for x in records)):
        raise ImportRefused("this is a JSON file, not a table (it holds no list of records). Export the data as CSV "
                            "or .xlsx and upload that.", file=file_name)
    _guard(sum(len(r) for r in records[:1000]) * max(1, len(records) // 1000), len(records), file_name, limits)
    frame = pd.json_normalize(records).astype(object)
    frame = frame.map(lambda v: json.dumps(v, ensure_ascii=False) if isinstance(v, (list, dict)) else v)
    grid = pd.DataFrame([list(frame.columns)] + frame.where(frame.notna(), None).values.tolist(), dtype=object)
    _check_width(grid, "JSON", file_name, limits)
    return Grid("JSON", grid)
