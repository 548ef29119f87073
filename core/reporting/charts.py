"""Pure plotly builders: DataFrame in, Figure out. Each point carries ``customdata`` for drill-down.

Point charts carry the work item id; bar charts carry the value of the bar (team, owner).

Plotly draws a subset of HTML in every text (``<a href>`` becomes a working link, ``<b>``, ``<br>``,
``<span style>`` apply), so every text that comes from data goes through :func:`esc` before it reaches
a figure: axis categories, labels, hover text, legend names, annotations and titles. The drill-down's
customdata is escaped too; :func:`selected_values` gives it back as the data has it.
"""
from __future__ import annotations

import html
import math
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from core.reporting import chart_parts as ax
from core.store.models import STATUS_LABELS
from core.store.values import is_missing

STATUS_COLOURS = {"todo": "#a0aec0", "in_progress": "#3182ce", "blocked": "#e53e3e", "done": "#38a169"}
PCT_STYLE = {0.5: "dot", 0.85: "dash", 0.95: "longdash"}
PCT_LABEL_AT = {0.5: "bottom left", 0.85: "top left", 0.95: "top right"}
RAG_COLOURS = {"green": "#38a169", "amber": "#dd6b20", "red": "#e53e3e", "grey": "#a0aec0"}
RAG_LABELS = {"green": "On target", "amber": "Within tolerance", "red": "Beyond tolerance",
              "grey": "No recent reading or no target"}


def esc(value: Any) -> Any:
    """Text plotly shows as text: ``& < >`` as entities (plotly decodes them once); a missing value stays empty."""
    if is_missing(value):
        return None
    return str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def esc_all(values: Any) -> list[Any]:
    return [esc(v) for v in values]


def selected_values(event: object) -> list[object]:
    """The picked points' customdata as the data has it (undoes :func:`esc`)."""
    from core.flow.analytics import selected_values as picked

    return [html.unescape(v) if isinstance(v, str) else v for v in picked(event)]


def titled(fig: go.Figure, title: str, x: str, y: str) -> go.Figure:
    fig.update_layout(title=esc(title), xaxis_title=esc(x), yaxis_title=esc(y), template="plotly_white", height=420,
                      margin=dict(l=10, r=10, t=50, b=10), legend=dict(orientation="h", y=-0.2))
    return fig


def _percentile_lines(fig: go.Figure, pcts: dict[float, float], sc: ax.Scale) -> list[str]:
    """The cycle-time percentiles the axis can show; the others named for the note."""
    off = []
    for q, value in pcts.items():
        label = f"{int(q * 100)}th percentile"
        if value is None or not math.isfinite(value) or not sc.low <= value <= sc.high:
            off.append(f"{label} ({ax.days_text(value)}) off the chart")
            continue
        fig.add_hline(y=value, line_dash=PCT_STYLE.get(q, "dot"), line_color="#718096",
                      annotation_text=f"{int(q * 100)}th: {ax.days_text(value)}",
                      annotation_position=PCT_LABEL_AT.get(q, "top left"))
    return off


def scale_note(fig: go.Figure, sc: ax.Scale, *more: str | None, unit: str = "days", what: str = "point(s)") -> None:
    ax.add_note(fig, "; ".join(t for t in (ax.note_text(sc, unit, what), *more) if t))


def _duration_points(frame: pd.DataFrame, column: str, pcts: dict[float, float],
                     what: str = "items") -> tuple[pd.DataFrame, ax.Scale, str | None]:
    """The rows drawn (a copy, finite durations only, thinned to :data:`chart_parts.MAX_POINTS`), with the value
    drawn, its marker and its true value, and the note that says how many were drawn when not all were. The axis
    and its percentile lines are of every row; plotly spent seconds validating 100,000 markers nobody can tell
    apart."""
    rows = frame.reset_index(drop=True)
    sc = ax.scale(rows[column], extra=pcts.values())
    kept = rows[sc.keep.to_numpy()].copy()
    kept["_y"], kept["_beyond"], kept["_true_value"] = sc.plotted.to_numpy(), sc.beyond.to_numpy(), sc.true.to_numpy()
    drawn, note = ax.thinned(kept, "_true_value", what)
    drawn["_symbol"] = ax.symbols_of(drawn["_beyond"], drawn["_true_value"], sc.low)
    drawn["_true"] = [ax.days_text(v) + (" (not to scale)" if b else "")
                      for v, b in zip(drawn["_true_value"], drawn["_beyond"])]
    return drawn, sc, note


