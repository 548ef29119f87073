"""Write the Northbridge Financial sample scenario (deterministic: same bytes on every run).

A mid-sized financial-services firm modernising its IT service management. The
files are shaped the way managers really keep them, and the numbers carry the
story later views must find (see sample_data/README.md).

Usage: python sample_data/generate.py [--out DIR]
"""
from __future__ import annotations

import argparse
import csv
import io
import random
from datetime import date, datetime, timedelta
from pathlib import Path

import openpyxl
from openpyxl.styles import Font

TODAY = date(2026, 11, 13)
WEEK0 = date(2025, 11, 17)
WEEKS = [WEEK0 + timedelta(weeks=i) for i in range(52)]
CHANGE_ROLLOUT = date(2026, 6, 1)
CAMPAIGN_START = date(2026, 8, 17)
FIXED_STAMP = datetime(2026, 11, 13)

PEOPLE = [
    ("Helen Carter", "Executive", "Chief Information Officer"),
    ("Marcus Reid", "Service Desk", "Service Desk Manager"),
    ("Dana Okafor", "IT Operations", "IT Operations Lead"),
    ("Priya Shah", "Change Management", "Change Manager"),
    ("Tom Becker", "Infrastructure", "Infrastructure Lead"),
    ("Lena Novak", "Data Platform", "Data Platform Lead"),
    ("Sofia Alvarez", "Marketing", "Marketing Manager"),
    ("Ravi Patel", "Service Desk", "Service Desk Analyst"), ("Emma Walsh", "Service Desk", "Service Desk Analyst"),
    ("Jonas Berg", "Service Desk", "Service Desk Analyst"), ("Aisha Khan", "Service Desk", "Service Desk Analyst"),
    ("Liam Murphy", "IT Operations", "Operations Engineer"), ("Chloe Martin", "IT Operations", "Operations Engineer"),
    ("Noah Fischer", "IT Operations", "Operations Engineer"), ("Olivia Brown", "Infrastructure", "Cloud Engineer"),
    ("Ethan Clarke", "Infrastructure", "Network Engineer"), ("Mia Rossi", "Infrastructure", "Cloud Engineer"),
    ("Lucas Silva", "Data Platform", "Data Engineer"), ("Zoe Evans", "Data Platform", "Data Engineer"),
    ("Grace Lee", "Change Management", "Change Analyst"), ("Sam Turner", "Change Management", "Change Analyst"),
    ("Nina Kowalski", "Marketing", "Campaign Manager"), ("Oscar Dubois", "Marketing", "Content Lead"),
    ("Hannah Wright", "Executive", "Chief Operating Officer"), ("Ben Adeyemi", "Executive", "Head of Digital"),
]
OBJECTIVES = [  # the last column is the status each owner reports to the steering group
    ("P1", "Modernise IT service management", "Move the IT function to ITIL 4 practices and cloud hosting.", "",
     "Helen Carter", "FY2026", 0.6, "Green"),
    ("P2", "Grow digital customers", "More customers served through digital channels.", "", "Ben Adeyemi",
     "FY2026", 0.4, "Green"),
    ("O1", "Resolve incidents faster", "Cut the time customers and staff wait for a fix.", "P1", "Helen Carter",
     "FY2026", 0.35, "Amber"),
    ("O2", "Adopt the new change process (ITIL 4)", "Every change documented, assessed and approved by the CAB.",
     "P1", "Priya Shah", "FY2026", 0.25, "Green"),
    ("O3", "Migrate core infrastructure to the cloud", "Retire the Leeds data centre by Q1 2027.", "P1",
     "Tom Becker", "FY2026", 0.3, "Green"),
    ("O4", "Trusted data for reporting", "One reconciled source for customer and account data.", "P1",
     "Tom Becker; Lena Novak", "FY2026", 0.1, "Amber"),
    ("O5", "Grow digital account sign-ups", "Customers open accounts online without calling us.", "P2",
     "Sofia Alvarez", "FY2026", 0.7, "Green"),
    ("O6", "Improve customer satisfaction", "Customers rate our service higher.", "P2", "", "FY2026", 0.3, "Green"),
    ("KR1", "Median incident resolution under 8 hours", "", "O1", "Marcus Reid", "FY2026", 0.5, "Amber"),
    ("KR2", "95% of changes documented before CAB", "", "O2", "Priya Shah", "FY2026", 1.0, "Green"),
    ("KR3", "80% of workloads running in the cloud", "", "O3", "Tom Becker", "FY2026", 1.0, "Green"),
    ("KR4", "2,000 digital sign-ups a week", "", "O5", "Sofia Alvarez", "FY2026", 1.0, "Green"),
]
KPIS = [
    ("K-MTTR", "Mean time to resolve (hours)", "hours", "lower is better", 9.0, 7.0, 1.5, "Marcus Reid", "O1"),
    ("K-VOL", "Tickets closed per week", "tickets", "higher is better", 180, 220, 20, "Dana Okafor", "O1"),
    ("K-LEAD", "Incident lead time (days)", "days", "lower is better", 3.0, 2.0, 0.5, "Helen Carter", "O1"),
    ("K-DOC", "Change records fully documented (%)", "%", "higher is better", 55, 95, 10, "Priya Shah", "O2"),
    ("K-MIG", "Migration lead time (days)", "days", "lower is better", 30, 20, 5, "Tom Becker", "O3"),
    ("K-SIGNUP", "Digital sign-ups per week", "sign-ups", "higher is better", 900, 2000, 200, "Sofia Alvarez", "O5"),
    ("K-CSAT", "Customer satisfaction (%)", "%", "higher is better", 78, 85, 3, "", "O6"),
    ("K-FCR", "First contact resolution (%)", "%", "higher is better", 62, 70, 5, "Marcus Reid", "O1"),
    ("K-CLOUD", "Workloads in the cloud (%)", "%", "higher is better", 20, 80, 10, "Tom Becker", "O3"),
    ("K-DQ", "Data quality checks passed (%)", "%", "higher is better", 88, 99, 3, "Lena Novak", ""),
]
PROTOCOLS = {
    "K-MTTR": "Service Desk Manager reviews the ten longest tickets of the week with the change manager within 2 days.",
    "K-LEAD": "CIO calls a 30-minute incident review with IT Operations and the Service Desk the same week.",
    "K-MIG": "Infrastructure Lead re-plans the critical path with Data Platform and reports to the steering group.",
    "K-SIGNUP": "Marketing Manager checks campaign tracking and help-desk volume before changing spend.",
}
INCENTIVES = [("Service Desk", "K-MTTR", 0.5), ("Service Desk", "K-FCR", 0.3), ("IT Operations", "K-VOL", 0.6),
              ("Infrastructure", "K-CLOUD", 0.5), ("Change Management", "K-DOC", 0.7),
              ("Marketing", "K-SIGNUP", 0.8), ("Data Platform", "K-DQ", 0.5)]
