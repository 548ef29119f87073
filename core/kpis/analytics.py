"""KPI status, conflicting incentives and variance (DESIGN.md definitions).

Every KPI is first turned to "higher is better" (lower-is-better values are negated),
so one rule serves both directions: green at or better than target, amber within the
tolerance band, red beyond it, grey without a recent reading or a target.
"""
from __future__ import annotations

from typing import TypedDict

import numpy as np
import pandas as pd

from core.flow.analytics import times_of
from core.store.values import is_missing

RANK = {"red": 3, "amber": 2, "green": 1, "grey": 0}
BANDS = ("green", "amber", "red", "grey")  # in the order views list them
XMR_FACTOR = 2.66
RUN_LENGTH = 8


def sign(direction: object) -> int:
    """+1 when higher is better, -1 when lower is better (unknown directions count as higher)."""
    return -1 if str(direction).startswith("lower") else 1


def band(value: float, target: float, tolerance: float | None, direction: object) -> str:
    """green / amber / red for one value (no target: grey)."""
    if is_missing(value) or is_missing(target):
        return "grey"
    s = sign(direction)
    gap = s * (value - target)  # ≥ 0: at or better than target
    if gap >= 0:
        return "green"
    tol = 0.0 if is_missing(tolerance) else abs(float(tolerance))
    return "amber" if -gap <= tol else "red"


def kpi_status(kpis: pd.DataFrame, readings: pd.DataFrame, as_of: pd.Timestamp | None = None,
               stale_after: pd.Timedelta = pd.Timedelta(weeks=4), trend_periods: int = 4) -> pd.DataFrame:
    """Per KPI: latest reading, its band, whether it has worsened for ``trend_periods`` periods in a row."""
    r = readings.sort_values(["kpi_id", "period"])
    as_of = as_of if as_of is not None else (r["period"].max() if len(r) else pd.Timestamp.now())
    last = r.groupby("kpi_id").tail(1).set_index("kpi_id")
    out = kpis.copy()
    out["latest_period"] = times_of(out["id"], last["period"])
    out["latest_value"] = out["id"].map(last["value"])
    out["status"] = [band(v, t, tol, d) for v, t, tol, d in
                     zip(out["latest_value"], out["target"], out["tolerance"], out["direction"])]
    stale = out["latest_period"].isna() | (pd.to_datetime(out["latest_period"]) < as_of - stale_after)
    out.loc[stale, "status"] = "grey"
    out["red_since"] = [red_since(r.loc[r["kpi_id"] == k, ["period", "value"]], t, tol, d)
                        for k, t, tol, d in zip(out["id"], out["target"], out["tolerance"], out["direction"])]
    out["worsening_periods"] = out.apply(lambda k: worsening_run(r.loc[r["kpi_id"] == k["id"], "value"],
                                                                 k["direction"]), axis=1)
    out["worsening"] = out["worsening_periods"] >= trend_periods
    return out


def band_counts(status: pd.DataFrame) -> dict[str, int]:
    """How many KPIs are in each band (every band listed, 0 when none is)."""
    counts = status["status"].value_counts() if len(status) else pd.Series(dtype=int)
    return {b: int(counts.get(b, 0)) for b in BANDS}


CHART_PAGE = 12  # KPIs per small-multiples chart: four rows a reader can take in (and plotly draws in a blink)


def worst_first(status: pd.DataFrame) -> pd.DataFrame:
    """KPIs in the order a reader should see them: red, amber, green, no recent data; longest worsening first."""
    rank = status["status"].map(RANK).fillna(-1)
    order = pd.DataFrame({"rank": rank, "worse": pd.to_numeric(status["worsening_periods"], errors="coerce"),
                          "code": status["code"].astype(str)}, index=status.index)
    order = order.sort_values(["rank", "worse", "code"], ascending=[False, False, True], kind="stable")
    return status.loc[order.index].reset_index(drop=True)


def chart_page(status: pd.DataFrame, page: int, per_page: int = CHART_PAGE) -> pd.DataFrame:
    """One page of the small multiples (``page`` from 0), worst first."""
    return worst_first(status).iloc[page * per_page:(page + 1) * per_page]


def chart_page_labels(count: int, per_page: int = CHART_PAGE) -> list[str]:
    """"KPIs 1–12 of 110 (worst first)", one per page (none for no KPI)."""
    return [f"KPIs {start + 1}–{min(start + per_page, count)} of {count} (worst first)"
            for start in range(0, count, per_page)]


