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

from core.importing.date_words import month_number, relative_seconds, resolve_relative
from core.importing.fixed_dates import fixed_width_numeric

ISO_RE = r"^\d{4}-\d{1,2}-\d{1,2}(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:Z|[+-]\d{2}:?\d{2})?)?$"
OFFSET_RE = r"\s*(?:Z|[+-]\d{2}:?\d{2}|UTC|GMT)$"
_TIME = r"(?:[ T,]+(?P<H>\d{1,2})[:h](?P<M>\d{2})(?::(?P<S>\d{2}))?(?:\.\d+)?(?:\s*(?P<ampm>[AaPp]\.?[Mm]\.?))?)?"
_ZONE = r"(?:\s*(?:Z|[+-]\d{2}:?\d{2}|UTC|GMT|[A-Z]{3,4}))?"
NUMERIC_RE = r"^(?P<a>\d{1,2})[/.-](?P<b>\d{1,2})[/.-](?P<y>\d{4}|\d{2})" + _TIME + _ZONE + "$"
YMD_RE = r"^(?P<y>\d{4})[/.](?P<m>\d{1,2})[/.](?P<d>\d{1,2})" + _TIME + _ZONE + "$"
NAMED_RE = (r"^(?:[^\W\d_]{2,9}\.?,?\s+)?(?P<d>\d{1,2})\.?[ /.-]+(?:de\s+)?(?P<mon>[^\W\d_]{3,9})\.?,?[ /.-]+(?:de\s+)?(?P<y>\d{4}|\d{2})"
            + _TIME + _ZONE + "$")
NAMED_US_RE = (r"^(?:[^\W\d_]{2,9}\.?,?\s+)?(?P<mon>[^\W\d_]{3,9})\.? (?P<d>\d{1,2})(?:st|nd|rd|th)?,? (?P<y>\d{4})"
               + _TIME + _ZONE + "$")
SERIAL_TEXT_RE = r"^\d{5}(?:\.\d+)?$"
EPOCH_TEXT_RE = r"^\d{10}(?:\.\d+)?$|^\d{13}$"
EARLIEST, LATEST = pd.Timestamp("1900-01-01"), pd.Timestamp("2200-12-31 23:59:59")
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
    return s.dtype == object and pd.api.types.infer_dtype(s, skipna=True) in ("string", "empty")  # one C pass


def _year(y: pd.Series) -> pd.Series:
    y = y.astype(int)
    return y.where(y >= 100, np.where(y < 70, 2000 + y, 1900 + y))


def _assemble(y: pd.Series, m: pd.Series, d: pd.Series, parts: pd.DataFrame) -> pd.Series:
    frame = pd.DataFrame({"year": _year(y), "month": m.astype(int), "day": d.astype(int)})
    hour = pd.to_numeric(parts.get("H"), errors="coerce").fillna(0).astype(int) if "H" in parts else 0
    if "ampm" in parts:
        flag = parts["ampm"].fillna("").str.lower().str.replace(".", "", regex=False)
        pm, am = flag.eq("pm"), flag.eq("am")
        hour = np.where(pm & (hour < 12), hour + 12, np.where(am & (hour == 12), 0, hour))
    frame["hour"] = hour
    frame["minute"] = pd.to_numeric(parts.get("M"), errors="coerce").fillna(0).astype(int) if "M" in parts else 0
    frame["second"] = pd.to_numeric(parts.get("S"), errors="coerce").fillna(0).astype(int) if "S" in parts else 0
    return pd.to_datetime(frame, errors="coerce")


def _place(result: "DateColumn", parsed: pd.Series, raw: pd.Series) -> None:
    """Store parsed values; a real date outside 1900–2200 (9999-12-31, 0001-01-01) is one bad value, not a crash."""
    parsed = pd.to_datetime(parsed, errors="coerce")
    wild = parsed.notna() & ((parsed < EARLIEST) | (parsed > LATEST))
    for i in parsed.index[wild.to_numpy()]:
        result.reasons[i] = (f"'{raw.get(i, parsed[i])}' is outside the dates this import accepts (1900 to 2200); "
                             "it looks like a placeholder or a typing error")
    result.bad.loc[parsed.index[wild.to_numpy()]] = True
    result.values.loc[parsed.index] = parsed.where(~wild).astype("datetime64[ns]")


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


