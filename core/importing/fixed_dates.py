"""Numeric dates written with two-digit parts at fixed places (machine exports), read from character codes.

What ``dates.NUMERIC_RE`` would extract, found without a regular expression per value; anything else is left to
the expression (None).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

_FIXED_SHAPES = {  # width → (position, allowed characters) of a NUMERIC_RE date written with two-digit parts
    10: {2: "/.-", 5: "/.-"},
    16: {2: "/.-", 5: "/.-", 10: " T,", 13: ":h"},
    19: {2: "/.-", 5: "/.-", 10: " T,", 13: ":h", 16: ":"},
}
_FIXED_PARTS = {"a": (0, 2), "b": (3, 5), "y": (6, 10), "H": (11, 13), "M": (14, 16), "S": (17, 19)}


def fixed_width_numeric(rest: pd.Series) -> pd.DataFrame | None:
    """What ``rest.str.extract(NUMERIC_RE)`` finds, as numbers, when every value is ``DD-MM-YYYY[ HH:MM[:SS]]``
    with two-digit parts (one width, ASCII digits and separators at their places); else None.

    Machine exports write dates this way (ServiceNow's ``30-01-2017 12:52``): read from the characters' codes in
    a few array operations instead of a regular expression per value (10× faster on 120,000 times).
    """
    values = rest.tolist()
    if not values or not all(type(v) is str for v in values):
        return None
    width = len(values[0])
    shape = _FIXED_SHAPES.get(width)
    if shape is None or any(len(v) != width for v in values):
        return None
    codes = np.array(values, dtype=f"U{width}").view(np.uint32).reshape(len(values), width)
    digit = (codes >= 48) & (codes <= 57)
    for pos in range(width):
        ok = np.isin(codes[:, pos], [ord(ch) for ch in shape[pos]]) if pos in shape else digit[:, pos]
        if not ok.all():
            return None
    number = codes.astype(np.int64) - 48
    out = {}
    for name, (start, end) in _FIXED_PARTS.items():
        if end <= width:
            value = np.zeros(len(values), dtype=np.int64)
            for pos in range(start, end):
                value = value * 10 + number[:, pos]
            out[name] = value
    return pd.DataFrame(out, index=rest.index)
