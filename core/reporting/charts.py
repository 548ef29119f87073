"""Pure plotly builders: DataFrame in, Figure out. Each point carries ``customdata`` for drill-down.

Point charts carry the work item id; bar charts carry the value of the bar (team, owner).

Plotly draws a subset of HTML in every text (``<a href>`` becomes a working link, ``<b>``, ``<br>``,
``<span style>`` apply), so every text that comes from data goes through :func:`esc` before it reaches
a figure: axis categories, labels, hover text, legend names, annotations and titles. The drill-down's
customdata is escaped too; :func:`selected_values` gives it back as the data has it.
"""
from __future__ import annotations

import html
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from core.store.values import is_missing

STATUS_COLOURS = {"todo": "#a0aec0", "in_progress": "#3182ce", "blocked": "#e53e3e", "done": "#38a169"}
STATUS_LABELS = {"todo": "To do", "in_progress": "In progress", "blocked": "Blocked", "done": "Done"}
PCT_STYLE = {0.5: "dot", 0.85: "dash", 0.95: "longdash"}
PCT_LABEL_AT = {0.5: "bottom left", 0.85: "top left", 0.95: "top right"}


def esc(value: Any) -> Any:
    """Text plotly shows as text: ``& < >`` as entities (plotly decodes them once); a missing value stays empty."""
    if is_missing(value):
        return None
    return str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _esc_all(values: Any) -> list[Any]:
    return [esc(v) for v in values]


def selected_values(event: object) -> list[object]:
    """The picked points' customdata as the data has it (undoes :func:`esc`)."""
    from core.flow.analytics import selected_values as picked

    return [html.unescape(v) if isinstance(v, str) else v for v in picked(event)]


def _layout(fig: go.Figure, title: str, x: str, y: str) -> go.Figure:
    fig.update_layout(title=esc(title), xaxis_title=esc(x), yaxis_title=esc(y), template="plotly_white", height=420,
                      margin=dict(l=10, r=10, t=50, b=10), legend=dict(orientation="h", y=-0.2))
    return fig


def _percentile_lines(fig: go.Figure, pcts: dict[float, float]) -> None:
    for q, value in pcts.items():
        fig.add_hline(y=value, line_dash=PCT_STYLE.get(q, "dot"), line_color="#718096",
                      annotation_text=f"{int(q * 100)}th: {value:.1f} d",
                      annotation_position=PCT_LABEL_AT.get(q, "top left"))


def _log_axis_if_wide(fig: go.Figure, values: pd.Series) -> None:
    """Hours-long tickets and months-long milestones on one chart: a log axis keeps both readable."""
    v = values[values > 0]
    if len(v) and v.max() / max(v.min(), 1e-3) > 100:
        fig.update_yaxes(type="log")


def aging_wip_chart(aging: pd.DataFrame, pcts: dict[float, float]) -> go.Figure:
    """Each open item as a dot: status column × age in days, against cycle-time percentiles."""
    fig = go.Figure()
    for status in ("in_progress", "blocked", "todo"):
        part = aging[aging["status"] == status]
        if part.empty:
            continue
        fig.add_trace(go.Scatter(
            x=[STATUS_LABELS[status]] * len(part), y=part["age_days"], mode="markers", name=STATUS_LABELS[status],
            marker=dict(color=STATUS_COLOURS[status], size=9, opacity=0.75), customdata=part["id"],
            text=_esc_all(part["external_key"].astype(str) + " · " + part["title"].astype(str).str.slice(0, 60)),
            hovertemplate="%{text}<br>age %{y:.1f} days<extra></extra>"))
    _percentile_lines(fig, pcts)
    _log_axis_if_wide(fig, aging["age_days"])
    return _layout(fig, "Aging work in progress", "Status", "Age (days since start)")


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
    return _layout(fig, "Cumulative flow", "Week", "Items")


def cycle_time_chart(done: pd.DataFrame, pcts: dict[float, float]) -> go.Figure:
    """Finished items: when they finished × how long they took."""
    fig = go.Figure(go.Scatter(x=done["finish"], y=done["cycle_days"], mode="markers", name="Finished item",
                               marker=dict(color="#38a169", size=7, opacity=0.6), customdata=done["id"],
                               text=_esc_all(done["external_key"]),
                               hovertemplate="%{text}<br>%{y:.1f} days<extra></extra>"))
    _percentile_lines(fig, pcts)
    _log_axis_if_wide(fig, done["cycle_days"])
    return _layout(fig, "Cycle time of finished items", "Finished", "Cycle time (days)")