EFFECTS = [("O2", "K-MTTR", "up", "New change process adds documentation steps to every ticket"),
           ("O2", "K-DOC", "up", "Every change documented before CAB"),
           ("O1", "K-LEAD", "down", "The CIO pushes for faster resolution"),
           ("O1", "K-VOL", "down", "Fewer, better-resolved tickets; fewer repeat contacts"),
           ("O5", "K-SIGNUP", "up", "Online account opening campaign"),
           ("O3", "K-CLOUD", "up", "Workloads moved to the cloud")]


def clamp(x: float, lo: float, hi: float) -> float:
    return max(lo, min(hi, x))


def kpi_series(rng: random.Random) -> dict[str, list[float | None]]:
    """52 weekly values per KPI, with the story's turns in them."""
    out: dict[str, list[float | None]] = {}
    rollout = WEEKS.index(CHANGE_ROLLOUT) if CHANGE_ROLLOUT in WEEKS else 28
    campaign = WEEKS.index(CAMPAIGN_START)
    push = [0.0] * 52
    for i in range(52):  # the ops lead pushes volume in bursts; lead time suffers when he does
        push[i] = 1.0 if (i // 6) % 2 == 1 else 0.0
    out["K-MTTR"] = [round(8.8 - 0.03 * i + (2.2 + 0.05 * (i - rollout) if i >= rollout else 0) + rng.gauss(0, 0.35), 2)
                     for i in range(52)]
    out["K-DOC"] = [round(clamp(55 + (35 * min(1, (i - rollout) / 8) if i >= rollout else 0) + rng.gauss(0, 2.5), 0,
                                100), 2) for i in range(52)]
    out["K-VOL"] = [round(185 + 45 * push[i] + (60 if i >= campaign else 0) + rng.gauss(0, 8), 2) for i in range(52)]
    out["K-LEAD"] = [round(clamp(2.9 + 0.9 * push[i] + (0.6 if i >= campaign else 0) + rng.gauss(0, 0.15), 0.5, 10), 2)
                     for i in range(52)]
    out["K-MIG"] = [round(27 + (i - 41) * 2.1 + rng.gauss(0, 1.2), 2) if i > 41 else round(27 + rng.gauss(0, 1.5), 2)
                    for i in range(52)]
    out["K-SIGNUP"] = [round(950 + 8 * i + (900 if i >= campaign else 0) + rng.gauss(0, 60), 2) for i in range(52)]
    out["K-CSAT"] = [round(clamp(79 + 0.05 * i - (4 if i >= campaign else 0) + rng.gauss(0, 1.0), 0, 100), 2)
                     for i in range(52)]
    out["K-FCR"] = [round(clamp(63 + 0.1 * i + rng.gauss(0, 1.5), 0, 100), 2) for i in range(52)]
    out["K-CLOUD"] = [round(clamp(20 + 1.1 * i + rng.gauss(0, 1.0), 0, 100), 2) for i in range(52)]
    out["K-DQ"] = [round(clamp(90 + rng.gauss(0, 1.5), 0, 100), 2) if i < 46 else None for i in range(52)]
    return out


def write_strategy(path: Path) -> None:
    wb = openpyxl.Workbook()
    wb.properties.created = wb.properties.modified = FIXED_STAMP
    sheets = {
        "People": (["Name", "Email", "Team", "Role"],
                   [(n, n.lower().replace(" ", ".") + "@northbridge.example", t, r) for n, t, r in PEOPLE]),
        "Objectives": (["Code", "Objective", "Description", "Parent", "Owner", "Period", "Weight", "RAG"], OBJECTIVES),
        "KPIs": (["Code", "KPI", "Unit", "Direction", "Baseline", "Target", "Tolerance", "Owner", "Objective",
                  "Protocol"], [(*k, PROTOCOLS.get(k[0], "")) for k in KPIS]),
        "Incentives": (["Team", "KPI", "Weight"], INCENTIVES),
        "Expected effects": (["Objective", "KPI", "Effect", "Note"], EFFECTS),
    }
    wb.remove(wb.active)
    for name, (header, rows) in sheets.items():
        ws = wb.create_sheet(name)
        ws.append(header)
        for c in ws[1]:
            c.font = Font(bold=True)
        for row in rows:
            ws.append([v if v != "" else None for v in row])
        ws.freeze_panes = "A2"
    wb.save(path)


def write_csv(path: Path, header: list[str], rows: list[list[object]], delimiter: str = ",",
              encoding: str = "utf-8") -> None:
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delimiter, lineterminator="\r\n")
    w.writerow(header)
    w.writerows(rows)
    path.write_bytes(buf.getvalue().encode(encoding))