def aging_wip_chart(aging: pd.DataFrame, pcts: dict[float, float]) -> go.Figure:
    """Each open item as a dot: status column × age in days, against cycle-time percentiles."""
    fig = go.Figure()
    kept, sc, thin_note = _duration_points(aging, "age_days", pcts, "open items")
    for status in ("in_progress", "blocked", "todo"):
        part = kept[kept["status"] == status]
        if part.empty:
            continue
        fig.add_trace(go.Scatter(
            x=[STATUS_LABELS[status]] * len(part), y=part["_y"], mode="markers", name=STATUS_LABELS[status],
            marker=dict(color=STATUS_COLOURS[status], size=9, opacity=0.75, symbol=part["_symbol"].tolist()),
            customdata=part["id"],
            text=esc_all(part["external_key"].astype(str) + " · " + part["title"].astype(str).str.slice(0, 60)),
            hovertext=part["_true"].tolist(), hovertemplate="%{text}<br>Age: %{hovertext}<extra></extra>"))
    off = _percentile_lines(fig, pcts, sc)
    ax.linear_axis(fig, sc)
    scale_note(fig, sc, *off, thin_note)
    return titled(fig, "Aging work in progress", "Status", "Age (days)")


def cumulative_flow_chart(cfd: pd.DataFrame) -> go.Figure:
    """Weekly items per status, stacked (done at the bottom, as in Kanban tools)."""
    fig = go.Figure()
    for status in ("done", "blocked", "in_progress", "todo"):
        if status in cfd:
            fig.add_trace(go.Scatter(x=cfd.index, y=cfd[status], name=STATUS_LABELS[status], mode="lines+markers",
                                     stackgroup="flow", line=dict(width=0.5, color=STATUS_COLOURS[status]),
                                     marker=dict(size=4), customdata=[f"{d:%Y-%m-%d}|{status}" for d in cfd.index],
                                     hovertemplate=f"{STATUS_LABELS[status]}: %{{y}} items, week of %{{x|%d %b %Y}}"
                                                   "<extra></extra>"))
    return titled(fig, "Cumulative flow", "Week", "Items")


def cycle_time_chart(done: pd.DataFrame, pcts: dict[float, float]) -> go.Figure:
    """Finished items: when they finished × how long they took."""
    kept, sc, thin_note = _duration_points(done, "cycle_days", pcts, "finished items")
    fig = go.Figure(go.Scatter(x=kept["finish"], y=kept["_y"], mode="markers", name="Finished item",
                               marker=dict(color="#38a169", size=7, opacity=0.6, symbol=kept["_symbol"].tolist()),
                               customdata=kept["id"], text=esc_all(kept["external_key"]),
                               hovertext=kept["_true"].tolist(),
                               hovertemplate="%{text}<br>Finished %{x|%d %b %Y}<br>Cycle time: %{hovertext}"
                                             "<extra></extra>"))
    off = _percentile_lines(fig, pcts, sc)
    ax.linear_axis(fig, sc)
    scale_note(fig, sc, *off, thin_note)
    return titled(fig, "Cycle time of finished items", "Finished", "Cycle time (days)")


def throughput_chart(tp: pd.DataFrame) -> go.Figure:
    """Items done per week; each bar carries its week for the drill-down."""
    fig = go.Figure(go.Bar(x=tp["week"], y=tp["done"], marker_color="#38a169", name="Done",
                           customdata=[f"{w:%Y-%m-%d}" for w in tp["week"]],
                           hovertemplate="week ending %{x|%d %b %Y}: %{y} done<extra></extra>"))
    return titled(fig, "Throughput per week", "Week", "Items done")


def team_wait_chart(waits: pd.DataFrame) -> go.Figure:
    """Teams others wait on, by total days waited (longest at the top)."""
    w = waits.sort_values("total_days").reset_index(drop=True)
    n = pd.to_numeric(w["items_waiting"], errors="coerce").fillna(1).clip(lower=1)
    sc = ax.scale(w["total_days"], cap=ax.DURATION_CAP_DAYS * n.to_numpy(), bars=True)
    w = w[sc.keep.to_numpy()]
    teams = esc_all(w["waited_on_team"])
    text = [f"{int(i):,} item(s) waiting · {ax.days_text(t)} in total" + (" (not to scale)" if b else "")
            for i, t, b in zip(w["items_waiting"], sc.true, sc.beyond)]
    fig = go.Figure(go.Bar(x=sc.plotted, y=teams, orientation="h", marker_color="#dd6b20",
                           marker_pattern_shape=["/" if b else "" for b in sc.beyond], customdata=teams, hovertext=text,
                           hovertemplate="%{y}<br>%{hovertext}<extra></extra>"))
    ax.linear_axis(fig, sc, axis="x")
    scale_note(fig, sc, what="team(s)")
    return titled(fig, "Teams waited on by other teams", "Days waited (total)", "Waited-on team")


