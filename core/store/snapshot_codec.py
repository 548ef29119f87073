"""Computed views as bytes and back, exactly and without pickle.

A stored view (core.store.snapshots) is a nest of dicts, lists, scalars, timestamps, DataFrames and Series. The
nest becomes JSON with tagged values; each DataFrame becomes an Arrow IPC stream beside it, which reads back in
milliseconds where 100,000 rows of Python objects would take seconds. Pickle is not used: bytes read from a
database shared by several servers must never be able to run code.

Object columns that Arrow cannot hold as they are (dicts, lists, mixed types) travel as one JSON text per column.
"""
from __future__ import annotations

import json
import math
import struct
from datetime import date, datetime
from typing import Callable

import numpy as np
import pandas as pd
import pyarrow as pa

MAGIC = b"TLV1"
Value = object  # whatever a view returns: checked by encode, which refuses what it cannot restore exactly


class NotStorable(TypeError):
    """A value of a type this codec cannot restore exactly: the view is computed, just not kept."""


def encode(value: Value) -> bytes:
    """The value as bytes: a length-prefixed JSON skeleton, then each frame's Arrow stream, length-prefixed."""
    frames: list[pa.Buffer] = []
    head = json.dumps(_enc(value, frames), separators=(",", ":"), allow_nan=False).encode()
    parts: list[bytes | pa.Buffer] = [MAGIC + struct.pack("<QI", len(head), len(frames)), head]
    for blob in frames:
        parts += [struct.pack("<Q", blob.size), blob]
    joined = b"".join(parts)
    del parts, frames
    pa.default_memory_pool().release_unused()  # Arrow's allocator keeps freed blocks otherwise
    return joined  # one copy of Arrow's buffers (a 100 MB view held twice at most, not four times)


def decode(data: bytes) -> Value:
    """What :func:`encode` wrote; ValueError for bytes it did not write, a truncated or damaged copy included."""
    if data[:4] != MAGIC:
        raise ValueError("not a stored view")
    try:
        head_len, count = struct.unpack_from("<QI", data, 4)
        pos = 16
        head = json.loads(data[pos:pos + head_len])
        pos += head_len
        frames = []
        for _ in range(count):
            (size,) = struct.unpack_from("<Q", data, pos)
            pos += 8
            if pos + size > len(data):
                raise ValueError("a stored view ends before its last table")
            frames.append(memoryview(data)[pos:pos + size])
            pos += size
        return _dec(head, frames)
    except (struct.error, OSError, pa.ArrowException, KeyError, IndexError, TypeError) as exc:
        raise ValueError(f"damaged stored view: {exc}") from exc


# --------------------------------------------------------------------------- the skeleton
def _enc(v: Value, frames: list[pa.Buffer]) -> object:
    if v is None or isinstance(v, (bool, str)):
        return v
    if isinstance(v, (int, np.integer)) and not isinstance(v, np.bool_):
        return int(v)
    if isinstance(v, np.bool_):
        return bool(v)
    if isinstance(v, (float, np.floating)):
        return float(v) if math.isfinite(v) else {"$f": repr(float(v))}
    if v is pd.NaT:
        return {"$nat": 1}
    if isinstance(v, pd.Timestamp):
        return {"$ts": v.isoformat()}
    if isinstance(v, datetime):
        return {"$dt": v.isoformat()}
    if isinstance(v, date):
        return {"$d": v.isoformat()}
    if isinstance(v, pd.Timedelta):
        return {"$td": int(v.value)}
    if isinstance(v, dict):
        return {"$m": [[_enc(k, frames), _enc(x, frames)] for k, x in v.items()]}
    if isinstance(v, list):
        return [_enc(x, frames) for x in v]
    if isinstance(v, tuple):
        return {"$t": [_enc(x, frames) for x in v]}
    if isinstance(v, pd.DataFrame):
        frames.append(_frame_bytes(v, frames))
        return {"$df": len(frames) - 1}
    if isinstance(v, pd.Series):
        frames.append(_frame_bytes(v.to_frame(name=0), frames))
        return {"$sr": len(frames) - 1, "name": _enc(v.name, frames)}
    raise NotStorable(f"cannot store a {type(v).__name__}")


def _dec(v: object, frames: list[memoryview]) -> Value:
    if isinstance(v, list):
        return [_dec(x, frames) for x in v]
    if not isinstance(v, dict):
        return v
    tag, body = next(iter(v.items()))
    decoders: dict[str, Callable[[object], Value]] = {
        "$f": lambda b: float(b), "$nat": lambda b: pd.NaT, "$ts": lambda b: pd.Timestamp(b),
        "$dt": lambda b: datetime.fromisoformat(b), "$d": lambda b: date.fromisoformat(b),
        "$td": lambda b: pd.Timedelta(b, unit="ns"),
        "$m": lambda b: {_dec(k, frames): _dec(x, frames) for k, x in b},
        "$t": lambda b: tuple(_dec(x, frames) for x in b),
        "$df": lambda b: _frame_from(frames[b], frames),
        "$sr": lambda b: _frame_from(frames[b], frames)[0].rename(_dec(v["name"], frames)),
    }
    return decoders[tag](body)