def write_readings(path: Path, rng: random.Random) -> None:
    series = kpi_series(rng)
    rows = [[code, WEEKS[i].isoformat(), v] for code, values in series.items() for i, v in enumerate(values)
            if v is not None]
    write_csv(path, ["KPI", "Week", "Value"], rows)


SN_HEADER = ("number,incident_state,active,reassignment_count,reopen_count,sys_mod_count,made_sla,caller_id,"
             "opened_by,opened_at,sys_created_by,sys_created_at,sys_updated_by,sys_updated_at,contact_type,location,"
             "category,subcategory,u_symptom,cmdb_ci,impact,urgency,priority,assignment_group,assigned_to,knowledge,"
             "u_priority_confirmation,notify,problem_id,rfc,vendor,caused_by,closed_code,resolved_by,resolved_at,"
             "closed_at").split(",")
GROUPS = {"Service Desk": ["Ravi Patel", "Emma Walsh", "Jonas Berg", "Aisha Khan", "Marcus Reid"],
          "IT Operations": ["Liam Murphy", "Chloe Martin", "Noah Fischer"],
          "Infrastructure": ["Olivia Brown", "Ethan Clarke", "Mia Rossi"], "Network": ["Ethan Clarke"]}


def sn_date(d: datetime) -> str:
    return d.strftime("%d-%m-%Y %H:%M")


