"""The KPI charts: small multiples against target and tolerance, and the XmR control chart of one KPI.

Pure plotly builders like core.reporting.charts (whose escaping and colours they share), kept apart because
they are the two charts drawn per KPI, with their own cost at a hundred KPIs.
"""
from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go

from core.reporting import chart_parts as ax
from core.reporting.charts import RAG_COLOURS, RAG_LABELS, esc, esc_all, scale_note, titled
from core.store.values import is_missing


def kpi_small_multiples(status: pd.DataFrame, readings: pd.DataFrame, cols: int = 3) -> go.Figure:
    """One line per KPI with its target (dashed) and tolerance band (shaded), coloured by current status.

    Shapes, notes and axis ranges are gathered and set in one layout update: plotly's add_hline/add_hrect per
    subplot re-validate every shape already there, which took 15 s for 110 KPIs (now well under a second).
    """
    from plotly.subplots import make_subplots

    kpis = status.reset_index(drop=True)
    rows = max(1, -(-len(kpis) // cols))
    titles = [esc(f"{ax.trim(k.code, 28)} · {RAG_LABELS.get(k.status, str(k.status).title())}")
              for k in kpis.itertuples()]
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=titles, vertical_spacing=min(0.3, 70 / (230 * rows)))
    by_kpi = {key: group.sort_values("period") for key, group in readings.groupby("kpi_id", sort=False)}
    empty = readings.iloc[0:0]
    traces: list[go.Scatter] = []
    shapes: list[dict[str, object]] = []
    notes: list[dict[str, object]] = []
    axes: dict[str, dict[str, object]] = {}
    for i, k in enumerate(kpis.itertuples()):
        n = "" if i == 0 else str(i + 1)
        data = by_kpi.get(k.id, empty)
        band = ax.tolerance_band(k.target, k.tolerance, k.direction)
        target = None if is_missing(k.target) else float(k.target)
        sc = ax.scale(data["value"], floor=None, cap=None, extra=[target, *(band or ())])
        shown = data[sc.keep.to_numpy()]
        traces.append(go.Scatter(x=shown["period"], y=sc.plotted, mode="lines+markers", showlegend=False,
                                 name=esc(k.code), line=dict(color=RAG_COLOURS.get(k.status, "#3182ce"), width=2),
                                 marker=dict(size=4, symbol=sc.symbols()), xaxis=f"x{n}", yaxis=f"y{n}",
                                 hovertext=[ax.plain_number(v) for v in sc.true],
                                 hovertemplate="%{x|%d %b %Y}: %{hovertext}<extra></extra>"))
        if band and band[0] < sc.range[1] and band[1] > sc.range[0]:  # shaded where it meets the axis
            shapes.append(dict(type="rect", name="tolerance", xref=f"x{n} domain", yref=f"y{n}", x0=0, x1=1,
                               y0=max(band[0], sc.range[0]), y1=min(band[1], sc.range[1]), fillcolor="#fefcbf",
                               opacity=0.6, line_width=0, layer="below"))
        if target is not None and math.isfinite(target) and sc.low <= target <= sc.high:
            shapes.append(dict(type="line", name="target", xref=f"x{n} domain", yref=f"y{n}", x0=0, x1=1,
                               y0=target, y1=target, line=dict(color="#2f855a", dash="dash")))
        axes[f"yaxis{n}"] = dict(range=list(sc.range), autorange=False, exponentformat="none")
        if sc.n_beyond or sc.dropped:
            notes.append(dict(text=f"{sc.n_beyond + sc.dropped} reading(s) not to scale or not drawn",
                              name=ax.NOTE_NAME, xref=f"x{n} domain", yref=f"y{n} domain", x=1, y=1,
                              xanchor="right", yanchor="top", showarrow=False, align="right",
                              font=dict(size=11, color="#4a5568"), bgcolor="rgba(255,255,255,0.85)"))
    for name, line in (("Target", dict(color="#2f855a", dash="dash")), ("Tolerance band", dict(color="#f6e05e",
                                                                                                width=8))):
        traces.append(go.Scatter(x=[None], y=[None], mode="lines", name=name, line=line, hoverinfo="skip"))
    fig.add_traces(traces)
    height = 100 + 230 * rows  # title, then the legend, then the first row's subplot titles: one line each
    fig.update_layout(template="plotly_white", height=height, margin=dict(l=10, r=10, t=100, b=10),
                      shapes=shapes, annotations=[*fig.layout.annotations, *notes], **axes,
                      title=dict(text="KPIs against target (dashed) and tolerance band (shaded)", x=0.01,
                                 xanchor="left", y=1, yref="container", yanchor="top", pad=dict(t=12)),
                      legend=dict(orientation="h", x=0.01, xanchor="left", y=1 - 44 / height, yref="container",
                                  yanchor="top", font=dict(size=11)))
    return fig


def control_chart(periods: pd.Series, values: pd.Series, limits: dict[str, float], signals: pd.DataFrame,
                  title: str) -> go.Figure:
    """XmR individuals chart: values, mean and limits, signals marked."""
    frame = pd.DataFrame({"period": pd.Series(periods).to_numpy(), "value": pd.Series(values).to_numpy()})
    sc = ax.scale(frame["value"], floor=None, cap=None, extra=[limits.get(n) for n in ("ucl", "mean", "lcl")])
    shown = frame[sc.keep.to_numpy()]
    fig = go.Figure(go.Scatter(x=shown["period"], y=sc.plotted, mode="lines+markers", name="Reading",
                               line=dict(color="#3182ce"), marker=dict(symbol=sc.symbols()),
                               hovertext=[ax.plain_number(v) for v in sc.true],
                               hovertemplate="%{x|%d %b %Y}: %{hovertext}<extra></extra>"))
    off = []
    for name, label, dash in (("ucl", "Upper limit", "dash"), ("mean", "Mean", "dot"), ("lcl", "Lower limit", "dash")):
        v = ax.number(limits.get(name))
        if not (math.isfinite(v) and sc.low <= v <= sc.high):
            off.append(f"{label.lower()} ({ax.plain_number(v)}) off the chart")
            continue
        fig.add_hline(y=v, line_dash=dash, line_color="#718096", annotation_text=f"{label} {v:,.2f}",
                      annotation_position="top left")
    if len(signals):
        sig = ax.scale(signals["value"], floor=None, cap=None)
        y = sig.true.clip(sc.low, sc.high)
        fig.add_trace(go.Scatter(x=signals["period"][sig.keep.to_numpy()], y=y, mode="markers", name="Signal",
                                 marker=dict(color="#e53e3e", size=13, symbol="circle-open", line=dict(width=3)),
                                 text=esc_all(signals["rule"][sig.keep.to_numpy()]),
                                 hovertext=[ax.plain_number(v) for v in sig.true],
                                 hovertemplate="%{text}: %{hovertext}<extra></extra>"))
    ax.linear_axis(fig, sc)
    scale_note(fig, sc, *off, unit="", what="reading(s)")
    return titled(fig, title, "Period", "Value")
