"""Before-images of every write, kept per batch so that any import or edit can be undone exactly.

Values are stored as JSON; dates as ISO text, numbers and text as they are, NaN as null.
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from core.store.tables import T, read_table
from core.store.writes import (
    DRIVER_MIN_ROWS,
    WRITE_CHUNK,
    _driver_params,
    insert_rows,
    json_object_texts,
)


def changelog_add(conn: Connection, batch_id: int, table_name: str, op: str, rows: list[dict[str, Any]]) -> None:
    insert_rows(conn, "changelog", [{"batch_id": batch_id, "table_name": table_name, "row_id": int(r["id"]),
                                     "op": op, "before": json_safe(r)} for r in rows])


def changelog_add_frame(conn: Connection, batch_id: int, table_name: str, op: str, frame: pd.DataFrame) -> None:
    """:func:`changelog_add` for rows of ``table_name`` read into a frame, built column by column.

    Each value is kept as its column's type stores it: an integer column stays integer
    where pandas made it float for a blank (``to_dict`` gave ``3.0``; undo stores the same 3).
    Written ``WRITE_CHUNK`` rows at a time, so the images and their JSON never all exist at once.
    """
    t = T[table_name]
    names = list(frame.columns)
    types = [t.c[c].type if c in t.c else None for c in names]
    for start in range(0, len(frame), WRITE_CHUNK):
        part = frame.iloc[start:start + WRITE_CHUNK]
        columns = [_json_column(part[c], coltype) for c, coltype in zip(names, types)]
        row_ids = [int(i) for i in part["id"].tolist()]
        n = len(row_ids)
        if conn.dialect.name == "sqlite" and n >= DRIVER_MIN_ROWS:
            cl = T["changelog"]
            cols = ["batch_id", "table_name", "row_id", "op"]
            values = _driver_params(conn, cl, cols, [[batch_id] * n, [table_name] * n, row_ids, [op] * n])
            quote = conn.dialect.identifier_preparer.quote
            conn.exec_driver_sql(f"INSERT INTO {quote(cl.name)} ({', '.join(quote(c) for c in [*cols, 'before'])}) "
                                 f"VALUES ({', '.join('?' for _ in range(len(cols) + 1))})",
                                 [(*v, text) for v, text in zip(values, json_object_texts(names, columns))])
            continue
        images = [dict(zip(names, row)) for row in zip(*columns)]
        insert_rows(conn, "changelog", [{"batch_id": batch_id, "table_name": table_name, "row_id": i, "op": op,
                                         "before": image} for i, image in zip(row_ids, images)])


def changelog_add_stored(conn: Connection, batch_id: int, table_name: str, op: str, ids: Sequence[int],
                         columns: Sequence[str]) -> bool:
    """Before-images of ``columns`` of rows ``ids`` as they are stored now, built by SQLite from the rows
    themselves (one ``INSERT … SELECT json_object(…)``: no value passes through Python). False, with nothing
    written, where that cannot be exact (another database, a column type it does not render, a float JSON cannot
    hold): the caller then writes the images with :func:`changelog_add_frame`.

    The images decode (:func:`from_json_safe`) to what :func:`changelog_add_frame` stores: dates as their stored
    ISO text, floats with 17 significant digits (SQLite's own JSON rendering keeps 15), JSON columns as values.
    For 100,000 updated rows it takes a third of the frame path's time.
    """
    if conn.dialect.name != "sqlite":
        return False
    t = T[table_name]
    quote = conn.dialect.identifier_preparer.quote
    names = ["id", *(c for c in columns if c != "id")]
    parts, floats = [], []
    for name in names:
        coltype, col = t.c[name].type, quote(name)
        if isinstance(coltype, sa.types.TypeDecorator):  # SQLModel's AutoString: a String underneath
            coltype = coltype.impl_instance
        if isinstance(coltype, sa.Float):
            floats.append(col)
            value = f"CASE typeof({col}) WHEN 'real' THEN json(printf('%!.17g', {col})) ELSE {col} END"
        elif isinstance(coltype, sa.DateTime):
            value = f"iif({col} IS NULL, NULL, json_object('__dt__', {col}))"
        elif isinstance(coltype, sa.JSON):
            value = f"json({col})"
        elif isinstance(coltype, (sa.Integer, sa.String)):
            value = col
        else:
            return False
        parts.append("'{}', {}".format(name.replace("'", "''"), value))
    id_list = json.dumps([int(i) for i in ids])
    chosen = f"{quote(t.name)}.id IN (SELECT value FROM json_each(?))"
    if floats and conn.exec_driver_sql(  # inf (SQLite's printf says "Inf", which is not JSON): the frame path
            f"SELECT count(*) FROM {quote(t.name)} WHERE {chosen} AND ("
            + " OR ".join(f"abs({c}) > 1.7976931348623157e308" for c in floats) + ")", (id_list,)).scalar():
        return False
    cl = T["changelog"]
    conn.exec_driver_sql(
        f"INSERT INTO {quote(cl.name)} (batch_id, table_name, row_id, op, {quote('before')}) "
        f"SELECT ?, ?, id, ?, json_object({', '.join(parts)}) FROM {quote(t.name)} WHERE {chosen} ORDER BY id",
        (batch_id, table_name, op, id_list))
    return True


def _json_column(s: pd.Series, coltype: sa.types.TypeEngine | None) -> list[Any]:
    """What :func:`json_safe` stores for each value of one column (None where missing), in as few steps as may be."""
    missing = s.isna().to_numpy()
    texts = _iso_texts(s)
    if texts is not None:  # datetimes: their isoformat() in one step
        return [None if m else {"__dt__": v} for v, m in zip(texts, missing)]
    if s.dtype.kind in "iub" and not isinstance(coltype, sa.Float) and not missing.any():
        return s.tolist()  # Python int / bool
    if (s.dtype.kind == "f" and isinstance(coltype, sa.Float)) or isinstance(s.dtype, pd.StringDtype):
        return s.astype(object).where(~missing, None).tolist()  # float / str, None where missing
    convert = _json_converter(coltype)
    return [None if m else convert(v) for v, m in zip(s.tolist(), missing)]


def _iso_texts(s: pd.Series) -> list[str] | None:
    """``v.isoformat()`` of every value of a naive datetime column (vectorised), or None for any other column."""
    if s.dtype.kind != "M" or s.dt.tz is not None:
        return None
    values = s.to_numpy()
    micro = values.astype("datetime64[us]")
    if not (np.isnat(values) | (micro == values)).all():  # nanoseconds: isoformat shows them
        return None
    return [v[:-7] if v.endswith(".000000") else v for v in np.datetime_as_string(micro, unit="us").tolist()]


_PLAIN = (str, int, float, bool, dict, list)  # stored as they are (a float here is never NaN: that is missing)


def _json_converter(coltype: sa.types.TypeEngine | None) -> Any:
    """A non-missing value of a column of ``coltype`` → what :func:`json_safe` stores for it."""
    if isinstance(coltype, sa.Integer):
        return int
    if isinstance(coltype, sa.Float):
        return float
    return lambda v: v if type(v) in _PLAIN else json_safe({"v": v})["v"]


def changelog_of(conn: Connection, batch_id: int) -> pd.DataFrame:
    return read_table(conn, "changelog", T["changelog"].c.batch_id == batch_id)


def json_safe(row: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for k, v in row.items():
        if isinstance(v, (pd.Timestamp, datetime)):
            out[k] = {"__dt__": v.isoformat()} if not pd.isna(v) else None
        elif hasattr(v, "isoformat"):
            out[k] = {"__date__": v.isoformat()}
        elif isinstance(v, float) and pd.isna(v):
            out[k] = None
        elif hasattr(v, "item"):
            out[k] = v.item()
        else:
            out[k] = v
    return out


def from_json_safe(row: dict[str, Any]) -> dict[str, Any]:
    from datetime import date

    out = {}
    for k, v in row.items():
        if isinstance(v, dict) and set(v) == {"__dt__"}:
            out[k] = datetime.fromisoformat(v["__dt__"])
        elif isinstance(v, dict) and set(v) == {"__date__"}:
            out[k] = date.fromisoformat(v["__date__"])
        else:
            out[k] = v
    return out
