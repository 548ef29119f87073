"""Variance signals: XmR findings on KPI readings, routed to the KPI's owner with its protocol.

Signals are created when readings are imported, once per (KPI, period, rule) whatever
how often the same readings arrive; their state moves open → acknowledged → resolved
with a log of actions, and every move is audited.
"""
from __future__ import annotations

from typing import Any, Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from core.accounts.auth import actor_name, checked, require_owner
from core.errors import NotFound, ThroughlineError
from core.kpis import queries as kpi_queries
from core.kpis.analytics import xmr_signals
from core.store import tables, writes
from core.store.events import BatchCommitted
from core.store.models import utcnow

DEFAULT_BASELINE = 12
TRANSITIONS = {"open": ("acknowledged", "resolved"), "acknowledged": ("resolved",), "resolved": ()}


def on_batch_committed(event: BatchCommitted) -> dict[str, dict[str, int]]:
    """Subscriber (core.store.events): new readings may break a KPI's control limits; each finding is raised
    once, to the KPI's owner, inside the import's transaction."""
    if event.kind != "kpi_readings" or not (event.inserted or event.updated):
        return {}
    ids = tables.ids_by(event.conn, "kpi", "code")
    kpi_ids = sorted({ids[c] for c in event.kpi_codes if c in ids})
    return {"signals": {"new": refresh_kpi_signals(event.conn, kpi_ids, event.batch_id)}}


def refresh_kpi_signals(conn: Connection, kpi_ids: Sequence[int], batch_id: int | None) -> int:
    """Compute XmR signals for these KPIs and insert the ones not raised before; returns how many were new."""
    if not kpi_ids:
        return 0
    kpis = kpi_queries.kpis_for_signals(conn, kpi_ids)
    readings = kpi_queries.readings_of(conn, kpi_ids)
    known = kpi_queries.signal_keys(conn, "kpi")
    new: list[dict[str, Any]] = []
    for k in kpis:
        r = readings[readings["kpi_id"] == k["id"]]
        if len(r) < 3:
            continue
        found = xmr_signals(r["period"], r["value"], k["baseline_periods"] or DEFAULT_BASELINE)
        for s in found.itertuples():
            period = s.period.date() if hasattr(s.period, "date") else s.period
            key = f"kpi:{k['id']}:{period.isoformat()}:{s.rule}"
            if key in known:
                continue
            known.add(key)
            new.append({"kind": "kpi_variance", "entity": "kpi", "entity_id": k["id"], "dedupe_key": key,
                        "period": period, "rule": s.rule, "batch_id": batch_id, "owner_id": k["owner_id"],
                        "protocol": k["protocol"], "state": "open", "opened_at": utcnow(), "log": [],
                        "message": f"{k['code']} ({k['name']}), week of {period:%d %b %Y}: {s.detail}."})
    writes.insert_rows(conn, "signal", new)
    return len(new)


def set_state(engine: Engine, signal_id: int, state: str, user: Any, note: str = "") -> dict[str, Any]:
    """Move a signal along open → acknowledged → resolved, logging who, when and why (its owner or an admin)."""
    with engine.begin() as conn:
        before = kpi_queries.signal(conn, signal_id)
        if before is None:
            raise NotFound(f"There is no signal {signal_id}.")
        viewer = checked(user)
        if viewer is not None:
            require_owner(viewer, {tables.person_name(conn, before["owner_id"])}, "signals")
        user = actor_name(user)
        if state not in TRANSITIONS.get(before["state"], ()):
            raise ThroughlineError(f"Signal {signal_id} is {before['state']}; it cannot become {state}.")
        entry = {"at": utcnow().isoformat(timespec="seconds"), "user": user, "from": before["state"], "to": state,
                 "note": note}
        values = {"state": state, "log": [*(before["log"] or []), entry]}
        if state == "resolved":
            values["closed_at"] = utcnow()
        kpi_queries.update_signal(conn, signal_id, values)
        tables.audit(conn, user=user, action=f"signal.{state}", entity="signal", entity_id=signal_id,
                   before={"state": before["state"]}, after={"state": state, "note": note})
        tables.bump_data_version(conn)
        return {**before, **values}


def set_protocol(engine: Engine, kpi_id: int, protocol: str, user: Any) -> None:
    """Edit a KPI's intervention protocol (what its owner does when it signals); audited. The KPI's owner or an
    admin."""
    with engine.begin() as conn:
        viewer = checked(user)
        if viewer is not None:
            require_owner(viewer, set(tables.owner_names(conn, "kpi", [kpi_id]).values()) or {None}, "KPIs")
        user = actor_name(user)
        before = kpi_queries.kpi_protocol(conn, kpi_id)
        writes.update_rows(conn, "kpi", [(kpi_id, {"protocol": protocol})])
        conn.execute(sa.update(tables.table("signal")).where(tables.table("signal").c.entity == "kpi",
                                                           tables.table("signal").c.entity_id == kpi_id,
                                                           tables.table("signal").c.state != "resolved")
                     .values(protocol=protocol))
        tables.audit(conn, user=user, action="kpi.protocol", entity="kpi", entity_id=kpi_id,
                   before={"protocol": before}, after={"protocol": protocol})
        tables.bump_data_version(conn)
