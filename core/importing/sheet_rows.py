"""What hand-kept sheets put around and inside their tables, recognised so that it never becomes data.

Why: a totals row ("TOTAL", "Summe", a SUM under each number column) became a work item; a footer line, a header
row repeated after a page break, or a two-row header with a group label over some columns confused the header
and the rows. A sheet of notes or a lookup list blocked a whole workbook. Each rule here looks at content only
(never at a file or sheet name) and what it drops or sets aside is said in a note naming the sheet and row.
"""
from __future__ import annotations

import re
from typing import Any, Callable

import numpy as np
import pandas as pd

from core.importing.csv_records import INVISIBLE

TOTAL_WORD = re.compile(r"^\W*(grand\s+|sub-?\s*)?(totals?|subtotals?|sum|sums|gesamt|gesamtsumme|summe|zwischensumme|"
                        r"totaal|subtotaal|totale|totales|somme|suma|summa|итого|всего|合計|合计|总计)\b", re.I)
_NUMBER = re.compile(r"^[\s$€£¥%+-]*\d[\d\s.,'’]*[\s$€£¥%]*$")
LOOKUP_MAX_ROWS = 50


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value)) or (isinstance(value, str) and not value.strip())


def as_number(value: Any) -> float | None:
    """A number from a cell (numbers, or text such as '1.234,5', '$60', '85%'); None for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float, np.integer, np.floating)):
        return None if isinstance(value, float) and np.isnan(value) else float(value)
    if not isinstance(value, str) or not _NUMBER.match(value):
        return None
    text = re.sub(r"[\s$€£¥%'’+]", "", value)
    if "," in text and ("." not in text or text.rfind(",") > text.rfind(".")):
        text = text.replace(".", "").replace(",", ".")
    try:
        return float(text.replace(",", ""))
    except ValueError:
        return None


def strip_invisible(grid: pd.DataFrame) -> int:
    """Remove zero-width and bidi controls from every text cell in place; returns how many cells changed."""
    changed = 0
    for col in grid.columns:
        values = grid[col].tolist()
        try:
            joined = "".join(values)
        except TypeError:
            joined = "".join(v for v in values if type(v) is str)
        if joined.isascii() or not INVISIBLE.search(joined):
            continue
        cleaned = [INVISIBLE.sub("", v) if isinstance(v, str) else v for v in values]
        changed += sum(1 for a, b in zip(values, cleaned) if a is not b and a != b)
        grid[col] = pd.Series(cleaned, index=grid.index, dtype=object)
    return changed


# --------------------------------------------------------------------------- two-row headers
def group_header(grid: pd.DataFrame, h: int, merges: list[tuple[tuple[int, int], tuple[int, int]]],
                 label: Callable[[int], str]) -> tuple[list[Any] | None, str | None]:
    """Header texts combined with a group label in the row above ('Likelihood (Residual Risk)'), or None.

    A label's columns come from its merged range; unmerged, from the next label, or (a single label) the run of
    headers from its column on that repeat earlier headers: that is what the label is there to tell apart.
    """
    if h == 0:
        return None, None
    above, header = grid.iloc[h - 1].tolist(), grid.iloc[h].tolist()
    if any(not _blank(v) and not isinstance(v, str) for v in above):
        return None, None
    labels = [(c, v.strip()) for c, v in enumerate(above) if isinstance(v, str) and v.strip()]
    named = [c for c, v in enumerate(header) if not _blank(v)]
    if not labels or not named or len(labels) * 2 > len(named):
        return None, None
    merged = {c0: c1 for (r0, c0), (r1, c1) in merges if r0 == h - 1 and c1 > c0}
    seen = [str(v).strip().casefold() for v in header]
    spans = []
    for i, (c, text) in enumerate(labels):
        if c in merged:
            end = merged[c]
        elif len(labels) > 1:
            end = labels[i + 1][0] - 1 if i + 1 < len(labels) else max(named)
        else:
            end = c - 1
            while end + 1 < len(header) and not _blank(header[end + 1]) and seen[end + 1] in seen[:c]:
                end += 1
        if end < c:
            return None, None
        spans.append((c, end, text))
    if len(spans) == 1 and spans[0][0] <= min(named) and spans[0][1] >= max(named):
        return None, None  # one label over every column is a title, not a group
    out = list(header)
    for c, end, text in spans:
        for k in range(c, min(end, len(out) - 1) + 1):
            out[k] = text if _blank(out[k]) else f"{str(out[k]).strip()} ({text})"
    where = ", ".join(f"'{t}' over columns {label(c)}–{label(e)}" for c, e, t in spans)
    return out, f"rows {h}–{h + 1} were read as one two-row header ({where})"


# --------------------------------------------------------------------------- rows that are not data
def messy_rows(body: pd.DataFrame, blank: np.ndarray, empty: np.ndarray, header: list[Any],
               row_name: Callable[[Any], int]) -> tuple[np.ndarray, list[str], np.ndarray]:
    """Rows to drop: repeated header rows, totals and subtotals, footer text. ``blank`` is the cell mask and
    ``empty`` the row mask (numpy, for speed: this runs on every 100k-row import). Returns (drop, notes, filled
    cells per row)."""
    drop = np.zeros(len(body), dtype=bool)
    found: dict[str, list[int]] = {"a repeated header row": [], "a totals row": [], "footer text": []}
    counts = blank.shape[1] - blank.sum(axis=1)
    if body.empty:
        return drop, [], counts
    texts = [(c, v) for c, v in zip(body.columns, header) if isinstance(v, str) and v.strip()]
    if len(texts) >= 2:
        first_two = body[texts[0][0]].eq(texts[0][1]).to_numpy(dtype=bool) | \
            body[texts[1][0]].eq(texts[1][1]).to_numpy(dtype=bool)  # a repeat has one of these (cheap prefilter)
        if first_two.any():
            sub = body[first_two]
            hits = sum(sub[c].eq(v).to_numpy(dtype=bool) for c, v in texts)
            drop[np.flatnonzero(first_two)[hits >= max(2, 0.8 * len(texts))]] = True
            found["a repeated header row"] = [row_name(body.index[p]) for p in np.flatnonzero(drop)]
    live = ~empty & ~drop
    typical = float(np.median(counts[live])) if live.any() else 0.0
    sparse = counts < typical
    if live.any() and (sparse & live).any():
        share = (~blank[live]).mean(axis=0)
        if (share >= 0.9).any():
            sparse |= blank[:, share >= 0.9].any(axis=1)
    live_positions = np.flatnonzero(live)
    sparse[live_positions[-3:]] = True  # a grand total at the bottom may fill every column
    sums = _ColumnSums(body)
    last_total = -1
    for pos in np.flatnonzero(live & sparse)[:5000]:
        if _is_totals(body.iloc[pos], sums, last_total, pos):
            drop[pos], last_total = True, pos
            found["a totals row"].append(row_name(body.index[pos]))
    kept = ~empty & ~drop
    median = float(np.median(counts[kept])) if kept.any() else 0.0
    if median >= 3:
        positions = np.flatnonzero(counts >= max(2, int(np.ceil(median / 2))))
        gap = False
        for pos in range(positions[-1] + 1 if len(positions) else 0, len(body)):
            if empty[pos]:
                gap = True
                continue
            cells = [v for v in body.iloc[pos] if not _blank(v)]
            long_text = len(cells) == 1 and isinstance(cells[0], str) and len(cells[0].strip()) >= 30
            if not drop[pos] and all(isinstance(v, str) and as_number(v) is None for v in cells) \
                    and (gap or long_text):
                drop[pos] = True
                found["footer text"].append(row_name(body.index[pos]))
    notes = [f"{what} was left out ({_rows(rows)})" for what, rows in found.items() if rows]
    return drop, notes, counts


def _rows(numbers: list[int]) -> str:
    shown = ", ".join(str(n) for n in numbers[:10])
    return f"row {shown}" if len(numbers) == 1 else f"rows {shown}" + (f" and {len(numbers) - 10} more"
                                                                           if len(numbers) > 10 else "")


class _ColumnSums:
    """Running sums of each column's numbers, computed for a column only when a totals candidate needs it."""

    def __init__(self, body: pd.DataFrame) -> None:
        self.body, self.cache = body, {}

    def between(self, column: Any, start: int, stop: int) -> tuple[float, int]:
        """(sum, count) of the numbers in rows start..stop-1 (positions)."""
        if column not in self.cache:
            values = self.body[column].map(as_number).astype(float).to_numpy()
            self.cache[column] = (np.concatenate([[0.0], np.nancumsum(values)]),
                                  np.concatenate([[0], np.cumsum(~np.isnan(values))]))
        total, count = self.cache[column]
        return float(total[stop] - total[start]), int(count[stop] - count[start])