def owner_load_chart(load: pd.DataFrame, top: int = 20, by: str = "owner") -> go.Figure:
    """WIP per owner (or team), red where nothing was finished recently."""
    part = load.head(top).iloc[::-1].reset_index(drop=True)
    sc = ax.scale(part["wip"], cap=None, bars=True)
    part = part[sc.keep.to_numpy()]
    colours = ["#e53e3e" if s else "#3182ce" for s in part["stalled"]]
    names = esc_all(part[by])
    fig = go.Figure(go.Bar(x=sc.plotted, y=names, orientation="h", marker_color=colours, customdata=names,
                           marker_pattern_shape=["/" if b else "" for b in sc.beyond],
                           hovertext=[f"{ax.plain_number(w)} in progress · {ax.weeks_text(s, c)}" for w, s, c in
                                      zip(sc.true, part["stalled"], part["weeks_to_clear"])],
                           hovertemplate="%{y}<br>%{hovertext}<extra></extra>"))
    ax.linear_axis(fig, sc, axis="x")
    scale_note(fig, sc, unit="items", what=f"{by}(s)")
    return titled(fig, f"{by.title()} load: work in progress (red: nothing finished recently)", "Items in progress",
                   by.title())


def overdue_chart(late: pd.DataFrame) -> go.Figure:
    """Overdue items per team; each bar carries its team for the drill-down.

    Each item counts with at most ten years late (a wild due date is counted, flagged, never the whole axis)."""
    days = pd.to_numeric(late["days_late"], errors="coerce").astype(float).reset_index(drop=True)
    ok = days.map(math.isfinite) & days.ge(0)
    over = ok & days.gt(ax.DURATION_CAP_DAYS)
    frame = pd.DataFrame({"team": late["team"].fillna("(no team)").reset_index(drop=True),
                          "days": days.clip(upper=ax.DURATION_CAP_DAYS), "over": over})[ok]
    by_team = frame.groupby("team").agg(count=("days", "size"), sum=("days", "sum"), over=("over", "sum"))
    by_team = by_team.sort_values("sum")
    sc = ax.scale(by_team["sum"], cap=ax.DURATION_CAP_DAYS * by_team["count"].to_numpy(), bars=True)
    teams = esc_all(by_team.index)
    text = [f"{c:,} item(s) late · {ax.days_text(t)} late in total"
            + (f", {o:,} of them over {ax.plain_number(ax.DURATION_CAP_DAYS)} days late (counted as that)" if o else "")
            for c, t, o in zip(by_team["count"], sc.true, by_team["over"])]
    fig = go.Figure(go.Bar(x=sc.plotted, y=teams, orientation="h", marker_color="#c53030", customdata=teams,
                           marker_pattern_shape=["/" if b or o else "" for b, o in zip(sc.beyond, by_team["over"])],
                           hovertext=text, hovertemplate="%{y}<br>%{hovertext}<extra></extra>"))
    ax.linear_axis(fig, sc, axis="x")
    n_over, n_bad = int(over.sum()), int((~ok).sum())
    scale_note(fig, sc, *([f"{n_over} item(s) over {ax.plain_number(ax.DURATION_CAP_DAYS)} days late counted as "
                      f"{ax.plain_number(ax.DURATION_CAP_DAYS)}"] if n_over else []),
          *([f"{n_bad} item(s) without a usable number of days late not counted"] if n_bad else []), what="team(s)")
    return titled(fig, "Overdue items by team", "Days late (total)", "Team")


def conflict_heatmap(matrix: pd.DataFrame) -> go.Figure:
    """KPI × KPI correlation of direction-adjusted changes: red where one improving goes with the other worsening."""
    text = matrix.map(lambda v: "" if pd.isna(v) else f"{v:.2f}")
    fig = go.Figure(go.Heatmap(z=matrix.values, x=esc_all(matrix.columns), y=esc_all(matrix.index), zmin=-1, zmax=1,
                               colorscale=[[0, "#c53030"], [0.5, "#f7fafc"], [1, "#2f855a"]], text=text.values,
                               texttemplate="%{text}", hovertemplate="%{y} × %{x}: r = %{z:.2f}<extra></extra>",
                               colorbar=dict(title="r")))
    fig.update_yaxes(autorange="reversed")
    return titled(fig, "Do KPIs move together? (direction-adjusted weekly changes)", "KPI", "KPI")


