"""Date columns: one day/month order decided for the whole column, never value by value.

A column is day-first when some value has a first part above 12, month-first when
some second part is above 12; with no such value it is *ambiguous* and the caller
must ask the user. Excel serial numbers use the 1900 date system, including its
fictitious 29 February 1900 (serial 60), which is refused rather than shifted.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time

import numpy as np
import pandas as pd

ISO_RE = r"^\d{4}-\d{1,2}-\d{1,2}(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$"
NUMERIC_RE = (r"^(?P<a>\d{1,2})[/.-](?P<b>\d{1,2})[/.-](?P<y>\d{4}|\d{2})"
              r"(?:[ T]+(?P<H>\d{1,2})[:h](?P<M>\d{2})(?::(?P<S>\d{2}))?(?:\s*(?P<ampm>[AaPp][Mm]))?)?$")
NAMED_RE = (r"^(?P<d>\d{1,2})[ /.-](?P<mon>[^\W\d_]{3,9})\.?[ /.-](?P<y>\d{4}|\d{2})"
            r"(?:[ T]+(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2}))?(?:\s*(?P<ampm>[AaPp][Mm]))?)?$")
NAMED_US_RE = r"^(?P<mon>[^\W\d_]{3,9})\.? (?P<d>\d{1,2}),? (?P<y>\d{4})$"
SERIAL_TEXT_RE = r"^\d{5}(?:\.\d+)?$"

MONTHS = {
    **{m: i for i, m in enumerate(["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov",
                                   "dec"], 1)},
    **{m: i for i, m in enumerate(["january", "february", "march", "april", "may", "june", "july", "august",
                                   "september", "october", "november", "december"], 1)},
    "sept": 9, "janv": 1, "fevr": 2, "févr": 2, "mars": 3, "avr": 4, "mai": 5, "juin": 6, "juil": 7, "aout": 8,
    "août": 8, "oct.": 10, "nov.": 11, "dec.": 12, "déc": 12,
}
EXCEL_EPOCH = pd.Timestamp("1899-12-30")
EXCEL_MAX_SERIAL = 2_958_465


@dataclass
class DateColumn:
    values: pd.Series  # datetime64[ns], NaT where empty or bad
    bad: pd.Series  # bool: a value was there but is not a date
    reasons: dict[int, str] = field(default_factory=dict)  # index -> reason, for bad values
    formats: list[str] = field(default_factory=list)  # what was found, for the preview
    notes: dict[int, str] = field(default_factory=dict)  # index -> explanatory text found instead of a date
    ambiguous: bool = False  # numeric day/month with no value that decides the order
    order: str | None = None  # dmy | mdy when numeric dates were found


def is_text(s: pd.Series) -> bool:
    """True when every present value is a str (pandas' string dtype, or object holding only str)."""
    if isinstance(s.dtype, pd.StringDtype):
        return True
    return s.dtype == object and bool(s.dropna().map(type).eq(str).all())


def _year(y: pd.Series) -> pd.Series:
    y = y.astype(int)
    return y.where(y >= 100, np.where(y < 70, 2000 + y, 1900 + y))


def _assemble(y: pd.Series, m: pd.Series, d: pd.Series, parts: pd.DataFrame) -> pd.Series:
    frame = pd.DataFrame({"year": _year(y), "month": m.astype(int), "day": d.astype(int)})
    hour = pd.to_numeric(parts.get("H"), errors="coerce").fillna(0).astype(int) if "H" in parts else 0
    if "ampm" in parts:
        pm = parts["ampm"].fillna("").str.lower().eq("pm")
        am = parts["ampm"].fillna("").str.lower().eq("am")
        hour = np.where(pm & (hour < 12), hour + 12, np.where(am & (hour == 12), 0, hour))
    frame["hour"] = hour
    frame["minute"] = pd.to_numeric(parts.get("M"), errors="coerce").fillna(0).astype(int) if "M" in parts else 0
    frame["second"] = pd.to_numeric(parts.get("S"), errors="coerce").fillna(0).astype(int) if "S" in parts else 0
    return pd.to_datetime(frame, errors="coerce")


def excel_serial_to_datetime(serial: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(datetimes, bad mask) for 1900-system serials; 60 is Excel's non-existent 29 Feb 1900."""
    serial = serial.astype(float)
    bad = (serial < 1) | (serial > EXCEL_MAX_SERIAL) | ((serial >= 60) & (serial < 61))
    shift = np.where(serial < 60, 1.0, 0.0)  # before the fake leap day Excel is one day ahead
    days = serial.where(~bad) + shift
    values = EXCEL_EPOCH + pd.to_timedelta(days.round(6), unit="D")
    return values.dt.round("s"), bad


def _python_dt(v: object) -> datetime | None:
    if isinstance(v, datetime):
        return v.replace(tzinfo=None)
    if isinstance(v, date):
        return datetime(v.year, v.month, v.day)
    if isinstance(v, time):
        return None
    return None


def parse_date_column(raw: pd.Series, order: str | None = None) -> DateColumn:
    """Parse one column; ``order`` ('dmy'/'mdy') settles numeric dates the values leave ambiguous."""
    out = pd.Series(pd.NaT, index=raw.index, dtype="datetime64[ns]")
    bad = pd.Series(False, index=raw.index)
    result = DateColumn(out, bad)
    present = raw.notna()
    if not present.any():
        return result
    values = raw[present]
    if is_text(values):
        text = values.astype(str).str.strip()
        fast = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")
        if fast.notna().all():  # the common case (ISO dates as text) in one vectorised call
            out.loc[fast.index] = fast
            result.formats.append("ISO (YYYY-MM-DD)")
            return result
        _parse_text(text, order, result)
        return result
    inferred = pd.api.types.infer_dtype(values, skipna=True)
    if inferred in ("datetime", "date", "datetime64"):  # all date cells (xlsx): one vectorised conversion
        out.loc[values.index] = pd.to_datetime(values, errors="coerce")
        result.formats.append("date cells")
        return result
    kinds = values.map(type)
    # native datetimes (xlsx cells)
    is_dt = kinds.map(lambda t: issubclass(t, (datetime, date)))
    if is_dt.any():
        out.loc[is_dt[is_dt].index] = pd.to_datetime(values[is_dt].map(_python_dt), errors="coerce")
        result.formats.append("date cells")
    # numbers (Excel serials)
    is_num = kinds.map(lambda t: issubclass(t, (int, float, np.integer, np.floating)) and not issubclass(t, bool))
    if is_num.any():
        idx = is_num[is_num].index
        converted, serial_bad = excel_serial_to_datetime(values[idx].astype(float))
        out.loc[idx] = converted.where(~serial_bad)
        for i in serial_bad[serial_bad].index:
            v = values[i]
            result.reasons[i] = ("Excel serial 60 is 29 February 1900, a date that does not exist"
                                 if 60 <= float(v) < 61 else f"{v} is not a valid Excel date number")
        bad.loc[serial_bad[serial_bad].index] = True
        result.formats.append("Excel serial numbers")
    rest_mask = ~is_dt & ~is_num
    if rest_mask.any():
        _parse_text(values[rest_mask].astype(str).str.strip(), order, result)
    return result


def _parse_text(text: pd.Series, order: str | None, result: DateColumn) -> None:
    out, bad = result.values, result.bad
    text = text[text.ne("")]
    remaining = pd.Series(True, index=text.index)
    undecided = pd.Series(False, index=text.index)
    iso = text.str.match(ISO_RE)
    if iso.any():
        idx = iso[iso].index
        parsed = pd.to_datetime(text[idx], format="ISO8601", errors="coerce", utc=True).dt.tz_convert(None)
        out.loc[idx] = parsed
        remaining.loc[idx] = False
        result.formats.append("ISO (YYYY-MM-DD)")
    rest = text[remaining]
    if not rest.empty:
        parts = rest.str.extract(NUMERIC_RE)
        numeric = parts["a"].notna()
        if numeric.any():
            p = parts[numeric]
            a, b = p["a"].astype(int), p["b"].astype(int)
            day_first, month_first = (a > 12).sum(), (b > 12).sum()
            decided = order
            if decided is None:
                if day_first and not month_first:
                    decided = "dmy"
                elif month_first and not day_first:
                    decided = "mdy"
                elif day_first and month_first:
                    decided = "dmy" if day_first >= month_first else "mdy"
                elif (a == b).all():
                    decided = "dmy"
                else:
                    result.ambiguous = True
            if decided is not None:
                result.order = decided
                d, m = (a, b) if decided == "dmy" else (b, a)
                out.loc[p.index] = _assemble(p["y"], m, d, p)
                result.formats.append("day-first (DD/MM/YYYY)" if decided == "dmy" else "month-first (MM/DD/YYYY)")
            else:
                undecided.loc[p.index] = True
            remaining.loc[p.index] = False
        rest = text[remaining]
    if not rest.empty:
        for regex in (NAMED_RE, NAMED_US_RE):
            parts = rest.str.extract(regex)
            hit = parts["d"].notna()
            if not hit.any():
                continue
            p = parts[hit]
            months = p["mon"].str.casefold().map(lambda m: MONTHS.get(m, MONTHS.get(m[:3])))
            ok = months.notna()
            out.loc[p.index[ok]] = _assemble(p["y"][ok], months[ok], p["d"][ok], p[ok])
            remaining.loc[p.index[ok]] = False
            result.formats.append("day month-name year" if regex is NAMED_RE else "month-name day, year")
            rest = text[remaining]
    if not rest.empty:
        serial = rest[rest.str.match(SERIAL_TEXT_RE)]
        if not serial.empty:
            converted, serial_bad = excel_serial_to_datetime(serial.astype(float))
            out.loc[serial.index] = converted.where(~serial_bad)
            remaining.loc[serial.index[~serial_bad.to_numpy()]] = False
            result.formats.append("Excel serial numbers")
    prose = remaining & text.map(is_prose)
    for i in text.index[prose.to_numpy()]:
        result.notes[i] = text[i]
    unparsed = remaining & ~prose
    converted_bad = out.loc[text.index].isna() & ~remaining & ~undecided
    for i in text.index[converted_bad.to_numpy()]:
        result.reasons.setdefault(i, f"'{text[i]}' is not a real calendar date")
    for i in text.index[unparsed.to_numpy()]:
        result.reasons.setdefault(i, f"'{text[i]}' is not a date in a format this column uses")
    bad.loc[text.index[(unparsed | converted_bad).to_numpy()]] = True
    if result.ambiguous:
        result.formats.append("numeric dates, day/month order undecided")


def is_prose(text: object) -> bool:
    """Explanatory text written where a value belongs ("Exempt under Section 26 ..."): 3+ words."""
    return isinstance(text, str) and len(re.findall(r"[^\W\d_]{2,}", text)) >= 3


def describe(column: DateColumn) -> str:
    return ", ".join(dict.fromkeys(column.formats)) or "empty"


_NUMBER_STRIP = re.compile(r"[£$€¥\s\u00a0\u202f']")


def parse_number_column(raw: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """(floats, bad mask, prose mask): currency signs, thousands separators, %, (negatives), decimal commas.

    Prose written instead of a number ("not yet costed, see note") is reported apart, so the
    caller can keep it as a note instead of rejecting the row.
    """
    present = raw.notna()
    out = pd.Series(np.nan, index=raw.index, dtype=float)
    if not present.any():
        return out, pd.Series(False, index=raw.index), pd.Series(False, index=raw.index)
    values = raw[present]
    if is_text(values):
        is_num = pd.Series(False, index=values.index)
    else:
        is_num = values.map(lambda v: isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool))
    out.loc[is_num[is_num].index] = values[is_num].astype(float)
    text = values[~is_num].astype(str).str.strip()
    text = text[text.ne("")]
    if not text.empty:
        t = text.str.replace(_NUMBER_STRIP, "", regex=True).str.rstrip("%")
        neg = t.str.match(r"^\(.*\)$")
        t = t.str.strip("()")
        thousands = t.str.match(r"^-?\d{1,3}(,\d{3})+(\.\d+)?$")
        t = t.where(~thousands, t.str.replace(",", "", regex=False))
        decimal_comma = t.str.match(r"^-?\d+,\d+$")
        t = t.where(~decimal_comma, t.str.replace(",", ".", regex=False))
        nums = pd.to_numeric(t, errors="coerce")
        nums = nums.where(~neg, -nums)
        out.loc[text.index] = nums
    bad = present & out.isna()
    bad.loc[raw.index[~present.to_numpy()]] = False
    # blanks written as text ("  ") are not bad
    blank_text = raw.map(lambda v: isinstance(v, str) and not v.strip())
    prose = bad & raw.map(is_prose)
    return out, bad & ~blank_text & ~prose, prose
