"""KPI status, conflicts and variance on small series whose answers are worked out by hand."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.kpis import analytics as K

T = pd.Timestamp


@pytest.mark.parametrize("value,direction,expected", [
    # higher is better, target 100, tolerance 10: ≥100 green, 90..100 amber, <90 red
    (100, "higher", "green"), (99.99, "higher", "amber"), (90, "higher", "amber"), (89.99, "higher", "red"),
    # lower is better, target 100, tolerance 10: ≤100 green, 100..110 amber, >110 red
    (100, "lower", "green"), (100.01, "lower", "amber"), (110, "lower", "amber"), (110.01, "lower", "red"),
])
def test_bands_at_the_edges_of_tolerance(value: float, direction: str, expected: str) -> None:
    assert K.band(value, 100, 10, direction) == expected


def test_no_target_is_grey_and_no_tolerance_means_no_amber() -> None:
    assert K.band(5, None, 1, "higher") == "grey"
    assert K.band(99, 100, None, "higher") == "red"


def kpi_frame(rows: list[dict]) -> pd.DataFrame:
    base = {"unit": None, "baseline": None, "owner_id": None, "owner": None, "objective": None}
    return pd.DataFrame([{**base, **r} for r in rows])


def readings(series: dict[int, list[float]], start: str = "2026-01-05") -> pd.DataFrame:
    return pd.DataFrame([{"kpi_id": k, "period": T(start) + pd.Timedelta(weeks=i), "value": v}
                         for k, values in series.items() for i, v in enumerate(values)])


KPIS = kpi_frame([
    {"id": 1, "code": "A", "name": "a", "direction": "higher", "target": 10, "tolerance": 2, "objective_id": 100},
    {"id": 2, "code": "B", "name": "b", "direction": "lower", "target": 5, "tolerance": 1, "objective_id": 100},
    {"id": 3, "code": "C", "name": "c", "direction": "higher", "target": 1, "tolerance": 0, "objective_id": 200},
])


def test_latest_status_trend_and_weakest_kpi_rollup() -> None:
    r = readings({1: [7, 8, 9, 11], 2: [4, 5, 6, 7], 3: [1, 1, 1, 1]})
    st = K.kpi_status(KPIS, r).set_index("code")
    assert st["status"].to_dict() == {"A": "green", "B": "red", "C": "green"}  # B: 7 > 5 + 1
    assert st.loc["B", "worsening_periods"] == 3 and st.loc["A", "worsening_periods"] == 0
    assert st.loc["B", "red_since"] == T("2026-01-26")  # 6 and 7 are red (>6), from the 3rd week
    objectives = pd.DataFrame({"id": [100, 200, 300], "code": ["O1", "O2", "O3"]})
    roll = K.objective_status(objectives, K.kpi_status(KPIS, r)).set_index("code")
    assert roll["measured_status"].to_dict() == {"O1": "red", "O2": "green", "O3": "grey"}
    assert roll.loc["O1", "weakest_kpi"] == "B"


def test_stale_kpi_goes_grey() -> None:
    r = readings({1: [11, 11], 2: [4] * 10})
    st = K.kpi_status(KPIS, r).set_index("code")
    assert st.loc["A", "status"] == "grey" and st.loc["B", "status"] == "green"


def test_declared_conflict_needs_a_wrong_way_effect_and_an_incentive() -> None:
    effects = pd.DataFrame({"kpi_id": [2, 1], "effect": ["up", "up"], "note": ["adds steps", None],
                            "objective_code": ["O9", "O9"], "objective_title": ["New process", "New process"]})
    incentives = pd.DataFrame({"kpi_id": [2, 1], "team": ["Desk", "Ops"], "weight": [0.5, 0.5]})
    found = K.declared_conflicts(effects, incentives, KPIS)
    # O9 raises B (lower is better) → conflict for Desk; raising A (higher is better) is no conflict
    assert found["kpi_a"].tolist() == ["B"] and found["teams"].tolist() == ["Desk"]
    assert found["sentence"].iloc[0] == ("Objective O9 'New process' is expected to raise B 'b' (lower is better) "
                                         "(adds steps), while Desk is incentivised on it.")


def test_observed_conflict_independence_and_too_few_periods() -> None:
    rng = np.random.default_rng(3)
    steps = rng.normal(0, 1, 30)
    a = 100 + np.cumsum(steps)  # higher is better
    b = 50 + np.cumsum(steps)  # lower is better: rises exactly when A improves → conflict
    c = 10 + np.cumsum(rng.normal(0, 1, 30))  # independent of both
    r = readings({1: list(a), 2: list(b), 3: list(c)})
    corr = K.change_correlations(r, KPIS, min_periods=12).set_index(["kpi_a", "kpi_b"])
    assert corr.loc[("A", "B"), "r"] == pytest.approx(-1.0) and corr.loc[("A", "B"), "n"] == 29
    assert abs(corr.loc[("A", "C"), "r"]) < 0.5
    found = K.observed_conflicts(corr.reset_index(), pd.DataFrame({"kpi_id": [1], "team": ["Ops"]}), KPIS)
    assert found[["kpi_a", "kpi_b"]].values.tolist() == [["A", "B"]]
    assert "r = -1.00 over 29 periods (p < 0.001); incentivised: Ops" in found["sentence"].iloc[0]
    short = K.change_correlations(readings({1: list(a[:8]), 2: list(b[:8])}), KPIS, min_periods=12)
    assert short["n"].tolist() == [7] and short["r"].isna().all()
    assert K.observed_conflicts(short, pd.DataFrame(columns=["kpi_id", "team"]), KPIS).empty


def test_xmr_limits_and_both_signal_rules() -> None:
    base = [10, 12, 10, 12, 10, 12, 10, 12, 10, 12, 10, 12]  # mean 11, moving ranges all 2
    lim = K.xmr(pd.Series(base), baseline=12)
    assert lim == {"mean": 11.0, "mr": 2.0, "ucl": 11.0 + 2.66 * 2, "lcl": 11.0 - 2.66 * 2}
    tail = [17, 18, 11.5, 11.5, 11.5, 11.5, 11.5, 11.5, 11.5, 11.5]
    values = pd.Series(base + tail)
    periods = pd.Series(pd.date_range("2026-01-05", periods=len(values), freq="W-MON"))
    sig = K.xmr_signals(periods, values, baseline=12)
    # 17 breaks the UCL of 16.32 (one excursion: 18 right after is not a new signal). Points above the mean 11 in a
    # row: the last baseline 12 (1), 17 (2), 18 (3), then 11.5s (4, 5, ...): the 8th is the 5th 11.5, at index 18
    assert sig[["value", "rule"]].values.tolist() == [[17.0, "outside limits"], [11.5, "run of 8"]]
    assert sig["period"].iloc[1] == periods.iloc[18]