def write_tickets(path: Path, rng: random.Random) -> None:
    """A ServiceNow audit export: one row per change of an incident."""
    rows: list[list[object]] = []
    start = datetime(2025, 11, 17, 8, 0)
    end = datetime(2026, 11, 13, 17, 0)
    n = 0
    day = start
    while day < end:
        per_day = 1 + (rng.random() < 0.6)
        if day.date() >= CAMPAIGN_START:
            per_day += 2 + (rng.random() < 0.5)  # the campaign's flood of account questions
        for _ in range(per_day):
            n += 1
            campaign = day.date() >= CAMPAIGN_START and rng.random() < 0.7
            category = "Account inquiry" if campaign else rng.choice(["Hardware", "Software", "Network", "Access",
                                                                     "Change follow-up", "Software"])
            group = "Service Desk" if category in ("Account inquiry", "Access") else rng.choice(
                ["Service Desk", "IT Operations", "Infrastructure", "Network"])
            opened = day + timedelta(minutes=rng.randint(0, 9 * 60))
            hours = rng.lognormvariate(1.7, 0.6) * (1.6 if opened.date() >= CHANGE_ROLLOUT else 1.0)
            rows += incident_rows(rng, f"INC{10000 + n:07d}", category, group, opened, hours, end)
        day += timedelta(days=1)
    write_csv(path, SN_HEADER, rows)


def incident_rows(rng: random.Random, number: str, category: str, group: str, opened: datetime, hours: float,
                  end: datetime) -> list[list[object]]:
    who = rng.choice(GROUPS[group])
    steps = [("New", opened + timedelta(minutes=rng.randint(1, 20)), "?"),
             ("Active", opened + timedelta(hours=hours * 0.2), who)]
    if rng.random() < 0.25:
        steps.append(("Awaiting User Info", opened + timedelta(hours=hours * 0.5), who))
        steps.append(("Active", opened + timedelta(hours=hours * 0.7), who))
    resolved_at = opened + timedelta(hours=hours)
    steps.append(("Resolved", resolved_at, who))
    steps.append(("Closed", resolved_at + timedelta(days=3), who))
    steps = [s for s in steps if s[1] <= end]
    made_sla = "TRUE" if hours < 24 else "FALSE"
    rows = []
    for i, (state, at, assigned) in enumerate(steps):
        done = state in ("Resolved", "Closed")
        rows.append([number, state, "FALSE" if state == "Closed" else "TRUE", 0, 0, i, made_sla,
                     f"Caller {rng.randint(100, 999)}", "Opened by 8", sn_date(opened), "Created by 6",
                     sn_date(opened), f"Updated by {rng.randint(1, 40)}", sn_date(at), "Phone", "Location 143",
                     category, f"{category} - general", "?", "?", "2 - Medium", "2 - Medium", "3 - Moderate", group,
                     assigned, "FALSE", "FALSE", "Do Not Notify", "?", "?", "?", "?",
                     "code 5" if done else "?", assigned if done else "?",
                     sn_date(resolved_at) if done else "?", sn_date(at) if state == "Closed" else "?"])
    return rows


