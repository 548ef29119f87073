"""The chart builders' shared parts (core/reporting/charts.py): axes a wild value cannot wreck, their notes, box sizes.

One imported export with a date typed as the year 9999, or a duration computed from a garbled timestamp, used to
stretch an axis to 10^273 and squash every other point at the bottom. :func:`scale` keeps the axis to a plausible
range instead: at most the 99th percentile × 1.2 of the values it is given, never beyond a hard plausibility cap
(3,650 days for a duration); a point beyond it is drawn at the edge with a distinct marker, and a value that cannot
be drawn at all (infinite, missing, a negative duration) is left out. :func:`add_note` says so on the chart, with
the counts, so nothing is hidden silently.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Iterable

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from core.kpis.analytics import sign
from core.store.values import is_missing

DURATION_CAP_DAYS = 3650.0  # ten years: no work item plausibly takes longer
VALUE_CAP = 1e15  # beyond any plausible reading of a KPI (money included)
QUANTILE = 0.99
HEADROOM = 1.2
EDGE_SYMBOL = "triangle-up"  # a point beyond the axis, drawn at its edge
EDGE_SYMBOL_LOW = "triangle-down"
MAX_POINTS = 2000  # a scatter draws at most this many points (a browser and plotly's validation slow down past it)
NOTE_NAME = "scale-note"  # the annotation's name, so a test (or a reader of the JSON) finds it


@dataclass(frozen=True)
class Scale:
    """One axis's values as drawn. ``keep`` marks the input rows drawn at all; the other series are of those rows."""

    keep: pd.Series  # bool, over the input: finite (and not below the floor)
    plotted: pd.Series  # the kept values, clipped to [low, high]
    true: pd.Series  # the kept values as the data has them
    beyond: pd.Series  # bool, of the kept rows: drawn at the edge, not to scale
    dropped: int  # rows not drawn: infinite, missing, or below the floor (a negative duration)
    low: float  # the lowest value drawn to scale
    high: float  # the highest value drawn to scale
    range: tuple[float, float]  # the axis range: always finite
    floor: float | None = 0.0  # values below it were dropped (a negative duration)

    @property
    def n_beyond(self) -> int:
        return int(self.beyond.sum())

    def symbols(self, normal: str = "circle") -> list[str]:
        """Marker symbols of the kept points: the edge marker where a point is not to scale."""
        return symbols_of(self.beyond, self.true, self.low, normal)


def symbols_of(beyond: Iterable[bool], true: Iterable[float], low: float, normal: str = "circle") -> list[str]:
    """Each point's marker: ▼ beyond the axis below ``low``, ▲ beyond it above, else ``normal``."""
    return [EDGE_SYMBOL_LOW if b and t < low else EDGE_SYMBOL if b else normal for b, t in zip(beyond, true)]


def _floats(values: Any) -> pd.Series:
    return pd.to_numeric(pd.Series(values), errors="coerce").astype(float)


def scale(values: Any, *, floor: float | None = 0.0, cap: Any = DURATION_CAP_DAYS, extra: Iterable[Any] = (),
          q: float = QUANTILE, headroom: float = HEADROOM, bars: bool = False) -> Scale:
    """The robust linear range of ``values`` (a duration by default: nothing below 0, nothing beyond ten years).

    ``floor`` None: values may be negative, and the range is robust at both ends. ``cap``: a hard plausibility cap,
    one number or one per value (a total of n items' days: n × the cap). ``extra``: reference values the range should
    show when they are plausible (percentile lines, a target). ``bars``: the axis starts at the floor (bars grow from
    it) instead of a little below the lowest point.
    """
    v = _floats(values)
    raw = v.to_numpy()
    caps = np.broadcast_to(np.asarray(VALUE_CAP if cap is None else cap, dtype=float), raw.shape)
    caps = np.where(np.isfinite(caps), np.minimum(caps, VALUE_CAP), VALUE_CAP)
    ok = np.isfinite(raw) & ((raw >= floor) if floor is not None else True)
    keep = pd.Series(ok, index=v.index)
    plausible = pd.Series(raw[ok & (np.abs(np.nan_to_num(raw)) <= caps)])
    max_cap = float(caps.max()) if len(caps) else VALUE_CAP if cap is None else float(cap)
    low, high = _bounds(plausible, floor, q, headroom)
    span = max(high - low, abs(high), 1.0)
    refs = [x for x in map(number, extra) if math.isfinite(x) and abs(x) <= max_cap
            and (floor is None or x >= floor) and (not len(plausible) or low - 10 * span <= x <= high + 10 * span)]
    if refs:  # a plausible reference line is shown; a wild one does not stretch the axis
        low, high = (min(low, *refs), max(high, *refs)) if len(plausible) else (
            floor if floor is not None else min(refs), max(refs))
    if high <= low:
        high = low + max(abs(low) * 0.1, 1.0)
    kept = v[keep]
    beyond = (kept > high) | (kept < low) | pd.Series(kept.to_numpy() > caps[ok], index=kept.index)
    return Scale(keep=keep, plotted=kept.clip(low, high), true=kept, beyond=beyond, dropped=int((~keep).sum()),
                 low=float(low), high=float(high), range=_axis_range(low, high, floor, bars), floor=floor)


