"""Overview: is strategy being executed, where is it stuck, who owns the fix; the steering pack to take away."""
from typing import Any

import pandas as pd
import streamlit as st

from core.alignment.analytics import is_open
from core.reporting import chart_parts, charts
from core.reporting.report import ReportOptions, format_change, format_value
from core.reporting.steering_pack import steering_pack
from core.text import inert
from ui import cache, chrome, signin

RAG_BADGE = {"green": "green", "amber": "orange", "red": "red", "grey": "gray"}  # st.badge colours


def objective_card(views: dict[str, Any], code: str) -> None:
    """What an executive asks of a box they clicked: whose it is, how it measures, which KPIs, how much work serves it,
    and where to go next."""
    objectives = views["kpi"]["objectives"]
    match = objectives[objectives["code"].astype(str) == str(code)]
    if match.empty:
        return
    o = match.iloc[0]
    status = views["kpi"]["status"]
    kpis = status[status["objective_id"] == o["id"]]
    align = views["alignment"]
    linked = (align["items"][(align["items"]["objective"].astype(str) == str(code)) & is_open(align["items"])]
              if align else pd.DataFrame())
    owner = o["owner"] if isinstance(o["owner"], str) else o["owner_text"] if isinstance(o["owner_text"], str) \
        else "nobody named"
    with st.container(border=True, key="objective_card"):
        st.markdown(f"**{inert(o['code'])} · {inert(o['title'])}**")
        measured = o["measured_status"] if o["measured_status"] in RAG_BADGE else "grey"
        weakest = f" (weakest KPI: {inert(o['weakest_kpi'])})" if isinstance(o.get("weakest_kpi"), str) else ""
        st.markdown(f"Owner: {inert(owner)} · Measured: "
                    f":{RAG_BADGE[measured]}-badge[{charts.RAG_LABELS[measured]}]{weakest}")
        if len(kpis):
            st.markdown("\n".join(
                f"- {inert(k.code)} · {inert(k.name)}: {_num(k.latest_value)} against a target of {_num(k.target)} "
                f"({charts.RAG_LABELS.get(k.status, 'no data')})" for k in kpis.itertuples()))
        else:
            st.caption("No KPI measures this objective: its status cannot be measured.")
        tree = views["kpi"]["objectives"].reset_index(drop=True)
        _own, under = chart_parts.open_work(tree, chart_parts.parents_of(tree), align["items"] if align else None)
        below = int(under.get(str(code), len(linked)))  # the box's size in the picture counts its sub-objectives too
        st.markdown(f"**{len(linked):,}** open item(s) linked"
                    + (f", **{below:,}** with its sub-objectives" if below != len(linked) else ""))
        if len(linked):
            with st.expander("The open items linked"):
                chrome.table(linked[[c for c in ("external_key", "title", "status", "owner", "team", "source")
                                     if c in linked]], "objective_open_items")
        for col, (page_key, label) in zip(st.columns(3), (("alignment", "Open alignment"),
                                                          ("kpi", "Open KPI conflicts"), ("strategy", "Open strategy"))):
            with col:
                chrome.link(page_key, label)


def _num(value: Any) -> str:
    return "n/a" if value is None or pd.isna(value) else f"{value:,.4g}"


key = chrome.page_setup("Overview")
counts = cache.table_counts(key)
if not (counts["workitem"] or counts["objective"] or counts["kpi"]):
    st.info("Welcome to Throughline. Nothing is loaded yet: import the spreadsheets your teams already keep "
            "(task lists, ServiceNow or Jira exports, milestone plans, KPI sheets), or look around with the sample "
            "scenario first.")
    chrome.link("import", "Import a spreadsheet")
    if signin.viewer().role == "admin" and st.button("Load the sample scenario", type="primary"):
        from core.sample import load_sample

        with st.spinner("Importing the six sample files…"):
            try:
                load_sample(cache.engine(), user=signin.viewer().username)
            except Exception as exc:  # noqa: BLE001 - every failure becomes a message
                chrome.show_error(exc)
            else:
                st.rerun()
    st.stop()