def parse_date_column(raw: pd.Series, order: str | None = None, anchor: datetime | None = None) -> DateColumn:
    """Parse one column; ``order`` ('dmy'/'mdy') settles numeric dates the values leave ambiguous.

    ``anchor`` is the export time that relative dates ("2 hours ago") count back from: the caller passes the
    latest absolute time in the file; without one, the column's own latest date (else now) is used.
    """
    out = pd.Series(pd.NaT, index=raw.index, dtype="datetime64[ns]")
    bad = pd.Series(False, index=raw.index)
    result = DateColumn(out, bad)
    present = raw.notna()
    if not present.any():
        return result
    values = raw[present]
    if len(values) > 2000 and is_text(values):
        codes, uniques = pd.factorize(values.to_numpy(dtype=object))  # strip each distinct text, not each cell
        stripped_codes, uniques = pd.factorize(np.array([v.strip() for v in uniques.tolist()], dtype=object))
        codes = stripped_codes[codes]
        if len(uniques) * 2 < len(values):  # event logs repeat each case's dates: parse every value once
            return _spread(parse_date_column(pd.Series(uniques, dtype=object), order, anchor), codes, values, result)
    if is_text(values):
        text = values.astype(str).str.strip()
        # the common case (ISO dates as text) in one vectorised call, tried only when the first value is one:
        # on 120,000 day-first times the failed attempt alone took 0.14 s
        fast = pd.to_datetime(text.iloc[:1], format="%Y-%m-%d", errors="coerce")
        if fast.notna().all():
            fast = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")
        if fast.notna().all():
            _place(result, fast, text)
            result.formats.append("ISO (YYYY-MM-DD)")
            return result
        _parse_text(text, order, result, anchor)
        return result
    inferred = pd.api.types.infer_dtype(values, skipna=True)
    if inferred in ("datetime", "date", "datetime64"):  # all date cells (xlsx): one vectorised conversion
        _place(result, values.map(_python_dt) if inferred != "datetime64" else values, values)
        result.formats.append("date cells")
        return result
    kinds = values.map(type)
    # native datetimes (xlsx cells)
    is_dt = kinds.map(lambda t: issubclass(t, (datetime, date)))
    if is_dt.any():
        _place(result, values[is_dt].map(_python_dt), values)
        result.formats.append("date cells")
    # numbers: Excel serials, or epoch seconds/milliseconds (far above any serial)
    is_num = kinds.map(lambda t: issubclass(t, (int, float, np.integer, np.floating)) and not issubclass(t, bool))
    if is_num.any():
        idx = is_num[is_num].index
        nums = values[idx].astype(float)
        epoch = nums > 1e8
        if epoch.any():
            _place(result, _from_epoch(nums[epoch]), values)
            result.formats.append("Unix time (seconds)")
        idx = nums.index[~epoch.to_numpy()]
        if len(idx):
            converted, serial_bad = excel_serial_to_datetime(nums[idx])
            _place(result, converted.where(~serial_bad), values)
            for i in serial_bad[serial_bad].index:
                v = values[i]
                result.reasons[i] = ("Excel serial 60 is 29 February 1900, a date that does not exist"
                                     if 60 <= float(v) < 61 else f"{v} is not a valid Excel date number")
            bad.loc[serial_bad[serial_bad].index] = True
            result.formats.append("Excel serial numbers")
    rest_mask = ~is_dt & ~is_num
    if rest_mask.any():
        _parse_text(values[rest_mask].astype(str).str.strip(), order, result, anchor)
    return result


def _spread(sub: "DateColumn", codes: np.ndarray, values: pd.Series, result: "DateColumn") -> "DateColumn":
    """A column parsed once per distinct value, laid back over its rows."""
    result.values.loc[values.index] = sub.values.to_numpy()[codes]
    bad = sub.bad.to_numpy()[codes]
    result.bad.loc[values.index] = bad
    if sub.reasons or sub.notes:  # only the rows of the few values that carry a reason or a note
        marked = np.isin(codes, list({*sub.reasons, *sub.notes}))
        for i, code in zip(values.index[marked], codes[marked].tolist()):
            if code in sub.reasons:
                result.reasons[i] = sub.reasons[code]
            if code in sub.notes:
                result.notes[i] = sub.notes[code]
    result.formats, result.ambiguous, result.order = sub.formats, sub.ambiguous, sub.order
    return result