def hidden_work_chart(by_group: pd.DataFrame, by: str, top: int = 20) -> go.Figure:
    """Share of each team's (or owner's) work that serves no objective, worst at the top."""
    part = by_group.head(top).iloc[::-1]
    colours = ["#e53e3e" if r >= 0.5 else "#dd6b20" if r >= 0.2 else "#3182ce" for r in part["hidden_ratio"]]
    names = esc_all(part[by])
    fig = go.Figure(go.Bar(
        x=part["hidden_ratio"] * 100, y=names, orientation="h", marker_color=colours, customdata=names,
        text=[f"{h:,} of {n:,}" for h, n in zip(part["hidden"], part["items"])], textposition="auto",
        hovertemplate="%{y}: %{x:.0f}% hidden work<br>%{text} items serve no objective<extra></extra>"))
    fig.update_xaxes(range=[0, 100], ticksuffix="%")
    return titled(fig, f"Hidden work by {by}: share of items linked to no objective", "Hidden work (% of items)",
                   by.title())


def objective_treemap(per_objective: pd.DataFrame, size_by: str = "items", *, min_share: float = ax.MIN_SHARE,
                      max_boxes: int = ax.MAX_BOXES) -> go.Figure:
    """Linked work per pillar → objective → team, sized by item count or effort; every box big enough to read
    (at least ``min_share`` of the area, the true figure in its label), a bar list when there are too many boxes."""
    frame = per_objective[per_objective[size_by] > 0] if len(per_objective) else per_objective
    unit = "items" if size_by == "items" else "effort"
    level = ["pillar", "objective", "team"]
    if len(frame) > max_boxes:
        return _objective_bars(frame, size_by, unit)
    leaves = frame.groupby(level, sort=True)[size_by].sum().reset_index() if len(frame) else frame
    shown = ax.floored(leaves[size_by], min_share) if len(leaves) else []
    sized = leaves.assign(_shown=shown) if len(leaves) else leaves
    ids, labels, parents, values, text = [], [], [], [], []
    for depth in (1, 2, 3):
        grouped = sized.groupby(level[:depth], sort=True)[[size_by, "_shown"]].sum().reset_index() if len(
            sized) else sized
        for row in grouped.to_dict("records"):
            path = [esc(str(row[c])) for c in level[:depth]]
            ids.append(" / ".join(path))
            labels.append(esc(ax.trim(row[level[depth - 1]], 40)))
            parents.append(" / ".join(path[:-1]))
            values.append(float(row["_shown"]))
            text.append(f"{ax.plain_number(float(row[size_by]))} {unit}")
    fig = go.Figure(go.Treemap(ids=ids, labels=labels, parents=parents, values=values, branchvalues="total",
                               customdata=ids, text=text, marker=dict(colorscale="Blues"),
                               hovertemplate="%{id}<br>%{text}<extra></extra>", texttemplate="%{label}<br>%{text}"))
    fig.update_layout(title=f"Work per objective (pillar → objective → team), sized by {unit}",
                      template="plotly_white", height=520, margin=dict(l=10, r=10, t=50, b=10))
    return fig


def _objective_bars(frame: pd.DataFrame, size_by: str, unit: str) -> go.Figure:
    """Too many boxes to read: one bar per pillar / objective, biggest at the top."""
    per = frame.groupby(["pillar", "objective"], sort=True)[size_by].sum().sort_values().reset_index()
    ids = [f"{esc(str(p))} / {esc(str(o))}" for p, o in zip(per["pillar"], per["objective"])]
    fig = go.Figure(go.Bar(x=per[size_by], y=[esc(ax.trim(o, 50)) for o in per["objective"]], orientation="h",
                           marker_color="#3182ce", customdata=ids, hovertext=ids,
                           hovertemplate=f"%{{hovertext}}<br>%{{x:,.0f}} {unit}<extra></extra>"))
    titled(fig, f"Work per objective, by {unit} (too many to show as boxes)", unit.title(), "Objective")
    fig.update_layout(height=max(420, 60 + 22 * len(per)))
    return fig


