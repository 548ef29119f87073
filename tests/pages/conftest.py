"""Fixtures every page test shares: the pages see the test's own database through DATABASE_URL."""
from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

PAGES = Path(__file__).resolve().parents[2] / "pages"


@pytest.fixture
def db_env(monkeypatch: pytest.MonkeyPatch, db_url: str, engine: Engine) -> str:
    """Point the app at this test's fresh, migrated database (the ``engine`` fixture builds it first)."""
    monkeypatch.setenv("DATABASE_URL", db_url)
    return db_url
