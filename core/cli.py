"""Command line: thin wrappers over the engine for scripted imports, undo and inspection.

Exit codes for ``import``: 0 every row in; 1 committed with some rows rejected;
2 nothing committed (unreadable file, blocking problem, ``--strict`` with a rejected row).
No traceback is ever printed; set THROUGHLINE_DEBUG=1 to see one.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import traceback
from typing import Any, Sequence

from core.errors import ThroughlineError
from core.importing.fields import KINDS
from core.store import batches, tables
from core.store.db import make_engine, upgrade_schema


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m core", description="Throughline command line.")
    sub = p.add_subparsers(dest="command", required=True)
    imp = sub.add_parser("import", help="import a spreadsheet (xlsx, csv)")
    imp.add_argument("path")
    imp.add_argument("--kind", default="auto", choices=["auto", *KINDS])
    imp.add_argument("--source", help="tracker name for work items (default: from the file name)")
    imp.add_argument("--sheet", action="append", help="import only this sheet (repeatable)")
    imp.add_argument("--profile", help="apply this saved or built-in mapping profile")
    imp.add_argument("--map", action="append", default=[], metavar="FIELD=COLUMN",
                     help="map a column to a field (repeatable)")
    imp.add_argument("--date-order", action="append", default=[], metavar="[COLUMN=]dmy|mdy",
                     help="day/month order for ambiguous date columns")
    imp.add_argument("--header-row", type=int, help="1-based row of the header (default: detected)")
    imp.add_argument("--dry-run", action="store_true", help="show what would change; write nothing")
    imp.add_argument("--strict", action="store_true", help="import nothing if any row would be rejected")
    imp.add_argument("--json", action="store_true")
    imp.add_argument("--user", default=os.environ.get("USER") or "cli")
    undo = sub.add_parser("undo", help="undo an import batch")
    undo.add_argument("batch_id", type=int)
    undo.add_argument("--user", default=os.environ.get("USER") or "cli")
    undo.add_argument("--json", action="store_true")
    b = sub.add_parser("batches", help="list import batches")
    b.add_argument("--json", action="store_true")
    s = sub.add_parser("stats", help="row counts per table")
    s.add_argument("--json", action="store_true")
    ls = sub.add_parser("load-sample", help="load the sample scenario into an empty database")
    ls.add_argument("--force", action="store_true", help="load even when the database holds data")
    sub.add_parser("migrate", help="upgrade the database schema in place")
    bk = sub.add_parser("backup", help="copy the database to a file (SQLite online backup)")
    bk.add_argument("path")
    rs = sub.add_parser("restore", help="replace the database's content with a backup file")
    rs.add_argument("path")
    rs.add_argument("--user", default=os.environ.get("USER") or "cli")
    us = sub.add_parser("users", help="accounts: add, set-role, reset-password, disable, enable, list")
    usub = us.add_subparsers(dest="users_command", required=True)
    ua = usub.add_parser("add", help="create an account (the first one must be an admin)")
    ua.add_argument("username")
    ua.add_argument("--role", required=True, choices=["executive", "manager", "admin"])
    ua.add_argument("--team", help="the manager's team")
    ua.add_argument("--own-team-only", action="store_true", help="a manager who reads only their own team")
    ua.add_argument("--email", help="for OIDC sign-in: the e-mail the identity provider gives")
    ua.add_argument("--name", help="the person's name as in the data (owner of objectives, KPIs)")
    ua.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    ua.add_argument("--no-password", action="store_true", help="OIDC only: an account with no local password")
    ur = usub.add_parser("set-role", help="change an account's role (and team)")
    ur.add_argument("username")
    ur.add_argument("--role", required=True, choices=["executive", "manager", "admin"])
    ur.add_argument("--team")
    ur.add_argument("--own-team-only", action=argparse.BooleanOptionalAction, default=None)
    up = usub.add_parser("reset-password", help="set a new password and unlock the account")
    up.add_argument("username")
    up.add_argument("--password-stdin", action="store_true")
    for name, text in (("disable", "switch an account off: every session of it ends at its next click"),
                       ("enable", "switch an account on again")):
        usub.add_parser(name, help=text).add_argument("username")
    ul = usub.add_parser("list", help="list accounts")
    ul.add_argument("--json", action="store_true")
    rp = sub.add_parser("report", help="the Overview's headline figures and attention list")
    rp.add_argument("--json", action="store_true", help="as JSON (for a scheduled email or chat post)")
    ex = sub.add_parser("export", help="write the steering pack (one formatted xlsx)")
    ex.add_argument("--xlsx", required=True, metavar="PATH")
    rv = sub.add_parser("refresh-views", help="compute and store every page's opening view (after a scheduled import)")
    rv.add_argument("--team", action="append", default=[], help="also for this team's scoped managers (repeatable)")
    return p


def _pairs(values: list[str], flag: str) -> dict[str, str]:
    out = {}
    for v in values:
        if "=" not in v:
            raise ThroughlineError(f"{flag} {v}: expected FIELD=COLUMN.")
        k, _, col = v.partition("=")
        out[k.strip()] = col.strip()
    return out


def _date_orders(values: list[str]) -> dict[str, str]:
    out = {}
    for v in values:
        col, _, order = v.rpartition("=")
        order = order.strip().lower()
        if order not in ("dmy", "mdy"):
            raise ThroughlineError(f"--date-order {v}: the order must be dmy (day first) or mdy (month first).")
        out[col.strip() or "*"] = order
    return out


def cmd_import(args: argparse.Namespace, engine: Any) -> int:
    from core.importing.fields import fields_of
    from core.importing.service import ImportBlocked, import_path

    overrides = _pairs(args.map, "--map")
    if overrides and args.kind != "auto":
        unknown = [f for f in overrides if f not in fields_of(args.kind)]
        if unknown:
            raise ThroughlineError(f"--map: unknown field(s) {', '.join(unknown)} for kind {args.kind}; fields: "
                                   f"{', '.join(fields_of(args.kind))}.")
    header_rows = {None: args.header_row, **{s: args.header_row for s in (args.sheet or [])}} if args.header_row else {}
    try:
        result = import_path(engine, args.path, source=args.source, kind=None if args.kind == "auto" else args.kind,
                             user=args.user, dry_run=args.dry_run, sheets=args.sheet, profile=args.profile,
                             overrides=overrides, date_orders=_date_orders(args.date_order), header_rows=header_rows,
                             strict=args.strict)
    except ImportBlocked as exc:
        if args.json:
            print(json.dumps({"committed": False, "error": str(exc), "issues": [i.as_dict() for i in exc.issues]},
                             default=str))
        else:
            print(str(exc), file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(result.as_json(), default=str, ensure_ascii=False))
    else:
        _print_result(result, args.dry_run)
    return 1 if result.rejected else 0


def _print_result(result: Any, dry_run: bool) -> None:
    verb = "Would import" if dry_run else "Imported"
    for s in result.sheets:
        where = f" sheet '{s.sheet}'" if s.sheet else ""
        batch = "" if dry_run else f" (batch {s.batch_id})"
        print(f"{verb} {result.file_name}{where} as {s.kind}{' from profile ' + repr(s.profile_name) if s.profile_name else ''}"
              f"{batch}: {s.rows_read} rows read, {s.inserted} new, {s.updated} updated, {s.unchanged} unchanged, "
              f"{s.rejected} rejected, {s.status_events} status events.")
        for col, fmt in s.date_formats.items():
            print(f"  dates in '{col.splitlines()[0]}': {fmt}")
        for i in s.issues[:50]:
            loc = ", ".join(p for p in (f"row {i.row}" if i.row else "", f"column '{i.column.splitlines()[0]}'"
                                        if i.column else "") if p)
            print(f"  {i.severity}: {loc}: {i.message}")
        if len(s.issues) > 50:
            print(f"  ... and {len(s.issues) - 50} more issue(s)")


def cmd_undo(args: argparse.Namespace, engine: Any) -> int:
    from core.importing.commit import undo_batch

    ids = undo_batch(engine, args.batch_id, args.user)
    if args.json:
        print(json.dumps({"undone": ids}))
    else:
        print(f"Undone: batch(es) {', '.join(map(str, ids))}.")
    return 0


def cmd_batches(args: argparse.Namespace, engine: Any) -> int:
    df = batches.list_batches(engine)
    if args.json:
        print(df.to_json(orient="records", date_format="iso"))
    elif df.empty:
        print("No imports yet.")
    else:
        print(df.to_string(index=False))
    return 0


def cmd_stats(args: argparse.Namespace, engine: Any) -> int:
    counts = tables.table_counts(engine)
    print(json.dumps(counts) if args.json else "\n".join(f"{k:16} {v:>9,}" for k, v in counts.items()))
    return 0


def cmd_load_sample(args: argparse.Namespace, engine: Any) -> int:
    from core.sample import load_sample

    results = load_sample(engine, only_if_empty=not args.force)
    if not results:
        print("The database already holds data; sample scenario not loaded (use --force to load it anyway).")
    for r in results:
        print(f"{r.file_name}: {r.inserted} new, {r.updated} updated, {r.unchanged} unchanged, {r.rejected} rejected")
    return 0


def cmd_refresh_views(args: argparse.Namespace, engine: Any) -> int:
    """Run after a scheduled import, so the first visitor's cold pages read stored views (core.reporting.views)."""
    from core.reporting.views import refresh

    for scope in [None, *args.team]:
        spent = refresh(engine, scope)
        detail = " (" + ", ".join(f"{k} {v:.1f} s" for k, v in spent.items()) + ")" if spent else ""
        print(f"{scope or 'everyone'}: {len(spent)} views computed in {sum(spent.values()):.1f} s{detail};"
              " every opening view is stored")
    return 0