def strategy_picture(objectives: pd.DataFrame, items: pd.DataFrame | None = None, *,
                     min_share: float = ax.MIN_SHARE, title: str = "Strategy: objectives by measured status, "
                                                                    "sized by open work linked") -> go.Figure:
    """The objective tree (pillars → objectives → key results) coloured by measured KPI status and sized by the open
    work linked; each box carries its objective's code (customdata) for a click to open its view.

    ``objectives``: code, title, parent, and measured_status (core.kpis.analytics.objective_status; grey without).
    ``items``: work items with their objective's code in ``objective`` (core.alignment.queries.alignment_items_frame);
    without it an ``open_items`` column of ``objectives`` is used, if any."""
    if objectives.empty:
        fig = go.Figure(layout=dict(template="plotly_white", height=200, xaxis_visible=False, yaxis_visible=False))
        return fig.add_annotation(text="No objectives yet: import a strategy workbook.", showarrow=False)
    o = objectives.reset_index(drop=True)
    codes, parent = [str(c) for c in o["code"]], ax.parents_of(o)
    own_n, under = ax.open_work(o, parent, items)
    leaf = np.array([c not in set(parent.values()) for c in codes])
    shown = own_n.copy()
    shown[leaf] = ax.floored(own_n[leaf], min_share, others=float(own_n[~leaf].sum()))
    status = o["measured_status"] if "measured_status" in o else pd.Series(["grey"] * len(o))
    status = [s if s in RAG_COLOURS else "grey" for s in status]
    hover = [f"{esc(f'{c} · {ax.trim(t, 80)}')}<br>{RAG_LABELS[s]}<br>{int(n):,} open item(s) linked"
             + (f", {int(under[c]):,} with its sub-objectives" if under[c] != n else "")
             for c, t, s, n in zip(codes, o["title"], status, own_n)]
    labels = [esc(f"{ax.trim(c, 24)} · {ax.trim(t, 28)}") for c, t in zip(codes, o["title"])]
    fig = go.Figure(go.Treemap(ids=esc_all(codes), parents=esc_all(parent[c] for c in codes), values=shown,
                               labels=labels,
                               branchvalues="remainder", customdata=esc_all(codes), hovertext=hover,
                               marker=dict(colors=[RAG_COLOURS[s] for s in status], line=dict(color="white", width=1)),
                               hovertemplate="%{hovertext}<extra></extra>", texttemplate="%{label}", maxdepth=3,
                               textfont=dict(color="white")))
    for i, s in enumerate(("red", "amber", "green", "grey")):
        fig.add_annotation(text=f"■ {RAG_LABELS[s]}", x=i / 4, y=0, xref="paper", yref="paper", xanchor="left",
                           yanchor="top", yshift=-4, showarrow=False, font=dict(color=RAG_COLOURS[s], size=12))
    fig.update_layout(title=title, template="plotly_white", height=520, margin=dict(l=10, r=10, t=50, b=40))
    return fig


def sparkline(values: pd.Series, *, periods: int = 12, colour: str = "#3182ce", height: int = 60) -> go.Figure:
    """A headline figure over its last ``periods`` periods: a tiny line, no axes or grid, the last point marked.

    The series' index is the period (dates or labels); infinite and missing values are left out."""
    v = pd.to_numeric(pd.Series(values), errors="coerce").astype(float)
    v = v[np.isfinite(v.to_numpy())].tail(periods)
    sc = ax.scale(v, floor=None, cap=None)
    x = [str(i) if not isinstance(i, pd.Timestamp) else i for i in v.index]
    fig = go.Figure(go.Scatter(x=x, y=sc.plotted, mode="lines", line=dict(color=colour, width=2), hoverinfo="skip"))
    if len(v):
        fig.add_trace(go.Scatter(x=x[-1:], y=sc.plotted.tail(1), mode="markers", marker=dict(color=colour, size=7),
                                 hovertext=[ax.plain_number(sc.true.iloc[-1])], hovertemplate="%{hovertext}"
                                                                                               "<extra></extra>"))
    fig.update_layout(height=height, margin=dict(l=2, r=8, t=4, b=4), showlegend=False, template="plotly_white",
                      plot_bgcolor="rgba(0,0,0,0)", paper_bgcolor="rgba(0,0,0,0)")
    fig.update_xaxes(visible=False, showgrid=False)
    fig.update_yaxes(visible=False, showgrid=False, range=list(sc.range), autorange=False)
    return fig