def number(x: Any) -> float:
    """A float, NaN where the value is none."""
    try:
        return float(x)
    except (TypeError, ValueError):
        return math.nan


def _bounds(values: pd.Series, floor: float | None, q: float, headroom: float) -> tuple[float, float]:
    """Lowest and highest value drawn to scale: the data's own extremes unless beyond the robust limit."""
    if not len(values):
        base = floor if floor is not None else 0.0
        return base, base + 1.0
    top, bottom = float(values.max()), float(values.min())
    hi_q = float(values.quantile(q))
    if floor is not None:
        return float(floor), min(top, hi_q * headroom) if hi_q > 0 else top
    lo_q = float(values.quantile(1 - q))
    span = hi_q - lo_q if hi_q > lo_q else max(abs(hi_q), 1.0)
    return max(bottom, lo_q - (headroom - 1) * span), min(top, hi_q + (headroom - 1) * span)


def _axis_range(low: float, high: float, floor: float | None, bars: bool) -> tuple[float, float]:
    """A little room around what is drawn; bars start at their floor."""
    span = high - low
    below = 0.0 if bars and floor is not None else (0.03 if floor is not None else 0.06) * span
    out = (float(low - below), float(high + 0.06 * span))
    return out if all(map(math.isfinite, out)) and out[1] > out[0] else (0.0, 1.0)


def plain_number(value: float) -> str:
    """A number as a reader writes it: 3,650 · 12.5 · 0.25; a wild one in scientific notation."""
    if not math.isfinite(value):
        return "∞" if value > 0 else "−∞" if value < 0 else "n/a"
    if abs(value) >= 1e9:
        return f"{value:.2g}"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if value == int(value):
        return f"{int(value):,}"
    return f"{value:.3g}" if abs(value) < 1 else f"{value:,.2f}".rstrip("0").rstrip(".")


def days_text(value: float) -> str:
    """A duration in days for a hover label (``n/a`` when it cannot be said)."""
    v = number(value)
    if not math.isfinite(v):
        return "n/a"
    if 0 <= v < 1:
        return f"{v * 24:.1f} hours"
    return f"{plain_number(v)} day{'s' if v != 1 else ''}"


def note_text(sc: Scale, unit: str = "days", what: str = "point(s)") -> str | None:
    """"3 point(s) beyond 3,650 days not to scale (drawn at the edge ▲); 2 without a usable value not drawn"."""
    parts, unit = [], f" {unit}" if unit else ""
    n_high = int((sc.beyond & (sc.true > sc.high)).sum())
    n_low = int((sc.beyond & (sc.true < sc.low)).sum())
    if n_high:
        parts.append(f"{n_high} {what} beyond {plain_number(sc.high)}{unit} not to scale (drawn at the edge ▲)")
    if n_low:
        parts.append(f"{n_low} {what} below {plain_number(sc.low)}{unit} not to scale (drawn at the edge ▼)")
    if sc.dropped:
        why = "infinite, missing or negative" if sc.floor == 0 else "infinite or missing"
        parts.append(f"{sc.dropped} {what} without a usable value ({why}) not drawn")
    return "; ".join(parts) or None


