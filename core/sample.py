"""Load the sample scenario into an empty database through the import engine (no side door)."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import Engine

from core.alignment.rules import add_rule
from core.config import REPO_ROOT
from core.importing.service import ImportResult, import_path
from core.store import tables
from core.strategy import queries as strategy_queries

SAMPLE_DIR = REPO_ROOT / "sample_data"
# Strategy first (people, objectives, KPIs), then readings, then the trackers that refer to them.
FIRST = ("strategy.xlsx", "kpi_readings.csv")
# The alignment rules a service-desk manager would write: ordinary incidents serve "Resolve incidents faster",
# change follow-ups the change process, campaign tasks the sign-up objective. The campaign's account inquiries
# match no rule: they are the hidden work the scenario is about.
SAMPLE_RULES = (
    ("category", "regex", r"^(Hardware|Software|Network|Access)$", "O1", "service_desk_tickets"),
    ("category", "equals", "Change follow-up", "O2", "service_desk_tickets"),
    ("source", "equals", "marketing_campaign_tasks", "O5", None),
)


def sample_files(folder: Path = SAMPLE_DIR) -> list[Path]:
    files = [p for p in folder.iterdir() if p.suffix.lower() in (".xlsx", ".csv") and not p.name.startswith("~$")]
    return sorted(files, key=lambda p: (FIRST.index(p.name) if p.name in FIRST else len(FIRST), p.name))


def database_is_empty(engine: Engine) -> bool:
    counts = tables.table_counts(engine)
    return counts["importbatch"] == 0 and counts["workitem"] == 0 and counts["objective"] == 0


def load_sample(engine: Engine, folder: Path = SAMPLE_DIR, user: str = "sample-loader",
                only_if_empty: bool = True) -> list[ImportResult]:
    """Import every sample file, with the sample alignment rules in place before the trackers arrive.

    Skipped entirely when the database already holds data.
    """
    if only_if_empty and not database_is_empty(engine):
        return []
    results, rules_added = [], False
    for path in sample_files(folder):
        if not rules_added and path.name not in FIRST:
            add_sample_rules(engine, user)
            rules_added = True
        results.append(import_path(engine, path, user=user))
    return results


def add_sample_rules(engine: Engine, user: str) -> None:
    """The scenario's rules (only those whose objective exists, so a partial sample folder still loads)."""
    codes = set(strategy_queries.objectives_frame(engine)["code"])
    for field, match_type, pattern, objective, source in SAMPLE_RULES:
        if objective in codes:
            add_rule(engine, field, match_type, pattern, objective, user, source=source)