def throughput_chart(tp: pd.DataFrame) -> go.Figure:
    """Items done per week; each bar carries its week for the drill-down."""
    fig = go.Figure(go.Bar(x=tp["week"], y=tp["done"], marker_color="#38a169", name="Done",
                           customdata=[f"{w:%Y-%m-%d}" for w in tp["week"]],
                           hovertemplate="week ending %{x|%d %b %Y}: %{y} done<extra></extra>"))
    return _layout(fig, "Throughput per week", "Week", "Items done")


def team_wait_chart(waits: pd.DataFrame) -> go.Figure:
    """Teams others wait on, by total days waited (longest at the top)."""
    w = waits.sort_values("total_days")
    teams = _esc_all(w["waited_on_team"])
    fig = go.Figure(go.Bar(x=w["total_days"], y=teams, orientation="h", marker_color="#dd6b20",
                           customdata=teams, text=w["items_waiting"].astype(str) + " item(s) waiting",
                           hovertemplate="%{y}: %{x:.0f} days in total<br>%{text}<extra></extra>"))
    return _layout(fig, "Teams waited on by other teams", "Days waited (total)", "Waited-on team")


def owner_load_chart(load: pd.DataFrame, top: int = 20, by: str = "owner") -> go.Figure:
    """WIP per owner (or team), red where nothing was finished recently."""
    part = load.head(top).iloc[::-1]
    colours = ["#e53e3e" if s else "#3182ce" for s in part["stalled"]]
    names = _esc_all(part[by])
    fig = go.Figure(go.Bar(x=part["wip"], y=names, orientation="h", marker_color=colours, customdata=names,
                           text=[("no recent throughput" if s else f"{w:.1f} weeks to clear")
                                 for s, w in zip(part["stalled"], part["weeks_to_clear"])],
                           hovertemplate="%{y}: %{x} in progress<br>%{text}<extra></extra>"))
    return _layout(fig, f"{by.title()} load: work in progress (red: nothing finished recently)", "Items in progress",
                   by.title())


def overdue_chart(late: pd.DataFrame) -> go.Figure:
    """Overdue items per team; each bar carries its team for the drill-down."""
    by_team = late.assign(team=late["team"].fillna("(no team)")).groupby("team")["days_late"].agg(["count", "sum"])
    by_team = by_team.sort_values("sum")
    teams = _esc_all(by_team.index)
    fig = go.Figure(go.Bar(x=by_team["sum"], y=teams, orientation="h", marker_color="#c53030",
                           customdata=teams, text=by_team["count"].astype(str) + " item(s) late",
                           hovertemplate="%{y}: %{x:.0f} days late in total<br>%{text}<extra></extra>"))
    return _layout(fig, "Overdue items by team", "Days late (total)", "Team")


RAG_COLOURS = {"green": "#38a169", "amber": "#dd6b20", "red": "#e53e3e", "grey": "#a0aec0"}


def conflict_heatmap(matrix: pd.DataFrame) -> go.Figure:
    """KPI × KPI correlation of direction-adjusted changes: red where one improving goes with the other worsening."""
    text = matrix.map(lambda v: "" if pd.isna(v) else f"{v:.2f}")
    fig = go.Figure(go.Heatmap(z=matrix.values, x=_esc_all(matrix.columns), y=_esc_all(matrix.index), zmin=-1, zmax=1,
                               colorscale=[[0, "#c53030"], [0.5, "#f7fafc"], [1, "#2f855a"]], text=text.values,
                               texttemplate="%{text}", hovertemplate="%{y} × %{x}: r = %{z:.2f}<extra></extra>",
                               colorbar=dict(title="r")))
    fig.update_yaxes(autorange="reversed")
    return _layout(fig, "Do KPIs move together? (direction-adjusted weekly changes)", "KPI", "KPI")


