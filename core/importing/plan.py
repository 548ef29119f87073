"""Validated rows → an import plan: inserted / updated (before → after) / unchanged / rejected.

Rows are compared with the database on each kind's coalesce key, at the level of
*names* (a person's name key, an objective's code), so a plan can be made before
the people and teams it mentions exist. Nothing here writes.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy.engine import Connection

from core.importing.updates import Update, Updates
from core.importing.validate import Issue, ValidatedSheet, slug
from core.store import tables
from core.store.values import is_blank, map_distinct, name_key, named_people
from core.strategy import resolve

DEPENDS_SPLIT = re.compile(r"[,;\n]+")


@dataclass(frozen=True)
class Target:
    table: str
    key: tuple[str, ...]
    columns: tuple[str, ...]  # compared and written (ref columns hold names/codes until commit)
    refs: dict[str, str] = field(default_factory=dict)  # column -> person | team | objective | kpi


TARGETS: dict[str, Target] = {
    "people": Target("person", ("name_key",), ("name", "email", "role_title", "team_id"), {"team_id": "team"}),
    "objectives": Target("objective", ("code",), ("title", "description", "parent_id", "owner_id", "owner_text",
                                                  "period", "weight", "reported_rag"),
                         {"parent_id": "objective", "owner_id": "person"}),
    "kpis": Target("kpi", ("code",), ("name", "unit", "direction", "baseline", "baseline_date", "target",
                                      "target_date", "tolerance", "owner_id", "owner_text", "objective_id",
                                      "protocol", "baseline_periods"),
                   {"owner_id": "person", "objective_id": "objective"}),
    "kpi_readings": Target("kpireading", ("kpi_id", "period", "segment"), ("value",), {"kpi_id": "kpi"}),
    "incentives": Target("incentive", ("team_id", "kpi_id"), ("weight",), {"team_id": "team", "kpi_id": "kpi"}),
    "expected_effects": Target("expectedeffect", ("objective_id", "kpi_id"), ("effect", "note"),
                               {"objective_id": "objective", "kpi_id": "kpi"}),
    "work_items": Target("workitem", ("source", "external_key"), (
        "title", "item_type", "raw_status", "status", "reported_rag", "assessed_rag", "rag_note", "priority",
        "description", "owner_id", "team_id", "objective_id", "created_at", "started_at", "due_at", "done_at",
        "updated_at", "effort", "depends_on", "attributes"), {"owner_id": "person", "team_id": "team",
                                                               "objective_id": "objective"}),
}
DATE_COLUMNS = {"baseline_date", "target_date", "period"}
TRACE_COLUMNS = ("source_file", "source_sheet", "source_row")


@dataclass
class Resolver:
    """Turns what a cell says (a name, a code, a title) into the key a reference is stored under."""

    objective_codes: dict[str, str]  # code or title, folded -> code
    kpi_codes: dict[str, str]
    objective_ids: dict[int, str]
    kpi_ids: dict[int, str]
    person_ids: dict[str, int]
    team_ids: dict[str, int]

    @classmethod
    def load(cls, conn: Connection) -> "Resolver":
        objectives, kpis = resolve.objectives(conn), resolve.kpis(conn)
        return cls(objectives.by_text, kpis.by_text, objectives.code_of, kpis.code_of,
                   tables.name_lookup(conn, "person"), tables.name_lookup(conn, "team"))

    def code(self, ref: str, value: Any) -> str | None:
        if is_blank(value):
            return None
        table = self.objective_codes if ref == "objective" else self.kpi_codes
        return table.get(name_key(value))

    def key_of_id(self, ref: str, ident: Any) -> Any:
        if ident is None or (isinstance(ident, float) and np.isnan(ident)):
            return None
        ident = int(ident)
        return {"objective": self.objective_ids, "kpi": self.kpi_ids}.get(ref, {}).get(ident) if ref in (
            "objective", "kpi") else self._reverse(ref).get(ident)

    def canonical(self, ref: str, key: Any) -> Any:
        """A person's or team's own name key for any key that names them (an alias confirmed by a merge)."""
        ident = (self.person_ids if ref == "person" else self.team_ids).get(key) if isinstance(key, str) else None
        return key if ident is None else self._reverse(ref).get(ident, key)

    def _reverse(self, ref: str) -> dict[int, str]:
        attr = f"_rev_{ref}"
        if not hasattr(self, attr):
            source = self.person_ids if ref == "person" else self.team_ids
            object.__setattr__(self, attr, {v: k for k, v in source.items()})
        return getattr(self, attr)


@dataclass
class SheetPlan:
    """What one sheet will do to its table, decided before anything is written; commit only carries it out.

    ``rows_read`` keeps the database rows the diff compared with (work items: the columns it compared and
    the ones a before-image keeps, as stored), so the before-images need not read them again.
    """

    kind: str
    incoming: pd.DataFrame  # accepted rows: key + columns, row_hash, source_row
    is_new: pd.Series  # rows to insert
    updates: Updates  # rows whose content changes
    hash_only: Updates  # rows whose hash changes (fewer columns hashed) and nothing else
    unchanged: int
    rows_read: dict[str, pd.DataFrame] = field(default_factory=dict)
    stale: list[tuple[tuple, Update]] = field(default_factory=list)  # (key, update) older than what is stored

    @property
    def target(self) -> Target:
        return TARGETS[self.kind]

    @property
    def inserted(self) -> int:
        return int(self.is_new.sum())


# --------------------------------------------------------------------------- value helpers
def norm(v: Any) -> Any:
    """One comparable Python value per cell (None for every kind of missing)."""
    t = type(v)
    if t is str or t is int or t is datetime or t is bool:  # the common cells, without the checks below
        return v
    if t is float:
        return None if v != v else v
    if v is None or v is pd.NaT:
        return None
    if isinstance(v, float) and np.isnan(v):
        return None
    if isinstance(v, pd.Timestamp):
        return v.to_pydatetime()
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, str):
        return v
    return v


def normed(s: pd.Series) -> list[Any]:
    """``[norm(v) for v in s]`` in one step where the dtype allows: datetimes, numbers, text."""
    kind = s.dtype.kind
    if kind == "M" and s.dt.tz is None:
        values = s.to_numpy()
        micro = values.astype("datetime64[us]")
        if (np.isnat(values) | (micro == values)).all():  # nothing below the microsecond to truncate
            return micro.astype(object).tolist()  # datetime, None for NaT
    elif kind in "iub":
        return s.tolist()  # Python int / bool, never missing
    elif kind == "f" or (kind in "OU" or isinstance(s.dtype, pd.StringDtype)) and pd.api.types.infer_dtype(
            s, skipna=True) in ("string", "empty"):
        return s.astype(object).where(s.notna(), None).tolist()  # float or str, None for NaN / None / NaT
    return [norm(v) for v in s.tolist()]


def equal(a: Any, b: Any) -> bool:
    a, b = norm(a), norm(b)
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return abs(float(a) - float(b)) <= 1e-9 * max(1.0, abs(float(a)))
    if isinstance(a, datetime) and isinstance(b, datetime):
        return a.replace(microsecond=0) == b.replace(microsecond=0)
    return a == b


def owner_key(text: Any, issues: list[Issue], row: int, column: str, sheet: str | None,
              names: dict[str, str]) -> str | None:
    """A single owner's name key; several names in one cell are kept as text and reported."""
    if text is None:
        return None
    parts = named_people(text)
    if len(parts) > 1:
        issues.append(Issue(f"'{text}' names {len(parts)} owners; exactly one accountable owner is needed, so none "
                            "was set (the text is kept)", row=row, column=column, value=str(text),
                            severity="warning", sheet=sheet))
        return None
    key = name_key(text)
    names.setdefault(key, " ".join(str(text).split()))
    return key


