"""Checks that reject whole rows: over-long cells, duplicate keys (a conflict names both rows), unreadable records."""
from __future__ import annotations

import pandas as pd

from core.config import ImportLimits
from core.importing.cells import jsonable
from core.importing.grid import Table
from core.importing.issues import Issue
from core.importing.mapping import Mapping
from core.store.values import map_distinct


def reject_overlong_cells(data: pd.DataFrame, rows: pd.Series, rejected: pd.Series, issues: list[Issue],
                           sheet: str | None) -> None:
    """A cell longer than Excel allows (32,767 characters) is a pasted file or a broken export, not a value.

    Its row is rejected, naming the column, so that megabytes of text never reach the database or the screen.
    """
    limit = ImportLimits.max_cell_chars
    for header in data.columns:
        col = data[header]
        if longest_text(col.tolist()) <= limit:
            continue
        for i, v in zip(col.index, col.tolist()):
            if type(v) is str and len(v) > limit:
                issues.append(Issue(f"the cell holds {len(v):,} characters, above the limit of {limit:,} (Excel's "
                                    "own limit per cell); shorten it or keep the text elsewhere", row=int(rows[i]),
                                    column=header, value=v[:200] + "…", sheet=sheet))
                rejected.loc[i] = True


def longest_text(values: list) -> int:
    """The length of the longest str among ``values`` (0 if none).

    A column of text only (every CSV column) is measured with ``map(len, ...)`` in one C loop, 4× faster
    than checking each value's type; a value without a length (a number, a date cell) falls back to that check.
    """
    try:  # blanks (None, '') cannot be the longest: filtered out in C, so a column with gaps keeps the fast path
        return max(map(len, filter(None, values)), default=0)
    except TypeError:
        return max((len(v) for v in values if type(v) is str), default=0)


def _casefold(v: object) -> object:
    return v.casefold() if isinstance(v, str) else v


def reject_duplicate_keys(frame: pd.DataFrame, data: pd.DataFrame, rejected: pd.Series, issues: list[Issue],
                           key_cols: list[str], mapping: Mapping, sheet: str | None) -> list[int]:
    """Two rows with one key: an exact repeat is counted once (a warning); rows that disagree are a conflict.

    A conflict names both rows and the first value that differs; the later row is rejected, never merged in
    silence. Returns the exact repeats, which the caller drops without counting them as rejected.
    """
    live = frame[~rejected]
    keys = live[key_cols].apply(lambda c: map_distinct(c, _casefold))
    dup = keys.duplicated(keep=False)
    if not dup.any():
        return []
    first_pos: dict[tuple, int] = {}
    repeats: list[int] = []
    header = ", ".join(mapping.fields.get(k, k) for k in key_cols)
    key_headers = {mapping.fields.get(k) for k in key_cols}
    for i in keys.index[dup.to_numpy()]:
        k = tuple(keys.loc[i])
        if k not in first_pos:
            first_pos[k] = i
            continue
        j = first_pos[k]
        a, b = data.loc[j], data.loc[i]
        diffs = sorted((c for c in data.columns if jsonable(a[c]) != jsonable(b[c])), key=lambda c: c in key_headers)
        shown = " / ".join(str(v) for v in k if v not in ("", None))  # the headline segment '' is not shown
        row_j, row_i = int(frame.at[j, "source_row"]), int(frame.at[i, "source_row"])
        if not diffs:
            issues.append(Issue(f"duplicate key '{shown}': rows {row_j} and {row_i} are identical; imported once",
                                row=row_i, column=header, value=shown, severity="warning", sheet=sheet))
            repeats.append(i)
            continue
        d = diffs[0]
        issues.append(Issue(f"conflict on key '{shown}': rows {row_j} and {row_i} give different values ({d}: "
                            f"'{jsonable(a[d])}' in row {row_j}, '{jsonable(b[d])}' in row {row_i}); row {row_j} "
                            f"was kept and row {row_i} rejected: correct one of them", row=row_i, column=header,
                            value=shown, sheet=sheet))
        rejected.loc[i] = True
    return repeats


def reject_unreadable(table: Table, rejected: pd.Series, issues: list[Issue]) -> int:
    """Records the reader could not split into cells (broken quoting) are rejected rows with their line."""
    for line, why in table.unreadable:
        issues.append(Issue(f"this record could not be read: {why}", row=line, column=None, value=None,
                            sheet=table.sheet))
    return len(table.unreadable)
