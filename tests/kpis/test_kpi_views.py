"""What the KPI conflicts, Signals and Status vs reality pages used to work out themselves, as core functions on
tiny frames: band counts, the readings behind a KPI (headline or one segment), the signals listed, one KPI's
control chart, and the gaps an owner must close."""
from __future__ import annotations

import numpy as np
import pandas as pd

from core.kpis import analytics as K
from core.kpis import health as H
from core.kpis import signals as S

KPIS = pd.DataFrame({"id": [7, 8], "code": ["K-A", "K-B"], "name": ["Alpha", "Beta"],
                     "baseline_periods": [4, np.nan], "protocol": ["Call the desk", None]})
PERIODS = pd.date_range("2026-01-05", periods=16, freq="W-MON")
READINGS = pd.DataFrame({"kpi_id": [7] * 16 + [8] * 2, "period": [*PERIODS, *PERIODS[:2]],
                         "value": [10, 11, 10, 11, 10, 11, 10, 30, 10, 11, 10, 11, 10, 11, 10, 11, 5, 6],
                         "source_file": "k.csv", "source_row": range(2, 20)})
SEGMENTS = pd.DataFrame({"kpi_id": [7, 7, 7, 8], "segment": ["North", "South", "North", "East"],
                         "period": [PERIODS[0], PERIODS[0], PERIODS[1], PERIODS[0]], "value": [4.0, 6.0, 5.0, 1.0],
                         "source_file": "k.csv", "source_row": [30, 31, 32, 33]})
SIGNALS = pd.DataFrame({"id": [1, 2, 3, 4], "kpi": ["K-A", "K-A", "K-B", "K-B"],
                        "owner": ["Ann", None, "Bob", "Ann"], "state": ["open", "acknowledged", "resolved", "open"]})


def test_band_counts_list_every_band_in_view_order() -> None:
    status = pd.DataFrame({"status": ["red", "green", "red", "grey"]})
    assert K.band_counts(status) == {"green": 1, "amber": 0, "red": 2, "grey": 1}
    assert list(K.band_counts(status.iloc[0:0])) == ["green", "amber", "red", "grey"]
    assert set(K.band_counts(status.iloc[0:0]).values()) == {0}


def test_readings_behind_a_kpi_are_its_headline_or_one_segment() -> None:
    assert K.kpi_segments(KPIS, SEGMENTS, "K-A") == ["North", "South"]
    assert K.kpi_segments(KPIS, SEGMENTS.iloc[0:0], "K-A") == []
    assert K.readings_behind(KPIS, READINGS, "K-B")["value"].tolist() == [5, 6]
    north = K.readings_behind(KPIS, READINGS, "K-A", SEGMENTS, "North")
    assert north["source_row"].tolist() == [30, 32]
    assert K.readings_behind(KPIS, READINGS, "K-A", SEGMENTS, None).equals(READINGS[READINGS["kpi_id"] == 7])


def test_the_signals_listed_by_owner_and_state() -> None:
    assert S.signal_owners(SIGNALS) == ["(no owner)", "Ann", "Bob"]
    assert S.shown_signals(SIGNALS)["id"].tolist() == [1, 2, 3, 4]  # nothing picked: everything
    assert S.shown_signals(SIGNALS, states=S.UNRESOLVED)["id"].tolist() == [1, 2, 4]
    assert S.shown_signals(SIGNALS, owners=["Ann"], states=["open"])["id"].tolist() == [1, 4]
    assert S.shown_signals(SIGNALS, owners=[S.NO_OWNER])["id"].tolist() == [2]
    assert S.unowned(SIGNALS) == 1


def test_a_kpis_control_chart_uses_its_own_baseline_or_the_default() -> None:
    own = S.control_series(KPIS, READINGS, "K-A")
    assert own.kpi["name"] == "Alpha" and own.protocol == "Call the desk" and len(own.readings) == 16
    assert own.limits == K.xmr(own.readings["value"], 4)  # its 4 baseline periods
    assert own.findings["period"].tolist()[0] == PERIODS[7]  # 30 breaks the limits of 10, 11, 10, 11
    default = S.control_series(KPIS, READINGS, "K-B")
    assert default.protocol == "" and default.limits == K.xmr(default.readings["value"], S.DEFAULT_BASELINE)


def test_reality_summary_and_the_gaps_of_chosen_owners() -> None:
    gaps = pd.DataFrame({"entity": ["objective", "work item", "work item"], "owner": ["Ann", "Bob", None],
                         "gap_days": [40.0, 12.5, None]})
    assert H.gap_summary(gaps) == {"gaps": 3, "objectives": 1, "longest_days": 40.0}
    assert np.isnan(H.gap_summary(gaps.assign(gap_days=None))["longest_days"])
    assert H.gaps_of(gaps, ["Bob"])["owner"].tolist() == ["Bob"]
    assert H.gaps_of(gaps) is gaps