def kpi_segments(kpis: pd.DataFrame, segments: pd.DataFrame, code: str) -> list[str]:
    """The segments (region, site, team…) a KPI is also kept per, sorted; none for a KPI kept as a whole only."""
    return sorted(segments.loc[segments["kpi_id"] == _kpi_id(kpis, code), "segment"].unique())


def readings_behind(kpis: pd.DataFrame, readings: pd.DataFrame, code: str, segments: pd.DataFrame | None = None,
                    segment: str | None = None) -> pd.DataFrame:
    """The readings behind a KPI's figures, with their file and row: its headline series (``readings``), or one
    segment's series (from ``segments``, kpi_queries.segment_readings_frame)."""
    kpi_id = _kpi_id(kpis, code)
    if segment is not None and segments is not None:
        return segments[(segments["kpi_id"] == kpi_id) & (segments["segment"] == segment)]
    return readings[readings["kpi_id"] == kpi_id]


def _kpi_id(kpis: pd.DataFrame, code: str) -> object:
    return kpis.set_index("code").loc[code, "id"]


def red_since(history: pd.DataFrame, target: float, tolerance: float | None, direction: object) -> pd.Timestamp:
    """Start of the KPI's current unbroken run of red readings (NaT when the latest reading is not red)."""
    since = pd.NaT
    for period, value in zip(history["period"][::-1], history["value"][::-1]):
        if band(value, target, tolerance, direction) != "red":
            break
        since = pd.Timestamp(period)
    return since


def worsening_run(values: pd.Series, direction: object) -> int:
    """How many consecutive latest periods the KPI got worse (direction-adjusted)."""
    changes = sign(direction) * values.diff().dropna().to_numpy()
    run = 0
    for c in changes[::-1]:
        if c < 0:
            run += 1
        else:
            break
    return run


def objective_status(objectives: pd.DataFrame, status: pd.DataFrame) -> pd.DataFrame:
    """Each objective takes its weakest KPI (red < amber < green); grey when it has no measured KPI."""
    measured = status[status["status"] != "grey"].copy()
    measured["rank"] = measured["status"].map(RANK)
    worst = measured.sort_values("rank", ascending=False).groupby("objective_id").head(1).set_index("objective_id")
    out = objectives.copy()
    out["measured_status"] = out["id"].map(worst["status"]).fillna("grey")
    out["weakest_kpi"] = out["id"].map(worst["code"])
    return out


def declared_conflicts(effects: pd.DataFrame, incentives: pd.DataFrame, kpis: pd.DataFrame) -> pd.DataFrame:
    """An objective expected to move a KPI the wrong way, while a team is paid on that KPI."""
    k = kpis.set_index("id")
    e = effects.copy()
    e["kpi_sign"] = e["kpi_id"].map(k["direction"]).map(sign)
    e["worsens"] = np.where(e["effect"].eq("up"), 1, -1) * e["kpi_sign"] < 0
    bad = e[e["worsens"]].merge(incentives, on="kpi_id", how="inner")
    if bad.empty:
        return pd.DataFrame(columns=["kind", "kpi_a", "kpi_b", "teams", "objective", "evidence", "strength",
                                     "sentence"])
    rows = []
    for (obj, kpi_id), g in bad.groupby(["objective_code", "kpi_id"], sort=False):
        kpi = k.loc[kpi_id]
        teams = ", ".join(sorted(g["team"].unique()))
        verb = "raise" if g["effect"].iloc[0] == "up" else "lower"
        note = g["note"].dropna()
        why = f" ({note.iloc[0]})" if len(note) else ""
        rows.append({"kind": "declared", "kpi_a": kpi["code"], "kpi_b": None, "teams": teams, "objective": obj,
                     "evidence": f"{obj} expected to {verb} {kpi['code']}", "strength": 1.0,
                     "sentence": f"Objective {obj} '{g['objective_title'].iloc[0]}' is expected to {verb} "
                                 f"{kpi['code']} '{kpi['name']}' ({kpi['direction']} is better){why}, "
                                 f"while {teams} {'is' if ',' not in teams else 'are'} incentivised on it."})
    return pd.DataFrame(rows)