def kpi_small_multiples(status: pd.DataFrame, readings: pd.DataFrame, cols: int = 3) -> go.Figure:
    """One line per KPI with its target and tolerance band, coloured by current status."""
    from plotly.subplots import make_subplots

    kpis = status.reset_index(drop=True)
    rows = max(1, -(-len(kpis) // cols))
    titles = [esc(f"{k.code} · {k.status}") for k in kpis.itertuples()]
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=titles,
                        vertical_spacing=0.12 / max(1, rows / 3))
    for i, k in enumerate(kpis.itertuples()):
        r, c = i // cols + 1, i % cols + 1
        data = readings[readings["kpi_id"] == k.id]
        if pd.notna(k.target):
            tol = 0 if pd.isna(k.tolerance) else abs(k.tolerance)
            low, high = (k.target - tol, k.target) if not str(k.direction).startswith("lower") else (
                k.target, k.target + tol)
            fig.add_hrect(y0=low, y1=high, fillcolor="#fefcbf", opacity=0.6, line_width=0, row=r, col=c)
            fig.add_hline(y=k.target, line_color="#2f855a", line_dash="dash", row=r, col=c)
        fig.add_trace(go.Scatter(x=data["period"], y=data["value"], mode="lines", showlegend=False, name=esc(k.code),
                                 line=dict(color=RAG_COLOURS.get(k.status, "#3182ce"), width=2)), row=r, col=c)
    fig.update_layout(template="plotly_white", height=230 * rows, margin=dict(l=10, r=10, t=40, b=10),
                      title="KPIs against target (dashed) and tolerance band (shaded)")
    return fig


def control_chart(periods: pd.Series, values: pd.Series, limits: dict[str, float], signals: pd.DataFrame,
                  title: str) -> go.Figure:
    """XmR individuals chart: values, mean and limits, signals marked."""
    fig = go.Figure(go.Scatter(x=periods, y=values, mode="lines+markers", name="Reading",
                               line=dict(color="#3182ce")))
    for name, dash in (("ucl", "dash"), ("mean", "dot"), ("lcl", "dash")):
        fig.add_hline(y=limits[name], line_dash=dash, line_color="#718096",
                      annotation_text=f"{name.upper()} {limits[name]:.2f}", annotation_position="top left")
    if len(signals):
        fig.add_trace(go.Scatter(x=signals["period"], y=signals["value"], mode="markers", name="Signal",
                                 marker=dict(color="#e53e3e", size=13, symbol="circle-open", line=dict(width=3)),
                                 text=_esc_all(signals["rule"]), hovertemplate="%{text}: %{y}<extra></extra>"))
    return _layout(fig, title, "Period", "Value")


def hidden_work_chart(by_group: pd.DataFrame, by: str, top: int = 20) -> go.Figure:
    """Share of each team's (or owner's) work that serves no objective, worst at the top."""
    part = by_group.head(top).iloc[::-1]
    colours = ["#e53e3e" if r >= 0.5 else "#dd6b20" if r >= 0.2 else "#3182ce" for r in part["hidden_ratio"]]
    names = _esc_all(part[by])
    fig = go.Figure(go.Bar(
        x=part["hidden_ratio"] * 100, y=names, orientation="h", marker_color=colours, customdata=names,
        text=[f"{h:,} of {n:,}" for h, n in zip(part["hidden"], part["items"])], textposition="auto",
        hovertemplate="%{y}: %{x:.0f}% hidden work<br>%{text} items serve no objective<extra></extra>"))
    fig.update_xaxes(range=[0, 100], ticksuffix="%")
    return _layout(fig, f"Hidden work by {by}: share of items linked to no objective", "Hidden work (% of items)",
                   by.title())


def objective_treemap(per_objective: pd.DataFrame, size_by: str = "items") -> go.Figure:
    """Linked work per pillar → objective → team, sized by item count or effort."""
    ids, labels, parents, values = [], [], [], []
    frame = per_objective[per_objective[size_by] > 0] if len(per_objective) else per_objective
    for level in (["pillar"], ["pillar", "objective"], ["pillar", "objective", "team"]):
        grouped = frame.groupby(level, sort=True)[size_by].sum().reset_index() if len(frame) else frame
        for row in grouped.to_dict("records"):
            path = [esc(str(row[c])) for c in level]
            ids.append(" / ".join(path))
            labels.append(path[-1])
            parents.append(" / ".join(path[:-1]))
            values.append(float(row[size_by]))
    unit = "items" if size_by == "items" else "effort"
    fig = go.Figure(go.Treemap(ids=ids, labels=labels, parents=parents, values=values, branchvalues="total",
                               customdata=ids, marker=dict(colorscale="Blues"),
                               hovertemplate=f"%{{label}}<br>%{{value:,.0f}} {unit}<extra></extra>",
                               texttemplate="%{label}<br>%{value:,.0f}"))
    fig.update_layout(title=f"Work per objective (pillar → objective → team), sized by {unit}",
                      template="plotly_white", height=520, margin=dict(l=10, r=10, t=50, b=10))
    return fig
