"""The page registry: every page's path, title, icon and menu section, in one place.

app.py builds the menu from it and every link between pages names a page by its key, so a page
moves or is renamed here only. Core returns these keys (e.g. the report's "view" column), never paths.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PageInfo:
    key: str
    path: str
    title: str
    icon: str
    section: str


PAGES: tuple[PageInfo, ...] = (
    PageInfo("overview", "pages/overview.py", "Overview", ":material/dashboard:", "Views"),
    PageInfo("alignment", "pages/alignment.py", "Alignment", ":material/target:", "Views"),
    PageInfo("flow", "pages/bottlenecks.py", "Bottlenecks", ":material/hourglass_top:", "Views"),
    PageInfo("kpi", "pages/kpi_conflicts.py", "KPI conflicts", ":material/compare_arrows:", "Views"),
    PageInfo("reality", "pages/reality.py", "Status vs reality", ":material/fact_check:", "Views"),
    PageInfo("signals", "pages/signals.py", "Signals", ":material/notifications_active:", "Views"),
    PageInfo("my_work", "pages/my_work.py", "My work", ":material/checklist:", "Work"),
    PageInfo("strategy", "pages/strategy.py", "Strategy", ":material/account_tree:", "Work"),
    PageInfo("import", "pages/import.py", "Import", ":material/upload_file:", "Data"),
    PageInfo("history", "pages/history.py", "Import history", ":material/history:", "Data"),
    PageInfo("people", "pages/people.py", "People", ":material/group:", "Admin"),
    PageInfo("audit", "pages/audit.py", "Audit trail", ":material/policy:", "Admin"),
)
SECTIONS: tuple[str, ...] = ("Views", "Work", "Data", "Admin")
_BY_KEY = {p.key: p for p in PAGES}


def page(key: str) -> PageInfo:
    """The page registered under ``key`` (a KeyError names a link to a page that does not exist)."""
    return _BY_KEY[key]