def _is_totals(row: pd.Series, sums: _ColumnSums, last_total: int, pos: int) -> bool:
    """Its only text is a totals word and the rest are numbers; or no text at all, the first cell blank, and each
    number the sum of its column since the last totals row (a SUM row under the table)."""
    cells = [(c, v) for c, v in row.items() if not _blank(v)]
    numbers = [(c, as_number(v)) for c, v in cells]
    words = [v for (c, v), (_, n) in zip(cells, numbers) if n is None]
    if len(words) == 1 and isinstance(words[0], str) and TOTAL_WORD.match(words[0]):
        return True
    if words or not numbers or not _blank(row.iloc[0]):
        return False
    for c, value in numbers:
        total, count = sums.between(c, last_total + 1, pos)
        if count < 2 or not np.isclose(total, value, rtol=1e-6, atol=1e-9):
            return False
    return True


# --------------------------------------------------------------------------- sheets that are not tables
def not_a_table(header_values: list[Any], used_columns: int, median_filled: float) -> str | None:
    """Why a sheet holds no table of records (notes, instructions, a one-column list), or None."""
    names = [v for v in header_values if isinstance(v, str) and v.strip()]
    if len(names) < 2:
        return "it has no header row with two or more column names (notes or a title, not a table)"
    if used_columns < 2:
        return "its values fill only one column (a list, not a table)"
    if median_filled <= 1:
        return "its rows hold one cell each (free text such as notes or instructions, not a table)"
    return None


