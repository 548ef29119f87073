"""What the KPI views and signals read and write: KPIs, readings (headline and segments),
incentives, expected effects and signals.
"""
from __future__ import annotations

from typing import Any, Sequence

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from core.store.tables import T, read_frame, read_table


def kpis_frame(engine: Engine) -> pd.DataFrame:
    """Every KPI with its owner's name and objective's code, and what signals need (protocol, baseline)."""
    k, p, o = T["kpi"], T["person"], T["objective"]
    stmt = (sa.select(k.c.id, k.c.code, k.c.name, k.c.unit, k.c.direction, k.c.baseline, k.c.target, k.c.tolerance,
                      k.c.owner_id, p.c.name.label("owner"), k.c.objective_id, o.c.code.label("objective"),
                      k.c.protocol, k.c.baseline_periods)
            .join(p, p.c.id == k.c.owner_id, isouter=True).join(o, o.c.id == k.c.objective_id, isouter=True)
            .order_by(k.c.code))
    return read_frame(engine, stmt)


def readings_frame(engine: Engine) -> pd.DataFrame:
    """Each KPI's headline series (segment ''): the level its status, variance and conflicts are judged on."""
    r = T["kpireading"]
    return read_frame(engine, sa.select(r.c.kpi_id, r.c.period, r.c.value, r.c.source_file, r.c.source_row)
                  .where(r.c.segment == "").order_by(r.c.kpi_id, r.c.period), dates=("period",))


def segment_readings_frame(engine: Engine, kpi_id: int | None = None) -> pd.DataFrame:
    """Readings per segment (region, site, team…) of one KPI or of all, for the KPI pages' segment view."""
    r = T["kpireading"]
    where = r.c.segment != ""
    if kpi_id is not None:
        where = where & (r.c.kpi_id == kpi_id)
    return read_frame(engine, sa.select(r.c.kpi_id, r.c.segment, r.c.period, r.c.value, r.c.source_file, r.c.source_row)
                  .where(where).order_by(r.c.kpi_id, r.c.segment, r.c.period), dates=("period",))


def incentives_frame(engine: Engine) -> pd.DataFrame:
    """Which team is measured on which KPI (the declared conflicts need it)."""
    i, t = T["incentive"], T["team"]
    return read_frame(engine, sa.select(i.c.kpi_id, t.c.name.label("team"), i.c.weight).join(t, t.c.id == i.c.team_id))


def effects_frame(engine: Engine) -> pd.DataFrame:
    """Which objective is expected to move which KPI, and which way."""
    e, o = T["expectedeffect"], T["objective"]
    return read_frame(engine, sa.select(e.c.kpi_id, e.c.effect, e.c.note, o.c.code.label("objective_code"),
                                    o.c.title.label("objective_title")).join(o, o.c.id == e.c.objective_id))


def kpis_for_signals(conn: Connection, kpi_ids: Sequence[int]) -> list[dict[str, Any]]:
    """The few KPI fields raising a signal needs, inside the import's transaction."""
    k = T["kpi"]
    stmt = sa.select(k.c.id, k.c.code, k.c.name, k.c.owner_id, k.c.protocol, k.c.baseline_periods).where(
        k.c.id.in_(list(kpi_ids)))
    return [dict(r) for r in conn.execute(stmt).mappings()]


def readings_of(conn: Connection, kpi_ids: Sequence[int]) -> pd.DataFrame:
    """The headline readings of these KPIs, in period order (what XmR is computed on)."""
    r = T["kpireading"]
    df = read_table(conn, "kpireading", r.c.kpi_id.in_(list(kpi_ids)) & (r.c.segment == "")).sort_values(
        ["kpi_id", "period"])
    df["period"] = pd.to_datetime(df["period"])
    return df


def signal_keys(conn: Connection, entity: str) -> set[str]:
    """Dedupe keys of the signals already raised: a finding is raised once, however often it is imported."""
    s = T["signal"]
    return {r[0] for r in conn.execute(sa.select(s.c.dedupe_key).where(s.c.entity == entity)) if r[0]}


def signal(conn: Connection, signal_id: int) -> dict[str, Any] | None:
    """One signal's row, or None."""
    s = T["signal"]
    row = conn.execute(sa.select(s).where(s.c.id == signal_id)).mappings().first()
    return dict(row) if row else None


def update_signal(conn: Connection, signal_id: int, values: dict[str, Any]) -> None:
    """Write a signal's new state, log and closing time."""
    s = T["signal"]
    conn.execute(sa.update(s).where(s.c.id == signal_id).values(**values))


def kpi_protocol(conn: Connection, kpi_id: int) -> str | None:
    """A KPI's intervention protocol (the audit trail records the text it replaced)."""
    k = T["kpi"]
    return conn.execute(sa.select(k.c.protocol).where(k.c.id == kpi_id)).scalar_one_or_none()


def signals_frame(engine: Engine) -> pd.DataFrame:
    """Every signal with its KPI's code and owner's name, newest period first (the Signals page and the report)."""
    s, p, k = T["signal"], T["person"], T["kpi"]
    stmt = (sa.select(s.c.id, s.c.kind, s.c.entity, s.c.entity_id, k.c.code.label("kpi"), s.c.period, s.c.rule,
                      s.c.message, s.c.state, p.c.name.label("owner"), s.c.protocol, s.c.opened_at, s.c.closed_at)
            .join(p, p.c.id == s.c.owner_id, isouter=True)
            .join(k, sa.and_(s.c.entity == "kpi", k.c.id == s.c.entity_id), isouter=True)
            .order_by(s.c.period.desc(), s.c.id.desc()))
    return read_frame(engine, stmt, dates=("period", "opened_at", "closed_at"))