def _from_epoch(nums: pd.Series) -> pd.Series:
    """Unix seconds (10 digits) or milliseconds (13 digits) as naive UTC datetimes."""
    seconds = nums.where(nums < 1e11, nums / 1000.0)
    return pd.to_datetime(seconds, unit="s", errors="coerce").dt.round("s")


def _numeric_dates(rest: pd.Series, order: str | None, result: DateColumn, remaining: pd.Series,
                   undecided: pd.Series) -> None:
    """d/m/y or m/d/y numbers: one order for the whole column, decided by a value that only fits one."""
    parts = fixed_width_numeric(rest)
    if parts is None:
        parts = _extract(rest, NUMERIC_RE)
    if parts is None:
        return
    numeric = parts["a"].notna()
    if not numeric.any():
        return
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
        elif (a == b).all() or rest[numeric].str.match(r"^\d{1,2}\.\d{1,2}\.").all():
            decided = "dmy"  # dotted dates (12.03.2024) are day-first wherever they are written
        else:
            result.ambiguous = True
    if decided is not None:
        result.order = decided
        d, m = (a, b) if decided == "dmy" else (b, a)
        _place(result, _assemble(p["y"], m, d, p), rest)
        result.formats.append("day-first (DD/MM/YYYY)" if decided == "dmy" else "month-first (MM/DD/YYYY)")
    else:
        undecided.loc[p.index] = True
    remaining.loc[p.index] = False


def _extract(text: pd.Series, regex: str) -> pd.DataFrame | None:
    """``text.str.extract(regex)``, run only over the values Python's own ``re`` matches at all (None if none).

    Its matches are all the extraction can find (its classes ``\\d``, ``\\s``, ``\\w`` are Unicode, the widest
    reading), so the result is the same; a column of words or keys, which no date format fits, then costs one
    ``re.match`` per value instead of a frame of groups per format (most of the 8 ms each column's profile took).
    """
    pattern = _COMPILED.get(regex) or _COMPILED.setdefault(regex, re.compile(regex))
    hits = np.fromiter((pattern.match(v) is not None for v in text.tolist()), dtype=bool, count=len(text))
    if hits.all():
        return text.str.extract(regex)
    if not hits.any():
        return None
    return text[hits].str.extract(regex).reindex(text.index)


_COMPILED: dict[str, re.Pattern[str]] = {}