# --------------------------------------------------------------------------- frames
def _frame_bytes(df: pd.DataFrame, frames: list[pa.Buffer]) -> pa.Buffer:
    """Columns renamed by position (names of any type, repeated names) and the index kept as columns unless it is
    the plain 0..n-1; what Arrow cannot hold as it is goes as JSON text in the stream's metadata."""
    plain_index = isinstance(df.index, pd.RangeIndex) and df.index.start == 0 and df.index.step == 1
    work = df if plain_index else df.reset_index(names=[f"i{n}" for n in range(df.index.nlevels)])
    arrow_columns: dict[str, pd.Series] = {}
    as_json: dict[str, str] = {}
    categories: dict[str, object] = {}  # an empty frame's Arrow dictionary would lose them
    objects: list[int] = []  # text kept as Python objects (not pandas' string dtype), as the view had it
    for n in range(work.shape[1]):
        col = work.iloc[:, n]
        if isinstance(col.dtype, pd.CategoricalDtype):
            categories[str(n)] = [_enc(list(col.cat.categories), frames), bool(col.cat.ordered)]
        if col.dtype == object and pd.api.types.infer_dtype(col, skipna=True) not in ("string", "empty"):
            as_json[str(n)] = _column_json(col, frames)
        else:
            arrow_columns[f"c{n}"] = col.reset_index(drop=True)
            if col.dtype == object:
                objects.append(n)
    meta = {"columns": _enc(list(df.columns), frames), "columns_name": _enc(df.columns.name, frames),
            "index_names": _enc(list(df.index.names), frames), "index_levels": 0 if plain_index else df.index.nlevels,
            "width": work.shape[1], "rows": len(df), "json": as_json,
            "freq": getattr(df.index, "freqstr", None),
            "categories": categories, "objects": objects}
    table = pa.Table.from_pandas(pd.DataFrame(arrow_columns, index=pd.RangeIndex(len(df))), preserve_index=False)
    table = table.replace_schema_metadata({**(table.schema.metadata or {}),  # pandas keeps its dtypes there
                                         b"throughline": json.dumps(meta, separators=(",", ":")).encode()})
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue()


def _column_json(col: pd.Series, frames: list[pa.Buffer]) -> str:
    """A column of dicts, lists or mixed values as one JSON text: plain JSON when it is plain (attributes read
    from a JSON column), tagged values otherwise."""
    values = col.tolist()
    try:
        return json.dumps({"plain": values}, separators=(",", ":"))
    except (TypeError, ValueError):
        return json.dumps({"tagged": [_enc(x, frames) for x in values]}, separators=(",", ":"), allow_nan=False)


def _frame_from(blob: memoryview, frames: list[memoryview]) -> pd.DataFrame:
    table = pa.ipc.open_stream(pa.py_buffer(blob)).read_all()
    meta = json.loads(table.schema.metadata[b"throughline"])
    rows, width = int(meta["rows"]), int(meta["width"])
    plain = table.to_pandas() if table.num_columns else pd.DataFrame(index=pd.RangeIndex(rows))
    out: dict[str, object] = {}
    for n in range(width):
        if str(n) in meta["json"]:
            parsed = json.loads(meta["json"][str(n)])
            values = parsed["plain"] if "plain" in parsed else [_dec(x, frames) for x in parsed["tagged"]]
            out[f"c{n}"] = pd.Series(values, dtype=object, index=pd.RangeIndex(rows))
        elif n in meta["objects"]:
            out[f"c{n}"] = pd.Series(table.column(f"c{n}").to_pylist(), dtype=object, index=pd.RangeIndex(rows))
        elif str(n) in meta["categories"]:
            cats, ordered = meta["categories"][str(n)]
            out[f"c{n}"] = plain[f"c{n}"].astype(pd.CategoricalDtype(_dec(cats, frames), ordered=ordered))
        else:
            out[f"c{n}"] = plain[f"c{n}"]
    df = pd.DataFrame(out, index=pd.RangeIndex(rows))
    levels = int(meta["index_levels"])
    if levels:
        df = df.set_index([f"c{n}" for n in range(levels)])
        df.index.names = _dec(meta["index_names"], frames)
        if meta.get("freq"):  # a weekly index keeps its frequency
            df.index = pd.DatetimeIndex(df.index, freq=meta["freq"])
    df.columns = pd.Index(_dec(meta["columns"], frames), name=_dec(meta["columns_name"], frames))
    return df


def skeleton(value: Value) -> object:
    """A view's arguments as plain JSON (for its stored key); frames are not arguments."""
    frames: list[pa.Buffer] = []
    out = _enc(value, frames)
    if frames:
        raise NotStorable("a view's arguments cannot hold a table")
    return out
