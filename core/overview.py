"""What the Overview page shows, as pure functions over loader output."""
from __future__ import annotations

import pandas as pd

KIND_COUNTS: tuple[tuple[str, str], ...] = (
    ("objective", "Objectives"), ("kpi", "KPIs"), ("kpireading", "KPI readings"), ("incentive", "Incentives"),
    ("expectedeffect", "Expected effects"), ("person", "People"), ("team", "Teams"), ("workitem", "Work items"),
    ("statusevent", "Status events"),
)


def last_imports_table(batches: pd.DataFrame, limit: int = 20) -> pd.DataFrame:
    """The latest batches with readable column names, newest first."""
    cols = {"id": "Batch", "created_at": "When (UTC)", "file_name": "File", "sheet": "Sheet", "kind": "Kind",
            "source": "Source", "user": "By", "state": "State", "rows_read": "Rows", "inserted": "New",
            "updated": "Updated", "unchanged": "Unchanged", "rejected": "Rejected", "status_events": "Status events"}
    out = batches.sort_values("id", ascending=False).head(limit)[list(cols)].rename(columns=cols)
    out["When (UTC)"] = pd.to_datetime(out["When (UTC)"]).dt.strftime("%Y-%m-%d %H:%M")
    return out.reset_index(drop=True)