def change_correlations(readings: pd.DataFrame, kpis: pd.DataFrame, min_periods: int = 12) -> pd.DataFrame:
    """Pairwise correlation of direction-adjusted period-over-period changes, with n and a p-value.

    Pairs with fewer than ``min_periods`` common changes are not judged (r is NaN). Pairs are judged in
    groups that share the same common periods, one vectorised pearsonr per group (100 KPIs are ~5,000 pairs:
    one call each took seconds), each pair a row of its own so the figures are those of a call per pair.
    """
    wide = readings.pivot_table(index="period", columns="kpi_id", values="value", aggfunc="last").sort_index()
    codes = kpis.set_index("id")
    ids = [i for i in wide.columns if i in codes.index]
    if len(ids) < 2:
        return pd.DataFrame([], columns=["kpi_a", "kpi_b", "n", "r", "p"])
    signs = np.array([sign(codes.loc[i, "direction"]) for i in ids], dtype=float)
    changes = wide[ids].diff().iloc[1:].to_numpy(dtype=float).T * signs[:, None]  # one row per KPI
    ia, ib = np.triu_indices(len(ids), k=1)  # every pair once, in the order a < b as listed
    both = ~np.isnan(changes[ia]) & ~np.isnan(changes[ib])
    n = both.sum(axis=1)
    r = np.full(len(ia), np.nan)
    p = np.full(len(ia), np.nan)
    judged = np.flatnonzero(n >= min_periods)
    if len(judged):
        patterns, group = np.unique(both[judged], axis=0, return_inverse=True)
        for g, rows in enumerate(patterns):
            pairs = judged[group.reshape(-1) == g]
            x, y = changes[ia[pairs]][:, rows], changes[ib[pairs]][:, rows]
            varies = (x != x[:, :1]).any(axis=1) & (y != y[:, :1]).any(axis=1)  # a constant series has no r
            pairs, x, y = pairs[varies], x[varies], y[varies]
            if len(pairs):
                r[pairs], p[pairs] = pearson_rows(np.ascontiguousarray(x), np.ascontiguousarray(y))
    code = codes["code"]
    return pd.DataFrame({"kpi_a": code.reindex([ids[i] for i in ia]).to_numpy(),
                         "kpi_b": code.reindex([ids[i] for i in ib]).to_numpy(), "n": n, "r": r, "p": p},
                        columns=["kpi_a", "kpi_b", "n", "r", "p"])