def _names_to_keys(series: pd.Series, names: dict[str, str]) -> pd.Series:
    uniques = {v: name_key(v) for v in pd.unique(series.dropna())}
    for raw, key in uniques.items():
        names.setdefault(key, " ".join(str(raw).split()))
    return series.map(uniques).astype(object).where(series.notna(), None)


# --------------------------------------------------------------------------- incoming rows per kind
def build_incoming(vs: ValidatedSheet, resolver: Resolver, source: str | None) -> tuple[pd.DataFrame, list[Issue],
                                                                                        dict[str, dict[str, str]]]:
    """Accepted rows in the target table's shape; references as names/codes. Adds rejections for bad refs."""
    kind = vs.mapping.kind
    f = vs.frame[~vs.rejected].copy()
    issues: list[Issue] = []
    names: dict[str, dict[str, str]] = {"person": {}, "team": {}}
    sheet = vs.table.sheet
    header = vs.mapping.fields.get
    out = pd.DataFrame(index=f.index)
    out["source_row"] = f["source_row"]

    def col(name: str) -> pd.Series:
        return f[name] if name in f else pd.Series([None] * len(f.index), index=f.index, dtype=object)

    def owners(name: str = "owner") -> pd.Series:
        values = col(name)
        keys: dict[Any, str | None] = {}
        firsts = values.dropna().drop_duplicates()
        for i, v in firsts.items():
            keys[v] = owner_key(v, issues, int(f.at[i, "source_row"]), header(name, name), sheet, names["person"])
        return values.map(keys).astype(object).where(values.notna(), None)

    def ref_codes(ref: str, name: str, *, required: bool, self_codes: dict[str, str] | None = None) -> pd.Series:
        values = col(name)
        codes = []
        for i, v in values.items():
            code = resolver.code(ref, v) if v is not None else None
            if code is None and v is not None and self_codes:
                code = self_codes.get(" ".join(str(v).split()).casefold())
            if v is not None and code is None:
                what = "objective" if ref == "objective" else "KPI"
                issues.append(Issue(
                    f"{what} '{v}' is not known" + ("; the row was not imported (import the "
                                                    f"{what}s first or fix the name)" if required else
                                                    "; the row was imported without this link"),
                    row=int(f.at[i, "source_row"]), column=header(name, name), value=str(v),
                    severity="error" if required else "warning", sheet=sheet))
            codes.append(code)
        return pd.Series(codes, index=values.index, dtype=object)

    if kind == "people":
        out["name_key"] = _names_to_keys(col("name"), names["person"])
        out["name"] = col("name").map(lambda v: " ".join(str(v).split()) if v is not None else None)
        out["email"], out["role_title"] = col("email"), col("role_title")
        out["team_id"] = _names_to_keys(col("team"), names["team"])
    elif kind == "objectives":
        out["code"] = col("code")
        own = {" ".join(str(t).split()).casefold(): c for t, c in zip(col("title"), col("code")) if t}
        own.update({" ".join(str(c).split()).casefold(): c for c in col("code") if c})
        out["title"], out["description"] = col("title"), col("description")
        out["parent_id"] = ref_codes("objective", "parent", required=False, self_codes=own)
        out["owner_id"], out["owner_text"] = owners(), col("owner")
        out["period"], out["weight"], out["reported_rag"] = col("period"), col("weight"), col("reported_rag")
    elif kind == "kpis":
        out["code"], out["name"], out["unit"] = col("code"), col("name"), col("unit")
        out["direction"] = direction_series(col("direction"), col("baseline"), col("target"))
        out["baseline"], out["target"], out["tolerance"] = col("baseline"), col("target"), col("tolerance")
        out["baseline_date"] = None
        out["target_date"] = None
        out["owner_id"], out["owner_text"] = owners(), col("owner")
        out["objective_id"] = ref_codes("objective", "objective", required=False)
        out["protocol"] = col("protocol")
        out["baseline_periods"] = col("baseline_periods").map(lambda v: None if v is None or v != v else int(v))
    elif kind == "kpi_readings":
        out["kpi_id"] = ref_codes("kpi", "kpi", required=True)
        out["period"] = to_date(col("period"))
        out["segment"] = col("segment").map(lambda v: v or "")
        out["value"] = col("value")
        out["source_file"] = vs.file_name
    elif kind == "incentives":
        out["team_id"] = _names_to_keys(col("team"), names["team"])
        out["kpi_id"] = ref_codes("kpi", "kpi", required=True)
        out["weight"] = col("weight")
    elif kind == "expected_effects":
        out["objective_id"] = ref_codes("objective", "objective", required=True)
        out["kpi_id"] = ref_codes("kpi", "kpi", required=True)
        out["effect"] = col("effect").map(effect_word)
        bad = col("effect").notna() & out["effect"].isna()
        for i in bad[bad].index:
            issues.append(Issue(f"effect '{f.at[i, 'effect']}' must say up or down (increase/decrease, +/-)",
                                row=int(f.at[i, "source_row"]), column=header("effect", "effect"),
                                value=str(f.at[i, "effect"]), sheet=sheet))
        out.loc[bad, "effect"] = None
        out["note"] = col("note")
    elif kind == "work_items":
        out["source"] = source
        out["external_key"] = col("external_key")
        for c in ("title", "item_type", "raw_status", "status", "reported_rag", "assessed_rag", "rag_note",
                  "priority", "description", "created_at", "started_at", "due_at", "done_at", "updated_at", "effort",
                  "depends_on", "attributes", "attributes_json"):
            out[c] = col(c)
        # References only when the sheet has the column: a tracker without an Objective (Owner, Team) column must
        # not clear links made in the app (alignment rules, suggestions, the bulk editor) when its rows change.
        if "owner" in f:
            out["owner_id"] = owners()
        if "team" in f:
            out["team_id"] = _names_to_keys(col("team"), names["team"])
        if "objective" in f:
            out["objective_id"] = ref_codes("objective", "objective", required=False)
        out["source_file"], out["source_sheet"] = vs.file_name, sheet
    # rows whose required reference is unknown are rejected
    required_refs = {"kpi_readings": ["kpi_id"], "incentives": ["kpi_id"], "expected_effects": ["objective_id", "kpi_id",
                                                                                                "effect"]}
    for c in required_refs.get(kind, []):
        out = out[out[c].notna()]
    target = TARGETS.get(kind)
    for column, ref in (target.refs.items() if target else ()):
        if ref in ("person", "team") and column in out:  # a confirmed alias is its person's (team's) own key
            out[column] = map_distinct(out[column], lambda k, r=ref: resolver.canonical(r, k))  # once per name
    return out, issues, names