def _parse_text(text: pd.Series, order: str | None, result: DateColumn, anchor: datetime | None = None) -> None:
    """Each format in turn over the values no earlier format took; whatever is left is prose or bad."""
    out, bad = result.values, result.bad
    text = text[text.ne("")]
    remaining = pd.Series(True, index=text.index)
    undecided = pd.Series(False, index=text.index)
    iso = text.str.match(ISO_RE)
    if iso.any():
        idx = iso[iso].index
        # A written offset is dropped, not converted: '2024-03-05T23:30+05:00' stays on its own calendar day.
        local = text[idx].str.replace(OFFSET_RE, "", regex=True)
        _place(result, pd.to_datetime(local, format="ISO8601", errors="coerce"), text)
        remaining.loc[idx] = False
        result.formats.append("ISO (YYYY-MM-DD)")
    if remaining.any():
        _numeric_dates(text[remaining], order, result, remaining, undecided)
    if remaining.any():
        rest = text[remaining]
        parts = _extract(rest, YMD_RE)
        hit = parts["y"].notna() if parts is not None else None
        if hit is not None and hit.any():
            p = parts[hit]
            _place(result, _assemble(p["y"], p["m"], p["d"], p), rest)
            remaining.loc[p.index] = False
            result.formats.append("year-first (YYYY/MM/DD)")
    for regex, label in ((NAMED_RE, "day month-name year"), (NAMED_US_RE, "month-name day, year")):
        if not remaining.any():
            break
        rest = text[remaining]
        parts = _extract(rest, regex)
        hit = parts["d"].notna() if parts is not None else None
        if hit is None or not hit.any():
            continue
        p = parts[hit]
        months = p["mon"].map(month_number)
        ok = months.notna()
        if ok.any():
            _place(result, _assemble(p["y"][ok], months[ok], p["d"][ok], p[ok]), rest)
            remaining.loc[p.index[ok.to_numpy()]] = False
            result.formats.append(label)
    if remaining.any():
        rest = text[remaining]
        for regex, convert, label in ((SERIAL_TEXT_RE, excel_serial_to_datetime, "Excel serial numbers"),
                                      (EPOCH_TEXT_RE, None, "Unix time (seconds)")):
            hit = rest[rest.str.match(regex)]
            if hit.empty:
                continue
            if convert is None:
                _place(result, _from_epoch(hit.astype(float)), text)
                remaining.loc[hit.index] = False
            else:
                converted, serial_bad = convert(hit.astype(float))
                _place(result, converted.where(~serial_bad), text)
                remaining.loc[hit.index[~serial_bad.to_numpy()]] = False
            result.formats.append(label)
    if remaining.any():
        _relative(text[remaining], result, remaining, anchor)
    prose = pd.Series(False, index=text.index)
    if remaining.any():
        prose.loc[remaining] = text[remaining].map(is_prose)
    for i in text.index[prose.to_numpy()]:
        result.notes[i] = text[i]
    unparsed = remaining & ~prose
    converted_bad = out.loc[text.index].isna() & ~remaining & ~undecided & ~bad.loc[text.index]
    for i in text.index[converted_bad.to_numpy()]:
        result.reasons.setdefault(i, f"'{text[i]}' is not a real calendar date")
    for i in text.index[unparsed.to_numpy()]:
        result.reasons.setdefault(i, f"'{text[i]}' is not a date in a format this column uses")
    bad.loc[text.index[(unparsed | converted_bad).to_numpy()]] = True
    if result.ambiguous:
        result.formats.append("numeric dates, day/month order undecided")


def _relative(rest: pd.Series, result: DateColumn, remaining: pd.Series, anchor: datetime | None) -> None:
    """'2 hours ago', 'yesterday', 'vor 3 Tagen': counted back from the export time, which the preview states."""
    found = {i: r for i, v in rest.items() if (r := relative_seconds(v)) is not None}
    if not found:
        return
    if anchor is None:
        latest = result.values.max()
        anchor = latest.to_pydatetime() if pd.notna(latest) else datetime.now().replace(microsecond=0)
    _place(result, resolve_relative(found, anchor), rest)
    remaining.loc[list(found)] = False
    result.formats.append(f"relative dates counted back from {anchor:%Y-%m-%d %H:%M} (the export time)")


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
    if len(values) > 2000 and is_text(values):
        codes, uniques = pd.factorize(raw)
        if len(uniques) * 2 < len(values):  # a column of few amounts: parse every distinct text once
            nums, bad, prose = parse_number_column(pd.Series(uniques, dtype=object))
            return tuple(_spread_by_codes(part, codes, raw.index, blank)  # type: ignore[return-value]
                         for part, blank in ((nums, np.nan), (bad, False), (prose, False)))
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
    # blanks written as text ("  ") are not bad; prose is kept as a note (both looked at only where a value failed)
    failed = raw[bad]
    blank_text = pd.Series(False, index=raw.index)
    blank_text.loc[failed.index] = failed.map(lambda v: isinstance(v, str) and not v.strip()).astype(bool)
    prose = pd.Series(False, index=raw.index)
    prose.loc[failed.index] = failed.map(is_prose).astype(bool)
    return out, bad & ~blank_text & ~prose, prose


def _spread_by_codes(part: pd.Series, codes: np.ndarray, index: pd.Index, blank: object) -> pd.Series:
    """Per-distinct-value results laid back over the rows (``codes`` from ``pd.factorize``; -1 = missing)."""
    values = part.to_numpy()[np.maximum(codes, 0)]
    values[codes < 0] = blank
    return pd.Series(values, index=index, dtype=part.dtype)