def cmd_backup(args: argparse.Namespace, engine: Any) -> int:
    from core.store.backup import backup

    counts = backup(engine, args.path)
    print(f"Backed up to {args.path}: {counts['workitem']:,} work items, {counts['importbatch']:,} import batches.")
    return 0


def cmd_restore(args: argparse.Namespace, engine: Any) -> int:
    from core.store.backup import restore

    counts = restore(engine, args.path, args.user)
    print(f"Restored from {args.path}: {counts['workitem']:,} work items, {counts['importbatch']:,} import batches.")
    return 0


def _password(args: argparse.Namespace) -> str:
    """From stdin (scripts, CI) or a hidden prompt typed twice; never from the command line (shell history)."""
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    if not sys.stdin.isatty():
        raise ThroughlineError("No terminal to ask for a password: pass --password-stdin and pipe it in.")
    import getpass

    first, second = getpass.getpass("Password: "), getpass.getpass("Again: ")
    if first != second:
        raise ThroughlineError("The two passwords differ.")
    return first


def cmd_users(args: argparse.Namespace, engine: Any) -> int:
    """The CLI acts with the server's own access to the database: as trusted as an admin (core.accounts.auth.checked)."""
    from core.accounts import auth
    admin = auth.Viewer(os.environ.get("USER") or "cli", "admin")
    if args.users_command == "add":
        password = None if args.no_password else _password(args)
        auth.add_user(engine, args.username, password, args.role, admin if auth.has_users(engine) else None,
                      team=args.team, email=args.email, display_name=args.name, scope_own_team=args.own_team_only)
        print(f"Added {args.role} '{args.username}'.")
    elif args.users_command == "set-role":
        auth.set_role(engine, args.username, args.role, admin, team=args.team, scope_own_team=args.own_team_only)
        print(f"'{args.username}' is now {args.role}.")
    elif args.users_command == "reset-password":
        auth.reset_password(engine, args.username, _password(args), admin)
        print(f"Password of '{args.username}' reset; the account is unlocked and its open sessions end.")
    elif args.users_command in ("disable", "enable"):
        auth.set_active(engine, args.username, args.users_command == "enable", admin)
        state = "switched on" if args.users_command == "enable" else "switched off; its sessions end"
        print(f"'{args.username}' is {state}.")
    else:
        users = auth.list_users(engine)
        if args.json:
            print(users.to_json(orient="records", date_format="iso"))
        else:
            print(users.to_string(index=False) if len(users) else "No accounts yet.")
    return 0


