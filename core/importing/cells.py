"""Raw cells as plain values: clean text, JSON-safe values, a row's unmapped columns as its attributes."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd

from core.config import ImportLimits
from core.importing.grid import base_header
from core.store.writes import json_object_texts, json_text


def clip(v: Any) -> Any:
    limit = ImportLimits.max_cell_chars
    if isinstance(v, str) and len(v) > limit:
        note = f" … [clipped: the cell held {len(v):,} characters]"
        return v[: limit - len(note)] + note
    return v


def jsonable(v: Any) -> Any:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return None
    if isinstance(v, (datetime, date)):
        return v.isoformat()
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating,)):
        return float(v)
    if isinstance(v, (str, int, float, bool)):
        return v
    return str(v)


def clean_text(v: Any) -> str | None:
    if v is None:
        return None
    if type(v) is str:
        return v.strip() or None
    if isinstance(v, float):
        if v != v:
            return None
        return str(int(v)) if v.is_integer() else str(v)
    if isinstance(v, datetime):
        return v.isoformat(sep=" ") if (v.hour or v.minute or v.second) else v.date().isoformat()
    if isinstance(v, date):
        return v.isoformat()
    if v is pd.NaT or v is pd.NA:
        return None
    return str(v).strip() or None


def to_text(s: pd.Series) -> pd.Series:
    """Cell values as clean strings (None for blanks); 12.0 → '12', dates → ISO. One pass per distinct value."""
    uniques = pd.unique(s.to_numpy(dtype=object))
    if len(uniques) * 4 > len(s):  # mostly distinct: one pass over the cells is cheaper than a lookup table
        values = s.tolist()
        if all(type(v) is str for v in values):  # text only (a CSV column): clean_text's own first case, inline
            return pd.Series([v.strip() or None for v in values], index=s.index, dtype=object)
        return pd.Series([clean_text(v) for v in values], index=s.index, dtype=object)
    cleaned = {v: clean_text(v) for v in uniques if not (isinstance(v, float) and v != v)}
    return pd.Series([cleaned.get(v) if v is not None and v == v else None for v in s.tolist()], index=s.index,
                     dtype=object)


def joined_texts(columns: list[pd.Series], sep: str = " · ") -> pd.Series:
    """Each row's clean texts of ``columns`` joined by ``sep`` (None where all are blank), built once per distinct
    combination: a title made of category, subcategory and symptom repeats across an event log's 120,000 rows."""
    index = columns[0].index
    codes, cleaned = [], []
    combined = np.zeros(len(index), dtype=np.int64)
    for column in columns:
        code, uniques = pd.factorize(column.to_numpy(dtype=object))  # blanks (None, NaN) are code -1
        texts = [None, *map(clean_text, uniques.tolist())]
        codes.append(code.astype(np.int64) + 1)
        cleaned.append(texts)
        combined = pd.factorize(combined * len(texts) + codes[-1])[0]  # one number per combination so far
    _, first = np.unique(combined, return_index=True)  # combination k's first row is first[k]
    joined = [sep.join(t for t in (texts[code[row]] for code, texts in zip(codes, cleaned)) if t) or None
              for row in first.tolist()]
    return pd.Series(np.array(joined, dtype=object)[combined], index=index, dtype=object)


def build_attributes(data: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Unmapped columns per row as a dict, and as the JSON text the database stores for it (None: no value).

    Repeated headers (Jira's Component/s) become one list. The text is built column by column
    (:func:`core.store.writes.json_object_texts`), so neither hashing the row nor writing it encodes a dict per row.
    """
    groups: dict[str, list[list[str | None]]] = {}
    for c in data.columns:
        groups.setdefault(base_header(c), []).append(to_text(data[c]).tolist())
    names = list(groups)
    if groups and all(len(cols) == 1 for cols in groups.values()):  # no repeated header: a dict per row, in one go
        columns = [cols[0] for cols in groups.values()]
        dicts = [{k: v for k, v in zip(names, row) if v is not None} or None for row in zip(*columns)]
        return (pd.Series(dicts, index=data.index, dtype=object),
                pd.Series(json_object_texts(names, columns, omit_none=True), index=data.index, dtype=object))
    singles = [cols[0] if len(cols) == 1 else None for cols in groups.values()]
    out: list[dict[str, Any] | None] = []
    for i in range(len(data)):
        item: dict[str, Any] = {}
        for name, single, cols in zip(names, singles, groups.values()):
            if single is not None:
                v = single[i]
                if v is not None:
                    item[name] = v
            else:
                vals = [col[i] for col in cols if col[i] is not None]
                if vals:
                    item[name] = vals
        out.append(item or None)
    return (pd.Series(out, index=data.index, dtype=object),
            pd.Series([json_text(d) if d else None for d in out], index=data.index, dtype=object))
