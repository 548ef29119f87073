"""What the Import history page shows, as pure functions over loader output: the counts per kind of row,
the latest batches with readable column names, and the work items per source."""
from __future__ import annotations

import pandas as pd

KIND_COUNTS: tuple[tuple[str, str], ...] = (
    ("objective", "Objectives"), ("kpi", "KPIs"), ("kpireading", "KPI readings"), ("incentive", "Incentives"),
    ("expectedeffect", "Expected effects"), ("person", "People"), ("team", "Teams"), ("workitem", "Work items"),
    ("statusevent", "Status events"),
)


KIND_NAMES = {"work_items": "work items", "objectives": "objectives", "kpis": "KPIs", "kpi_readings": "KPI readings",
              "incentives": "incentives", "expected_effects": "expected effects", "people": "people",
              "scorecard": "scorecard"}


def last_imports_table(batches: pd.DataFrame, limit: int = 20) -> pd.DataFrame:
    """The latest batches with readable column names, newest first."""
    cols = {"id": "Batch", "created_at": "When (UTC)", "file_name": "File", "sheet": "Sheet", "kind": "Kind",
            "source": "Source", "user": "By", "state": "State", "rows_read": "Rows", "inserted": "New",
            "updated": "Updated", "unchanged": "Unchanged", "rejected": "Rejected", "status_events": "Status events"}
    out = batches.sort_values("id", ascending=False).head(limit)[list(cols)].rename(columns=cols)
    out["When (UTC)"] = pd.to_datetime(out["When (UTC)"]).dt.strftime("%Y-%m-%d %H:%M")
    out["Kind"] = out["Kind"].map(lambda k: KIND_NAMES.get(k, k))
    return out.fillna({"Sheet": "", "Source": ""}).reset_index(drop=True)


def sources_table(counts: pd.DataFrame) -> pd.DataFrame:
    """Work items per source and type, with when the source was last imported."""
    out = counts.rename(columns={"source": "Source", "item_type": "Type", "items": "Items",
                                 "last_import": "Last import (UTC)"})
    out["Last import (UTC)"] = pd.to_datetime(out["Last import (UTC)"]).dt.strftime("%Y-%m-%d %H:%M")
    return out.reset_index(drop=True)