def plan_rows() -> list[list[object]]:
    d = lambda y, m, dd: datetime(y, m, dd)  # noqa: E731
    rows = [
        ["MIG-01", "Cloud landing zone built", "Olivia Brown", "Infrastructure", "Done", "Green", d(2025, 11, 24),
         d(2026, 1, 30), d(2026, 1, 28), "", "O3"],
        ["MIG-02", "Network links to cloud region", "Ethan Clarke", "Infrastructure", "Done", "Green", d(2026, 1, 5),
         d(2026, 3, 13), d(2026, 3, 20), "MIG-01", "O3"],
        ["MIG-03", "Identity and access federation", "Mia Rossi", "Infrastructure", "Done", "Green", d(2026, 2, 2),
         d(2026, 4, 10), d(2026, 4, 8), "MIG-01", "O3"],
        ["MIG-04", "Monitoring and alerting in cloud", "Liam Murphy", "IT Operations", "Done", "Green",
         d(2026, 3, 2), d(2026, 5, 15), d(2026, 5, 29), "MIG-02", "O3"],
        ["MIG-05", "Migrate file servers", "Olivia Brown", "Infrastructure", "Done", "Amber", d(2026, 4, 6),
         d(2026, 6, 26), d(2026, 7, 10), "MIG-02, MIG-03", "O3"],
        ["MIG-06", "Migrate intranet", "Mia Rossi", "Infrastructure", "Done", "Green", d(2026, 5, 4),
         d(2026, 7, 3), d(2026, 7, 1), "MIG-03", "O3"],
        ["MIG-07", "Data integrity check of customer ledger", "Lena Novak", "Data Platform", "Blocked", "Amber",
         d(2026, 7, 6), d(2026, 8, 28), None, "MIG-05", "O4"],
        ["MIG-08", "Migrate core banking database", "Olivia Brown", "Infrastructure", "In progress", "Green",
         d(2026, 8, 3), d(2026, 10, 16), None, "MIG-07", "O3"],
        ["MIG-09", "Migrate payments platform", "Ethan Clarke", "Infrastructure", "In progress", "Green",
         d(2026, 8, 17), d(2026, 10, 30), None, "MIG-07, MIG-04", "O3"],
        ["MIG-10", "Migrate customer reporting warehouse", "Mia Rossi", "Infrastructure", "In progress", "Green",
         d(2026, 9, 7), d(2026, 11, 6), None, "MIG-07", "O3"],
        ["MIG-11", "Disaster recovery test in cloud", "Liam Murphy", "IT Operations", "Not started", "Green",
         d(2026, 11, 2), d(2026, 12, 11), None, "MIG-08, MIG-09", "O3"],
        ["MIG-12", "Decommission Leeds data centre", "Tom Becker", "Infrastructure", "Not started", "Green",
         d(2027, 1, 4), d(2027, 3, 26), None, "MIG-08, MIG-09, MIG-10, MIG-11", "O3"],
    ]
    extra = ["Backup jobs re-pointed", "Patch baseline for cloud VMs", "Cost tagging policy", "Runbooks updated",
             "Firewall rules reviewed", "Print services moved", "Email relay moved", "Batch scheduler moved",
             "Secrets vault set up", "Log retention configured", "Capacity review", "Legacy VPN retired",
             "DNS cut-over rehearsal", "Service catalogue updated", "Hand-over to operations", "Licence true-up",
             "Security penetration test", "Archive tapes catalogued"]
    for i, title in enumerate(extra, start=13):
        start = datetime(2026, 1, 5) + timedelta(weeks=2 * (i - 13))
        due = start + timedelta(weeks=6)
        done = due < datetime(2026, 9, 1)
        owner, team = [("Olivia Brown", "Infrastructure"), ("Ethan Clarke", "Infrastructure"),
                       ("Liam Murphy", "IT Operations"), ("Mia Rossi", "Infrastructure")][i % 4]
        status = "Done" if done else ("In progress" if start < datetime(2026, 11, 13) else "Not started")
        late = not done and due < datetime(2026, 11, 13)
        rows.append([f"MIG-{i:02d}", title, owner, team, status, "Amber" if late else "Green", start, due,
                     due + timedelta(days=(i * 3) % 11 - 4) if done else None, "", "O3"])
    return rows


def write_plan(path: Path) -> None:
    wb = openpyxl.Workbook()
    wb.properties.created = wb.properties.modified = FIXED_STAMP
    ws = wb.active
    ws.title = "Plan"
    ws["A1"] = "Northbridge Financial — Infrastructure Migration Plan"
    ws["A1"].font = Font(bold=True, size=16)
    ws["A2"] = "Status as of 13/11/2026 — owner: Tom Becker"
    ws.merge_cells("A1:K1")
    ws.merge_cells("A2:K2")
    header = ["Milestone ID", "Milestone", "Owner", "Team", "Status", "RAG", "Start", "Due", "Completed",
              "Depends on", "Objective"]
    for col, name in enumerate(header, start=1):
        ws.cell(row=4, column=col, value=name).font = Font(bold=True)
    for r, row in enumerate(plan_rows(), start=5):
        for col, value in enumerate(row, start=1):
            cell = ws.cell(row=r, column=col, value=value if value != "" else None)
            if isinstance(value, datetime):
                cell.number_format = "dd/mm/yyyy"
    wb.save(path)


