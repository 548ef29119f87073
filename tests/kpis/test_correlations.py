"""The vectorised KPI correlations give, to the bit, what one scipy.stats.pearsonr call per pair gives."""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from core.kpis import analytics as K


def one_call_per_pair(readings: pd.DataFrame, kpis: pd.DataFrame, min_periods: int) -> pd.DataFrame:
    """The reference: each pair's common changes, std > 0 on both sides, scipy.stats.pearsonr."""
    wide = readings.pivot_table(index="period", columns="kpi_id", values="value", aggfunc="last").sort_index()
    codes = kpis.set_index("id")
    ids = [i for i in wide.columns if i in codes.index]
    changes = wide.diff().iloc[1:]
    rows = []
    for pos, a in enumerate(ids):
        for b in ids[pos + 1:]:
            pair = changes[[a, b]].dropna()
            r = p = np.nan
            if len(pair) >= min_periods and pair[a].std() > 0 and pair[b].std() > 0:
                res = stats.pearsonr(K.sign(codes.loc[a, "direction"]) * pair[a],
                                     K.sign(codes.loc[b, "direction"]) * pair[b])
                r, p = float(res.statistic), float(res.pvalue)
            rows.append({"kpi_a": codes.loc[a, "code"], "kpi_b": codes.loc[b, "code"], "n": len(pair), "r": r,
                         "p": p})
    return pd.DataFrame(rows, columns=["kpi_a", "kpi_b", "n", "r", "p"])


def random_case(seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """KPIs with gaps, constant and straight-line series, both directions, and a reading of an unknown KPI."""
    rng = np.random.default_rng(seed)
    k = int(rng.integers(2, 9))
    kpis = pd.DataFrame({"id": range(1, k + 1), "code": [f"K{i}" for i in range(k)],
                         "direction": rng.choice(["higher is better", "lower is better"], k)})
    rows = []
    for kpi_id in range(1, k + 1):
        kind = int(rng.integers(0, 4))
        for week, period in enumerate(pd.date_range("2025-01-06", periods=40, freq="W-MON")):
            if rng.random() < (0.3 if kind == 1 else 0.05):
                continue
            value = 5.0 if kind == 2 else (0.1 * week if kind == 3 else float(rng.normal(100, 5)))
            rows.append({"kpi_id": kpi_id, "period": period, "value": round(value, int(rng.integers(0, 3)))})
    rows.append({"kpi_id": 99, "period": pd.Timestamp("2025-01-06"), "value": 1.0})
    return kpis, pd.DataFrame(rows)


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("min_periods", [3, 12])
def test_same_figures_as_one_pearsonr_per_pair(seed: int, min_periods: int) -> None:
    kpis, readings = random_case(seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = one_call_per_pair(readings, kpis, min_periods)
    found = K.change_correlations(readings, kpis, min_periods)
    pd.testing.assert_frame_equal(found, expected, check_exact=True)


def test_pearson_rows_is_pearsonr_to_the_bit() -> None:
    rng = np.random.default_rng(21)
    for n in (3, 12, 104, 500):
        x = rng.normal(0, 1, (40, n)) * rng.choice([1e-3, 1.0, 1e6], (40, 1))
        y = 0.5 * x + rng.normal(0, 1, (40, n))
        y[:3] = -x[:3]
        r, p = K.pearson_rows(x, y)
        for i in range(40):
            res = stats.pearsonr(x[i], y[i])
            assert (r[i], p[i]) == (res.statistic, res.pvalue)


def test_matrix_is_the_pairs_mirrored_with_one_on_the_diagonal() -> None:
    corr = pd.DataFrame({"kpi_a": ["A", "A", "B"], "kpi_b": ["B", "C", "C"], "n": [20, 20, 5],
                         "r": [-0.5, 0.25, np.nan], "p": [0.01, 0.2, np.nan]})
    m = K.correlation_matrix(corr, ["A", "B", "C", "D"])
    assert m.loc["A", "B"] == m.loc["B", "A"] == -0.5 and m.loc["C", "A"] == 0.25
    assert np.isnan(m.loc["B", "C"]) and np.isnan(m.loc["A", "D"])
    assert [m.loc[c, c] for c in "ABCD"] == [1.0] * 4