def effect_word(v: Any) -> str | None:
    if v is None:
        return None
    key = name_key(v)
    if key in {"up", "increase", "increases", "raise", "raises", "higher", "+", "rise", "hausse", "↑"}:
        return "up"
    if key in {"down", "decrease", "decreases", "lower", "reduce", "reduces", "-", "fall", "baisse", "↓"}:
        return "down"
    return None


def direction_series(explicit: pd.Series, baseline: pd.Series, target: pd.Series) -> pd.Series:
    """'higher' or 'lower' is better: as written, or inferred from baseline → target."""
    def one(d: Any, b: Any, t: Any) -> str | None:
        if d is not None:
            key = name_key(d)
            if "high" in key or "up" in key or "increase" in key or key in {"+", "max", "maximise", "maximize", "hausse"}:
                return "higher"
            if "low" in key or "down" in key or "decrease" in key or key in {"-", "min", "minimise", "minimize", "baisse"}:
                return "lower"
        b, t = norm(b), norm(t)
        if b is not None and t is not None and b != t:
            return "higher" if t > b else "lower"
        return None

    return pd.Series([one(d, b, t) for d, b, t in zip(explicit, baseline, target)], index=explicit.index, dtype=object)


def to_date(s: pd.Series) -> pd.Series:
    return pd.Series([v.date() if isinstance(v, (pd.Timestamp, datetime)) and not pd.isna(v) else None for v in s],
                     index=s.index, dtype=object)