opts = ReportOptions.from_env()
report = cache.overview_report(key, opts.period_days, opts.stale_source_days)
as_of = report["as_of"]
st.caption((f"Data as of {as_of:%d %b %Y %H:%M}" if as_of is not None else "No dated data yet")
           + f" · arrows show the change over the previous {report['period_days']} days")

views = report["views"]
drawn = cache.overview_charts(key, opts.period_days, opts.stale_source_days)
if "strategy" in drawn:
    st.plotly_chart(drawn["strategy"], key="strategy", on_select="rerun", selection_mode="points", width="stretch")
    codes = [str(c) for c in charts.selected_values(st.session_state.get("strategy"))][:1]
    if codes:
        objective_card(views, codes[0])
    else:
        st.caption("Click an objective to see its owner, its KPIs and the open work linked, and to open its views.")
else:
    st.info(chrome.NO_STRATEGY)

SECTIONS = {"Alignment": ["linked_share", "hidden_ratio"],
            "Flow": ["wip", "throughput", "median_cycle_days", "aging_past_p85", "top_wait_days"],
            "KPI health": ["kpi_green", "kpi_amber", "kpi_red", "kpi_grey", "open_signals", "conflicts"],
            "Status vs reality": ["green_but_red"]}
LINKS = {"Alignment": ("alignment", "Open alignment"), "Flow": ("flow", "Open bottlenecks"),
         "KPI health": ("kpi", "Open KPI conflicts"), "Status vs reality": ("reality", "Open status vs reality")}
by_key = {row["key"]: row for row in report["headline"]}
for section, keys in SECTIONS.items():
    with st.container(border=True):
        head, link = st.columns([3, 1])
        head.markdown(f"**{section}**")
        with link:
            chrome.link(*LINKS[section])
        for col, k in zip(st.columns(len(keys)), keys):
            row = by_key[k]
            colour = "off" if row["better"] is None or not row["change"] else (
                "normal" if row["better"] == "higher" else "inverse")
            col.metric(row["label"], format_value(row["value"], row["format"]),
                       delta=format_change(row["change"], row["format"]), delta_color=colour, help=row["help"])
            if row["note"]:
                col.caption(inert(row["note"]))
            if k in report["trends"]:  # figures with no cheap honest history have none (core.reporting.trends)
                col.plotly_chart(drawn[k], key=f"trend_{k}", width="stretch",
                                 config={"displayModeBar": False})
        if section == "Flow":
            flow = report["views"]["flow"]
            if flow is not None and report["figures"].get("stale_workflows"):
                st.warning("Measured as of their own latest change, not today: "
                           + inert(", ".join(report["figures"]["stale_workflows"]))
                           + " (no change in the last 28 days before the newest data). They are left out of "
                             "'Done per week'.")
            if flow is not None and len(flow["workflows"]) > 1:
                with st.expander(f"Flow by workflow ({len(flow['workflows'])} workflows, each as of its own data)"):
                    chrome.table(flow["workflows"], "flow_by_workflow")

st.subheader("Needs attention")
attention = report["attention"]
if attention.empty:
    st.success("Nothing stands out: no red KPI, no green-but-red status, no long cross-team wait.")
else:
    chrome.table(attention[["rank", "owner", "reason", "days"]], "attention",
                 column_config={"rank": st.column_config.NumberColumn("#", width="small"),
                                "owner": "Owner to act", "reason": st.column_config.TextColumn("Why", width="large"),
                                "days": st.column_config.NumberColumn("Days", help="How long it has been so")})

st.subheader("Data freshness")
fresh = report["freshness"]
stale = fresh[fresh["stale"]] if len(fresh) else fresh
if len(stale):
    st.warning(f"{len(stale)} source(s) not imported for over {opts.stale_source_days} days: "
               + inert(", ".join(stale["source"])) + ". Their figures may be out of date.")
chrome.table(fresh, "data_freshness",
             column_config={"last_import": st.column_config.DatetimeColumn("Last import (UTC)",
                                                                           format="YYYY-MM-DD HH:mm"),
                            "days_ago": st.column_config.NumberColumn("Days ago", format="%.1f")})

st.download_button("Download the steering pack (xlsx)", lambda: steering_pack(report), file_name="steering_pack.xlsx",
                   type="primary", icon=":material/download:", on_click="ignore")
