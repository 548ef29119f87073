"""The one normaliser family: what counts as missing, plain comparable values, and the keys names match on.

Every package asks these questions (is this cell blank? are these two values the same? is "P. Shah"
the same text as "p.  shah"?); answering them once keeps an import, an in-app edit and the audit
trail in agreement about what changed.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

Scalar = str | int | float | bool | None


def is_missing(v: object) -> bool:
    """None, NaN, NaT or pd.NA: a value that is not there (a blank string is text, see is_blank)."""
    if v is None or v is pd.NaT or v is pd.NA:
        return True
    if isinstance(v, float):
        return v != v
    if isinstance(v, (list, dict, tuple, set, str)):
        return False
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def is_blank(v: object) -> bool:
    """Missing, or text with nothing but spaces: what a user means by an empty cell."""
    return is_missing(v) or (isinstance(v, str) and not v.strip())


def plain(v: Any) -> Any:
    """A JSON-friendly scalar for the change log and the audit trail (dates as ISO text, numpy as Python)."""
    if is_missing(v):
        return None
    if hasattr(v, "isoformat"):
        return v.isoformat()
    if hasattr(v, "item"):
        return v.item()
    return v


def comparable(v: Any) -> Any:
    """``plain`` with every blank as None and whole floats as ints (an id read back as 4.0 is 4)."""
    if is_blank(v):
        return None
    v = plain(v)
    return int(v) if isinstance(v, float) and v.is_integer() else v


def same(a: Any, b: Any) -> bool:
    """Whether an edit changed a cell: blanks are equal, numbers compare by value, the rest as text."""
    a, b = comparable(a), comparable(b)
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return float(a) == float(b)
    return str(a).strip() == str(b).strip()


def text_or_blank(v: object) -> str:
    """The cell as text, '' for missing: for messages and tables, never 'None' or 'nan'."""
    return "" if is_missing(v) else str(v)


def change_text(v: object) -> str:
    """A recorded value as a person reads it: a dict as "Field: value; …" (keys as words, missing as "–",
    yes/no for flags), a list joined by "; ", '' for missing; never Python's own "{'owner_id': None}"."""
    def one(x: object) -> str:
        if isinstance(x, bool):
            return "yes" if x else "no"
        return "–" if is_missing(x) else str(x)

    if isinstance(v, dict):
        return "; ".join(f"{str(k).replace('_', ' ').strip().capitalize()}: {one(x)}" for k, x in v.items())
    if isinstance(v, (list, tuple, set)):
        return "; ".join(one(x) for x in v)
    return text_or_blank(v)


PLAUSIBLE_FROM, PLAUSIBLE_YEARS_AHEAD = pd.Timestamp("1990-01-01"), 10


def implausible_dates(values: pd.Series) -> pd.Series:
    """Which dates are data problems rather than moments: before 1990 or over ten years from now (a 1900
    placeholder, a due date typed as 2070). The import warns of them; the views leave them out."""
    when = pd.to_datetime(values, errors="coerce")
    latest = pd.Timestamp.now() + pd.DateOffset(years=PLAUSIBLE_YEARS_AHEAD)
    return when.notna() & ((when < PLAUSIBLE_FROM) | (when > latest))


def choices(values: pd.Series) -> list[object]:
    """A filter's choices: the distinct values present, sorted, blanks left out (every page's and view's)."""
    return sorted(values.dropna().unique().tolist())


def map_distinct(col: pd.Series, fn: Callable[[Any], object] | Mapping[Any, object]) -> pd.Series:
    """``fn`` of each distinct value once (a mapping: its value, None when absent); missing stays None.

    The column's repeats share one result, and no Python call is made per cell: keys, names and codes repeat
    (100,000 work items name a few hundred owners), so this is 5–10× faster than ``Series.map`` with a lambda.
    The result is an object column of the values ``fn`` returns (ints stay ints, not NaN-promoted floats).
    """
    get = fn.get if isinstance(fn, Mapping) else fn
    try:
        codes, uniques = pd.factorize(col, use_na_sentinel=True)
    except TypeError:  # an unhashable cell (a dict): value by value
        return pd.Series([None if is_missing(v) else get(v) for v in col.tolist()], index=col.index, dtype=object)
    mapped = np.array([None, *(get(u) for u in uniques.tolist())], dtype=object)
    return pd.Series(mapped[codes + 1], index=col.index, dtype=object)


def plausible_span(*dates: pd.Series) -> tuple[date, date]:
    """The first and last plausible day among these dates (today and today when there are none): a period
    picker's range, which one wild date must not stretch to decades."""
    when = pd.concat([pd.to_datetime(d, errors="coerce") for d in dates]).dropna() if dates else pd.Series([])
    when = when[~implausible_dates(when)]
    if not len(when):
        today = pd.Timestamp.now().date()
        return today, today
    return when.min().date(), when.max().date()


MULTI_OWNER = re.compile(r"\s*(?:;|&|\+|/|\band\b|\bet\b)\s*", re.IGNORECASE)  # "Ann & Bob", "Ann; Bob", "Ann et Bob"


def named_people(text: object) -> list[str]:
    """The people a cell names ("Ann & Bob" → two): an owner cell must name exactly one."""
    return [] if is_blank(text) else [p for p in MULTI_OWNER.split(str(text)) if p.strip()]


def name_key(value: object) -> str:
    """How people, teams and objectives are matched: case- and space-insensitive."""
    return re.sub(r"\s+", " ", str(value)).strip().casefold()


def word_key(value: object) -> str:
    """A status or RAG word folded for lookup: case, accents, punctuation and spacing ignored."""
    text = unicodedata.normalize("NFKD", name_key(value))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return re.sub(r"\s+", " ", re.sub(r"[_\-–/.:'’]+", " ", text)).strip()


def normalize_header(header: str) -> str:
    """First line, no parenthesised remarks, no accents, lower case, words only."""
    text = str(header).replace("\r", "\n").split("\n")[0]
    text = re.sub(r"\([^)]*\)?", " ", text)
    text = re.sub(r" \[\d+\]$", "", text)
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = re.sub(r"[^\w#]+", " ", text.casefold()).replace("_", " ")
    return re.sub(r"\s+", " ", text).strip()