# --------------------------------------------------------------------------- scorecards
def scorecard_parts(vs: ValidatedSheet, resolver: Resolver) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """One scorecard row → an objective (by title), a KPI, and its baseline and current readings."""
    f = vs.frame[~vs.rejected]
    segment = (f["segment"] if "segment" in f else pd.Series("", index=f.index)).map(lambda v: v or "")
    # the KPI's own figures (unit, baseline, target) come from its headline row when the file has segments
    f = f.assign(_segment=segment).sort_values("_segment", key=lambda s: s.ne(""), kind="stable")
    titles = f["objective"].map(lambda t: " ".join(str(t).split()))
    codes = titles.map(lambda t: resolver.code("objective", t) or slug(t))
    objectives = pd.DataFrame({"source_row": f["source_row"], "code": codes, "title": titles}).drop_duplicates("code")
    for c in ("description", "parent_id", "owner_id", "owner_text", "period", "weight", "reported_rag"):
        objectives[c] = None
    get = lambda c: f[c] if c in f else pd.Series([None] * len(f.index), index=f.index, dtype=object)  # noqa: E731
    kpis = pd.DataFrame({"source_row": f["source_row"], "code": f["kpi_code"], "name": f["kpi_name"],
                         "unit": get("unit"), "baseline": get("baseline"), "baseline_date": to_date(get("baseline_date")),
                         "target": get("target"), "target_date": to_date(get("target_date")), "tolerance": None,
                         "owner_id": None, "owner_text": get("owner"), "objective_id": codes, "protocol": None,
                         "baseline_periods": None})
    kpis["direction"] = direction_series(get("direction"), get("baseline"), get("target"))
    kpis = kpis.drop_duplicates("code", keep="first")
    readings = pd.concat([
        pd.DataFrame({"source_row": f["source_row"], "kpi_id": f["kpi_code"], "period": to_date(get("baseline_date")),
                      "segment": f["_segment"], "value": get("baseline")}),
        pd.DataFrame({"source_row": f["source_row"], "kpi_id": f["kpi_code"], "period": to_date(get("current_date")),
                      "segment": f["_segment"], "value": get("current")}),
    ])
    readings = readings[readings["period"].notna() & readings["value"].notna()]
    readings["source_file"] = vs.file_name
    readings = readings.drop_duplicates(["kpi_id", "period", "segment"], keep="last").reset_index(drop=True)
    return objectives, kpis, readings


# --------------------------------------------------------------------------- diff


def split_depends(text: Any) -> list[str]:
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return []
    return [p.strip() for p in DEPENDS_SPLIT.split(str(text)) if p.strip()]


def as_date(v: Any) -> date | None:
    v = norm(v)
    return v.date() if isinstance(v, datetime) else v