def pearson_rows(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pearson's r and its two-sided p-value for each row of ``x`` against the same row of ``y`` (no constant rows).

    The arithmetic of scipy.stats.pearsonr(x, y, axis=-1), step for step (tests hold the two to the bit),
    without importing scipy.stats, which alone costs a page 0.6 s cold; scipy.special is loaded anyway.
    """
    from scipy.special import betaincc

    xm = x - np.mean(x, axis=-1, keepdims=True)
    ym = y - np.mean(y, axis=-1, keepdims=True)
    xmax = np.max(np.abs(xm), axis=-1, keepdims=True)
    ymax = np.max(np.abs(ym), axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        normxm = xmax * np.linalg.norm(xm / xmax, ord=2, axis=-1, keepdims=True)
        normym = ymax * np.linalg.norm(ym / ymax, ord=2, axis=-1, keepdims=True)
        r = np.clip(np.vecdot(xm / normxm, ym / normym, axis=-1), -1.0, 1.0)
    ab = np.asarray(x.shape[-1] / 2 - 1, dtype=float)
    return r, 2 * betaincc(ab, ab, (np.abs(r) - -1) / 2)


def observed_conflicts(corr: pd.DataFrame, incentives: pd.DataFrame, kpis: pd.DataFrame,
                       r_max: float = -0.3, p_max: float = 0.05) -> pd.DataFrame:
    """Pairs where one KPI improving goes with the other worsening, significantly."""
    hits = corr[(corr["r"] <= r_max) & (corr["p"] <= p_max)]
    code_to_id = dict(zip(kpis["code"], kpis["id"]))
    paid = incentives.groupby("kpi_id")["team"].agg(lambda s: ", ".join(sorted(set(s))))
    rows = []
    for h in hits.itertuples():
        teams = [t for t in (paid.get(code_to_id[h.kpi_a]), paid.get(code_to_id[h.kpi_b])) if t]
        team_text = f"; incentivised: {' and '.join(teams)}" if teams else ""
        p_text = "p < 0.001" if h.p < 0.001 else f"p = {h.p:.3f}"
        rows.append({"kind": "observed", "kpi_a": h.kpi_a, "kpi_b": h.kpi_b, "teams": ", ".join(teams),
                     "objective": None, "evidence": f"r = {h.r:.2f} over {h.n} periods ({p_text})",
                     "strength": -h.r,
                     "sentence": f"When {h.kpi_a} improves, {h.kpi_b} worsens: direction-adjusted changes correlate "
                                 f"at r = {h.r:.2f} over {h.n} periods ({p_text}){team_text}."})
    return pd.DataFrame(rows, columns=["kind", "kpi_a", "kpi_b", "teams", "objective", "evidence", "strength",
                                       "sentence"])


def correlation_matrix(corr: pd.DataFrame, codes: list[str]) -> pd.DataFrame:
    """Square KPI × KPI matrix of r (1 on the diagonal, NaN where not judged) for the heatmap."""
    m = pd.DataFrame(np.nan, index=codes, columns=codes)
    index = pd.Index(codes)
    a, b = (index.get_indexer(corr[c]) if index.is_unique else None for c in ("kpi_a", "kpi_b"))
    if a is None or b is None or (a < 0).any() or (b < 0).any():  # a code twice or unknown: cell by cell
        for row in corr.itertuples():
            m.loc[row.kpi_a, row.kpi_b] = m.loc[row.kpi_b, row.kpi_a] = row.r
        for c in codes:
            m.loc[c, c] = 1.0
        return m
    values = m.to_numpy(copy=True)
    if len(corr):  # one scatter of every pair (a loop of .loc writes took a second for 5,000 pairs)
        r = corr["r"].to_numpy(dtype=float)
        values[a, b] = r
        values[b, a] = r
    np.fill_diagonal(values, 1.0)
    return pd.DataFrame(values, index=m.index, columns=m.columns)


def xmr(values: pd.Series, baseline: int = 12) -> dict[str, float]:
    """XmR limits from the first ``baseline`` points: mean ± 2.66 × mean moving range."""
    base = values.dropna().iloc[:baseline]
    mean = float(base.mean())
    mr = float(base.diff().abs().dropna().mean()) if len(base) > 1 else 0.0
    return {"mean": mean, "mr": mr, "ucl": mean + XMR_FACTOR * mr, "lcl": mean - XMR_FACTOR * mr}


def xmr_signals(periods: pd.Series, values: pd.Series, baseline: int = 12) -> pd.DataFrame:
    """The first point of each excursion outside the limits, and the 8th point of a run on one side of the mean.

    One signal per excursion: a KPI that stays beyond its limit for ten weeks is one finding, not ten.
    """
    lim = xmr(values, baseline)
    rows = []
    side_run, last_side, last_outside = 0, 0, 0
    for period, v in zip(periods, values):
        if pd.isna(v):
            continue
        outside = 1 if v > lim["ucl"] else (-1 if v < lim["lcl"] else 0)
        new_excursion = outside != 0 and outside != last_outside
        last_outside = outside
        if new_excursion:
            rows.append({"period": period, "value": v, "rule": "outside limits",
                         "detail": f"{v:g} is {'above' if v > lim['ucl'] else 'below'} the limit "
                                   f"{lim['ucl'] if v > lim['ucl'] else lim['lcl']:.2f}"})
        side = 1 if v > lim["mean"] else (-1 if v < lim["mean"] else 0)
        side_run = side_run + 1 if side != 0 and side == last_side else (1 if side != 0 else 0)
        last_side = side
        if side_run == RUN_LENGTH:  # one signal per run, at its 8th point
            rows.append({"period": period, "value": v, "rule": "run of 8",
                         "detail": f"{side_run} points in a row {'above' if side > 0 else 'below'} the mean "
                                   f"{lim['mean']:.2f}"})
    return pd.DataFrame(rows, columns=["period", "value", "rule", "detail"])


class KpiReport(TypedDict):
    """What :func:`kpi_report` returns: the KPI conflicts view, the reality check and the report's KPI figures."""

    status: pd.DataFrame  # one row per KPI: latest reading, band, red since, worsening run
    objectives: pd.DataFrame  # each objective with its weakest KPI's band (measured_status)
    correlations: pd.DataFrame
    matrix: pd.DataFrame  # KPI × KPI r, for the heatmap
    conflicts: pd.DataFrame  # declared and observed, each with its sentence
    not_judged: pd.DataFrame  # pairs with too few common periods


def kpi_report(kpis: pd.DataFrame, readings: pd.DataFrame, incentives: pd.DataFrame, effects: pd.DataFrame,
               objectives: pd.DataFrame, min_periods: int = 12) -> KpiReport:
    """Everything the KPI conflicts view shows, in one call (cached as one unit)."""
    status = kpi_status(kpis, readings)
    corr = change_correlations(readings, kpis, min_periods)
    declared = declared_conflicts(effects, incentives, kpis)
    observed = observed_conflicts(corr, incentives, kpis)
    conflicts = pd.concat([declared, observed], ignore_index=True) if len(declared) or len(observed) else declared
    return KpiReport(status=status, objectives=objective_status(objectives, status), correlations=corr,
                     matrix=correlation_matrix(corr, kpis["code"].tolist()),
                     conflicts=conflicts.sort_values(["kind", "strength"], ascending=[True, False], ignore_index=True),
                     not_judged=corr[corr["r"].isna()])
