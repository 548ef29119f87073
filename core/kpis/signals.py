"""Variance signals: XmR findings on KPI readings, routed to the KPI's owner with its protocol.

Signals are created when readings are imported, once per (KPI, period, rule) whatever
how often the same readings arrive; their state moves open → acknowledged → resolved
with a log of actions, and every move is audited.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from core.accounts.auth import Actor, actor_name, checked, require_owner
from core.errors import NotFound, ThroughlineError
from core.kpis import queries as kpi_queries
from core.kpis.analytics import readings_behind, xmr, xmr_signals
from core.store import tables, writes
from core.store.events import BatchCommitted
from core.store.models import utcnow
from core.store.values import is_missing, text_or_blank

DEFAULT_BASELINE = 12
TRANSITIONS = {"open": ("acknowledged", "resolved"), "acknowledged": ("resolved",), "resolved": ()}
STATES = tuple(TRANSITIONS)
UNRESOLVED = ("open", "acknowledged")  # what the Signals page lists until the user picks states
NO_OWNER = "(no owner)"


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


def set_state(engine: Engine, signal_id: int, state: str, user: Actor, note: str = "") -> dict[str, Any]:
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


def set_protocol(engine: Engine, kpi_id: int, protocol: str, user: Actor) -> None:
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


# --------------------------------------------------------------------------- the Signals page's list and chart
def signal_owners(signals: pd.DataFrame) -> list[str]:
    """Who signals are routed to, sorted, with NO_OWNER for those whose KPI has no owner."""
    return sorted(signals["owner"].fillna(NO_OWNER).unique())


def shown_signals(signals: pd.DataFrame, owners: Sequence[str] = (), states: Sequence[str] = ()) -> pd.DataFrame:
    """The signals of these owners (NO_OWNER: those nobody owns) in these states; every owner or state when none."""
    shown = signals[signals["state"].isin(states or STATES)]
    return shown[shown["owner"].fillna(NO_OWNER).isin(owners)] if owners else shown


def unowned(signals: pd.DataFrame) -> int:
    """Signals nobody is routed to (their KPI has no accountable owner)."""
    return int(signals["owner"].isna().sum())


@dataclass(frozen=True)
class ControlSeries:
    """One KPI's control chart: its readings, the XmR limits from its baseline, and the points that signal."""

    kpi: pd.Series  # the KPI's row of kpi_queries.kpis_frame (id, code, name, owner…)
    readings: pd.DataFrame  # its headline readings, with the file and row each came from
    limits: dict[str, float]
    findings: pd.DataFrame  # xmr_signals: period, value, rule, detail
    protocol: str  # what its owner does when it signals ('' when nobody wrote it down)


def control_series(kpis: pd.DataFrame, readings: pd.DataFrame, code: str) -> ControlSeries:
    """The control chart of the KPI ``code``, judged on the baseline periods it keeps (DEFAULT_BASELINE without)."""
    kpi = kpis.set_index("code").loc[code]
    series = readings_behind(kpis, readings, code)
    baseline = DEFAULT_BASELINE if is_missing(kpi.get("baseline_periods")) else int(kpi["baseline_periods"])
    return ControlSeries(kpi, series, xmr(series["value"], baseline),
                         xmr_signals(series["period"], series["value"], baseline), text_or_blank(kpi.get("protocol")))