def write_change_tracker(path: Path, rng: random.Random) -> None:
    tasks = ["Write change request template", "Set up weekly CAB", "Add documentation step to ticket workflow",
             "Define standard changes", "Train service desk on new process", "Publish change calendar",
             "Risk assessment checklist", "Emergency change procedure", "Post-implementation review form",
             "Link incidents to changes in the tool", "Retire old change spreadsheet", "CAB membership agreed",
             "Change KPIs defined", "Communicate process to all teams", "Audit first month of changes",
             "Update runbooks with change references", "Automate approval reminders", "Backlog of undocumented changes",
             "Vendor change notification process", "Freeze period calendar"]
    owners = ["Priya Shah", "priya shah", "P. Shah", "Shah, Priya", "Marcus Reid", "marcus  reid", "Grace Lee",
              "Sam Turner"]
    statuses = ["Done", "done", "Complete", "WIP", "In progress", "in prog", "On hold", "Blocked", "Not started", "tbc"]
    rags = ["G", "A", "R", "On track", "At risk", ""]
    wb = openpyxl.Workbook()
    wb.properties.created = wb.properties.modified = FIXED_STAMP
    ws = wb.active
    ws.title = "Tracker"
    ws.append(["Ref", "Task", "Owner", "Status", "Due", "RAG", "Notes", "Objective"])
    for i in range(40):
        due = date(2026, 3, 2) + timedelta(days=7 * i + rng.randint(0, 4))
        task = tasks[i % len(tasks)] + ("" if i < len(tasks) else " (phase 2)")
        note = "Adds ~10 min of documentation per ticket" if "documentation" in task else rng.choice(
            ["", "", "Waiting on CAB", "See email from Priya", "Agreed at CAB"])
        objective = "" if i % 9 == 4 else "O2"
        ws.append([f"CHG-{i + 1:03d}", task, owners[i % len(owners)], statuses[(i * 7) % len(statuses)],
                   due.strftime("%d/%m/%Y"), rags[(i * 5) % len(rags)] or None, note or None, objective or None])
    wb.save(path)


def write_marketing(path: Path, rng: random.Random) -> None:
    tasks = ["Campaign brief – “Open your account online”", "Landing page copy", "Email to existing customers",
             "Social ads: Facebook & Instagram", "Branch posters", "Press release", "Retargeting ads",
             "Promo code for €50 welcome bonus", "FAQ page for online sign-up", "Café partnership event",
             "Influencer video", "Weekly results report", "A/B test of sign-up form", "Radio spot",
             "Customer survey after sign-up", "Newsletter feature", "Referral scheme launch", "Second email wave",
             "Paid search keywords", "Branch staff briefing", "Campaign wrap-up review", "Christmas extension plan",
             "Déjà-vu reminder emails", "Partner bank cross-promotion", "Budget reconciliation"]
    owners = ["Sofia Alvarez", "Nina Kowalski", "Oscar Dubois"]
    rows = []
    for i, task in enumerate(tasks):
        start = CAMPAIGN_START + timedelta(days=4 * i - 20)
        due = start + timedelta(days=10 + (i % 5) * 3)
        status = "Done" if due < TODAY - timedelta(days=20) else ("Doing" if start < TODAY else "To do")
        note = rng.choice(["", "Questions about account set-up go to the help desk / call centre",
                           "Expect more calls to the call centre", "", "Budget 12 000 €"])
        rows.append([f"MKT-{i + 1:02d}", task, owners[i % 3], status, start.strftime("%d/%m/%Y"),
                     due.strftime("%d/%m/%Y"), ["Email", "Social", "Web", "Branch"][i % 4], note])
    write_csv(path, ["Task ID", "Task", "Owner", "Status", "Start", "Due", "Channel", "Notes"], rows, delimiter=";",
              encoding="cp1252")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent)
    out = parser.parse_args().out
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(20261122)
    write_strategy(out / "strategy.xlsx")
    write_readings(out / "kpi_readings.csv", rng)
    write_tickets(out / "service_desk_tickets.csv", rng)
    write_plan(out / "infrastructure_migration_plan.xlsx")
    write_change_tracker(out / "change_programme_tracker.xlsx", rng)
    write_marketing(out / "marketing_campaign_tasks.csv", rng)
    for p in sorted(out.iterdir()):
        if p.suffix in (".xlsx", ".csv"):
            print(f"{p.name:40} {p.stat().st_size:>9,} bytes")


if __name__ == "__main__":
    main()