def thinned(rows: pd.DataFrame, column: str, what: str = "items",
            limit: int = MAX_POINTS) -> tuple[pd.DataFrame, str | None]:
    """At most ``limit`` rows to draw: the half with the highest ``column`` (the oldest, the slowest: the ones to
    act on) and a random sample of the rest (seeded: the same on every run), and the note that says so; all rows
    and no note when they fit."""
    if len(rows) <= limit:
        return rows.copy(), None
    top = rows[column].nlargest(limit // 2).index
    rest = rows.drop(index=top)
    drawn = pd.concat([rows.loc[top], rest.sample(n=limit - len(top), random_state=0)]).sort_index()
    return drawn, (f"{len(drawn):,} of {len(rows):,} {what} drawn: the {len(top):,} highest and a random sample of "
                   "the rest (the tables list every one)")


def add_note(fig: go.Figure, text: str | None, xref: str = "paper", yref: str = "paper") -> None:
    """The scale note, top right inside the plot (our own words, never data: no escaping needed)."""
    if not text:
        return
    fig.add_annotation(text=text, name=NOTE_NAME, xref=xref, yref=yref, x=1, y=1, xanchor="right", yanchor="top",
                       showarrow=False, align="right", font=dict(size=11, color="#4a5568"),
                       bgcolor="rgba(255,255,255,0.85)")


def linear_axis(fig: go.Figure, sc: Scale, axis: str = "y", **kw: Any) -> None:
    """A linear axis over the scale's finite range, plain tick labels (no 100µ, no 1B)."""
    update = fig.update_yaxes if axis == "y" else fig.update_xaxes
    update(type="linear", range=list(sc.range), autorange=False, exponentformat="none", separatethousands=True,
           **kw)


def trim(text: Any, n: int) -> str:
    """One line of at most ``n`` characters, an ellipsis where it was cut."""
    t = "" if is_missing(text) else " ".join(str(text).split())
    return t if len(t) <= n else t[: n - 1].rstrip() + "…"


# --------------------------------------------------------------------------- box sizes (treemaps)
MIN_SHARE = 0.02  # every box at least 2 % of the chart's area: room for a two-line label
MAX_BOXES = 35  # more leaves than 0.7 / MIN_SHARE cannot all have their floor: a bar list instead


def floored(values: Any, share: float = MIN_SHARE, others: float = 0.0) -> np.ndarray:
    """Box sizes with a floor: each at least ``share`` of the drawn total (``others``: area drawn besides them).

    The floor f solves f = share × (sum of the boxes above f + others + k × f) for the k boxes lifted to it, so a
    lifted box really is ``share`` of what is drawn. With too many boxes for that, every box gets an equal floor.
    """
    v = np.nan_to_num(np.asarray(values, dtype=float), nan=0.0, posinf=0.0, neginf=0.0).clip(min=0)
    if not len(v):
        return v
    share = min(share, 0.7 / len(v))
    f, small = 0.0, np.zeros(len(v), dtype=bool)
    for _ in range(len(v) + 1):
        f = share * (v[~small].sum() + others) / (1 - share * small.sum())
        now = v < f
        if (now == small).all():
            break
        small = now
    if f <= 0:  # nothing to size by: equal boxes
        f = 1.0
    return np.maximum(v, f)


# --------------------------------------------------------------------------- what the builders draw
def tolerance_band(target: float, tolerance: float, direction: object) -> tuple[float, float] | None:
    """The amber band of core.kpis.analytics.band: the tolerance on the bad side of the target (none without one)."""
    tol = 0.0 if is_missing(tolerance) else abs(float(tolerance))
    if is_missing(target) or not math.isfinite(float(target)) or not 0 < tol < math.inf:
        return None
    t = float(target)
    return (t - tol, t) if sign(direction) > 0 else (t, t + tol)


def weeks_text(stalled: bool, weeks: float) -> str:
    w = number(weeks)
    if stalled or not math.isfinite(w):
        return "no recent throughput"
    return "over 10 years to clear at the recent pace" if w > 520 else f"{w:,.1f} weeks to clear at the recent pace"


def parents_of(objectives: pd.DataFrame) -> dict[str, str]:
    """Each objective's parent code ('' for a root, and for a parent that is missing or makes a circle)."""
    codes = [str(c) for c in objectives["code"]]
    known = set(codes)
    raw = {c: (str(p) if not is_missing(p) and str(p) in known and str(p) != c else "")
           for c, p in zip(codes, objectives.get("parent", pd.Series([None] * len(codes))))}
    out = {}
    for c in codes:
        seen, node = {c}, raw[c]
        while node and node not in seen:
            seen.add(node)
            node = raw[node]
        out[c] = "" if node else raw[c]  # a walk back to itself: a circle, cut here
    return out


def open_work(objectives: pd.DataFrame, parent: dict[str, str], items: pd.DataFrame | None) -> tuple[np.ndarray,
                                                                                                 dict[str, float]]:
    """Open items linked to each objective (in the frame's order), and with those of its sub-objectives (by code).

    ``items``: work items with their objective's code in ``objective`` (open: not done, no done date); without
    them, the objectives' own ``open_items`` column (none: 0)."""
    codes = [str(c) for c in objectives["code"]]
    if items is not None and len(items):
        open_ = items["status"].ne("done") if "status" in items else pd.Series(True, index=items.index)
        if "done_at" in items:
            open_ &= items["done_at"].isna()
        own = items[open_ & items["objective"].notna()]["objective"].astype(str).value_counts()
        counts = np.array([float(own.get(c, 0)) for c in codes])
    elif "open_items" in objectives:
        counts = pd.to_numeric(objectives["open_items"], errors="coerce").fillna(0).to_numpy(dtype=float)
    else:
        counts = np.zeros(len(codes))
    under = dict(zip(codes, counts))
    for c, n in zip(codes, counts):
        node, seen = parent[c], {c}
        while node and node not in seen:
            seen.add(node)
            under[node] += n
            node = parent[node]
    return counts, under
