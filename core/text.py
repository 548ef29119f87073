"""Imported text shown as text: never as Markdown that could link, embed an image or fetch remote content.

Streamlit renders ``st.markdown``/``st.caption``/``st.success`` text as Markdown (raw HTML is
off unless ``unsafe_allow_html``). A title such as ``![x](http://tracker.example/p.png)`` would
still fetch an image, and ``[click](javascript:…)`` would render a link. Every value that came
from a spreadsheet goes through :func:`inert` before it meets Markdown; tables are data, not
Markdown, and need nothing.
"""
from __future__ import annotations

import re
from typing import Any

_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:&])")


def inert(value: Any) -> str:
    """The text with every Markdown control character backslash-escaped (and newlines kept as spaces)."""
    if value is None:
        return ""
    text = " ".join(str(value).split())
    return _SPECIAL.sub(r"\\\1", text)


def inert_lines(value: Any) -> str:
    """Several lines (an error listing problems) made inert line by line, kept as Markdown line breaks."""
    return "  \n".join(inert(line) for line in str(value or "").splitlines() if line.strip())
