"""What each column holds, measured from its values: the content evidence that mapping weighs against headers.

A header says what a column was meant to be; the values say what it is. A count column called "Created" is not
a date, a 3-value column is not a title, a column of ``INC0012345`` that never repeats is a key. Every measure is
a share of the filled cells, computed vectorised over all rows (over an evenly spread sample of
``PROFILE_ROWS`` rows above that size, so a 120,000-row log costs what 20,000 rows cost). Each distinct value is
measured once; above ``MEASURED_DISTINCT`` distinct values, the commonest half of that number plus an even spread of
the rest are measured, the spread weighted for what it stands for (counts, repeats and the fill stay exact).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd

from core.importing.dates import parse_date_column, parse_number_column
from core.importing.vocabulary import is_rag_word, is_status_word

PROFILE_ROWS = 20_000
MEASURED_DISTINCT = 4_000  # distinct values parsed and matched one by one (a timestamp column has 20,000)
PROBE = 400  # distinct values tried first: a column that is not dates (numbers) in these is not parsed in full
# Cells that mean "empty" in real exports: Excel errors, ServiceNow's '?', trackers' "unassigned" placeholders.
NULL_TOKENS = frozenset({
    "", "n/a", "#n/a", "null", "nan", "none", "#value!", "#ref!", "#div/0!", "#name?", "#num!", "#null!", "?",
    "unassigned", "nicht zugewiesen", "non assigné", "non attribué", "sin asignar", "no asignado", "não atribuído",
    "non assegnato", "niet toegewezen", "не назначен", "не назначено", "не назначена",
})
KEY_RE = re.compile(r"^#?[^\s,;]{1,40}$")  # one token: ABC-123, INC0012345, 42, A, a slug (never a sentence)
PERSON_RE = re.compile(
    r"^(?:[^\W\d_][^\W\d_'’.-]*(?:[-'’.][^\W\d_]+)*\.?"  # a name word
    r"(?:,?\s+[^\W\d_][^\W\d_'’.-]*(?:[-'’.][^\W\d_]+)*\.?){1,3}"  # 1-3 more words ("Shah, Priya", "P. Shah")
    r"|[\w.+-]+@[\w-]+(?:\.[\w-]+)+"  # e-mail
    r"|[\w.-]+\\[\w.-]+"  # DOMAIN\\user
    r"|[^<>]{1,60}<[\w.+-]+@[\w.-]+>"  # Name <e-mail>
    r"|[A-Z][a-z]+ \d{1,6})$")  # anonymised exports: "Resolver 149", "Caller 2403"

@dataclass(frozen=True)
class ColumnProfile:
    """Shares are of the filled cells; ``distinct`` counts different values (case and spacing folded)."""

    header: str
    rows: int  # rows in the sheet
    sampled: int  # rows measured (all of them up to PROFILE_ROWS)
    filled: int  # of the sampled rows
    distinct: int
    date_share: float = 0.0
    date_time_share: float = 0.0  # of the dates, how many carry a time of day (event timestamps do)
    date_serial_only: bool = False  # dates only as bare numbers (Excel serials / Unix time): weak evidence
    date_how: str = ""
    latest: datetime | None = None
    number_share: float = 0.0
    integer_share: float = 0.0
    negative_share: float = 0.0
    key_share: float = 0.0
    mean_length: float = 0.0
    status_share: float = 0.0
    rag_share: float = 0.0
    person_share: float = 0.0
    max_repeat: int = 0  # how often the commonest value occurs

    @property
    def fill(self) -> float:
        return self.filled / self.sampled if self.sampled else 0.0

    @property
    def distinct_ratio(self) -> float:
        return self.distinct / self.filled if self.filled else 0.0

    @property
    def unique(self) -> bool:
        return self.filled > 0 and self.distinct == self.filled

    def evidence(self) -> str:
        """The content in a few words, for the Import page: '98% dates, day-first', 'unique keys'."""
        if not self.filled:
            return "empty"
        parts = []
        if self.date_share >= 0.5:
            parts.append(f"{self.date_share:.0%} dates" + (f", {self.date_how}" if self.date_how else ""))
        elif self.number_share >= 0.5:
            parts.append(f"{self.number_share:.0%} numbers" + (", whole" if self.integer_share >= 0.99 else ""))
        if self.key_share >= 0.8 and self.distinct_ratio >= 0.5 and not parts:
            parts.append("unique keys" if self.unique else f"keys, {self.distinct:,} different")
        if self.status_share >= 0.3:
            parts.append(f"{self.distinct} status word{'s' if self.distinct != 1 else ''}")
        if self.rag_share >= 0.3:
            parts.append("RAG ratings")
        if self.person_share >= 0.6 and not parts:
            parts.append("names of people")
        if not parts:
            parts.append(f"text, {self.mean_length:.0f} characters on average" if self.distinct > 3
                         else f"{self.distinct} different value{'s' if self.distinct != 1 else ''}")
        if self.fill < 0.5:
            parts.append(f"{self.fill:.0%} filled")
        return "; ".join(parts)


def blank_nulls(data: pd.DataFrame, extra: list[str] | None = None, columns: list[str] | None = None) -> pd.DataFrame:
    """Cells that mean 'empty' become None, compared case- and space-insensitively (decided per distinct value).

    ``columns``: only these are blanked (the others are left as they are, for a caller that blanks them later on
    fewer rows)."""
    tokens = NULL_TOKENS | {str(x).strip().casefold() for x in (extra or [])}
    longest = max(map(len, tokens))
    out = data.copy(deep=False)
    wanted = None if columns is None else set(columns)
    for col in out.columns if wanted is None else [c for c in out.columns if c in wanted]:
        s = out[col]
        nulls = _null_values(pd.unique(s.to_numpy(dtype=object)).tolist(), tokens, longest)
        if nulls:
            out[col] = s.mask(s.isin(nulls), None)
    return out


def _null_values(uniques: list[object], tokens: frozenset[str] | set[str], longest: int) -> list[str]:
    """The values among ``uniques`` that mean empty. Text is stripped and measured in C first: only a value as
    short as the longest token can be one (casefolding never shortens text), and most values are longer."""
    try:
        stripped = list(map(str.strip, uniques))
    except TypeError:  # blanks, numbers or dates among the values: only the text can mean empty
        uniques = [u for u in uniques if isinstance(u, str)]
        stripped = list(map(str.strip, uniques))
    short = np.flatnonzero(np.fromiter(map(len, stripped), dtype=np.int64, count=len(stripped)) <= longest)
    return [uniques[i] for i in short.tolist() if stripped[i].casefold() in tokens]


def _sample(data: pd.DataFrame) -> pd.DataFrame:
    if len(data) <= PROFILE_ROWS:
        return data
    step = len(data) / PROFILE_ROWS
    return data.iloc[(np.arange(PROFILE_ROWS) * step).astype(int)]


def _distinct_texts(present: pd.Series) -> tuple[pd.Series, pd.Series, np.ndarray] | None:
    """(the first cell of each distinct non-blank text, that text stripped, its number of cells), in the order
    the texts first appear; None when no cell has text.

    A column of text only is stripped once per distinct value (20,000 cells often hold a few dozen); a column
    with other values (numbers, dates: ``1`` and ``1.0`` are equal but write differently) is read cell by cell.
    """
    if len(present) and pd.api.types.infer_dtype(present, skipna=False) == "string":
        return distinct_strings(present)
    return distinct_cells(present)


def distinct_strings(present: pd.Series) -> tuple[pd.Series, pd.Series, np.ndarray] | None:
    """:func:`distinct_cells` for a column of ``str`` only, computed per distinct value."""
    codes, uniques = pd.factorize(present.to_numpy(dtype=object))
    tcodes, texts = pd.factorize(np.array([v.strip() for v in uniques.tolist()], dtype=object))
    ids = tcodes[codes]  # per cell: its stripped text's number, numbered in order of first appearance
    keep = texts != ""
    if not keep.all():
        blank = int(np.flatnonzero(~keep)[0])
        filled = ids != blank
        ids, present = np.where(ids > blank, ids - 1, ids)[filled], present[filled]
        texts = texts[keep]
    if not len(ids):
        return None
    _ids, firsts = np.unique(ids, return_index=True)
    values = present.iloc[firsts]
    return (values, pd.Series(texts.tolist(), index=values.index, dtype=str),
            np.bincount(ids, minlength=len(texts)).astype(float))


def distinct_cells(present: pd.Series) -> tuple[pd.Series, pd.Series, np.ndarray] | None:
    """The general way: every cell written as text (stripped; ``str`` of a number or date), then grouped."""
    text = present.map(lambda v: v.strip() if isinstance(v, str) else str(v))
    present, text = present[text.ne("")], text[text.ne("")]
    if present.empty:
        return None
    first = ~text.duplicated()
    values, shown = present[first], text[first]
    return values, shown, text.value_counts().reindex(shown.to_numpy()).to_numpy().astype(float)


def profile_column(header: str, raw: pd.Series, total_rows: int | None = None) -> ColumnProfile:
    """One column's profile from its (already null-blanked) values, measured once per distinct value."""
    rows = total_rows if total_rows is not None else len(raw)
    present = raw[raw.notna()]
    distinct = _distinct_texts(present)
    if distinct is None:
        return ColumnProfile(header, rows, len(raw), 0, 0)
    values, shown, weight = distinct  # one cell per distinct written value, and how many cells write it
    n, max_repeat = int(weight.sum()), int(weight.max())
    folded = shown.str.casefold().str.replace(r"\s+", " ", regex=True)
    distinct = int(folded.nunique())
    values, shown, weight = measured_values(values, shown, weight)
    measured = float(weight.sum())

    def share(mask: pd.Series | np.ndarray) -> float:
        return float((np.asarray(mask, dtype=float) * weight).sum() / measured)

    digits = float(shown.str.contains(r"\d", regex=True).mean())
    # dates have digits (relative words like "yesterday" are rare): a column of words is not parsed as dates
    dated = digits >= 0.3 and (len(values) <= PROBE or parse_date_column(values.iloc[:PROBE]).values.notna().mean() >= 0.2)
    dates = parse_date_column(values if dated else pd.Series(None, index=values.index, dtype=object))
    parsed = dates.values.loc[values.index]
    undecided = (parsed.isna() & ~dates.bad.loc[values.index]
                 & ~values.index.isin(list(dates.notes))) if dates.ambiguous else pd.Series(False, index=values.index)
    is_date = parsed.notna() | undecided
    timed = parsed.notna() & (parsed.dt.hour.gt(0) | parsed.dt.minute.gt(0))
    serial_only = bool(dates.formats) and set(dates.formats) <= {"Excel serial numbers", "Unix time (seconds)"}
    numeric = digits >= 0.3 and (len(values) <= PROBE or parse_number_column(values.iloc[:PROBE])[0].notna().mean() >= 0.2)
    nums, _bad, _prose = parse_number_column(values if numeric else pd.Series(None, index=values.index, dtype=object))
    got = nums.notna()
    whole = got & (nums == nums.round())
    return ColumnProfile(
        header=header, rows=rows, sampled=len(raw), filled=n, distinct=distinct,
        date_share=share(is_date), date_time_share=share(timed) / max(share(parsed.notna()), 1e-9),
        date_serial_only=serial_only,
        date_how=", ".join(f for f in dict.fromkeys(dates.formats) if "undecided" not in f)[:60],
        latest=parsed.max().to_pydatetime() if parsed.notna().any() else None,
        number_share=share(got), integer_share=share(whole) / max(share(got), 1e-9),
        negative_share=share(got & (nums < 0)) / max(share(got), 1e-9),
        key_share=share(shown.str.match(KEY_RE)),
        mean_length=float((shown.str.len().to_numpy() * weight).sum() / measured),
        status_share=share(shown.map(is_status_word)) if distinct <= 500 else 0.0,  # no workflow has 500 states
        rag_share=share(shown.map(is_rag_word)) if distinct <= 60 else 0.0,
        person_share=share(shown.str.match(PERSON_RE)), max_repeat=max_repeat)