def lookup_sources(tables: dict[str, pd.DataFrame]) -> dict[str, str]:
    """Sheets that are lookup lists of another sheet: a small sheet whose column of distinct labels holds every
    value of a label column elsewhere (a rating scale, a legend). Sheet → reason."""
    labels: dict[str, list[tuple[Any, set[str], bool]]] = {}
    for name, data in tables.items():
        cols = []
        for c in data.columns:
            values = [v.strip() for v in data[c] if isinstance(v, str) and v.strip()]
            if len(values) >= 2 and all(not re.search(r"\d", v) and len(v) <= 40 for v in values):
                cols.append((c, set(values), len(set(values)) == len(values)))
        labels[name] = cols
    found: dict[str, str] = {}
    for name, data in tables.items():
        if len(data) > LOOKUP_MAX_ROWS:
            continue
        for c, values, unique in labels[name]:
            if not unique:
                continue
            users = [(other, oc) for other, cols in labels.items() if other != name
                     for oc, used, _ in cols if len(used) >= 2 and used <= values]
            if users:
                other, oc = users[0]
                found[name] = (f"it lists the values of '{oc}' in sheet '{other}' ('{c}': "
                               f"{', '.join(sorted(values)[:4])}…): a lookup list, not records")
                break
    mutual = {n for n in found if any(f"sheet '{n}'" in found.get(o, "") and f"sheet '{o}'" in found[n]
                                      for o in found)}
    return {n: r for n, r in found.items() if n not in mutual}
