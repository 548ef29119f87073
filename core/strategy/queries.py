"""Objectives and the tables the Strategy page edits, and what still refers to an objective or KPI.
"""
from __future__ import annotations

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from core.store.tables import T, read_frame


def objectives_frame(engine: Engine) -> pd.DataFrame:
    """Every objective with its parent's code and its owner's name (alignment, KPIs and the report read it)."""
    o, p = T["objective"], T["person"]
    parent = o.alias("parent_objective")
    stmt = (sa.select(o.c.id, o.c.code, o.c.title, o.c.description, parent.c.code.label("parent"), o.c.owner_id,
                      p.c.name.label("owner"), o.c.owner_text, o.c.period, o.c.weight, o.c.reported_rag)
            .join(parent, parent.c.id == o.c.parent_id, isouter=True).join(p, p.c.id == o.c.owner_id, isouter=True)
            .order_by(o.c.code))
    return read_frame(engine, stmt)


def objective_references(conn: Connection, objective_id: int) -> dict[str, int]:
    """What still points at an objective (it cannot be deleted while anything does)."""
    refs = {"work items": (T["workitem"], "objective_id"), "KPIs": (T["kpi"], "objective_id"),
            "child objectives": (T["objective"], "parent_id"), "expected effects": (T["expectedeffect"], "objective_id"),
            "alignment rules": (T["alignmentrule"], "objective_id")}
    out = {}
    for label, (t, col) in refs.items():
        n = conn.execute(sa.select(sa.func.count()).select_from(t).where(t.c[col] == objective_id)).scalar_one()
        if n:
            out[label] = int(n)
    return out


def kpi_references(conn: Connection, kpi_id: int) -> dict[str, int]:
    """What still points at a KPI (it cannot be deleted while anything does)."""
    refs = {"readings": T["kpireading"], "incentives": T["incentive"], "expected effects": T["expectedeffect"]}
    out = {}
    for label, t in refs.items():
        n = conn.execute(sa.select(sa.func.count()).select_from(t).where(t.c.kpi_id == kpi_id)).scalar_one()
        if n:
            out[label] = int(n)
    return out


def editable_frames(engine: Engine) -> dict[str, pd.DataFrame]:
    """Objectives, KPIs, incentives and expected effects with references as codes and names (as the editor shows)."""
    o, k, p, t, i, e = T["objective"], T["kpi"], T["person"], T["team"], T["incentive"], T["expectedeffect"]
    parent = o.alias("parent_objective")
    objectives = (sa.select(o.c.id, o.c.code, o.c.title, o.c.description, parent.c.code.label("parent"),
                            p.c.name.label("owner"), o.c.owner_text, o.c.period, o.c.weight, o.c.reported_rag)
                  .join(parent, parent.c.id == o.c.parent_id, isouter=True)
                  .join(p, p.c.id == o.c.owner_id, isouter=True).order_by(o.c.code))
    kpis = (sa.select(k.c.id, k.c.code, k.c.name, k.c.unit, k.c.direction, k.c.baseline, k.c.target, k.c.tolerance,
                      p.c.name.label("owner"), k.c.owner_text, o.c.code.label("objective"))
            .join(p, p.c.id == k.c.owner_id, isouter=True).join(o, o.c.id == k.c.objective_id, isouter=True)
            .order_by(k.c.code))
    incentives = (sa.select(i.c.id, t.c.name.label("team"), k.c.code.label("kpi"), i.c.weight)
                  .join(t, t.c.id == i.c.team_id).join(k, k.c.id == i.c.kpi_id).order_by(t.c.name, k.c.code))
    effects = (sa.select(e.c.id, o.c.code.label("objective"), k.c.code.label("kpi"), e.c.effect, e.c.note)
               .join(o, o.c.id == e.c.objective_id).join(k, k.c.id == e.c.kpi_id).order_by(o.c.code, k.c.code))
    return {"objectives": read_frame(engine, objectives), "kpis": read_frame(engine, kpis),
            "incentives": read_frame(engine, incentives), "effects": read_frame(engine, effects)}