def measured_values(values: pd.Series, shown: pd.Series, weight: np.ndarray) -> tuple[pd.Series, pd.Series, np.ndarray]:
    """The distinct values a profile parses and matches one by one: all of them up to ``MEASURED_DISTINCT``.

    Above it, the commonest half of that number (what most cells write) and an even spread of the others, in the
    order they first appear; the spread's weights are scaled to the cells it stands for, so every share is still
    of all the filled cells. A 120,000-row event log has 20,000 distinct timestamps in its sample. On the large real
    exports, measuring 400 distinct values per column decides what measuring all of them decides, every share within
    5 points (tests/importing/test_profile_fast_paths.py).
    """
    if len(values) <= MEASURED_DISTINCT:
        return values, shown, weight
    half = MEASURED_DISTINCT // 2
    order = np.argsort(-weight, kind="stable")
    heavy, rest = order[:half], np.sort(order[half:])
    spread = rest[(np.arange(half) * (len(rest) / half)).astype(int)]
    scaled = weight.astype(float).copy()
    scaled[spread] *= weight[rest].sum() / weight[spread].sum()
    keep = np.sort(np.concatenate([heavy, spread]))
    return values.iloc[keep], shown.iloc[keep], scaled[keep]


def profile_table(data: pd.DataFrame, extra_nulls: list[str] | None = None) -> dict[str, ColumnProfile]:
    """Every column's profile; ``data`` is a read table's raw cells."""
    sample = blank_nulls(_sample(data), extra_nulls)
    return {str(c): profile_column(str(c), sample[c], len(data)) for c in sample.columns}


def export_time(profiles: dict[str, ColumnProfile]) -> datetime | None:
    """The latest absolute time in the file: what relative dates ("2 hours ago") count back from."""
    times = [p.latest for p in profiles.values() if p.latest is not None and p.date_share >= 0.5]
    return max(times) if times else None