def cmd_report(args: argparse.Namespace, engine: Any) -> int:
    from core.reporting.report import (
        ReportOptions,
        build_report,
        format_change,
        format_value,
        load_frames,
        report_json,
    )

    data = report_json(build_report(load_frames(engine), ReportOptions.from_env()))
    if args.json:
        print(json.dumps(data, indent=2, default=str))
        return 0
    print(f"Throughline report, data as of {data['as_of'] or 'n/a'} (changes over {data['period_days']} days)")
    for row in data["headline"]:
        change = format_change(row["change"], row["format"])
        note = f" ({row['note']})" if row["note"] else ""
        print(f"  {row['label']}: {format_value(row['value'], row['format'])}{note}"
              + (f"   {change} since {data['period_days']} days earlier" if change else ""))
    print("Needs attention:")
    for row in data["attention"]:
        print(f"  {row['rank']}. [{row['owner']}] {row['reason']}")
    return 0


def cmd_export(args: argparse.Namespace, engine: Any) -> int:
    from pathlib import Path

    from core.reporting.report import ReportOptions, build_report, load_frames
    from core.reporting.steering_pack import steering_pack

    path = Path(args.xlsx)
    if path.suffix.lower() != ".xlsx":
        raise ThroughlineError(f"--xlsx {path}: the steering pack is an .xlsx file; give a path ending in .xlsx.")
    if not path.parent.exists():
        raise ThroughlineError(f"--xlsx {path}: the folder {path.parent} does not exist.")
    data = steering_pack(build_report(load_frames(engine), ReportOptions.from_env()))
    tmp = path.with_name(path.name + ".part")
    tmp.write_bytes(data)
    tmp.replace(path)  # a reader never sees half a workbook
    print(f"Wrote the steering pack to {path} ({len(data):,} bytes).")
    return 0


COMMANDS = {"import": cmd_import, "undo": cmd_undo, "batches": cmd_batches, "stats": cmd_stats,
            "load-sample": cmd_load_sample, "migrate": lambda a, e: 0, "backup": cmd_backup,
            "restore": cmd_restore, "report": cmd_report, "export": cmd_export,
            "users": cmd_users, "refresh-views": cmd_refresh_views}


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        engine = make_engine()
        upgrade_schema(engine)
        return COMMANDS[args.command](args, engine)
    except ThroughlineError as exc:
        return _fail(args, str(exc))
    except KeyboardInterrupt:
        return _fail(args, "Interrupted; nothing was committed.")
    except Exception as exc:  # noqa: BLE001 - the promise is: no traceback reaches a user
        if os.environ.get("THROUGHLINE_DEBUG"):
            traceback.print_exc()
        return _fail(args, f"unexpected {type(exc).__name__}: {exc}. Nothing was committed. "
                           "(Set THROUGHLINE_DEBUG=1 for details.)")


def _fail(args: argparse.Namespace, message: str) -> int:
    """Exit 2 with the message: one JSON object on stdout under --json (scripts parse every outcome), else stderr."""
    if getattr(args, "json", False):
        print(json.dumps({"committed": False, "error": message, "issues": []}, ensure_ascii=False))
    else:
        print(message if message.startswith("Interrupted") else f"Error: {message}", file=sys.stderr)
    return 2
